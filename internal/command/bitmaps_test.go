package command

import (
	"testing"

	"github.com/respd/respd/internal/keyspace"
)

// TestBitmapHLLWrongType covers the type checks of the bitmap and
// HyperLogLog commands, which no differential script can reach until
// another data type lands, by planting a list directly. The replies, and
// which argument errors win over the type check, are those of Redis 7.0.
func TestBitmapHLLWrongType(t *testing.T) {
	c := newStrCtx()
	c.DB.Set([]byte("l"), &keyspace.Object{Type: keyspace.TypeList}, false)
	c.do("SET", "s", "abc")
	const (
		offsetErr = "-ERR bit offset is not an integer or out of range\r\n"
		notInt    = "-ERR value is not an integer or out of range\r\n"
		typeErr   = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"
	)
	cases := []struct {
		want string
		args []string
	}{
		{wrongType, []string{"SETBIT", "l", "0", "1"}},
		{offsetErr, []string{"SETBIT", "l", "-1", "1"}},
		{"-ERR bit is not an integer or out of range\r\n", []string{"SETBIT", "l", "0", "2"}},
		{wrongType, []string{"GETBIT", "l", "0"}},
		{offsetErr, []string{"GETBIT", "l", "-1"}},
		{wrongType, []string{"BITCOUNT", "l"}},
		{wrongType, []string{"BITCOUNT", "l", "0"}},
		{wrongType, []string{"BITCOUNT", "l", "a", "b"}},
		{wrongType, []string{"BITPOS", "l", "1"}},
		{wrongType, []string{"BITPOS", "l", "1", "a"}},
		{"-ERR The bit argument must be 1 or 0.\r\n", []string{"BITPOS", "l", "2"}},
		{notInt, []string{"BITPOS", "l", "x"}},
		{wrongType, []string{"BITOP", "AND", "d", "l"}},
		{wrongType, []string{"BITOP", "OR", "d", "s", "l"}},
		{wrongType, []string{"BITOP", "NOT", "d", "l"}},
		{"-ERR syntax error\r\n", []string{"BITOP", "FOO", "d", "l"}},
		{wrongType, []string{"BITFIELD", "l"}},
		{wrongType, []string{"BITFIELD", "l", "GET", "i8", "0"}},
		{wrongType, []string{"BITFIELD", "l", "SET", "i8", "0", "1"}},
		{typeErr, []string{"BITFIELD", "l", "GET", "x", "0"}},
		{wrongType, []string{"BITFIELD_RO", "l", "GET", "i8", "0"}},
		{"-ERR BITFIELD_RO only supports the GET subcommand\r\n", []string{"BITFIELD_RO", "l", "SET", "i8", "0", "1"}},
		{wrongType, []string{"PFADD", "l", "a"}},
		{wrongType, []string{"PFADD", "l"}},
		{wrongType, []string{"PFCOUNT", "l"}},
		{wrongType, []string{"PFCOUNT", "nokey", "l"}},
		{wrongType, []string{"PFMERGE", "l"}},
		{wrongType, []string{"PFMERGE", "d", "l"}},
		{wrongType, []string{"PFMERGE", "l", "nokey"}},
		{wrongType, []string{"PFDEBUG", "ENCODING", "l"}},
		{wrongType, []string{"PFDEBUG", "FOO", "l"}},
		{wrongType, []string{"PFDEBUG", "GETREG", "l"}},
	}
	for _, tc := range cases {
		c.expect(t, tc.want, tc.args...)
	}
	if o := c.DB.Peek([]byte("l")); o == nil || o.Type != keyspace.TypeList {
		t.Fatal("a failed command replaced the list")
	}
	if c.DB.Exists([]byte("d")) {
		t.Fatal("a failed BITOP or PFMERGE created its destination")
	}
	if got := c.do("GET", "s"); got != "$3\r\nabc\r\n" {
		t.Fatalf("a failed command changed s: %q", got)
	}
}

// TestBitmapEncodings checks what OBJECT ENCODING would report after the
// bit commands: Redis makes every value it changes in place a raw
// string, and creates new bitmaps and HyperLogLogs raw however short.
func TestBitmapEncodings(t *testing.T) {
	c := newStrCtx()
	c.do("SET", "n", "12")
	c.do("GETBIT", "n", "0")
	if e := c.enc("n"); e != "int" {
		t.Fatalf("GETBIT changed the encoding to %s", e)
	}
	for _, tc := range []struct {
		key  string
		args []string
	}{
		{"n", []string{"SETBIT", "n", "0", "0"}}, {"new", []string{"SETBIT", "new", "0", "1"}},
		{"dst", []string{"BITOP", "OR", "dst", "n"}}, {"bf", []string{"BITFIELD", "bf", "SET", "u8", "0", "1"}},
		{"h", []string{"PFADD", "h", "a"}},
	} {
		c.do(tc.args...)
		if e := c.enc(tc.key); e != "raw" {
			t.Errorf("%v: encoding %s, want raw", tc.args, e)
		}
	}
}
