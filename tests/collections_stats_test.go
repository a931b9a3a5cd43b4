package tests

import (
	"strings"
	"testing"

	"github.com/respd/respd/internal/servertest"
)

// TestCollectionsKeyspaceStats compares, command by command, how hash and
// set commands move INFO's keyspace_hits and keyspace_misses against the
// real redis-server: reads count, writes do not, and the set algebra's
// STORE forms count like reads. Differential scripts cannot see this, as
// INFO's other fields differ between the servers.
func TestCollectionsKeyspaceStats(t *testing.T) {
	oracle := servertest.RedisServer(t)
	in := servertest.Start(t)
	cmds := [][]string{
		{"SET", "str", "v"}, {"HSET", "h", "a", "1"}, {"HMSET", "h", "b", "2"}, {"SADD", "s", "1", "x"}, {"SADD", "s2", "1"},
		{"HGET", "h", "a"}, {"HGET", "no", "a"}, {"HMGET", "h", "a", "b"}, {"HMGET", "no", "a"}, {"HLEN", "h"},
		{"HEXISTS", "no", "a"}, {"HSTRLEN", "h", "a"}, {"HKEYS", "h"}, {"HVALS", "no"}, {"HGETALL", "h"},
		{"HRANDFIELD", "h"}, {"HRANDFIELD", "no", "3"}, {"HRANDFIELD", "h", "x"}, {"HSCAN", "h", "0"},
		{"HSCAN", "no", "0"}, {"HSCAN", "h", "x"}, {"HINCRBY", "h", "n", "1"}, {"HINCRBYFLOAT", "no2", "n", "1"},
		{"HSETNX", "h", "a", "2"}, {"HDEL", "h", "zz"}, {"HSET", "str", "a", "b"}, {"HGET", "str", "a"},
		{"SMEMBERS", "s"}, {"SISMEMBER", "no", "1"}, {"SMISMEMBER", "s", "1"}, {"SCARD", "s"},
		{"SRANDMEMBER", "s"}, {"SRANDMEMBER", "s", "-2"}, {"SINTER", "s", "s2", "no"}, {"SINTERCARD", "2", "s", "no"},
		{"SUNION", "s", "no"}, {"SDIFF", "s", "s2"}, {"SINTERSTORE", "d", "s", "s2"}, {"SUNIONSTORE", "d", "s", "no"},
		{"SDIFFSTORE", "d", "s", "s2"}, {"SMOVE", "s", "s2", "x"}, {"SMOVE", "no", "s2", "x"}, {"SPOP", "no"},
		{"SPOP", "s2", "0"}, {"SREM", "s", "q"}, {"SSCAN", "s", "0"}, {"SADD", "s", "9"}, {"SMEMBERS", "str"},
	}
	run := func(addr string) []string {
		c := servertest.Dial(t, addr)
		c.Do("FLUSHALL")
		var res []string
		for _, cmd := range cmds {
			c.Do("CONFIG", "RESETSTAT")
			c.Do(cmd...)
			var counts []string
			for _, l := range strings.Split(c.Do("INFO", "stats"), "\r\n") {
				if strings.HasPrefix(l, "keyspace_") {
					counts = append(counts, l)
				}
			}
			if len(counts) != 2 {
				t.Fatalf("INFO stats has no keyspace_hits/misses: %v", counts)
			}
			res = append(res, strings.Join(counts, " "))
		}
		return res
	}
	ours, theirs := run(in.Addr), run(oracle)
	for i, cmd := range cmds {
		if ours[i] != theirs[i] {
			t.Errorf("%s:\n respd %s\n redis %s", strings.Join(cmd, " "), ours[i], theirs[i])
		}
	}
}
