package command

import (
	"math"
	"strconv"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

var (
	errDecrOverflow = resp.Error("ERR decrement would overflow")
	errNaNOrInf     = resp.Error("ERR increment would produce NaN or Infinity")
)

func incrCommand(c *Ctx) { incrBy(c, 1) }

func decrCommand(c *Ctx) { incrBy(c, -1) }

func incrbyCommand(c *Ctx) {
	by, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	incrBy(c, by)
}

func decrbyCommand(c *Ctx) {
	by, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if by == math.MinInt64 {
		// Its negation does not fit.
		c.Error(errDecrOverflow)
		return
	}
	incrBy(c, -by)
}

// incrBy adds by to the integer stored at key (0 when missing), keeping
// the key's TTL. The digits replace the value where it is stored (in its
// record, or the existing buffer), so increments do not allocate.
func incrBy(c *Ctx, by int64) {
	key := c.Args[1]
	o, at := c.DB.PeekWrite(key)
	if o != nil && o.Type != keyspace.TypeString {
		c.Error(ErrWrongType)
		return
	}
	var ok bool
	var v int64
	if o != nil {
		if v, ok = resp.ParseInt(o.Str); !ok {
			c.Error(ErrNotInt)
			return
		}
	}
	if (by < 0 && v < 0 && by < math.MinInt64-v) || (by > 0 && v > 0 && by > math.MaxInt64-v) {
		c.Error(ErrOverflow)
		return
	}
	v += by
	var buf [20]byte
	if o != nil {
		c.DB.Overwrite(at, key, strconv.AppendInt(buf[:0], v, 10))
	} else {
		c.DB.SetString(key, strconv.AppendInt(buf[:0], v, 10), false)
	}
	c.Notify(NotifyString, "incrby", key)
	c.Int(v)
}

func incrbyfloatCommand(c *Ctx) {
	key := c.Args[1]
	o, ok := lookupStringWrite(c, key)
	if !ok {
		return
	}
	var cur, by longDouble
	if o != nil {
		if cur, ok = parseLongDouble(o.Str); !ok {
			c.Error(ErrNotFloat)
			return
		}
	}
	if by, ok = parseLongDouble(c.Args[2]); !ok {
		c.Error(ErrNotFloat)
		return
	}
	sum, ok := cur.add(by)
	if !ok {
		c.Error(errNaNOrInf)
		return
	}
	s := sum.format()
	// The result is stored as text, never as an integer, the way Redis
	// builds it from a formatted buffer.
	enc := keyspace.StringEncoding(s)
	if enc == keyspace.EncInt {
		enc = keyspace.EncEmbstr
	}
	if o != nil {
		o.Str = append(o.Str[:0], s...)
		o.Enc = enc
		c.DB.Touch(key)
	} else {
		c.DB.Set(key, &keyspace.Object{Type: keyspace.TypeString, Enc: enc, Str: s}, false)
	}
	c.Notify(NotifyString, "incrbyfloat", key)
	c.Bulk(s)
	// Replicas must not redo the float arithmetic (their precision or
	// formatting could differ): they get the result.
	c.Rewrite(argSET, key, s, argKEEPTTL)
}
