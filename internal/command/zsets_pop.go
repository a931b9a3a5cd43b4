package command

import (
	"math"
	"math/rand/v2"

	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// ZPOPMIN/ZPOPMAX, ZMPOP, their blocking forms, and ZRANDMEMBER.
//
// The blocking commands first behave like their non-blocking twins when
// one of their keys holds a sorted set; otherwise they park the client
// with c.Block. The server re-runs the handler when a key changes, with
// c.ReadyKey naming it: a re-run serves only from that key and only if it
// now holds a sorted set, keeping its place in line otherwise, as Redis
// 7.0 serves its blocked sorted-set clients.

// Errors of the pop and random-member commands, with Redis's texts.
var (
	ErrNumkeysPositive = resp.Error("ERR numkeys should be greater than 0")
	ErrValueRange      = resp.Error("ERR value is out of range")
)

// zpopShape is how a pop lays out its reply.
type zpopShape uint8

const (
	// popFlat is [member, score, ...] (ZPOPMIN without a count, and with
	// one in RESP2).
	popFlat zpopShape = iota
	// popNested is [[member, score], ...] (ZPOPMIN with a count in RESP3).
	popNested
	// popKeyFlat is [key, member, score] (BZPOPMIN).
	popKeyFlat
	// popKeyNested is [key, [[member, score], ...]] (ZMPOP, BZMPOP).
	popKeyNested
)

func timeoutNullArrayZ(w *resp.Writer) { w.NullArray() }

// zpop removes up to count entries from the low (or, with max, high) end
// of the set under key and replies in shape.
func zpop(c *Ctx, key []byte, o *keyspace.Object, max bool, count int64, shape zpopShape) {
	z := o.Val.(*zset.ZSet)
	n := int(min(count, int64(z.Len())))
	// BZPOPMIN/BZPOPMAX propagate as ZPOPMIN/ZPOPMAX key, ZMPOP and
	// BZMPOP as ZPOPMIN/ZPOPMAX key count.
	switch {
	case !c.Propagating():
	case shape == popKeyFlat:
		first := argZPOPMIN
		if max {
			first = argZPOPMAX
		}
		c.Rewrite(first, key)
	case shape == popKeyNested:
		rewritePop(c, argZPOPMIN, argZPOPMAX, !max, key, int64(n))
	}
	switch shape {
	case popFlat:
		c.Array(2 * n)
	case popNested:
		c.Array(n)
	case popKeyFlat:
		c.Array(2*n + 1)
		c.Bulk(key)
	case popKeyNested:
		c.Array(2)
		c.Bulk(key)
		c.Array(n)
	}
	emit := func(e zset.Entry) bool {
		if shape == popNested || shape == popKeyNested {
			c.Array(2)
		}
		c.BulkString(e.Member)
		c.Double(e.Score)
		n--
		return n > 0
	}
	total := n
	if max {
		z.Descend(z.Len()-1, emit)
		z.RemoveRanks(z.Len()-total, z.Len()-1)
	} else {
		z.Ascend(0, emit)
		z.RemoveRanks(0, total-1)
	}
	if max {
		zsetChanged(c, key, o, "zpopmax")
	} else {
		zsetChanged(c, key, o, "zpopmin")
	}
}

func zpopminCommand(c *Ctx) { zpopMinMax(c, false) }
func zpopmaxCommand(c *Ctx) { zpopMinMax(c, true) }

// zpopMinMax is ZPOPMIN/ZPOPMAX key [count].
func zpopMinMax(c *Ctx, max bool) {
	if len(c.Args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	count := int64(-1)
	if len(c.Args) == 3 {
		n, ok := resp.ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.Error(ErrNotPositive)
			return
		}
		count = n
	}
	key := c.Args[1]
	o, z, ok := writeZSet(c, key)
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.Array(0)
		return
	}
	shape := popFlat
	if count == -1 {
		count = 1
	} else if c.Proto >= 3 {
		shape = popNested
	}
	zpop(c, key, o, max, count, shape)
}

func bzpopminCommand(c *Ctx) { bzpopMinMax(c, false) }
func bzpopmaxCommand(c *Ctx) { bzpopMinMax(c, true) }

// bzpopMinMax is BZPOPMIN/BZPOPMAX key [key ...] timeout.
func bzpopMinMax(c *Ctx, max bool) {
	last := len(c.Args) - 1
	deadline, ok := c.ParseTimeout(c.Args[last], true)
	if !ok {
		return
	}
	blockingZpop(c, c.Args[1:last], max, 1, popKeyFlat, deadline)
}

