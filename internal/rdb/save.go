package rdb

import (
	"encoding/binary"
	"io"
	"math"
	"strconv"

	"github.com/respd/respd/internal/ds/hash"
	"github.com/respd/respd/internal/ds/list"
	"github.com/respd/respd/internal/ds/set"
	"github.com/respd/respd/internal/ds/stream"
	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/keyspace"
)

// Encoder appends RDB records to a buffer. Without a destination (see
// NewEncoder) its owner takes the bytes with Take and writes them where
// and when it likes, as a snapshot taken under the engine lock does; with
// one, it writes through as the buffer fills.
type Encoder struct {
	w writer
	// nodeBytes bounds the listpack of one quicklist node, as
	// list-max-listpack-size -2 does in Redis.
	nodeBytes int
	// Access, when set, gives what Key records of each key's use: its
	// LRU idle time in seconds (IDLE) and its LFU counter (FREQ), each
	// written when >= 0. Redis 7.0 writes IDLE under an LRU policy and
	// FREQ under an LFU one; DUMP payloads have neither.
	Access func(o *keyspace.Object) (idleSeconds, freq int64)
	// spare is the buffer handed out by the last Take, reused by the
	// next.
	spare []byte
	// lp builds the listpack of each small hash or sorted set, reused
	// from key to key.
	lp lpWriter
	// member is scratch for copying sorted-set members.
	member []byte
}

// NewEncoder returns an encoder writing to dst, or only buffering when dst
// is nil. compress enables LZF for long strings (rdbcompression).
func NewEncoder(dst io.Writer, compress bool) *Encoder {
	return &Encoder{w: writer{w: dst, compress: compress}, nodeBytes: 8 << 10}
}

// Header writes the magic, the version and the aux fields, in order.
func (e *Encoder) Header(aux [][2]string) {
	e.w.raw([]byte("REDIS0010"))
	for _, kv := range aux {
		e.Aux(kv[0], kv[1])
	}
}

// Aux writes one auxiliary field.
func (e *Encoder) Aux(k, v string) {
	e.w.byte(opAux)
	e.w.strString(k)
	e.w.strString(v)
}

// SelectDB starts the records of database db, with its sizes as a hint.
func (e *Encoder) SelectDB(db, keys, expires int) {
	e.w.byte(opSelectDB)
	e.w.length(uint64(db))
	if keys >= 0 {
		e.w.byte(opResizeDB)
		e.w.length(uint64(keys))
		e.w.length(uint64(expires))
	}
}

// Function writes one function library's code.
func (e *Encoder) Function(code []byte) {
	e.w.byte(opFunction2)
	e.w.str(code)
}

// Key writes one key with its value and, when expireAt >= 0, its
// absolute expiry time in ms.
func (e *Encoder) Key(key string, o *keyspace.Object, expireAt int64) {
	if expireAt >= 0 {
		e.w.byte(opExpireTimeMs)
		e.w.uint64LE(uint64(expireAt))
	}
	if e.Access != nil {
		idle, freq := e.Access(o)
		if idle >= 0 {
			e.w.byte(opIdle)
			e.w.length(uint64(idle))
		}
		if freq >= 0 {
			e.w.byte(opFreq)
			e.w.byte(byte(freq))
		}
	}
	e.w.byte(valueType(o))
	e.w.strString(key)
	e.Value(o)
	e.w.maybeFlush()
}

// valueType is the type byte respd writes for o: forms Redis 7.0 loads.
func valueType(o *keyspace.Object) byte {
	switch o.Type {
	case keyspace.TypeList:
		return typeListQuicklist2
	case keyspace.TypeSet:
		return typeSet
	case keyspace.TypeZSet:
		if o.Val.(*zset.ZSet).Listpack() {
			return typeZSetListpack
		}
		return typeZSet2
	case keyspace.TypeHash:
		if o.Val.(*hash.Hash).Listpack() {
			return typeHashListpack
		}
		return typeHash
	case keyspace.TypeStream:
		return typeStreamListpacks2
	}
	return typeString
}

