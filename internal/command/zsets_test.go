package command

import (
	"math"
	"sort"
	"testing"

	"github.com/respd/respd/internal/keyspace"
)

// TestZsetResp3Replies pins RESP3 reply shapes, which the differential
// scripts cannot reach while this branch has no HELLO. Expected bytes are
// redis-server 7.0.15's replies to the same commands after HELLO 3.
func TestZsetResp3Replies(t *testing.T) {
	c := newStrCtx()
	c.Proto = 3
	cases := []struct{ want, cmd string }{
		{":2\r\n", "ZADD a 1 x 2.5 y"},
		{":2\r\n", "ZADD b 10 y inf z"},
		{"*3\r\n*2\r\n$1\r\nx\r\n,1\r\n*2\r\n$1\r\ny\r\n,12.5\r\n*2\r\n$1\r\nz\r\n,inf\r\n", "ZUNION 2 a b WITHSCORES"},
		{"*1\r\n*2\r\n$1\r\ny\r\n,12.5\r\n", "ZINTER 2 a b WITHSCORES"},
		{"*1\r\n*2\r\n$1\r\nx\r\n,1\r\n", "ZDIFF 2 a b WITHSCORES"},
		{"*2\r\n*2\r\n$1\r\ny\r\n,2.5\r\n*2\r\n$1\r\nx\r\n,1\r\n", "ZRANDMEMBER a 5 WITHSCORES"},
		{"*2\r\n*2\r\n$1\r\nx\r\n,1\r\n*2\r\n$1\r\ny\r\n,2.5\r\n", "ZRANGEBYSCORE a -inf +inf WITHSCORES"},
		{"*2\r\n*2\r\n$1\r\ny\r\n,2.5\r\n*2\r\n$1\r\nx\r\n,1\r\n", "ZRANGE a 0 -1 REV WITHSCORES"},
		{"*1\r\n*2\r\n$1\r\ny\r\n,2.5\r\n", "ZPOPMAX a 1"},
		{"*2\r\n$1\r\nx\r\n,1\r\n", "ZPOPMAX a"},
		{"*2\r\n$1\r\nb\r\n*1\r\n*2\r\n$1\r\ny\r\n,10\r\n", "ZMPOP 1 b MIN"},
		{"*0\r\n", "ZPOPMIN nokey 2"},
		{"_\r\n", "ZMPOP 1 nokey MIN"},
		{"_\r\n", "ZRANK nokey m"},
		{"_\r\n", "ZSCORE nokey m"},
		{"*2\r\n_\r\n_\r\n", "ZMSCORE nokey m n"},
		{",1\r\n", "ZADD c INCR 1 q"},
		{"_\r\n", "ZADD c XX INCR 1 nope"},
		{",3\r\n", "ZINCRBY c 2 q"},
		{":1\r\n", "GEOADD g 13.361389 38.115556 Palermo"},
		{"*1\r\n*2\r\n$7\r\nPalermo\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n", "GEORADIUS g 13 38 100 km WITHCOORD"},
		{"*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n", "GEOPOS g Palermo nope"},
		{"$6\r\n0.0000\r\n", "GEODIST g Palermo Palermo"},
		{"_\r\n", "GEODIST g Palermo nope"},
		{"*2\r\n$11\r\nsqc8b49rny0\r\n_\r\n", "GEOHASH g Palermo nope"},
	}
	for _, tc := range cases {
		c.expect(t, tc.want, split(tc.cmd)...)
	}
	// A waiter that cannot wait (MULTI, scripts) gets the timeout reply,
	// the RESP3 null.
	c.NoBlock = true
	c.expect(t, "_\r\n", "BZPOPMIN", "nokey", "0")
}

