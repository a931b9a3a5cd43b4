package tests

// A test-only RDB file builder: it writes every record and every packed
// encoding (ziplist, zipmap, intset, listpack, stream listpacks) byte by
// byte from the format description in internal/rdb/doc.go, without using
// respd's encoder, so files of any version 1 to 12 (and broken ones) can
// be put in front of both respd and the real redis-server.

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/respd/respd/internal/rdb"
)

// rdbFile is an RDB file being built. Methods append to it and return it
// so records chain.
type rdbFile struct {
	version int
	b       []byte
}

func newRDB(version int) *rdbFile {
	f := &rdbFile{version: version}
	f.b = append(f.b, "REDIS"...)
	f.b = append(f.b, byte('0'+version/1000%10), byte('0'+version/100%10), byte('0'+version/10%10), byte('0'+version%10))
	return f
}

// Opcodes and value types, spelled out here rather than taken from the
// rdb package so a wrong constant there cannot hide in both.
const (
	rfSlotInfo     = 0xF4
	rfFunction2    = 0xF5
	rfModuleAux    = 0xF7
	rfIdle         = 0xF8
	rfFreq         = 0xF9
	rfAux          = 0xFA
	rfResizeDB     = 0xFB
	rfExpireTimeMs = 0xFC
	rfExpireTime   = 0xFD
	rfSelectDB     = 0xFE
	rfEOF          = 0xFF

	rtString      = 0
	rtList        = 1
	rtSet         = 2
	rtZSet        = 3
	rtHash        = 4
	rtZSet2       = 5
	rtModulePre   = 6
	rtModule2     = 7
	rtHashZipmap  = 9
	rtListZiplist = 10
	rtSetIntset   = 11
	rtZSetZiplist = 12
	rtHashZiplist = 13
	rtListQuick   = 14
	rtStream1     = 15
	rtHashLP      = 16
	rtZSetLP      = 17
	rtListQuick2  = 18
	rtStream2     = 19
	rtSetLP       = 20
	rtStream3     = 21
)

func (f *rdbFile) raw(b ...byte) *rdbFile { f.b = append(f.b, b...); return f }

// length appends n in the smallest length form.
func (f *rdbFile) length(n uint64) *rdbFile {
	switch {
	case n < 1<<6:
		f.b = append(f.b, byte(n))
	case n < 1<<14:
		f.b = append(f.b, 0x40|byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		f.b = binary.BigEndian.AppendUint32(append(f.b, 0x80), uint32(n))
	default:
		f.b = binary.BigEndian.AppendUint64(append(f.b, 0x81), n)
	}
	return f
}

// str appends s as a plain length-prefixed string.
func (f *rdbFile) str(s string) *rdbFile {
	f.length(uint64(len(s)))
	f.b = append(f.b, s...)
	return f
}

// intStr appends v as an integer-encoded string of the given width (1, 2
// or 4 bytes).
func (f *rdbFile) intStr(v int64, width int) *rdbFile {
	switch width {
	case 1:
		f.b = append(f.b, 0xC0, byte(v))
	case 2:
		f.b = binary.LittleEndian.AppendUint16(append(f.b, 0xC1), uint16(v))
	default:
		f.b = binary.LittleEndian.AppendUint32(append(f.b, 0xC2), uint32(v))
	}
	return f
}

// lzfStr appends s as an LZF-encoded string made of literal runs, with
// back references for runs of one repeated byte so both kinds of LZF
// instruction are exercised.
func (f *rdbFile) lzfStr(s string) *rdbFile {
	var c []byte
	lit := func(b string) {
		for len(b) > 0 {
			n := min(len(b), 32)
			c = append(c, byte(n-1))
			c = append(c, b[:n]...)
			b = b[n:]
		}
	}
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j] == s[i] {
			j++
		}
		if j-i < 4 {
			lit(s[i:j])
			i = j
			continue
		}
		// One literal byte, then copies of it at distance 1 (offset 0),
		// at most 264 bytes per reference.
		lit(s[i : i+1])
		for rest := j - i - 1; rest > 0; {
			n := min(rest, 264)
			if n < 3 {
				lit(s[j-rest : j-rest+n])
			} else if n-2 < 7 {
				c = append(c, byte(n-2)<<5, 0)
			} else {
				c = append(c, 7<<5, byte(n-2-7), 0)
			}
			rest -= n
		}
		i = j
	}
	f.b = append(f.b, 0xC3)
	f.length(uint64(len(c)))
	f.length(uint64(len(s)))
	f.b = append(f.b, c...)
	return f
}

