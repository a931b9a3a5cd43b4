package rdb

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/ds/hash"
	"github.com/respd/respd/internal/ds/list"
	"github.com/respd/respd/internal/ds/set"
	"github.com/respd/respd/internal/ds/stream"
	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/keyspace"
)

// Limits are the encoding thresholds of the configuration, so loaded
// values take the encodings a fresh write would give them.
type Limits struct {
	ListFill     int
	Hash         hash.Limits
	SetMaxIntset int64
	ZSet         zset.Limits
	Stream       stream.NodeLimits
}

// DefaultLimits are Redis's defaults.
var DefaultLimits = Limits{
	ListFill:     -2,
	Hash:         hash.Limits{MaxEntries: 128, MaxValue: 64},
	SetMaxIntset: 512,
	ZSet:         zset.Limits{MaxEntries: 128, MaxValue: 64},
	Stream:       stream.NodeLimits{MaxBytes: 4096, MaxEntries: 100},
}

// ConfigLimits reads the thresholds from a configuration.
func ConfigLimits(c *config.Config) Limits {
	l := Limits{ListFill: int(c.Int("list-max-listpack-size")), SetMaxIntset: c.Int("set-max-intset-entries")}
	l.Hash.MaxEntries, l.Hash.MaxValue = c.Int("hash-max-listpack-entries"), c.Int("hash-max-listpack-value")
	l.ZSet.MaxEntries, l.ZSet.MaxValue = c.Int("zset-max-listpack-entries"), c.Int("zset-max-listpack-value")
	l.Stream.MaxBytes, l.Stream.MaxEntries = c.Int("stream-node-max-bytes"), c.Int("stream-node-max-entries")
	return l
}

// Handler receives what Load reads, in file order.
type Handler interface {
	// Key stores one key; expireAt is an absolute time in ms, or -1.
	Key(db int, key []byte, o *keyspace.Object, expireAt int64) error
	// Aux receives an auxiliary field (redis-ver, repl-id, ...).
	Aux(field, value []byte)
	// Function receives the code of a function library.
	Function(code []byte) error
}

// AccessHandler is implemented by Handlers that keep access data: it gets
// what the IDLE and FREQ records before the key just passed to Key said,
// the LRU idle time in seconds and the LFU counter, each -1 when absent.
// It is called only when there was at least one.
type AccessHandler interface {
	KeyAccess(db int, key []byte, freq, idleSeconds int64)
}

// Options configure Load.
type Options struct {
	Limits Limits
	// DBs is how many databases the server has; a SELECTDB past it is
	// refused. Zero means no bound.
	DBs int
	// Warn receives notes about data that was skipped.
	Warn func(msg string)
}

// Info is what Load learnt about a file.
type Info struct {
	Version int
	Keys    int64
}

// Load reads an RDB file (or stream) to its end, passing every key, aux
// field and function to h, and verifies the checksum. Nothing is half
// done on error, from the file's point of view: the caller decides what to
// do with the keys already passed.
func Load(r io.Reader, opt Options, h Handler) (Info, error) {
	rd := newReader(r)
	var info Info
	hdr := make([]byte, 9)
	if err := rd.full(hdr); err != nil {
		return info, err
	}
	if string(hdr[:5]) != "REDIS" {
		return info, corrupt("Wrong signature trying to load DB from file")
	}
	v, err := strconv.Atoi(string(hdr[5:]))
	if err != nil || v < 1 || v > MaxVersion {
		return info, fmt.Errorf("%w: Can't handle RDB format version %s", ErrCorrupt, hdr[5:])
	}
	info.Version = v
	l := &loader{r: rd, opt: opt, version: v}
	db := 0
	expireAt, idle, freq := int64(-1), int64(-1), int64(-1)
	ah, _ := h.(AccessHandler)
	for {
		t, err := rd.byte()
		if err != nil {
			return info, err
		}
		switch t {
		case opExpireTime:
			s, err := rd.uint32LE()
			if err != nil {
				return info, err
			}
			expireAt = int64(int32(s)) * 1000
			continue
		case opExpireTimeMs:
			ms, err := rd.uint64LE()
			if err != nil {
				return info, err
			}
			expireAt = int64(ms)
			continue
		case opFreq:
			b, err := rd.byte()
			if err != nil {
				return info, err
			}
			freq = int64(b)
			continue
		case opIdle:
			n, err := rd.length()
			if err != nil {
				return info, err
			}
			idle = int64(n)
			continue
		case opEOF:
			return info, l.checksum()
		case opSelectDB:
			n, err := rd.length()
			if err != nil {
				return info, err
			}
			if opt.DBs > 0 && n >= uint64(opt.DBs) {
				return info, fmt.Errorf("FATAL: Data file was created with a Redis server configured to handle more than %d databases. Exiting", opt.DBs)
			}
			db = int(n)
			continue
		case opResizeDB:
			if err := l.skipLengths(2); err != nil {
				return info, err
			}
			continue
		case opSlotInfo:
			if err := l.skipLengths(3); err != nil {
				return info, err
			}
			continue
		case opAux:
			k, err := rd.str()
			if err != nil {
				return info, err
			}
			val, err := rd.str()
			if err != nil {
				return info, err
			}
			h.Aux(k, val)
			continue
		case opModuleAux:
			if err := l.skipModuleAux(); err != nil {
				return info, err
			}
			continue
		case opFunctionPre:
			return info, corrupt("Pre-release function format not supported")
		case opFunction2:
			code, err := rd.str()
			if err != nil {
				return info, err
			}
			if err := h.Function(code); err != nil {
				return info, err
			}
			continue
		}
		key, err := rd.str()
		if err != nil {
			return info, err
		}
		o, err := l.object(t)
		if err != nil {
			return info, fmt.Errorf("key %q: %w", key, err)
		}
		at, idleSecs, counter := expireAt, idle, freq
		expireAt, idle, freq = -1, -1, -1
		if o == nil {
			l.warn(fmt.Sprintf("RDB has an empty key %q: skipped", key))
			continue
		}
		if err := h.Key(db, key, o, at); err != nil {
			return info, err
		}
		if (idleSecs >= 0 || counter >= 0) && ah != nil {
			ah.KeyAccess(db, key, counter, idleSecs)
		}
		info.Keys++
	}
}