// blockingZpop pops from the first of keys holding a sorted set, or
// blocks on all of them.
func blockingZpop(c *Ctx, keys [][]byte, max bool, count int64, shape zpopShape, deadline int64) {
	if c.ReadyKey != nil {
		if o := c.DB.LookupWrite(c.ReadyKey); o != nil && o.Type == keyspace.TypeZSet {
			zpop(c, c.ReadyKey, o, max, count, shape)
			return
		}
		c.Block(keys, deadline, timeoutNullArrayZ)
		return
	}
	for _, k := range keys {
		o, z, ok := writeZSet(c, k)
		if !ok {
			return
		}
		if z != nil {
			zpop(c, k, o, max, count, shape)
			return
		}
	}
	c.Block(keys, deadline, timeoutNullArrayZ)
}

// zmpopArgs reads numkeys key [key ...] MIN|MAX [COUNT count] from
// argument at on.
func zmpopArgs(c *Ctx, at int) (keys [][]byte, max bool, count int64, ok bool) {
	numkeys, ok := resp.ParseInt(c.Args[at])
	if !ok || numkeys < 1 {
		c.Error(ErrNumkeysPositive)
		return nil, false, 0, false
	}
	if numkeys >= int64(len(c.Args)-at-1) {
		c.Error(ErrSyntax)
		return nil, false, 0, false
	}
	where := at + int(numkeys) + 1
	switch {
	case c.ArgIs(where, "min"):
	case c.ArgIs(where, "max"):
		max = true
	default:
		c.Error(ErrSyntax)
		return nil, false, 0, false
	}
	count, ok = mpopCount(c, where+1)
	if !ok {
		return nil, false, 0, false
	}
	return c.Args[at+1 : where], max, count, true
}

// zmpopCommand is ZMPOP numkeys key [key ...] MIN|MAX [COUNT count].
func zmpopCommand(c *Ctx) {
	keys, max, count, ok := zmpopArgs(c, 1)
	if !ok {
		return
	}
	for _, k := range keys {
		o, z, ok := writeZSet(c, k)
		if !ok {
			return
		}
		if z != nil {
			zpop(c, k, o, max, count, popKeyNested)
			return
		}
	}
	c.NullArray()
}

// bzmpopCommand is BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT
// count]; the timeout is checked after the other arguments.
func bzmpopCommand(c *Ctx) {
	keys, max, count, ok := zmpopArgs(c, 2)
	if !ok {
		return
	}
	deadline, ok := c.ParseTimeout(c.Args[1], true)
	if !ok {
		return
	}
	blockingZpop(c, keys, max, count, popKeyNested, deadline)
}

// zrandmemberCommand is ZRANDMEMBER key [count [WITHSCORES]].
func zrandmemberCommand(c *Ctx) {
	if len(c.Args) == 2 {
		z, ok := readZSet(c, c.Args[1])
		switch {
		case !ok:
		case z == nil:
			c.Null()
		default:
			c.BulkString(z.Random().Member)
		}
		return
	}
	l, ok := parseRandomCount(c, c.Args[2])
	if !ok {
		return
	}
	if len(c.Args) > 4 || len(c.Args) == 4 && !c.ArgIs(3, "withscores") {
		c.Error(ErrSyntax)
		return
	}
	withScores := len(c.Args) == 4
	// The reply has twice as many elements with scores, which must not
	// overflow.
	if withScores && (l < -math.MaxInt64/2 || l > math.MaxInt64/2) {
		c.Error(ErrValueRange)
		return
	}
	z, ok := readZSet(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil || l == 0 {
		c.Array(0)
		return
	}
	size := int64(z.Len())
	header := func(n int) {
		if withScores && c.Proto < 3 {
			c.Array(2 * n)
		} else {
			c.Array(n)
		}
	}
	emit := func(e zset.Entry) bool {
		if withScores && c.Proto >= 3 {
			c.Array(2)
		}
		c.BulkString(e.Member)
		if withScores {
			c.Double(e.Score)
		}
		return true
	}
	switch {
	case l < 0 || l == 1:
		// Drawn with replacement, in the order drawn.
		n := int(-l)
		if l == 1 {
			n = 1
		}
		header(n)
		z.Draw(n, func(e zset.Entry) { emit(e) })
	case l >= size:
		// The whole set, walked from the highest score down as Redis's
		// set-operation iterator walks it.
		header(int(size))
		z.Descend(int(size)-1, emit)
	case l*3 > size:
		// Most of the set, distinct, in random order: a partial shuffle
		// of the ranks.
		n := int(l)
		header(n)
		ranks := make([]int, size)
		for i := range ranks {
			ranks[i] = i
		}
		for i := 0; i < n; i++ {
			j := i + rand.IntN(len(ranks)-i)
			ranks[i], ranks[j] = ranks[j], ranks[i]
			emit(z.At(ranks[i]))
		}
	default:
		// A few distinct members: draw until enough are new.
		n := int(l)
		header(n)
		seen := make(map[int]bool, n)
		for len(seen) < n {
			r := rand.IntN(int(size))
			if !seen[r] {
				seen[r] = true
				emit(z.At(r))
			}
		}
	}
}