// blob appends a packed encoding as a string.
func (f *rdbFile) blob(b []byte) *rdbFile { return f.str(string(b)) }

func (f *rdbFile) aux(k, v string) *rdbFile { return f.raw(rfAux).str(k).str(v) }

func (f *rdbFile) selectDB(n uint64) *rdbFile { return f.raw(rfSelectDB).length(n) }

func (f *rdbFile) resizeDB(keys, expires uint64) *rdbFile {
	return f.raw(rfResizeDB).length(keys).length(expires)
}

// expireSec is the old EXPIRETIME record: 4 bytes of seconds.
func (f *rdbFile) expireSec(sec int64) *rdbFile {
	f.b = binary.LittleEndian.AppendUint32(append(f.b, rfExpireTime), uint32(sec))
	return f
}

func (f *rdbFile) expireMs(ms int64) *rdbFile {
	f.b = binary.LittleEndian.AppendUint64(append(f.b, rfExpireTimeMs), uint64(ms))
	return f
}

func (f *rdbFile) idle(sec uint64) *rdbFile { return f.raw(rfIdle).length(sec) }

func (f *rdbFile) freq(v byte) *rdbFile { return f.raw(rfFreq, v) }

// key starts a key record of value type t.
func (f *rdbFile) key(t byte, name string) *rdbFile { return f.raw(t).str(name) }

// strings appends a count and that many plain strings (list, set).
func (f *rdbFile) strings(items ...string) *rdbFile {
	f.length(uint64(len(items)))
	for _, s := range items {
		f.str(s)
	}
	return f
}

// pairs appends a count of pairs and the strings (hash type 4).
func (f *rdbFile) pairs(items ...string) *rdbFile {
	f.length(uint64(len(items) / 2))
	for _, s := range items {
		f.str(s)
	}
	return f
}

// textScore appends a score in the type 3 form: a length byte and ASCII,
// or 253 / 254 / 255 for NaN, +inf, -inf.
func (f *rdbFile) textScore(s string) *rdbFile {
	switch s {
	case "nan":
		return f.raw(253)
	case "inf":
		return f.raw(254)
	case "-inf":
		return f.raw(255)
	}
	f.b = append(append(f.b, byte(len(s))), s...)
	return f
}

func (f *rdbFile) binScore(v float64) *rdbFile {
	f.b = binary.LittleEndian.AppendUint64(f.b, math.Float64bits(v))
	return f
}

// end appends EOF and, from version 5 on, the CRC-64 of the file (or 0,
// "not computed", when noCRC).
func (f *rdbFile) end(noCRC bool) []byte {
	f.b = append(f.b, rfEOF)
	if f.version >= 5 {
		if noCRC {
			f.b = append(f.b, make([]byte, 8)...)
		} else {
			f.b = binary.LittleEndian.AppendUint64(f.b, rdb.CRC64(f.b))
		}
	}
	return f.b
}

// Packed encodings. Items are strings (written as strings even when they
// look like numbers) or int64 (written in the smallest integer form).