// loader carries the state of one Load.
type loader struct {
	r       *reader
	opt     Options
	version int
	// streamAdded says whether the stream being read has had an entry
	// (live or deleted) yet, whose ID the next must be above.
	streamAdded bool
}

func (l *loader) warn(msg string) {
	if l.opt.Warn != nil {
		l.opt.Warn(msg)
	}
}

func (l *loader) skipLengths(n int) error {
	for range n {
		if _, err := l.r.length(); err != nil {
			return err
		}
	}
	return nil
}

// checksum reads the trailing CRC64 (version 5 on) and compares it with
// what was read; zero means the writer did not compute one.
func (l *loader) checksum() error {
	if l.version < 5 {
		return nil
	}
	got := l.r.crc
	want, err := l.r.uint64LE()
	if err != nil {
		return err
	}
	if want != 0 && want != got {
		return corrupt("Wrong RDB checksum expected: (%x) got (%x)", want, got)
	}
	return nil
}

// Module values are self-describing since module format 2: a series of
// typed values ending with opcode 0.
const (
	moduleEOF = iota
	moduleSInt
	moduleUInt
	moduleFloat
	moduleDouble
	moduleString
)

func (l *loader) skipModuleAux() error {
	id, err := l.r.length()
	if err != nil {
		return err
	}
	// When the module wants its data loaded (before or after the
	// keys), as a self-describing unsigned integer; Redis refuses any
	// other item there.
	whenOp, err := l.r.length()
	if err != nil {
		return err
	}
	if whenOp != moduleUInt {
		return corrupt("bad when_opcode")
	}
	if _, err := l.r.length(); err != nil {
		return err
	}
	if err := l.skipModuleValue(); err != nil {
		return err
	}
	l.warn(fmt.Sprintf("Skipped auxiliary data of module %s: modules are not supported", moduleName(id)))
	return nil
}

func (l *loader) skipModuleValue() error {
	for {
		op, err := l.r.length()
		if err != nil {
			return err
		}
		switch op {
		case moduleEOF:
			return nil
		case moduleSInt, moduleUInt:
			_, err = l.r.length()
		case moduleFloat:
			_, err = l.r.uint32LE()
		case moduleDouble:
			_, err = l.r.uint64LE()
		case moduleString:
			_, err = l.r.str()
		default:
			err = corrupt("unknown module value opcode %d", op)
		}
		if err != nil {
			return err
		}
	}
}

// moduleName decodes the nine-character type name packed into a module
// id above its 10-bit encoding version.
func moduleName(id uint64) string {
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	name := make([]byte, 9)
	id >>= 10
	for i := 8; i >= 0; i-- {
		name[i] = charset[id&63]
		id >>= 6
	}
	return string(name)
}

var errDuplicate = errors.New("duplicate")

