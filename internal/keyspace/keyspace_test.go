package keyspace

import (
	"strconv"
	"testing"
	"time"

	"github.com/respd/respd/internal/clock"
)

func newTest() (*Keyspace, *clock.Fake) {
	c := clock.NewFake(1_000_000)
	return New(4, c), c
}

func TestRelocateCarriesTTL(t *testing.T) {
	ks, _ := newTest()
	d0, d1 := ks.DBs[0], ks.DBs[1]
	d0.SetString([]byte("a"), []byte("va"), false)
	d0.SetExpire([]byte("a"), 2_000_000)
	d0.SetString([]byte("b"), []byte("vb"), false)
	d0.SetExpire([]byte("b"), 3_000_000)

	d0.Relocate([]byte("a"), d0, []byte("b"))
	if d0.Exists([]byte("a")) {
		t.Error("source still exists")
	}
	if o := d0.Peek([]byte("b")); o == nil || string(o.Str) != "va" {
		t.Fatalf("destination = %v, want va", o)
	}
	if at := d0.Expire([]byte("b")); at != 2_000_000 {
		t.Errorf("destination TTL = %d, want the source's 2000000", at)
	}
	if d0.ExpiresLen() != 1 {
		t.Errorf("ExpiresLen = %d, want 1", d0.ExpiresLen())
	}

	// A source without a TTL clears the destination's.
	d1.SetString([]byte("b"), []byte("old"), false)
	d1.SetExpire([]byte("b"), 5_000_000)
	d0.SetString([]byte("p"), []byte("vp"), false)
	d0.Relocate([]byte("p"), d1, []byte("b"))
	if at := d1.Expire([]byte("b")); at != -1 {
		t.Errorf("TTL after relocating a persistent key = %d, want -1", at)
	}
	if o := d1.Peek([]byte("b")); o == nil || string(o.Str) != "vp" {
		t.Errorf("db1 b = %v, want vp", o)
	}
}

type cloneable struct{ items []string }

func (c *cloneable) Clone() any { return &cloneable{items: append([]string(nil), c.items...)} }

func TestCopyIsDeep(t *testing.T) {
	s := &Object{Type: TypeString, Enc: EncEmbstr, Str: []byte("abc")}
	c := s.Copy()
	c.Str[0] = 'X'
	if string(s.Str) != "abc" || c.Enc != EncEmbstr {
		t.Errorf("string copy shares bytes or lost its encoding: %q %v", s.Str, c.Enc)
	}
	if e := (&Object{Type: TypeString, Str: []byte{}}).Copy(); e.Str == nil {
		t.Error("empty string copied as nil")
	}

	v := &cloneable{items: []string{"a"}}
	l := &Object{Type: TypeList, Enc: EncListpack, Val: v}
	lc := l.Copy()
	lc.Val.(*cloneable).items[0] = "changed"
	if v.items[0] != "a" {
		t.Error("list copy shares its elements")
	}

	defer func() {
		if recover() == nil {
			t.Error("copying a value that is not a Cloner did not panic")
		}
	}()
	(&Object{Type: TypeHash, Val: map[string]string{}}).Copy()
}

func TestScanEmptyAndExpired(t *testing.T) {
	ks, clk := newTest()
	d := ks.DBs[0]
	if next := d.Scan(0, func(string, *Object) { t.Error("visited a key in an empty db") }); next != 0 {
		t.Errorf("Scan of an empty db returned cursor %d, want 0", next)
	}
	for i := 0; i < 100; i++ {
		k := []byte("k" + strconv.Itoa(i))
		d.SetString(k, []byte("v"), false)
		if i%2 == 0 {
			d.SetExpire(k, clk.NowMs()+10)
		}
	}
	clk.Advance(20 * time.Millisecond)
	ks.Tick()
	seen := 0
	cursor := uint64(0)
	for {
		cursor = d.Scan(cursor, func(k string, _ *Object) {
			n, _ := strconv.Atoi(k[1:])
			if n%2 == 0 {
				t.Errorf("Scan returned expired key %s", k)
			}
			seen++
		})
		if cursor == 0 {
			break
		}
	}
	if seen != 50 {
		t.Errorf("Scan saw %d live keys, want 50", seen)
	}
	if d.Len() != 50 || ks.Stats.ExpiredKeys != 50 {
		t.Errorf("after a full scan Len = %d, expired_keys = %d; want 50, 50", d.Len(), ks.Stats.ExpiredKeys)
	}
}

