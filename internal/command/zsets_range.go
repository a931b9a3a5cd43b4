package command

import (
	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/resp"
)

// ZRANGE and its legacy forms, ZRANGESTORE, and ZREMRANGEBY*.

// Errors of ZRANGE's option combinations, with Redis's texts.
var (
	ErrLimitNeedsBy        = resp.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
	ErrWithscoresWithBylex = resp.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
)

type zrangeKind uint8

const (
	zrangeAuto zrangeKind = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

type zrangeDir uint8

const (
	zdirAuto zrangeDir = iota
	zdirForward
	zdirReverse
)

func zrangeCommand(c *Ctx)      { zrangeGeneric(c, 1, false, zrangeAuto, zdirAuto) }
func zrangestoreCommand(c *Ctx) { zrangeGeneric(c, 2, true, zrangeAuto, zdirAuto) }
func zrangebyscoreCommand(c *Ctx) {
	zrangeGeneric(c, 1, false, zrangeScore, zdirForward)
}
func zrevrangebyscoreCommand(c *Ctx) {
	zrangeGeneric(c, 1, false, zrangeScore, zdirReverse)
}
func zrangebylexCommand(c *Ctx)    { zrangeGeneric(c, 1, false, zrangeLex, zdirForward) }
func zrevrangebylexCommand(c *Ctx) { zrangeGeneric(c, 1, false, zrangeLex, zdirReverse) }
func zrevrangeCommand(c *Ctx)      { zrangeGeneric(c, 1, false, zrangeRank, zdirReverse) }

// zrangeGeneric serves every ZRANGE form: the key is argument at, the
// range the two after it, options after those. The legacy commands fix
// the kind and direction, which then cannot be given as options.
func zrangeGeneric(c *Ctx, at int, store bool, kind zrangeKind, dir zrangeDir) {
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := at + 3; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch {
		case !store && c.ArgIs(j, "withscores"):
			withScores = true
		case c.ArgIs(j, "limit") && left >= 2:
			var ok bool
			if offset, ok = resp.ParseInt(c.Args[j+1]); !ok {
				c.Error(ErrNotInt)
				return
			}
			if limit, ok = resp.ParseInt(c.Args[j+2]); !ok {
				c.Error(ErrNotInt)
				return
			}
			j += 2
		case dir == zdirAuto && c.ArgIs(j, "rev"):
			dir = zdirReverse
		case kind == zrangeAuto && c.ArgIs(j, "bylex"):
			kind = zrangeLex
		case kind == zrangeAuto && c.ArgIs(j, "byscore"):
			kind = zrangeScore
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if dir == zdirAuto {
		dir = zdirForward
	}
	if kind == zrangeAuto {
		kind = zrangeRank
	}
	// Redis tells LIMIT apart by its count, which defaults to -1, so
	// LIMIT x -1 passes with a rank range.
	if limit != -1 && kind == zrangeRank {
		c.Error(ErrLimitNeedsBy)
		return
	}
	if withScores && kind == zrangeLex {
		c.Error(ErrWithscoresWithBylex)
		return
	}
	minArg, maxArg := c.Args[at+1], c.Args[at+2]
	rev := dir == zdirReverse
	if rev && kind != zrangeRank {
		// BYSCORE and BYLEX take the range as max, min when reversed.
		minArg, maxArg = maxArg, minArg
	}
	var start, end int64
	var sr scoreRange
	var lr lexRange
	var ok bool
	switch kind {
	case zrangeRank:
		if start, ok = resp.ParseInt(minArg); !ok {
			c.Error(ErrNotInt)
			return
		}
		if end, ok = resp.ParseInt(maxArg); !ok {
			c.Error(ErrNotInt)
			return
		}
	case zrangeScore:
		if sr, ok = parseScoreRange(c, minArg, maxArg); !ok {
			return
		}
	case zrangeLex:
		if lr, ok = parseLexRange(c, minArg, maxArg); !ok {
			return
		}
	}
	z, ok := readZSet(c, c.Args[at])
	if !ok {
		return
	}
	var out []zset.Entry
	if z != nil {
		switch kind {
		case zrangeRank:
			out = rankRange(z, start, end, rev)
		case zrangeScore:
			out = scoreRangeEntries(z, &sr, offset, limit, rev)
		case zrangeLex:
			out = lexRangeEntries(z, &lr, offset, limit, rev)
		}
	}
	if store {
		storeZSet(c, c.Args[1], zset.Build(out, zsetLimits(c)), "zrangestore")
		c.Int(int64(len(out)))
		return
	}
	replyEntries(c, out, withScores)
}

// replyEntries writes members, with their scores if asked: flat pairs in
// RESP2, a [member, score] array each in RESP3.
func replyEntries(c *Ctx, out []zset.Entry, withScores bool) {
	switch {
	case !withScores:
		c.Array(len(out))
		for _, e := range out {
			c.BulkString(e.Member)
		}
	case c.Proto >= 3:
		c.Array(len(out))
		for _, e := range out {
			c.Array(2)
			c.BulkString(e.Member)
			c.Double(e.Score)
		}
	default:
		c.Array(2 * len(out))
		for _, e := range out {
			c.BulkString(e.Member)
			c.Double(e.Score)
		}
	}
}

// normalizeRanks turns start/end indexes (negative from the end) into
// valid ranks lo..hi, or ok false when the range is empty.
func normalizeRanks(start, end int64, n int) (lo, hi int, ok bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	start = max(start, 0)
	if start > end || start >= ln {
		return 0, 0, false
	}
	end = min(end, ln-1)
	return int(start), int(end), true
}

func rankRange(z *zset.ZSet, start, end int64, rev bool) []zset.Entry {
	lo, hi, ok := normalizeRanks(start, end, z.Len())
	if !ok {
		return nil
	}
	out := make([]zset.Entry, 0, hi-lo+1)
	collect := func(e zset.Entry) bool {
		out = append(out, e)
		return len(out) < cap(out)
	}
	if rev {
		z.Descend(z.Len()-1-lo, collect)
	} else {
		z.Ascend(lo, collect)
	}
	return out
}

// walkRange emits, from rank from in the given direction, up to limit
// entries (all if negative) that stay inside (per in). A negative offset
// yields nothing: Redis's skip loop runs off the end then.
func walkRange(z *zset.ZSet, from int, offset, limit int64, rev bool, in func(e zset.Entry) bool) []zset.Entry {
	if from < 0 || offset < 0 || offset >= int64(z.Len()) {
		return nil
	}
	var out []zset.Entry
	emit := func(e zset.Entry) bool {
		if limit == 0 || !in(e) {
			return false
		}
		out = append(out, e)
		limit--
		return true
	}
	if rev {
		if int64(from) >= offset {
			z.Descend(from-int(offset), emit)
		}
	} else if int64(from)+offset < int64(z.Len()) {
		z.Ascend(from+int(offset), emit)
	}
	return out
}

func scoreRangeEntries(z *zset.ZSet, r *scoreRange, offset, limit int64, rev bool) []zset.Entry {
	lo, hi := r.bounds(z)
	if lo > hi {
		return nil
	}
	if rev {
		return walkRange(z, hi, offset, limit, true, func(e zset.Entry) bool { return r.gteMin(e.Score) })
	}
	return walkRange(z, lo, offset, limit, false, func(e zset.Entry) bool { return r.lteMax(e.Score) })
}

func lexRangeEntries(z *zset.ZSet, r *lexRange, offset, limit int64, rev bool) []zset.Entry {
	if rev {
		return walkRange(z, r.last(z), offset, limit, true, func(e zset.Entry) bool { return r.gteMin(e.Member) })
	}
	return walkRange(z, r.first(z), offset, limit, false, func(e zset.Entry) bool { return r.lteMax(e.Member) })
}

func zremrangebyrankCommand(c *Ctx)  { zremrangeGeneric(c, zrangeRank) }
func zremrangebyscoreCommand(c *Ctx) { zremrangeGeneric(c, zrangeScore) }
func zremrangebylexCommand(c *Ctx)   { zremrangeGeneric(c, zrangeLex) }

func zremrangeGeneric(c *Ctx, kind zrangeKind) {
	var start, end int64
	var sr scoreRange
	var lr lexRange
	var ok bool
	switch kind {
	case zrangeRank:
		if start, ok = resp.ParseInt(c.Args[2]); !ok {
			c.Error(ErrNotInt)
			return
		}
		if end, ok = resp.ParseInt(c.Args[3]); !ok {
			c.Error(ErrNotInt)
			return
		}
	case zrangeScore:
		if sr, ok = parseScoreRange(c, c.Args[2], c.Args[3]); !ok {
			return
		}
	case zrangeLex:
		if lr, ok = parseLexRange(c, c.Args[2], c.Args[3]); !ok {
			return
		}
	}
	key := c.Args[1]
	o, z, ok := writeZSet(c, key)
	if !ok {
		return
	}
	if z == nil {
		c.Int(0)
		return
	}
	lo, hi := 0, -1
	switch kind {
	case zrangeRank:
		var ok bool
		if lo, hi, ok = normalizeRanks(start, end, z.Len()); !ok {
			lo, hi = 0, -1
		}
	case zrangeScore:
		lo, hi = sr.bounds(z)
	case zrangeLex:
		if lo = lr.first(z); lo >= 0 {
			hi = lo - 1
			z.Ascend(lo, func(e zset.Entry) bool {
				if !lr.lteMax(e.Member) {
					return false
				}
				hi++
				return true
			})
		} else {
			lo = 0
		}
	}
	if lo > hi {
		c.Int(0)
		return
	}
	z.RemoveRanks(lo, hi)
	zsetChanged(c, key, o, [...]string{zrangeRank: "zremrangebyrank", zrangeScore: "zremrangebyscore", zrangeLex: "zremrangebylex"}[kind])
	c.Int(int64(hi - lo + 1))
}
