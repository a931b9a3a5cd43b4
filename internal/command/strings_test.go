package command

import (
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/clock"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// strCtx is a command context on a fake clock, for calling string
// handlers directly.
type strCtx struct {
	*Ctx
	clock *clock.Fake
}

func newStrCtx() strCtx {
	fc := clock.NewFake(1_700_000_000_000)
	ks := keyspace.New(16, fc)
	return strCtx{&Ctx{Writer: resp.Writer{Proto: 2}, Sess: &Session{}, KS: ks, DB: ks.DBs[0]}, fc}
}

// do runs one command through the table, with the dispatcher's lookup
// and arity check, and returns the raw reply.
func (c strCtx) do(args ...string) string {
	c.B = c.B[:0]
	c.KS.Tick() // as the server does before each batch
	av := argv(args...)
	cmd, errText := Lookup(av)
	if cmd == nil {
		return "-" + errText + "\r\n"
	}
	c.Args, c.Cmd = av, cmd
	cmd.Fn(c.Ctx)
	return string(c.B)
}

func (c strCtx) expect(t *testing.T, want string, args ...string) {
	t.Helper()
	if got := c.do(args...); got != want {
		t.Errorf("%s: got %q, want %q", strings.Join(args, " "), got, want)
	}
}

func (c strCtx) enc(key string) string {
	o := c.DB.Peek([]byte(key))
	if o == nil {
		return "missing"
	}
	return o.Enc.String()
}

const wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"

// TestStringsWrongType covers the type checks no differential script can
// reach yet, by planting a value of another type directly.
func TestStringsWrongType(t *testing.T) {
	c := newStrCtx()
	c.DB.Set([]byte("l"), &keyspace.Object{Type: keyspace.TypeList}, false)
	c.do("SET", "s", "1")
	for _, args := range [][]string{
		{"GET", "l"}, {"GETEX", "l"}, {"GETEX", "l", "EX", "10"}, {"GETDEL", "l"}, {"GETSET", "l", "x"},
		{"SET", "l", "x", "GET"}, {"SET", "l", "x", "NX", "GET"}, {"APPEND", "l", "x"}, {"STRLEN", "l"},
		{"GETRANGE", "l", "0", "1"}, {"SUBSTR", "l", "0", "1"}, {"SETRANGE", "l", "0", "x"}, {"SETRANGE", "l", "0", ""},
		{"INCR", "l"}, {"DECR", "l"}, {"INCRBY", "l", "2"}, {"DECRBY", "l", "2"}, {"INCRBYFLOAT", "l", "1.5"},
	} {
		c.expect(t, wrongType, args...)
	}
	if o := c.DB.Peek([]byte("l")); o == nil || o.Type != keyspace.TypeList {
		t.Fatal("a failed command replaced the list")
	}
	// Argument errors come before the type check where Redis checks them
	// first, and after it where it reads the key first.
	c.expect(t, "-ERR value is not an integer or out of range\r\n", "INCRBY", "l", "x")
	c.expect(t, "-ERR value is not an integer or out of range\r\n", "GETRANGE", "l", "x", "1")
	c.expect(t, "-ERR offset is out of range\r\n", "SETRANGE", "l", "-1", "x")
	c.expect(t, "-ERR syntax error\r\n", "GETEX", "l", "bogus")
	c.expect(t, "-ERR invalid expire time in 'set' command\r\n", "SET", "l", "x", "EX", "0", "GET")
	c.expect(t, wrongType, "INCRBYFLOAT", "l", "x")
	c.expect(t, "-ERR The specified keys must contain string values\r\n", "LCS", "l", "s")
	c.expect(t, "-ERR The specified keys must contain string values\r\n", "LCS", "s", "l", "bogus")
	// MGET reads other types as missing; SET, MSET and GETSET's failure
	// aside, plain writes replace them.
	c.expect(t, "*2\r\n$-1\r\n$1\r\n1\r\n", "MGET", "l", "s")
	c.expect(t, ":0\r\n", "MSETNX", "l", "x")
	c.expect(t, "+OK\r\n", "SET", "l", "x")
	c.expect(t, "$1\r\nx\r\n", "GET", "l")
	c.DB.Set([]byte("l2"), &keyspace.Object{Type: keyspace.TypeHash}, false)
	c.expect(t, "+OK\r\n", "MSET", "l2", "y")
	c.expect(t, "$1\r\ny\r\n", "GET", "l2")
}

// TestStringsEncoding checks the encodings OBJECT ENCODING will report,
// as observed on Redis 7.0: SET picks int/embstr/raw, in-place changes
// make raw, INCR makes int, INCRBYFLOAT never makes int.
func TestStringsEncoding(t *testing.T) {
	c := newStrCtx()
	long := strings.Repeat("a", 45)
	for _, tc := range []struct {
		args []string
		key  string
		want string
	}{
		{[]string{"SET", "a", "123"}, "a", "int"},
		{[]string{"SET", "a", "abc"}, "a", "embstr"},
		{[]string{"SET", "a", long}, "a", "raw"},
		{[]string{"SET", "a", "123456789012345678901"}, "a", "embstr"},
		{[]string{"GETSET", "a", "5"}, "a", "int"},
		{[]string{"MSET", "b", "7", "c", "x"}, "b", "int"},
		{[]string{"SETNX", "d", "12"}, "d", "int"},
		{[]string{"APPEND", "e", "123"}, "e", "int"},
		{[]string{"APPEND", "e", "4"}, "e", "raw"},
		{[]string{"INCR", "e"}, "e", "int"},
		{[]string{"SETRANGE", "f", "0", "12"}, "f", "raw"},
		{[]string{"SET", "g", "12"}, "g", "int"},
		{[]string{"SETRANGE", "g", "0", ""}, "g", "int"},
		{[]string{"SETRANGE", "g", "0", "3"}, "g", "raw"},
		{[]string{"INCRBY", "g", "1"}, "g", "int"},
		{[]string{"INCRBYFLOAT", "h", "3"}, "h", "embstr"},
		{[]string{"INCRBYFLOAT", "h", "0.5"}, "h", "embstr"},
		{[]string{"INCRBYFLOAT", "i", "1e50"}, "i", "raw"},
		{[]string{"SET", "j", "10"}, "j", "int"},
		{[]string{"INCRBYFLOAT", "j", "0"}, "j", "embstr"},
		{[]string{"INCR", "new"}, "new", "int"},
	} {
		c.do(tc.args...)
		if got := c.enc(tc.key); got != tc.want {
			t.Errorf("%v: encoding %s, want %s", tc.args, got, tc.want)
		}
	}
}

// TestStringsTTLKept checks which writes keep a key's TTL, on the fake
// clock.
func TestStringsTTLKept(t *testing.T) {
	c := newStrCtx()
	now := c.DB.Now()
	for _, k := range []string{"incr", "float", "append", "setrange", "set", "getset", "keep"} {
		c.do("SET", k, "1", "PX", "1000")
	}
	c.do("INCR", "incr")
	c.do("INCRBYFLOAT", "float", "1")
	c.do("APPEND", "append", "1")
	c.do("SETRANGE", "setrange", "0", "2")
	c.do("SET", "set", "2")
	c.do("GETSET", "getset", "2")
	c.do("SET", "keep", "2", "KEEPTTL")
	for k, kept := range map[string]bool{"incr": true, "float": true, "append": true, "setrange": true, "set": false, "getset": false, "keep": true} {
		at := c.DB.Expire([]byte(k))
		if kept && at != now+1000 {
			t.Errorf("%s: expire %d, want %d", k, at, now+1000)
		}
		if !kept && at != -1 {
			t.Errorf("%s: expire %d, want none", k, at)
		}
	}
	c.do("SET", "ex", "v", "EX", "10")
	c.do("SET", "exat", "v", "EXAT", "2000000000")
	c.do("SET", "pxat", "v", "PXAT", "2000000000123")
	c.do("SETEX", "setex", "7", "v")
	c.do("PSETEX", "psetex", "7", "v")
	for k, want := range map[string]int64{"ex": now + 10000, "exat": 2000000000000, "pxat": 2000000000123, "setex": now + 7000, "psetex": now + 7} {
		if at := c.DB.Expire([]byte(k)); at != want {
			t.Errorf("%s: expire %d, want %d", k, at, want)
		}
	}
	c.clock.Advance(1000 * time.Millisecond)
	c.expect(t, "$-1\r\n", "GET", "incr")
	c.expect(t, "$1\r\n2\r\n", "GET", "set")
}

// TestStringsGetexReplica checks that a replica keeps a key GETEX gives a
// past time, leaving its deletion to the master.
func TestStringsGetexReplica(t *testing.T) {
	c := newStrCtx()
	c.do("SET", "k", "v")
	c.KS.Replica = true
	c.expect(t, "$1\r\nv\r\n", "GETEX", "k", "PXAT", "1")
	if n, at := c.DB.Len(), c.DB.Expire([]byte("k")); n != 1 || at != 1 {
		t.Fatalf("replica GETEX PXAT 1: %d keys, expire %d; want the key kept with expire 1", n, at)
	}
	c.KS.Replica = false
	c.do("SET", "k2", "v")
	c.expect(t, "$1\r\nv\r\n", "GETEX", "k2", "PXAT", "1")
	// Only the replica's k is left; k2 is gone rather than expired.
	if n, at := c.DB.Len(), c.DB.Expire([]byte("k2")); n != 1 || at != -1 {
		t.Fatalf("GETEX PXAT in the past: %d keys, k2 expire %d; want k2 deleted", n, at)
	}
}

// TestStringsLCSResp3 checks LCS IDX's map reply in RESP3.
func TestStringsLCSResp3(t *testing.T) {
	c := newStrCtx()
	c.Proto = 3
	c.do("SET", "a", "ohmytext")
	c.do("SET", "b", "mynewtext")
	c.expect(t, "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n",
		"LCS", "a", "b", "IDX", "WITHMATCHLEN")
	c.expect(t, "_\r\n", "GET", "missing")
	c.expect(t, "*2\r\n_\r\n$8\r\nohmytext\r\n", "MGET", "missing", "a")
}

// TestLongDouble checks the extended-precision emulation against values
// taken from Redis 7.0 on x86-64.
func TestLongDouble(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"10.5", "0.1", "10.6"},
		{"1.1", "2.2", "3.3"},
		{"0", "3.0e3", "3000"},
		{"0", "1e-20", "0"},
		{"0", "-1e-30", "0"},
		{"0", "-0.0", "0"},
		{"0", "0.000003814697265625", "0.00000381469726562"},
		{"0", "0.000003814697265635", "0.00000381469726563"},
		{"0", "123456789012345678901234567890", "123456789012345678899921813504"},
		{"0", "1e30", "1000000000000000000024696061952"},
		{"1.5", "0x1p-2", "1.75"},
		{"0", "0x1.8P1", "3"},
		{"24.75", "1e-4940", "24.75"},
	} {
		a, ok := parseLongDouble([]byte(tc.a))
		if !ok {
			t.Fatalf("parse %q failed", tc.a)
		}
		b, ok := parseLongDouble([]byte(tc.b))
		if !ok {
			t.Fatalf("parse %q failed", tc.b)
		}
		sum, ok := a.add(b)
		if !ok {
			t.Fatalf("%s + %s failed", tc.a, tc.b)
		}
		if got := string(sum.format()); got != tc.want {
			t.Errorf("%s + %s = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
	for _, bad := range []string{"", " 1", "1 ", "nan", "-nan", "1e", "0x", ".", "e1", "1e5000", "1e-5000",
		"1.18973149535723176508e+4932", "0x1p16384", "0x1p-16446", "1\x00", "abc", strings.Repeat("1", 5120)} {
		if _, ok := parseLongDouble([]byte(bad)); ok {
			t.Errorf("parse %q succeeded, want failure", bad)
		}
	}
	for _, good := range []string{"inf", "-INFINITY", "1.18973149535723176502e+4932", "0x1p-16445", "1.9e-4951", strings.Repeat("1", 5119)[:4000]} {
		if _, ok := parseLongDouble([]byte(good)); !ok {
			t.Errorf("parse %q failed", good)
		}
	}
	inf, _ := parseLongDouble([]byte("inf"))
	one, _ := parseLongDouble([]byte("1"))
	if _, ok := one.add(inf); ok {
		t.Error("1 + inf succeeded")
	}
	big, _ := parseLongDouble([]byte("1e4932"))
	if _, ok := big.add(big); ok {
		t.Error("1e4932 + 1e4932 did not overflow")
	}
}
