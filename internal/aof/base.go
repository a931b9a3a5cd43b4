package aof

import (
	"math"
	"strconv"

	"github.com/respd/respd/internal/ds/hash"
	"github.com/respd/respd/internal/ds/list"
	"github.com/respd/respd/internal/ds/set"
	"github.com/respd/respd/internal/ds/stream"
	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// itemsPerCommand bounds the elements one rewritten command carries, as
// Redis's AOF_REWRITE_ITEMS_PER_CMD does, so no replayed command is huge.
const itemsPerCommand = 64

// BaseEncoder writes a dataset as the commands that rebuild it: the base
// file of an AOF when aof-use-rdb-preamble is off. Its methods mirror
// rdb.Encoder's so a server snapshot can drive either.
type BaseEncoder struct {
	buf []byte
	// spare is the buffer handed out by the last Take, reused by the
	// next.
	spare []byte
	args  [][]byte
	num   [3][24]byte
}

// SelectDB starts the commands of database db.
func (e *BaseEncoder) SelectDB(db, keys, expires int) { e.buf = AppendSelect(e.buf, db) }

// Key writes the commands that create key with value o and, when
// expireAt >= 0, its expiry.
func (e *BaseEncoder) Key(key string, o *keyspace.Object, expireAt int64) {
	k := []byte(key)
	switch o.Type {
	case keyspace.TypeString:
		e.cmd("SET", k, o.Str)
	case keyspace.TypeList:
		it := o.Val.(*list.List).Iter(0, false)
		e.batch("RPUSH", k, func(add func(...[]byte)) {
			for v, ok := it.Next(); ok; v, ok = it.Next() {
				add(v)
			}
		})
	case keyspace.TypeSet:
		e.batch("SADD", k, func(add func(...[]byte)) {
			o.Val.(*set.Set).Range(func(m []byte) bool { add(m); return true })
		})
	case keyspace.TypeZSet:
		e.batch("ZADD", k, func(add func(...[]byte)) {
			o.Val.(*zset.ZSet).Ascend(0, func(en zset.Entry) bool {
				add(formatScore(e.num[0][:0], en.Score), []byte(en.Member))
				return true
			})
		})
	case keyspace.TypeHash:
		e.batch("HMSET", k, func(add func(...[]byte)) {
			o.Val.(*hash.Hash).Range(func(f, v []byte) bool { add(f, v); return true })
		})
	case keyspace.TypeStream:
		e.stream(k, o.Val.(*stream.Stream))
	}
	if expireAt >= 0 {
		e.cmd("PEXPIREAT", k, strconv.AppendInt(e.num[0][:0], expireAt, 10))
	}
}

// Function appends a function library as the FUNCTION LOAD that
// recreates it, as Redis writes libraries in a command base.
func (e *BaseEncoder) Function(code []byte) { e.cmd("FUNCTION", []byte("LOAD"), code) }

// cmd appends one command.
func (e *BaseEncoder) cmd(name string, args ...[]byte) {
	e.args = append(e.args[:0], []byte(name))
	e.args = append(e.args, args...)
	e.buf = resp.AppendCommand(e.buf, e.args...)
}

// batch appends name key item... commands of at most itemsPerCommand
// items (an item being one or more arguments, as ZADD's score and member).
func (e *BaseEncoder) batch(name string, key []byte, each func(add func(...[]byte))) {
	var pending [][]byte
	items := 0
	flush := func() {
		if items > 0 {
			e.cmd(name, append([][]byte{key}, pending...)...)
		}
		pending, items = pending[:0], 0
	}
	each(func(item ...[]byte) {
		for _, a := range item {
			pending = append(pending, append([]byte(nil), a...))
		}
		if items++; items == itemsPerCommand {
			flush()
		}
	})
	flush()
}

func formatScore(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

func appendID(dst []byte, id stream.ID) []byte {
	dst = strconv.AppendUint(dst, id.Ms, 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, id.Seq, 10)
}

// stream rebuilds a stream the way Redis rewrites one: its entries (or an
// XADD MAXLEN 0 that leaves it empty), XSETID for its counters, then each
// group with its consumers and pending entries.
func (e *BaseEncoder) stream(k []byte, s *stream.Stream) {
	if s.Len() > 0 {
		s.Range(stream.ID{}, stream.MaxID, false, func(id stream.ID, fv [][]byte) bool {
			e.cmd("XADD", append([][]byte{k, appendID(e.num[0][:0], id)}, fv...)...)
			return true
		})
	} else {
		e.cmd("XADD", k, []byte("MAXLEN"), []byte("0"), []byte("0-1"), []byte("x"), []byte("y"))
	}
	e.cmd("XSETID", k, appendID(e.num[0][:0], s.LastID), []byte("ENTRIESADDED"),
		strconv.AppendUint(e.num[1][:0], s.EntriesAdded, 10), []byte("MAXDELETEDID"), appendID(e.num[2][:0], s.MaxDeletedID))
	for _, g := range s.Groups() {
		name := []byte(g.Name)
		e.cmd("XGROUP", []byte("CREATE"), k, name, appendID(e.num[0][:0], g.LastID), []byte("ENTRIESREAD"),
			strconv.AppendInt(e.num[1][:0], g.EntriesRead, 10))
		for _, c := range g.Consumers() {
			cname := []byte(c.Name)
			if c.PendingLen() == 0 {
				e.cmd("XGROUP", []byte("CREATECONSUMER"), k, name, cname)
				continue
			}
			g.PendingRange(c, stream.ID{}, stream.MaxID, func(p *stream.Pending) bool {
				e.cmd("XCLAIM", k, name, cname, []byte("0"), appendID(e.num[0][:0], p.ID),
					[]byte("TIME"), strconv.AppendInt(e.num[1][:0], p.DeliveryTime, 10),
					[]byte("RETRYCOUNT"), strconv.AppendInt(e.num[2][:0], p.DeliveryCount, 10),
					[]byte("JUSTID"), []byte("FORCE"))
				return true
			})
		}
	}
}

// End is a no-op: a command base simply stops.
func (e *BaseEncoder) End() error { return nil }

// Take returns the commands encoded so far and starts a new buffer. As
// with rdb.Encoder.Take, the bytes stay valid until the next Take, which
// reuses their array.
func (e *BaseEncoder) Take() []byte {
	b := e.buf
	e.buf, e.spare = e.spare[:0], b
	return b
}

// Trailer is empty: a command base has no checksum.
func (e *BaseEncoder) Trailer() []byte { return nil }
