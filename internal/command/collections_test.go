package command

import (
	"strings"
	"testing"
)

// TestCollectionsRESP3 checks the RESP3 reply types of hash and set
// commands, which no differential script reaches while the server speaks
// only RESP2. The expected bytes are what redis-server 7.0 replied after
// HELLO 3, for replies that do not depend on chance.
func TestCollectionsRESP3(t *testing.T) {
	c := newStrCtx()
	c.Proto = 3
	c.do("SADD", "s", "1", "2", "3")
	c.do("HSET", "h", "a", "1", "b", "2")
	for _, tc := range []struct{ want, cmd string }{
		{"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SRANDMEMBER s 10"},
		{"*0\r\n", "SRANDMEMBER s 0"},
		{"*0\r\n", "SRANDMEMBER nokey 2"},
		{"_\r\n", "SRANDMEMBER nokey"},
		{"~0\r\n", "SPOP nokey 2"},
		{"~0\r\n", "SPOP s 0"},
		{"_\r\n", "SPOP nokey"},
		{"~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SMEMBERS s"},
		{"~0\r\n", "SMEMBERS nokey"},
		{"~0\r\n", "SINTER s nokey"},
		{"~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SINTER s"},
		{"~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SUNION s"},
		{"~0\r\n", "SUNION nokey"},
		{"~0\r\n", "SDIFF nokey"},
		{"*2\r\n:1\r\n:0\r\n", "SMISMEMBER s 1 5"},
		{":3\r\n", "SINTERCARD 1 s"},
		{"*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n", "HRANDFIELD h 10 WITHVALUES"},
		{"*0\r\n", "HRANDFIELD h 0"},
		{"*0\r\n", "HRANDFIELD nokey 3"},
		{"_\r\n", "HRANDFIELD nokey"},
		{"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", "HGETALL h"},
		{"%0\r\n", "HGETALL nokey"},
		{"*0\r\n", "HKEYS nokey"},
		{"*2\r\n$1\r\n0\r\n*0\r\n", "HSCAN nokey 0"},
		{"*1\r\n_\r\n", "HMGET nokey a"},
		{"_\r\n", "HGET nokey a"},
		{"~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SPOP s 5"},
	} {
		c.expect(t, tc.want, strings.Fields(tc.cmd)...)
	}
	// Random replies: only the shape is fixed.
	c.do("HSET", "h", "c", "3")
	for _, tc := range []struct{ prefix, cmd string }{
		{"*1\r\n*2\r\n$1\r\n", "HRANDFIELD h 1 WITHVALUES"},
		{"*2\r\n*2\r\n$1\r\n", "HRANDFIELD h 2 WITHVALUES"},
		{"*5\r\n*2\r\n$1\r\n", "HRANDFIELD h -5 WITHVALUES"},
		{"*2\r\n$1\r\n", "HRANDFIELD h 2"},
	} {
		if got := c.do(strings.Fields(tc.cmd)...); !strings.HasPrefix(got, tc.prefix) {
			t.Errorf("%s: got %q, want it to start %q", tc.cmd, got, tc.prefix)
		}
	}
	c.do("SADD", "t", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
	if got := c.do("SPOP", "t", "2"); !strings.HasPrefix(got, "~2\r\n") {
		t.Errorf("SPOP t 2: got %q, want a set of 2", got)
	}
	if got := c.do("SRANDMEMBER", "t", "-3"); !strings.HasPrefix(got, "*3\r\n") {
		t.Errorf("SRANDMEMBER t -3: got %q, want an array of 3", got)
	}
}

// TestCollectionsEmptyKeysDeleted checks that every way of removing the
// last field or member removes the key.
func TestCollectionsEmptyKeysDeleted(t *testing.T) {
	c := newStrCtx()
	for _, tc := range [][]string{
		{"HSET k f v", "HDEL k f"},
		{"SADD k 1", "SREM k 1"},
		{"SADD k 1", "SPOP k"},
		{"SADD k a", "SPOP k 1"},
		{"SADD k a b", "SPOP k 5"},
		{"SADD k a", "SMOVE k other a"},
		{"SADD k a", "SINTERSTORE k k nokey"},
		{"SADD k a", "SDIFFSTORE k k k"},
	} {
		c.do("FLUSHALL")
		for _, cmd := range tc {
			c.do(strings.Fields(cmd)...)
		}
		if c.DB.Exists([]byte("k")) {
			t.Errorf("%v left key k holding %s", tc, c.enc("k"))
		}
	}
}