// ziplist builds a ziplist blob.
func ziplist(items ...any) []byte {
	b := make([]byte, 10)
	prev, tail := 0, 10
	for _, it := range items {
		start := len(b)
		if prev < 254 {
			b = append(b, byte(prev))
		} else {
			b = binary.LittleEndian.AppendUint32(append(b, 0xFE), uint32(prev))
		}
		switch v := it.(type) {
		case int64:
			switch {
			case v >= 0 && v <= 12:
				b = append(b, 0xF1+byte(v))
			case v >= math.MinInt8 && v <= math.MaxInt8:
				b = append(b, 0xFE, byte(v))
			case v >= math.MinInt16 && v <= math.MaxInt16:
				b = binary.LittleEndian.AppendUint16(append(b, 0xC0), uint16(v))
			case v >= -1<<23 && v < 1<<23:
				b = append(b, 0xF0, byte(v), byte(v>>8), byte(v>>16))
			case v >= math.MinInt32 && v <= math.MaxInt32:
				b = binary.LittleEndian.AppendUint32(append(b, 0xD0), uint32(v))
			default:
				b = binary.LittleEndian.AppendUint64(append(b, 0xE0), uint64(v))
			}
		case string:
			switch l := len(v); {
			case l < 1<<6:
				b = append(b, byte(l))
			case l < 1<<14:
				b = append(b, 0x40|byte(l>>8), byte(l))
			default:
				b = binary.BigEndian.AppendUint32(append(b, 0x80), uint32(l))
			}
			b = append(b, v...)
		}
		prev, tail = len(b)-start, start
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint32(b[4:], uint32(tail))
	binary.LittleEndian.PutUint16(b[8:], uint16(min(len(items), 0xFFFF)))
	return b
}

// listpack builds a listpack blob.
func listpack(items ...any) []byte {
	b := make([]byte, 6)
	for _, it := range items {
		start := len(b)
		switch v := it.(type) {
		case int64:
			switch {
			case v >= 0 && v <= 127:
				b = append(b, byte(v))
			case v >= -1<<12 && v < 1<<12:
				u := uint16(v) & 0x1FFF
				b = append(b, 0xC0|byte(u>>8), byte(u))
			case v >= math.MinInt16 && v <= math.MaxInt16:
				b = binary.LittleEndian.AppendUint16(append(b, 0xF1), uint16(v))
			case v >= -1<<23 && v < 1<<23:
				b = append(b, 0xF2, byte(v), byte(v>>8), byte(v>>16))
			case v >= math.MinInt32 && v <= math.MaxInt32:
				b = binary.LittleEndian.AppendUint32(append(b, 0xF3), uint32(v))
			default:
				b = binary.LittleEndian.AppendUint64(append(b, 0xF4), uint64(v))
			}
		case string:
			switch l := len(v); {
			case l < 1<<6:
				b = append(b, 0x80|byte(l))
			case l < 1<<12:
				b = append(b, 0xE0|byte(l>>8), byte(l))
			default:
				b = binary.LittleEndian.AppendUint32(append(b, 0xF0), uint32(l))
			}
			b = append(b, v...)
		}
		// The back length: the entry's size in 7-bit groups, read from
		// the right, so the most significant group comes first and every
		// other group has its top bit set (more to the left).
		size := uint64(len(b) - start)
		var groups []byte
		for {
			groups = append(groups, byte(size&127))
			size >>= 7
			if size == 0 {
				break
			}
		}
		for i := len(groups) - 1; i >= 0; i-- {
			c := groups[i]
			if i != len(groups)-1 {
				c |= 128
			}
			b = append(b, c)
		}
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint16(b[4:], uint16(min(len(items), 0xFFFF)))
	return b
}

// zipmap builds a zipmap blob of field, value pairs.
func zipmap(pairs ...string) []byte {
	b := []byte{byte(min(len(pairs)/2, 254))}
	putLen := func(l int) {
		if l < 254 {
			b = append(b, byte(l))
		} else {
			b = binary.LittleEndian.AppendUint32(append(b, 254), uint32(l))
		}
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		putLen(len(pairs[i]))
		b = append(b, pairs[i]...)
		putLen(len(pairs[i+1]))
		b = append(b, 0) // no free bytes
		b = append(b, pairs[i+1]...)
	}
	return append(b, 0xFF)
}

// intset builds an intset blob of members of the given width (2, 4, 8),
// in the order given.
func intset(width int, members ...int64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(width))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(members)))
	for _, m := range members {
		switch width {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(m))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(m))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(m))
		}
	}
	return b
}

// Streams.

// sid is a stream ID.
type sid struct{ ms, seq uint64 }

// sentry is one entry of a stream node: fields and values alternate in
// fv; deleted marks a tombstone.
type sentry struct {
	id      sid
	fv      []string
	deleted bool
}

// snode is one listpack node of a stream, with the fields of its master
// entry (entries with exactly these fields use the compact form).
type snode struct {
	master sid
	fields []string
	ents   []sentry
	// counts, when set, overrides the master entry's live and deleted
	// counts, to build inconsistent nodes.
	counts *[2]int
}

