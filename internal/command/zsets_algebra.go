package command

import (
	"math"
	"sort"

	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD. Inputs may be
// sorted sets or plain sets, whose members all have score 1. Scores are
// combined in the order Redis combines them (inputs sorted by size, the
// sort keeping ties in argument order), so sums round as in Redis.

// Errors of the set algebra, with Redis's texts.
var (
	ErrWeightNotFloat = resp.Error("ERR weight value is not a float")
	ErrLimitNegative  = resp.Error("ERR LIMIT can't be negative")
)

// setMembers is what the algebra needs of a plain set value.
type setMembers interface {
	Len() int
	Has(m []byte) bool
	Range(fn func(m []byte) bool)
}

type zsetOp uint8

const (
	opUnion zsetOp = iota
	opInter
	opDiff
)

type aggregate uint8

const (
	aggSum aggregate = iota
	aggMin
	aggMax
)

// zsource is one input: a sorted set, a plain set, or nothing.
type zsource struct {
	z      *zset.ZSet
	s      setMembers
	weight float64
}

func (s *zsource) len() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.s != nil:
		return s.s.Len()
	}
	return 0
}

// find returns m's score in the input.
func (s *zsource) find(m []byte) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.Score(m)
	case s.s != nil && s.s.Has(m):
		return 1, true
	}
	return 0, false
}

// each calls fn for every member of the input.
func (s *zsource) each(fn func(m string, score float64) bool) {
	switch {
	case s.z != nil:
		s.z.Ascend(0, func(e zset.Entry) bool { return fn(e.Member, e.Score) })
	case s.s != nil:
		s.s.Range(func(m []byte) bool { return fn(string(m), 1) })
	}
}

// combine folds val into *target; a sum of opposite infinities is 0.
func combine(target *float64, val float64, agg aggregate) {
	switch agg {
	case aggSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggMin:
		if val < *target {
			*target = val
		}
	case aggMax:
		if val > *target {
			*target = val
		}
	}
}

func zunionCommand(c *Ctx)      { zsetAlgebra(c, nil, 1, opUnion, false) }
func zinterCommand(c *Ctx)      { zsetAlgebra(c, nil, 1, opInter, false) }
func zdiffCommand(c *Ctx)       { zsetAlgebra(c, nil, 1, opDiff, false) }
func zunionstoreCommand(c *Ctx) { zsetAlgebra(c, c.Args[1], 2, opUnion, false) }
func zinterstoreCommand(c *Ctx) { zsetAlgebra(c, c.Args[1], 2, opInter, false) }
func zdiffstoreCommand(c *Ctx)  { zsetAlgebra(c, c.Args[1], 2, opDiff, false) }
func zintercardCommand(c *Ctx)  { zsetAlgebra(c, nil, 1, opInter, true) }

// zsetAlgebra is every form: dst is the STORE destination (nil to reply),
// numkeys is at argument at, and cardOnly counts the intersection.
func zsetAlgebra(c *Ctx, dst []byte, at int, op zsetOp, cardOnly bool) {
	n, ok := resp.ParseInt(c.Args[at])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if n < 1 {
		c.Errorf("ERR at least 1 input key is needed for '" + c.Cmd.FullName() + "' command")
		return
	}
	if n > int64(len(c.Args)-at-1) {
		c.Error(ErrSyntax)
		return
	}
	src := make([]zsource, n)
	j := at + 1
	for i := range src {
		src[i].weight = 1
		o := c.DB.Lookup(c.Args[j])
		j++
		if o == nil {
			continue
		}
		switch o.Type {
		case keyspace.TypeZSet:
			src[i].z = o.Val.(*zset.ZSet)
		case keyspace.TypeSet:
			s, ok := o.Val.(setMembers)
			if !ok {
				panic("command: set value without Len/Has/Range")
			}
			src[i].s = s
		default:
			c.Error(ErrWrongType)
			return
		}
	}
	agg := aggSum
	withScores := false
	limit := int64(0)
	for j < len(c.Args) {
		left := len(c.Args) - j
		switch {
		case op != opDiff && !cardOnly && left >= len(src)+1 && c.ArgIs(j, "weights"):
			j++
			for i := range src {
				w, ok := parseScore(c.Args[j])
				if !ok {
					c.Error(ErrWeightNotFloat)
					return
				}
				src[i].weight = w
				j++
			}
		case op != opDiff && !cardOnly && left >= 2 && c.ArgIs(j, "aggregate"):
			switch {
			case c.ArgIs(j+1, "sum"):
				agg = aggSum
			case c.ArgIs(j+1, "min"):
				agg = aggMin
			case c.ArgIs(j+1, "max"):
				agg = aggMax
			default:
				c.Error(ErrSyntax)
				return
			}
			j += 2
		case dst == nil && !cardOnly && c.ArgIs(j, "withscores"):
			withScores = true
			j++
		case cardOnly && left >= 2 && c.ArgIs(j, "limit"):
			l, ok := resp.ParseInt(c.Args[j+1])
			if !ok || l < 0 {
				c.Error(ErrLimitNegative)
				return
			}
			limit = l
			j += 2
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if op != opDiff {
		sort.SliceStable(src, func(a, b int) bool { return src[a].len() < src[b].len() })
	}
	var out []zset.Entry
	cardinality := int64(0)
	switch op {
	case opInter:
		if src[0].len() == 0 {
			break
		}
		src[0].each(func(m string, s float64) bool {
			score := src[0].weight * s
			if math.IsNaN(score) {
				score = 0
			}
			for i := 1; i < len(src); i++ {
				v, ok := src[i].find([]byte(m))
				if !ok {
					return true
				}
				combine(&score, v*src[i].weight, agg)
			}
			if cardOnly {
				cardinality++
				return limit == 0 || cardinality < limit
			}
			out = append(out, zset.Entry{Member: m, Score: score})
			return true
		})
	case opUnion:
		acc := map[string]int{} // member -> index in out
		for i := range src {
			src[i].each(func(m string, s float64) bool {
				score := src[i].weight * s
				if math.IsNaN(score) {
					score = 0
				}
				if k, ok := acc[m]; ok {
					combine(&out[k].Score, score, agg)
				} else {
					acc[m] = len(out)
					out = append(out, zset.Entry{Member: m, Score: score})
				}
				return true
			})
		}
	case opDiff:
		src[0].each(func(m string, s float64) bool {
			for i := 1; i < len(src); i++ {
				if _, ok := src[i].find([]byte(m)); ok {
					return true
				}
			}
			out = append(out, zset.Entry{Member: m, Score: s})
			return true
		})
	}
	switch {
	case dst != nil:
		storeZSet(c, dst, zset.Build(out, zsetLimits(c)), [...]string{opUnion: "zunionstore", opInter: "zinterstore", opDiff: "zdiffstore"}[op])
		c.Int(int64(len(out)))
	case cardOnly:
		c.Int(cardinality)
	default:
		sort.Slice(out, func(a, b int) bool {
			x, y := &out[a], &out[b]
			return x.Score < y.Score || (x.Score == y.Score && x.Member < y.Member)
		})
		replyEntries(c, out, withScores)
	}
}