// Value writes o's payload without the type byte.
func (e *Encoder) Value(o *keyspace.Object) {
	w := &e.w
	switch o.Type {
	case keyspace.TypeString:
		w.str(o.Str)
	case keyspace.TypeList:
		e.list(o.Val.(*list.List))
	case keyspace.TypeSet:
		s := o.Val.(*set.Set)
		w.length(uint64(s.Len()))
		s.Range(func(m []byte) bool {
			w.str(m)
			w.maybeFlush()
			return true
		})
	case keyspace.TypeZSet:
		z := o.Val.(*zset.ZSet)
		if z.Listpack() {
			// Redis writes a small set as its listpack: member, then
			// score as the listpack holds it.
			lp := &e.lp
			lp.reset()
			var num [32]byte
			z.Ascend(0, func(en zset.Entry) bool {
				e.member = append(e.member[:0], en.Member...)
				lp.appendString(e.member)
				if s := en.Score; s >= -(1<<62) && s <= 1<<62 && s == math.Trunc(s) {
					lp.appendInt(int64(s)) // what the listpack makes of the integer's text
				} else {
					lp.appendString(listpackScore(num[:0], s))
				}
				return true
			})
			w.str(lp.bytes())
			return
		}
		w.length(uint64(z.Len()))
		z.Ascend(0, func(en zset.Entry) bool {
			w.strString(en.Member)
			w.binaryDouble(en.Score)
			w.maybeFlush()
			return true
		})
	case keyspace.TypeHash:
		h := o.Val.(*hash.Hash)
		if h.Listpack() {
			// Redis writes a listpack hash as that listpack: field,
			// value, field, value..., in the hash's order.
			lp := &e.lp
			lp.reset()
			h.Range(func(f, v []byte) bool {
				lp.appendString(f)
				lp.appendString(v)
				return true
			})
			w.str(lp.bytes())
			return
		}
		w.length(uint64(h.Len()))
		h.Range(func(f, v []byte) bool {
			w.str(f)
			w.str(v)
			w.maybeFlush()
			return true
		})
	case keyspace.TypeStream:
		e.stream(o.Val.(*stream.Stream))
	}
}

// list writes a quicklist of listpack nodes of about nodeBytes each.
func (e *Encoder) list(l *list.List) {
	var nodes [][]byte
	var lp lpWriter
	size, n := 0, 0
	it := l.Iter(0, false)
	for {
		v, ok := it.Next()
		if !ok {
			break
		}
		if n > 0 && size+len(v) > e.nodeBytes {
			nodes = append(nodes, lp.bytes())
			lp = lpWriter{}
			size, n = 0, 0
		}
		lp.appendString(v)
		size += len(v) + 2
		n++
	}
	if n > 0 {
		nodes = append(nodes, lp.bytes())
	}
	e.w.length(uint64(len(nodes)))
	for _, node := range nodes {
		e.w.length(2) // a packed node
		e.w.str(node)
	}
}

// Len is how many bytes are buffered.
func (e *Encoder) Len() int { return len(e.w.buf) }

// Take returns the buffered bytes and starts a new buffer. The bytes
// stay valid until the next Take, which reuses their array, so a
// snapshot written a turn at a time cycles between two buffers instead
// of leaving one behind per turn for the garbage collector; a caller
// that keeps them longer copies them. The checksum covers what was
// taken (see Trailer).
func (e *Encoder) Take() []byte {
	b := e.w.buf
	e.w.crc = crc64Update(e.w.crc, b)
	e.w.buf, e.spare = e.spare[:0], b
	if e.w.buf == nil {
		e.w.buf = make([]byte, 0, max(cap(b), flushAt))
	}
	return b
}

// Trailer is the 8-byte checksum that ends a file whose bytes were all
// taken with Take.
func (e *Encoder) Trailer() []byte { return binary.LittleEndian.AppendUint64(nil, e.w.crc) }

// End writes the EOF opcode and, with a destination, flushes and appends
// the checksum of everything written. Without one the caller writes
// Trailer after the taken bytes.
func (e *Encoder) End() error {
	e.w.byte(opEOF)
	if e.w.w == nil {
		return nil
	}
	if err := e.w.flush(); err != nil {
		return err
	}
	_, err := e.w.w.Write(binary.LittleEndian.AppendUint64(nil, e.w.crc))
	return err
}

// Flush writes what is buffered to the destination.
func (e *Encoder) Flush() error { return e.w.flush() }

// listpackScore formats a score as Redis's listpack of a small sorted set
// holds it: a whole number within ±2^62 as an integer, anything else as
// "%.17g" (the listpack then stores integers in its integer encodings).
func listpackScore(b []byte, s float64) []byte {
	switch {
	case math.IsInf(s, 1):
		return append(b, "inf"...)
	case math.IsInf(s, -1):
		return append(b, "-inf"...)
	case s >= -(1<<62) && s <= 1<<62 && s == math.Trunc(s):
		return strconv.AppendInt(b, int64(s), 10)
	}
	return strconv.AppendFloat(b, s, 'g', 17, 64)
}
