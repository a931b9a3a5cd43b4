package command

import (
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// MemoryStats are the figures MEMORY STATS reports, in bytes. respd
// measures the Go heap, so "allocated" means live heap bytes.
type MemoryStats struct {
	// PeakAllocated is the highest TotalAllocated seen.
	PeakAllocated, TotalAllocated int64
	// StartupAllocated is what the server held before any client.
	StartupAllocated int64
	// ClientsNormal is the clients' buffers.
	ClientsNormal int64
	// DBs are the non-empty databases' table overheads.
	DBs []DBOverhead
	// Keys counts the keys of every database.
	Keys int64
	// Active is the heap in use by spans; Resident what the process got
	// from the OS for the heap; RSS the process's total.
	Active, Resident, RSS int64
}

// DBOverhead is a database's index cost apart from the values.
type DBOverhead struct {
	ID            int
	Main, Expires int64
}

var memoryCommands = []*Command{
	{Name: "memory", Arity: -2, ACL: CatSlow, Group: "server", Since: "4.0.0", Summary: "A container for memory diagnostics commands.", Sub: []*Command{
		{Name: "doctor", Fn: memoryDoctor, Arity: 2, ACL: CatSlow, Since: "4.0.0", Summary: "Outputs a memory problems report."},
		{Name: "usage", Fn: memoryUsage, Arity: -3, Flags: ReadOnly, Keys: keys(2, 2, 1), ACL: CatSlow, Since: "4.0.0", Summary: "Estimates the memory usage of a key."},
		{Name: "stats", Fn: memoryStats, Arity: 2, ACL: CatSlow, Since: "4.0.0", Summary: "Returns details about memory usage."},
		{Name: "help", Fn: memoryHelp, Arity: 2, Flags: Loading | Stale, ACL: CatSlow, Since: "4.0.0", Summary: "Returns helpful text about the different subcommands."},
		{Name: "purge", Fn: memoryPurge, Arity: 2, ACL: CatSlow, Since: "4.0.0", Summary: "Asks the allocator to release memory."},
		{Name: "malloc-stats", Fn: memoryMallocStats, Arity: 2, ACL: CatSlow, Since: "4.0.0", Summary: "Returns the allocator statistics."},
	}},
}

// memoryDefaultSamples is how many elements of a collection MEMORY USAGE
// looks at without SAMPLES.
const memoryDefaultSamples = 5

// Estimated costs of respd's structures, for MEMORY USAGE: a dict entry
// (key string header, value pointer, slot), an object, and what a
// collection spends per element besides the element's bytes.
const (
	dictEntryBytes = 48
	objectBytes    = int64(unsafe.Sizeof(keyspace.Object{}))
	elemOverhead   = 40
)

func memoryUsage(c *Ctx) {
	samples := int64(memoryDefaultSamples)
	for i := 3; i < len(c.Args); i++ {
		if c.ArgIs(i, "samples") && i+1 < len(c.Args) {
			n, ok := resp.ParseInt(c.Args[i+1])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			if n < 0 {
				c.Error(ErrSyntax)
				return
			}
			samples = n
			i++
			continue
		}
		c.Error(ErrSyntax)
		return
	}
	o := lookupNoNotify(c, c.Args[2])
	if o == nil {
		c.Null()
		return
	}
	c.Int(dictEntryBytes + int64(len(c.Args[2])) + objectBytes + valueBytes(o, samples))
}

// KeyMemory estimates the bytes a key and its value take, as MEMORY
// USAGE does with its default sampling; eviction counts what it frees
// with it.
func KeyMemory(key string, o *keyspace.Object) int64 {
	return dictEntryBytes + int64(len(key)) + objectBytes + valueBytes(o, memoryDefaultSamples)
}

// valueBytes estimates the bytes a value holds: a string's buffer, or a
// collection's element bytes (averaged over the first samples elements,
// all when samples is 0) plus a per-element overhead.
func valueBytes(o *keyspace.Object, samples int64) int64 {
	if o.Type == keyspace.TypeString {
		return int64(cap(o.Str))
	}
	total := elementCount(o)
	if total == 0 {
		return 0
	}
	var seen, bytes int64
	walkElements(o, func(b []byte) bool {
		bytes += int64(len(b))
		seen++
		return samples == 0 || seen < samples*fieldsPerElement(o)
	})
	if seen == 0 {
		return total * elemOverhead
	}
	perElem := bytes * fieldsPerElement(o) / seen
	return total * (perElem + elemOverhead)
}

// fieldsPerElement is how many byte strings make one element: a hash's
// field and value, one member otherwise.
func fieldsPerElement(o *keyspace.Object) int64 {
	if o.Type == keyspace.TypeHash {
		return 2
	}
	return 1
}

// elementCount is a collection's length, when its value reports one.
func elementCount(o *keyspace.Object) int64 {
	if l, ok := o.Val.(interface{ Len() int }); ok {
		return int64(l.Len())
	}
	return 0
}

// walkElements calls fn with each byte string of a collection (members,
// or fields and values in turn) until fn returns false. Values of types
// it does not know are skipped.
func walkElements(o *keyspace.Object, fn func([]byte) bool) {
	switch v := o.Val.(type) {
	case interface{ Range(func([]byte) bool) }:
		v.Range(fn)
	case interface{ Range(func(a, b []byte) bool) }:
		v.Range(func(a, b []byte) bool { return fn(a) && fn(b) })
	}
}

func memoryStats(c *Ctx) {
	st := c.Host.MemoryStats()
	overhead := st.StartupAllocated + st.ClientsNormal
	for _, d := range st.DBs {
		overhead += d.Main + d.Expires
	}
	net := st.TotalAllocated - st.StartupAllocated
	dataset := max(st.TotalAllocated-overhead, 0)
	var perKey int64
	if st.Keys > 0 {
		perKey = net / st.Keys
	}
	ratio := func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	c.Map(27 + len(st.DBs))
	pair := func(name string, v int64) {
		c.BulkString(name)
		c.Int(v)
	}
	double := func(name string, v float64) {
		c.BulkString(name)
		c.Double(float64(float32(v)))
	}
	pair("peak.allocated", st.PeakAllocated)
	pair("total.allocated", st.TotalAllocated)
	pair("startup.allocated", st.StartupAllocated)
	pair("replication.backlog", 0)
	pair("clients.slaves", 0)
	pair("clients.normal", st.ClientsNormal)
	pair("cluster.links", 0)
	pair("aof.buffer", 0)
	pair("lua.caches", 0)
	pair("functions.caches", 0)
	for _, d := range st.DBs {
		c.BulkString("db." + strconv.Itoa(d.ID))
		c.Map(3)
		pair("overhead.hashtable.main", d.Main)
		pair("overhead.hashtable.expires", d.Expires)
		pair("overhead.hashtable.slot-to-keys", 0)
	}
	pair("overhead.total", overhead)
	pair("keys.count", st.Keys)
	pair("keys.bytes-per-key", perKey)
	pair("dataset.bytes", dataset)
	double("dataset.percentage", 100*ratio(dataset, max(net, 1)))
	double("peak.percentage", 100*ratio(st.TotalAllocated, st.PeakAllocated))
	pair("allocator.allocated", st.TotalAllocated)
	pair("allocator.active", st.Active)
	pair("allocator.resident", st.Resident)
	double("allocator-fragmentation.ratio", ratio(st.Active, st.TotalAllocated))
	pair("allocator-fragmentation.bytes", st.Active-st.TotalAllocated)
	double("allocator-rss.ratio", ratio(st.Resident, st.Active))
	pair("allocator-rss.bytes", st.Resident-st.Active)
	double("rss-overhead.ratio", ratio(st.RSS, st.Resident))
	pair("rss-overhead.bytes", st.RSS-st.Resident)
	double("fragmentation", ratio(st.RSS, st.TotalAllocated))
	pair("fragmentation.bytes", st.RSS-st.TotalAllocated)
}

// memoryDoctor reports in Redis's shape (one text reply) with respd's
// own wording: too little data to judge, or the figures worth a look.
func memoryDoctor(c *Ctx) {
	st := c.Host.MemoryStats()
	var b strings.Builder
	const small = 5 << 20
	if st.TotalAllocated < small {
		b.WriteString("This server holds too little data for a memory analysis to mean anything. " +
			"Ask again once the dataset has grown past a few megabytes.\n")
	} else {
		var issues []string
		if st.PeakAllocated > st.TotalAllocated*3/2 {
			issues = append(issues, "- Peak memory: the heap once held "+strconv.FormatInt(st.PeakAllocated, 10)+
				" bytes, well above the "+strconv.FormatInt(st.TotalAllocated, 10)+" bytes in use now; the process may keep that memory until the Go runtime returns it.\n")
		}
		if st.TotalAllocated > 0 && float64(st.RSS)/float64(st.TotalAllocated) > 1.4 {
			issues = append(issues, "- High fragmentation: the process holds "+strconv.FormatInt(st.RSS, 10)+
				" bytes for "+strconv.FormatInt(st.TotalAllocated, 10)+" bytes of live data.\n")
		}
		if len(issues) == 0 {
			b.WriteString("No memory problems found: the heap, its peak and the process size look consistent.\n")
		} else {
			b.WriteString("The memory figures show a few things worth a look:\n\n")
			for _, s := range issues {
				b.WriteString(s)
			}
		}
	}
	c.Verbatim("txt", b.String())
}

// memoryMallocStats has no allocator report to give: Go's runtime is the
// allocator, and INFO memory shows its figures.
func memoryMallocStats(c *Ctx) {
	c.Verbatim("txt", "respd allocates through the Go runtime, which keeps no per-arena report; INFO memory shows its figures.\n")
}

// memoryPurge is the Go runtime's counterpart of asking the allocator to
// purge: a full collection, after which the freed pages go back to the
// OS. Like Redis's, it runs while every other client waits.
func memoryPurge(c *Ctx) {
	debug.FreeOSMemory()
	c.OK()
}

func memoryHelp(c *Ctx) {
	helpReply(c, "MEMORY",
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	)
}
