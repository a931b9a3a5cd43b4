package tests

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/respd/respd/internal/servertest"
)

// A randomized model test per data type: random command sequences over
// a few keys and members run against respd and the real redis-server,
// and every reply must agree (commands whose replies have no defined
// order are compared as multisets). Small key and member spaces make the
// sequences hit existing and missing keys, type errors, growth past the
// compact-encoding thresholds and back.

type randCmd struct {
	mode string // "" exact, "sorted"
	args []string
}

type randGen func(r *rand.Rand) randCmd

func pick(r *rand.Rand, xs ...string) string { return xs[r.IntN(len(xs))] }

func num(r *rand.Rand, lo, hi int) string { return strconv.Itoa(lo + r.IntN(hi-lo+1)) }

// member returns a small integer, a short word or, rarely, a long value
// that pushes a collection out of its compact encoding.
func member(r *rand.Rand) string {
	switch n := r.IntN(20); {
	case n < 9:
		return strconv.Itoa(r.IntN(30))
	case n < 19:
		return "m" + strconv.Itoa(r.IntN(30))
	default:
		return strings.Repeat("x", 70+r.IntN(10))
	}
}

func exact(args ...string) randCmd  { return randCmd{args: args} }
func sorted(args ...string) randCmd { return randCmd{mode: "sorted", args: args} }