// listpack encodes the node: the master entry, then each entry with its
// ID as deltas from the master (negative ones included) and its item
// count at the end.
func (n snode) listpack() []byte {
	live, dead := 0, 0
	for _, e := range n.ents {
		if e.deleted {
			dead++
		} else {
			live++
		}
	}
	if n.counts != nil {
		live, dead = n.counts[0], n.counts[1]
	}
	items := []any{int64(live), int64(dead), int64(len(n.fields))}
	for _, f := range n.fields {
		items = append(items, f)
	}
	items = append(items, int64(0))
	for _, e := range n.ents {
		same := len(e.fv) == 2*len(n.fields)
		for i := 0; same && i < len(n.fields); i++ {
			same = e.fv[2*i] == n.fields[i]
		}
		flags := int64(0)
		if e.deleted {
			flags |= 1
		}
		if same {
			flags |= 2
		}
		items = append(items, flags, int64(e.id.ms-n.master.ms), int64(e.id.seq-n.master.seq))
		if same {
			for i := 1; i < len(e.fv); i += 2 {
				items = append(items, e.fv[i])
			}
			items = append(items, int64(3+len(e.fv)/2))
		} else {
			items = append(items, int64(len(e.fv)/2))
			for _, s := range e.fv {
				items = append(items, s)
			}
			items = append(items, int64(4+len(e.fv)))
		}
	}
	return listpack(items...)
}

// spel is a group's pending entry.
type spel struct {
	id        sid
	delivered int64 // ms
	count     uint64
}

// sconsumer is a consumer with the IDs it owns.
type sconsumer struct {
	name         string
	seen, active int64
	pel          []sid
}

// sgroup is a consumer group.
type sgroup struct {
	name        string
	last        sid
	entriesRead uint64
	pel         []spel
	consumers   []sconsumer
}

// sstream is a whole stream value; the format (1, 2 or 3) picks what is
// written.
type sstream struct {
	nodes        []snode
	length       uint64
	last         sid
	first        sid
	maxDeleted   sid
	entriesAdded uint64
	groups       []sgroup
}

func (f *rdbFile) rawID(id sid) *rdbFile {
	f.b = binary.BigEndian.AppendUint64(f.b, id.ms)
	f.b = binary.BigEndian.AppendUint64(f.b, id.seq)
	return f
}

func (f *rdbFile) lenID(id sid) *rdbFile { return f.length(id.ms).length(id.seq) }

// stream appends s in the given stream format (1: type 15, 2: type 19,
// 3: type 21).
func (f *rdbFile) stream(format int, s sstream) *rdbFile {
	f.length(uint64(len(s.nodes)))
	for _, n := range s.nodes {
		var k [16]byte
		binary.BigEndian.PutUint64(k[:], n.master.ms)
		binary.BigEndian.PutUint64(k[8:], n.master.seq)
		f.str(string(k[:]))
		f.blob(n.listpack())
	}
	f.length(s.length).lenID(s.last)
	if format >= 2 {
		f.lenID(s.first).lenID(s.maxDeleted).length(s.entriesAdded)
	}
	f.length(uint64(len(s.groups)))
	for _, g := range s.groups {
		f.str(g.name).lenID(g.last)
		if format >= 2 {
			f.length(g.entriesRead)
		}
		f.length(uint64(len(g.pel)))
		for _, p := range g.pel {
			f.rawID(p.id)
			f.b = binary.LittleEndian.AppendUint64(f.b, uint64(p.delivered))
			f.length(p.count)
		}
		f.length(uint64(len(g.consumers)))
		for _, c := range g.consumers {
			f.str(c.name)
			f.b = binary.LittleEndian.AppendUint64(f.b, uint64(c.seen))
			if format >= 3 {
				f.b = binary.LittleEndian.AppendUint64(f.b, uint64(c.active))
			}
			f.length(uint64(len(c.pel)))
			for _, id := range c.pel {
				f.rawID(id)
			}
		}
	}
	return f
}

// moduleID packs a nine-character module type name (from the charset
// A-Z a-z 0-9 - _) and an encoding version as module records name them.
func moduleID(name string, encver uint64) uint64 {
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var id uint64
	for i := 0; i < 9; i++ {
		id = id<<6 | uint64(strings.IndexByte(charset, name[i]))
	}
	return id<<10 | encver
}

// moduleAux appends a MODULE_AUX record whose value uses every
// self-describing item: unsigned and signed integers, a float, a double
// and a string, then the end marker.
func (f *rdbFile) moduleAux(name string) *rdbFile {
	f.raw(rfModuleAux).length(moduleID(name, 1)).length(2).length(2) // when: after the keyspace
	f.length(2).length(123456789)                                    // unsigned
	f.length(1).length(uint64(1) << 40)                              // signed, as a length
	f.length(3)
	f.b = binary.LittleEndian.AppendUint32(f.b, math.Float32bits(1.5))
	f.length(4)
	f.b = binary.LittleEndian.AppendUint64(f.b, math.Float64bits(-2.25))
	f.length(5).str("module payload")
	return f.length(0)
}
