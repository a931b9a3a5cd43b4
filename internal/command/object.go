package command

import (
	"math"
	"strings"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// objectCommand is OBJECT, the container for value introspection.
var objectCommand = &Command{Name: "object", Arity: -2, ACL: CatSlow, Group: "generic", Since: "2.2.3", Summary: "A container for object introspection commands.", Sub: []*Command{
	{Name: "help", Fn: objectHelp, Arity: 2, Flags: Loading | Stale, ACL: CatKeyspace | CatSlow, Since: "6.2.0", Summary: "Returns helpful text about the different subcommands."},
	{Name: "idletime", Fn: objectIdletime, Arity: 3, Flags: ReadOnly, Keys: keys(2, 2, 1), ACL: CatKeyspace | CatRead | CatSlow, Since: "2.2.3", Summary: "Returns the time since the last access to a Redis object."},
	{Name: "encoding", Fn: objectEncoding, Arity: 3, Flags: ReadOnly, Keys: keys(2, 2, 1), ACL: CatKeyspace | CatRead | CatSlow, Since: "2.2.3", Summary: "Returns the internal encoding of a Redis object."},
	{Name: "freq", Fn: objectFreq, Arity: 3, Flags: ReadOnly, Keys: keys(2, 2, 1), ACL: CatKeyspace | CatRead | CatSlow, Since: "4.0.0", Summary: "Returns the logarithmic access frequency counter of a Redis object."},
	{Name: "refcount", Fn: objectRefcount, Arity: 3, Flags: ReadOnly, Keys: keys(2, 2, 1), ACL: CatKeyspace | CatRead | CatSlow, Since: "2.2.3", Summary: "Returns the reference count of a value of a key."},
}}

// Errors for asking about what the eviction policy does not track.
var (
	ErrNoLFU = resp.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
	ErrIsLFU = resp.Error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
)

const (
	// sharedIntegers is how many small integers Redis keeps as shared
	// objects: string values 0..9999 stored with the int encoding point
	// at them.
	sharedIntegers = 10000
)

// objectKey looks up OBJECT's key, replying nil when it is missing. The
// lookup does not count as an access.
func objectKey(c *Ctx) *keyspace.Object {
	o := lookupNoNotify(c, c.Args[2])
	if o == nil {
		c.Null()
	}
	return o
}

// evictionPolicy is the configured maxmemory-policy ("" when the
// configuration has no such directive, which means noeviction).
func evictionPolicy(c *Ctx) string {
	return c.Host.Config().Get("maxmemory-policy")
}

func objectEncoding(c *Ctx) {
	if o := objectKey(c); o != nil {
		c.BulkString(o.Enc.String())
	}
}

// objectRefcount reports what Redis would: values are never shared here,
// but Redis shares small integer strings (unless maxmemory with an LRU or
// LFU policy needs per-key access data, or COPY made a private duplicate)
// and reports INT_MAX for them.
func objectRefcount(c *Ctx) {
	o := objectKey(c)
	if o == nil {
		return
	}
	if o.Type == keyspace.TypeString && o.Enc == keyspace.EncInt && !o.Unshared && sharesIntegers(c) {
		if v, ok := resp.ParseInt(o.Str); ok && v >= 0 && v < sharedIntegers {
			c.Int(math.MaxInt32)
			return
		}
	}
	c.Int(1)
}

func sharesIntegers(c *Ctx) bool {
	p := evictionPolicy(c)
	perKey := strings.Contains(p, "lru") || strings.Contains(p, "lfu")
	return !perKey || c.Host.Config().Int("maxmemory") == 0
}

// objectIdletime is the whole seconds between the last access and now,
// counted on a seconds clock as Redis's LRU clock does.
func objectIdletime(c *Ctx) {
	o := objectKey(c)
	if o == nil {
		return
	}
	if strings.Contains(evictionPolicy(c), "lfu") {
		c.Error(ErrIsLFU)
		return
	}
	c.Int(c.KS.IdleSeconds(o))
}

// objectFreq needs an LFU policy: it reports the key's access counter
// with the decay due since its last access, which the lookup does not
// store.
func objectFreq(c *Ctx) {
	o := objectKey(c)
	if o == nil {
		return
	}
	if !strings.Contains(evictionPolicy(c), "lfu") {
		c.Error(ErrNoLFU)
		return
	}
	c.Int(c.KS.LFUCounter(o))
}

func objectHelp(c *Ctx) {
	lines := [...]string{
		"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
		"HELP",
		"    Prints this help.",
	}
	c.Array(len(lines))
	for _, l := range lines {
		c.Simple(l)
	}
}