func TestScanOnReplicaKeepsExpired(t *testing.T) {
	ks, clk := newTest()
	ks.Replica = true
	d := ks.DBs[0]
	d.SetString([]byte("k"), []byte("v"), false)
	d.SetExpire([]byte("k"), clk.NowMs()+1)
	clk.Advance(time.Second)
	ks.Tick()
	for cursor := d.Scan(0, func(k string, _ *Object) { t.Errorf("returned expired %s", k) }); cursor != 0; {
		cursor = d.Scan(cursor, func(k string, _ *Object) { t.Errorf("returned expired %s", k) })
	}
	if d.Len() != 1 {
		t.Error("a replica deleted an expired key on its own")
	}
}

func TestRandomKeySkipsExpired(t *testing.T) {
	ks, clk := newTest()
	d := ks.DBs[0]
	for i := 0; i < 500; i++ {
		k := []byte("e" + strconv.Itoa(i))
		d.SetString(k, []byte("v"), false)
		d.SetExpire(k, clk.NowMs()+1)
	}
	d.SetString([]byte("live"), []byte("v"), false)
	clk.Advance(time.Second)
	ks.Tick()
	k, ok := d.RandomKey()
	if !ok || k != "live" {
		t.Errorf("RandomKey = %q, %v; want the one live key", k, ok)
	}

	// A replica whose keys all expired still answers (with an expired
	// key, as Redis does) instead of looping.
	rs, rclk := newTest()
	rs.Replica = true
	r := rs.DBs[0]
	for i := 0; i < 10; i++ {
		k := []byte("e" + strconv.Itoa(i))
		r.SetString(k, []byte("v"), false)
		r.SetExpire(k, rclk.NowMs()+1)
	}
	rclk.Advance(time.Second)
	rs.Tick()
	if _, ok := r.RandomKey(); !ok {
		t.Error("replica RandomKey found nothing")
	}
}

func TestLookupNoTouch(t *testing.T) {
	ks, clk := newTest()
	d := ks.DBs[0]
	d.SetString([]byte("k"), []byte("v"), false)
	before := d.Peek([]byte("k")).Access
	clk.Advance(5 * time.Second)
	ks.Tick()
	if o := d.LookupNoTouch([]byte("k")); o == nil || o.Access != before {
		t.Errorf("LookupNoTouch changed the access time")
	}
	d.LookupNoTouch([]byte("missing"))
	if ks.Stats.Hits != 1 || ks.Stats.Misses != 1 {
		t.Errorf("hits, misses = %d, %d; want 1, 1", ks.Stats.Hits, ks.Stats.Misses)
	}
	if o := d.Lookup([]byte("k")); o.Access == before {
		t.Error("Lookup did not refresh the access time")
	}
}

func TestUnsharedCopyOfSmallInt(t *testing.T) {
	ks, _ := newTest()
	d := ks.DBs[0]
	d.SetString([]byte("n"), []byte("7"), false)
	d.Set([]byte("c1"), d.Peek([]byte("n")).Copy(), false)
	d.Set([]byte("c2"), d.Peek([]byte("n")).Copy(), false)
	if d.Peek([]byte("n")).Unshared || !d.Peek([]byte("c1")).Unshared {
		t.Fatal("only the copy should be marked unshared")
	}
	d.SetString([]byte("c1"), []byte("8"), false)
	if d.Peek([]byte("c1")).Unshared {
		t.Error("SetString kept the unshared mark")
	}
	d.Touch([]byte("c2"))
	if d.Peek([]byte("c2")).Unshared {
		t.Error("Touch kept the unshared mark")
	}
	if ks.unshared != 0 {
		t.Errorf("unshared count = %d after clearing both, want 0", ks.unshared)
	}
	s := &Object{Type: TypeString, Enc: EncEmbstr, Str: []byte("abc")}
	if s.Copy().Unshared {
		t.Error("a non-integer copy was marked unshared")
	}
}

// TestOverwrite: INCR's store keeps the TTL and gives the value the
// encoding of its new bytes, in place when they take the old room and
// encoding, and through a new record when they do not.
func TestOverwrite(t *testing.T) {
	ks, _ := newTest()
	d := ks.DBs[0]
	k := []byte("counter")
	d.SetString(k, []byte("41"), false)
	d.SetExpire(k, 5_000_000)
	for _, v := range []string{"42", "100", "-99", "ab", "7"} {
		o, at := d.PeekWrite(k)
		if o == nil {
			t.Fatalf("before %s: key missing", v)
		}
		d.Overwrite(at, k, []byte(v))
		o = d.Peek(k)
		if o == nil || string(o.Str) != v || o.Enc != StringEncoding([]byte(v)) {
			t.Fatalf("after %s: %+v", v, o)
		}
		if got := d.Expire(k); got != 5_000_000 {
			t.Fatalf("after %s: TTL at %d", v, got)
		}
	}
	if d.Len() != 1 {
		t.Fatalf("%d keys", d.Len())
	}
}