func split(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
			}
			start = -1
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// TestBlockingZpopParksAndWakes drives a blocking pop as the server does:
// first run parks it, a re-run for the ready key serves it (or parks it
// again when the key holds another type), and NoBlock answers at once.
func TestBlockingZpopParksAndWakes(t *testing.T) {
	c := newStrCtx()
	if got := c.do("BZPOPMIN", "k1", "k2", "1.5"); got != "" {
		t.Fatalf("first run replied %q", got)
	}
	req := c.Blocked
	if req == nil || len(req.Keys) != 2 || string(req.Keys[1]) != "k2" || req.DeadlineMs != c.DB.Now()+1500 {
		t.Fatalf("block request %+v", req)
	}
	c.Blocked = nil
	c.do("SET", "k2", "string")
	c.ReadyKey = []byte("k2")
	if got := c.do("BZPOPMIN", "k1", "k2", "1.5"); got != "" || c.Blocked == nil {
		t.Fatalf("re-run on a string replied %q", got)
	}
	c.Blocked = nil
	c.ReadyKey = nil
	c.do("DEL", "k2")
	c.do("ZADD", "k2", "1", "a", "2", "b")
	c.do("ZADD", "k1", "7", "z")
	// The re-run serves from the ready key even though k1 comes first.
	c.ReadyKey = []byte("k2")
	c.expect(t, "*3\r\n$2\r\nk2\r\n$1\r\nb\r\n$1\r\n2\r\n", "BZPOPMAX", "k1", "k2", "0")
	c.expect(t, "*2\r\n$2\r\nk2\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", "BZMPOP", "0", "2", "k1", "k2", "MIN", "COUNT", "5")
	if c.DB.Exists([]byte("k2")) {
		t.Fatal("the emptied set was not deleted")
	}
	c.ReadyKey = nil
	c.NoBlock = true
	c.expect(t, "*-1\r\n", "BZMPOP", "0", "1", "nokey", "MIN")
	c.expect(t, "*-1\r\n", "BZPOPMIN", "nokey", "0")
	if c.Blocked != nil {
		t.Fatal("a NoBlock context was parked")
	}
}

// fakeSet is a plain set value as the set commands store it.
type fakeSet map[string]bool

func (s fakeSet) Len() int          { return len(s) }
func (s fakeSet) Has(m []byte) bool { return s[string(m)] }
func (s fakeSet) Range(fn func(m []byte) bool) {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn([]byte(k)) {
			return
		}
	}
}

// TestZsetAlgebraWithPlainSets checks plain sets as inputs (score 1 per
// member); expected replies are redis-server 7.0.15's for SADD s a b d.
func TestZsetAlgebraWithPlainSets(t *testing.T) {
	c := newStrCtx()
	c.DB.Set([]byte("s"), &keyspace.Object{Type: keyspace.TypeSet, Enc: keyspace.EncHashtable, Val: fakeSet{"a": true, "b": true, "d": true}}, false)
	c.do("ZADD", "z", "2", "a", "3", "c", "0.5", "d")
	cases := []struct{ want, cmd string }{
		{"*8\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nd\r\n$3\r\n1.5\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nc\r\n$1\r\n3\r\n", "ZUNION 2 z s WITHSCORES"},
		{"*8\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n3\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n3\r\n", "ZUNION 2 s z WEIGHTS 3 1 AGGREGATE MAX WITHSCORES"},
		{"*4\r\n$1\r\nd\r\n$3\r\n1.5\r\n$1\r\na\r\n$1\r\n3\r\n", "ZINTER 2 z s WITHSCORES"},
		{"*4\r\n$1\r\nd\r\n$3\r\n2.5\r\n$1\r\na\r\n$1\r\n4\r\n", "ZINTER 2 s z WEIGHTS 2 1 WITHSCORES"},
		{"*2\r\n$1\r\nc\r\n$1\r\n3\r\n", "ZDIFF 2 z s WITHSCORES"},
		{"*2\r\n$1\r\nb\r\n$1\r\n1\r\n", "ZDIFF 2 s z WITHSCORES"},
		{":2\r\n", "ZINTERCARD 2 s z"},
		{":4\r\n", "ZUNIONSTORE dst 2 s z"},
		{"*8\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nd\r\n$3\r\n1.5\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nc\r\n$1\r\n3\r\n", "ZRANGE dst 0 -1 WITHSCORES"},
		{"*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nd\r\n$1\r\n1\r\n", "ZINTER 1 s WITHSCORES"},
		{wrongType, "ZRANGESTORE x s 0 -1"},
		{wrongType, "ZRANGE s 0 -1"},
	}
	for _, tc := range cases {
		c.expect(t, tc.want, split(tc.cmd)...)
	}
}