var randGens = map[string]randGen{
	"list": func(r *rand.Rand) randCmd {
		k, k2 := pick(r, "l1", "l2", "str"), pick(r, "l1", "l2")
		switch r.IntN(14) {
		case 0, 1:
			return exact(pick(r, "LPUSH", "RPUSH"), k, member(r), member(r))
		case 2:
			return exact(pick(r, "LPOP", "RPOP"), k)
		case 3:
			return exact(pick(r, "LPOP", "RPOP"), k, num(r, 0, 4))
		case 4:
			return exact("LRANGE", k, num(r, -10, 10), num(r, -10, 10))
		case 5:
			return exact("LINDEX", k, num(r, -10, 10))
		case 6:
			return exact("LSET", k, num(r, -5, 5), member(r))
		case 7:
			return exact("LINSERT", k, pick(r, "BEFORE", "AFTER"), member(r), member(r))
		case 8:
			return exact("LREM", k, num(r, -2, 2), member(r))
		case 9:
			return exact("LTRIM", k, num(r, -8, 8), num(r, -8, 8))
		case 10:
			return exact("LLEN", k)
		case 11:
			return exact("LPOS", k, member(r), "RANK", pick(r, "1", "-1", "2"), "COUNT", num(r, 0, 3))
		case 12:
			return exact("LMOVE", k, k2, pick(r, "LEFT", "RIGHT"), pick(r, "LEFT", "RIGHT"))
		default:
			return exact("LPUSHX", k, member(r))
		}
	},
	"hash": func(r *rand.Rand) randCmd {
		k := pick(r, "h1", "h2", "str")
		switch r.IntN(12) {
		case 0, 1, 2:
			return exact("HSET", k, member(r), member(r), member(r), member(r))
		case 3:
			return exact("HDEL", k, member(r), member(r))
		case 4:
			return exact("HGET", k, member(r))
		case 5:
			return exact("HMGET", k, member(r), member(r))
		case 6:
			return exact("HLEN", k)
		case 7:
			return exact("HINCRBY", k, "n"+num(r, 0, 3), num(r, -100, 100))
		case 8:
			return exact("HSETNX", k, member(r), member(r))
		case 9:
			return exact("HSTRLEN", k, member(r))
		case 10:
			return sorted(pick(r, "HKEYS", "HVALS"), k)
		default:
			return exact("HEXISTS", k, member(r))
		}
	},
	"set": func(r *rand.Rand) randCmd {
		k, k2 := pick(r, "s1", "s2", "str"), pick(r, "s1", "s2", "s3")
		switch r.IntN(12) {
		case 0, 1, 2:
			return exact("SADD", k, member(r), member(r), member(r))
		case 3:
			return exact("SREM", k, member(r), member(r))
		case 4:
			return exact("SISMEMBER", k, member(r))
		case 5:
			return exact("SMISMEMBER", k, member(r), member(r))
		case 6:
			return exact("SCARD", k)
		case 7:
			return sorted("SMEMBERS", k)
		case 8:
			return sorted(pick(r, "SINTER", "SUNION", "SDIFF"), k, k2)
		case 9:
			return exact(pick(r, "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), "s3", k, k2)
		case 10:
			return exact("SMOVE", k, k2, member(r))
		default:
			return exact("SINTERCARD", "2", k, k2)
		}
	},
	"zset": func(r *rand.Rand) randCmd {
		k, k2 := pick(r, "z1", "z2", "str"), pick(r, "z1", "z2")
		score := func() string { return pick(r, num(r, -5, 5), num(r, -5, 5)+".5", "-inf", "+inf") }
		switch r.IntN(13) {
		case 0, 1, 2:
			return exact("ZADD", k, score(), member(r), score(), member(r))
		case 3:
			return exact("ZADD", k, pick(r, "NX", "XX", "GT", "LT"), "CH", score(), member(r))
		case 4:
			return exact("ZINCRBY", k, num(r, -3, 3), member(r))
		case 5:
			return exact("ZREM", k, member(r))
		case 6:
			return exact("ZSCORE", k, member(r))
		case 7:
			return exact(pick(r, "ZRANK", "ZREVRANK"), k, member(r))
		case 8:
			return exact("ZRANGE", k, num(r, -6, 6), num(r, -6, 6), "WITHSCORES")
		case 9:
			return exact("ZRANGEBYSCORE", k, pick(r, "-inf", "("+num(r, -5, 5), num(r, -5, 5)), pick(r, "+inf", num(r, -5, 5)), "WITHSCORES", "LIMIT", num(r, 0, 3), num(r, -1, 4))
		case 10:
			return exact(pick(r, "ZPOPMIN", "ZPOPMAX"), k, num(r, 1, 3))
		case 11:
			return exact("ZREMRANGEBYRANK", k, num(r, -4, 4), num(r, -4, 4))
		default:
			return exact(pick(r, "ZUNIONSTORE", "ZINTERSTORE"), "z3", "2", k, k2, "AGGREGATE", pick(r, "SUM", "MIN", "MAX"))
		}
	},
	"string": func(r *rand.Rand) randCmd {
		k := pick(r, "b1", "b2", "l1")
		switch r.IntN(11) {
		case 0, 1:
			return exact("SETBIT", k, num(r, 0, 200), num(r, 0, 1))
		case 2:
			return exact("GETBIT", k, num(r, 0, 220))
		case 3:
			return exact("BITCOUNT", k, num(r, -30, 30), num(r, -30, 30), pick(r, "BYTE", "BIT"))
		case 4:
			return exact("BITPOS", k, num(r, 0, 1), num(r, -30, 30))
		case 5:
			return exact("APPEND", k, member(r))
		case 6:
			return exact("SETRANGE", k, num(r, 0, 40), member(r))
		case 7:
			return exact("GETRANGE", k, num(r, -40, 40), num(r, -40, 40))
		case 8:
			return exact("BITOP", pick(r, "AND", "OR", "XOR"), "b3", "b1", "b2")
		case 9:
			return exact("PFADD", "hll", member(r), member(r), member(r))
		default:
			return exact("GET", pick(r, k, "hll", "b3"))
		}
	},
}

// TestRandomDifferential runs the random sequences of every type.
func TestRandomDifferential(t *testing.T) {
	oracle := servertest.RedisServer(t)
	in := servertest.Start(t)
	const steps = 1500
	for name, gen := range randGens {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", name, seed), func(t *testing.T) {
				ours, theirs := in.Raw(t), servertest.Dial(t, oracle)
				for _, c := range []*servertest.Conn{ours, theirs} {
					c.Do("FLUSHALL")
					c.Do("SET", "str", "a string")
					c.Do("RPUSH", "l1", "a list")
				}
				r := rand.New(rand.NewPCG(seed, 42))
				for i := 0; i < steps; i++ {
					cmd := gen(r)
					got, want := ours.Do(cmd.args...), theirs.Do(cmd.args...)
					if !servertest.SameReply(cmd.mode, got, want) {
						t.Fatalf("step %d: %q\n respd: %q\n redis: %q", i, cmd.args, got, want)
					}
				}
			})
		}
	}
}