// object reads a value of type t; nil without error means an empty
// collection, which Redis skips too.
func (l *loader) object(t byte) (*keyspace.Object, error) {
	switch t {
	case typeString:
		s, err := l.r.str()
		if err != nil {
			return nil, err
		}
		return &keyspace.Object{Type: keyspace.TypeString, Enc: keyspace.StringEncoding(s), Str: s}, nil
	case typeList:
		return l.listOf(func(add func([]byte)) error { return l.eachStr(add) })
	case typeListZiplist:
		return l.listOf(func(add func([]byte)) error { return l.eachPacked(ziplistEntries, add) })
	case typeListQuicklist, typeListQuicklist2:
		return l.listOf(func(add func([]byte)) error { return l.quicklist(t == typeListQuicklist2, add) })
	case typeSet:
		return l.setOf(func(add func([]byte)) error { return l.eachStr(add) })
	case typeSetListpack:
		return l.setOf(func(add func([]byte)) error { return l.eachPacked(listpackEntries, add) })
	case typeSetIntset:
		return l.setOf(l.intset)
	case typeHash:
		return l.hashOf(l.opt.Limits.Hash, func(add func([]byte)) error { return l.eachStrPairs(add) })
	case typeHashZipmap:
		return l.hashOf(l.opt.Limits.Hash, func(add func([]byte)) error { return l.eachPacked(zipmapPairs, add) })
	case typeHashZiplist:
		return l.hashOf(hashCountOnly(l.opt.Limits.Hash), func(add func([]byte)) error { return l.eachPacked(ziplistEntries, add) })
	case typeHashListpack:
		return l.hashOf(hashCountOnly(l.opt.Limits.Hash), func(add func([]byte)) error { return l.eachPacked(listpackEntries, add) })
	case typeZSet, typeZSet2:
		return l.zsetPlain(t == typeZSet2)
	case typeZSetZiplist:
		return l.zsetPacked(ziplistEntries, zsetCountOnly(l.opt.Limits.ZSet))
	case typeZSetListpack:
		return l.zsetPacked(listpackEntries, zsetCountOnly(l.opt.Limits.ZSet))
	case typeStreamListpacks, typeStreamListpacks2, typeStreamListpacks3:
		return l.stream(t)
	case typeModulePreGA, typeModule2:
		id, err := l.r.length()
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: the value of module type %s cannot be loaded: modules are not supported", ErrCorrupt, moduleName(id))
	case typeHashMetadataPre, typeHashListpackEx0, typeHashMetadata, typeHashListpackEx:
		return nil, fmt.Errorf("%w: hashes with field expiration (RDB type %d) are not supported", ErrCorrupt, t)
	}
	return nil, corrupt("unknown value type %d", t)
}

// eachStr reads a count and that many strings.
func (l *loader) eachStr(add func([]byte)) error {
	n, err := l.r.count()
	if err != nil {
		return err
	}
	for range n {
		s, err := l.r.str()
		if err != nil {
			return err
		}
		add(s)
	}
	return nil
}

// eachStrPairs reads a count of pairs and twice that many strings.
func (l *loader) eachStrPairs(add func([]byte)) error {
	n, err := l.r.count()
	if err != nil {
		return err
	}
	for range 2 * n {
		s, err := l.r.str()
		if err != nil {
			return err
		}
		add(s)
	}
	return nil
}

// eachPacked reads one blob and decodes it with dec.
func (l *loader) eachPacked(dec func([]byte) ([][]byte, error), add func([]byte)) error {
	blob, err := l.r.str()
	if err != nil {
		return err
	}
	items, err := dec(blob)
	if err != nil {
		return corrupt("%v", err)
	}
	for _, it := range items {
		add(it)
	}
	return nil
}