func TestStrtod(t *testing.T) {
	cases := []struct {
		in     string
		f      float64
		n      int
		erange bool
	}{
		{"1.5", 1.5, 3, false},
		{"  -2e3x", -2000, 6, false},
		{"", 0, 0, false},
		{"abc", 0, 0, false},
		{"0x", 0, 1, false},
		{"0x1p4", 16, 5, false},
		{"0X1.8", 1.5, 5, false},
		{"1e", 1, 1, false},
		{"1e+", 1, 1, false},
		{".5", 0.5, 2, false},
		{".", 0, 0, false},
		{"-infinityx", math.Inf(-1), 9, false},
		{"INF", math.Inf(1), 3, false},
		{"1e400", math.Inf(1), 5, true},
		{"1e-400", 0, 6, true},
		{"0e-400", 0, 6, false},
		{"4e-320", 4e-320, 6, false},
		{"1_000", 1, 1, false},
		{"1\x00", 1, 1, false},
	}
	for _, tc := range cases {
		f, n, erange := strtod([]byte(tc.in))
		if f != tc.f || n != tc.n || erange != tc.erange {
			t.Errorf("strtod(%q) = %v, %d, %v; want %v, %d, %v", tc.in, f, n, erange, tc.f, tc.n, tc.erange)
		}
	}
	if f, _, _ := strtod([]byte("nan(123)")); !math.IsNaN(f) {
		t.Error("nan(123) is not NaN")
	}
	for _, bad := range []string{"", " 1", "1 ", "nan", "1e400", "1e-400", "1_0", "0x", "1\x00"} {
		if _, ok := parseScore([]byte(bad)); ok {
			t.Errorf("parseScore(%q) accepted", bad)
		}
	}
	for _, good := range []string{"-inf", "+inf", "0x10", "-0", "4e-320", "1."} {
		if _, ok := parseScore([]byte(good)); !ok {
			t.Errorf("parseScore(%q) refused", good)
		}
	}
	// Plain digits take a shortcut: the same values as strtod's.
	for _, digits := range []string{"0", "7", "007", "99999", "123456789012345", "1234567890123456", "9007199254740993"} {
		want, _, _ := strtod([]byte(digits))
		if got, ok := parseScore([]byte(digits)); !ok || got != want {
			t.Errorf("parseScore(%q) = %v, %v; want %v", digits, got, ok, want)
		}
	}
}

func TestAppendDistanceAndHumanFloat(t *testing.T) {
	for _, tc := range []struct {
		d    float64
		want string
	}{
		{0, "0.0000"}, {166274.15156960033, "166274.1516"}, {0.00004, "0.0000"}, {0.00006, "0.0001"}, {1.5, "1.5000"}, {12.34565, "12.3456"},
	} {
		if got := string(appendDistance(nil, tc.d)); got != tc.want {
			t.Errorf("appendDistance(%v) = %s, want %s", tc.d, got, tc.want)
		}
	}
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{13.361389338970184, "13.36138933897018433"}, {2, "2"}, {-0.5, "-0.5"}, {math.Copysign(0, -1), "0"}, {1e-20, "0"},
	} {
		if got := string(appendHumanFloat(nil, tc.f)); got != tc.want {
			t.Errorf("appendHumanFloat(%v) = %s, want %s", tc.f, got, tc.want)
		}
	}
}