func (l *loader) quicklist(v2 bool, add func([]byte)) error {
	n, err := l.r.count()
	if err != nil {
		return err
	}
	for range n {
		container := uint64(2)
		if v2 {
			if container, err = l.r.length(); err != nil {
				return err
			}
		}
		switch {
		case !v2:
			err = l.eachPacked(ziplistEntries, add)
		case container == 2:
			err = l.eachPacked(listpackEntries, add)
		case container == 1:
			// A plain node holds one element too big for a listpack, so
			// it is never empty; Redis 7.0 refuses an empty one (its
			// zero-byte allocation fails as a short read).
			var s []byte
			if s, err = l.r.str(); err == nil && len(s) == 0 {
				err = corrupt("empty plain quicklist node")
			} else if err == nil {
				add(s)
			}
		default:
			err = corrupt("unknown quicklist container %d", container)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) intset(add func([]byte)) error {
	blob, err := l.r.str()
	if err != nil {
		return err
	}
	ms, err := intsetMembers(blob)
	if err != nil {
		return corrupt("%v", err)
	}
	var buf []byte
	for _, m := range ms {
		buf = strconv.AppendInt(buf[:0], m, 10)
		add(buf)
	}
	return nil
}

func (l *loader) listOf(each func(add func([]byte)) error) (*keyspace.Object, error) {
	lst := list.New(l.opt.Limits.ListFill)
	if err := each(func(s []byte) { lst.PushBack(s) }); err != nil {
		return nil, err
	}
	if lst.Len() == 0 {
		return nil, nil
	}
	return &keyspace.Object{Type: keyspace.TypeList, Enc: keyspace.EncQuicklist, Val: lst}, nil
}

func (l *loader) setOf(each func(add func([]byte)) error) (*keyspace.Object, error) {
	s := set.New()
	dup := false
	if err := each(func(m []byte) {
		if !s.Add(m, l.opt.Limits.SetMaxIntset) {
			dup = true
		}
	}); err != nil {
		return nil, err
	}
	if dup {
		return nil, corrupt("Duplicate set members detected")
	}
	if s.Len() == 0 {
		return nil, nil
	}
	enc := keyspace.EncHashtable
	if s.Intset() {
		enc = keyspace.EncIntset
	}
	return &keyspace.Object{Type: keyspace.TypeSet, Enc: enc, Val: s}, nil
}

// hashCountOnly and zsetCountOnly relax limits to the entry count alone.
// Redis 7.0 keeps a hash or sorted set that arrives packed (ziplist or
// listpack) packed as long as it has few enough entries, however long its
// elements are (only the zipmap and the plain forms are checked element
// by element), so a file written with larger *-max-listpack-value
// settings loads with the same encodings in respd as in Redis.
func hashCountOnly(lim hash.Limits) hash.Limits {
	lim.MaxValue = math.MaxInt64
	return lim
}

func zsetCountOnly(lim zset.Limits) zset.Limits {
	lim.MaxValue = math.MaxInt64
	return lim
}

func (l *loader) hashOf(lim hash.Limits, each func(add func([]byte)) error) (*keyspace.Object, error) {
	h := hash.New()
	var field []byte
	dup, odd := false, false
	if err := each(func(s []byte) {
		if !odd {
			field, odd = s, true
			return
		}
		odd = false
		if !h.Set(field, s, lim) {
			dup = true
		}
	}); err != nil {
		return nil, err
	}
	if odd {
		return nil, corrupt("hash with an odd number of elements")
	}
	if dup {
		return nil, corrupt("Duplicate hash fields detected")
	}
	if h.Len() == 0 {
		return nil, nil
	}
	enc := keyspace.EncHashtable
	if h.Listpack() {
		enc = keyspace.EncListpack
	}
	return &keyspace.Object{Type: keyspace.TypeHash, Enc: enc, Val: h}, nil
}

func (l *loader) zsetPlain(binary bool) (*keyspace.Object, error) {
	n, err := l.r.count()
	if err != nil {
		return nil, err
	}
	z := zset.New()
	for range n {
		m, err := l.r.str()
		if err != nil {
			return nil, err
		}
		var score float64
		if binary {
			score, err = l.r.binaryDouble()
		} else {
			score, err = l.r.textDouble()
		}
		if err != nil {
			return nil, err
		}
		if err := l.zadd(z, m, score, l.opt.Limits.ZSet); err != nil {
			return nil, err
		}
	}
	return zsetObject(z), nil
}

func (l *loader) zsetPacked(dec func([]byte) ([][]byte, error), lim zset.Limits) (*keyspace.Object, error) {
	z := zset.New()
	var member []byte
	odd := false
	var bad error
	if err := l.eachPacked(dec, func(s []byte) {
		if !odd {
			member, odd = s, true
			return
		}
		odd = false
		score, err := strconv.ParseFloat(string(s), 64)
		if err != nil && bad == nil {
			bad = corrupt("bad score %q", s)
			return
		}
		if err := l.zadd(z, member, score, lim); err != nil && bad == nil {
			bad = err
		}
	}); err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, bad
	}
	if odd {
		return nil, corrupt("sorted set with an odd number of elements")
	}
	return zsetObject(z), nil
}

func (l *loader) zadd(z *zset.ZSet, m []byte, score float64, lim zset.Limits) error {
	if score != score {
		return corrupt("Zset with NAN score detected")
	}
	if !z.Add(m, score, lim) {
		return corrupt("Duplicate zset fields detected")
	}
	return nil
}

func zsetObject(z *zset.ZSet) *keyspace.Object {
	if z.Len() == 0 {
		return nil
	}
	enc := keyspace.EncSkiplist
	if z.Listpack() {
		enc = keyspace.EncListpack
	}
	return &keyspace.Object{Type: keyspace.TypeZSet, Enc: enc, Val: z}
}
