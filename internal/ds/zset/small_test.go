package zset

import (
	"math"
	"strings"
	"testing"
)

// TestScoreCoding round-trips scores through the small form's encoding,
// at the edges of its integer range and with floats that are not whole.
func TestScoreCoding(t *testing.T) {
	scores := []float64{0, 1, -1, 63, -64, 64, 1 << 20, -(1 << 20), 200000,
		maxExactInt - 1, -(maxExactInt - 1), maxExactInt, -maxExactInt, 1 << 60,
		math.MaxInt64, math.MinInt64, 0.5, -0.1, 1e300, -1e-300, math.SmallestNonzeroFloat64,
		math.MaxFloat64, math.Inf(1), math.Inf(-1)}
	for _, s := range scores {
		b := appendScore([]byte{0xff}, s)
		if len(b)-1 != scoreSize(s) {
			t.Errorf("score %v: %d bytes written, scoreSize says %d", s, len(b)-1, scoreSize(s))
		}
		got, next := readScore(b, 1)
		if got != s || math.Signbit(got) != math.Signbit(s) {
			t.Errorf("score %v read back as %v", s, got)
		}
		if next != len(b) || skipScore(b, 1) != len(b) {
			t.Errorf("score %v: read ends at %d, skip at %d, want %d", s, next, skipScore(b, 1), len(b))
		}
	}
	// -0 is a whole number: the small form keeps it as the integer 0.
	got, _ := readScore(appendScore(nil, math.Copysign(0, -1)), 0)
	if got != 0 || math.Signbit(got) {
		t.Errorf("-0 read back as %v (sign bit %v), want 0", got, math.Signbit(got))
	}
}

// TestSmallLongMembers covers members whose length prefix takes two
// bytes and members past SetScore's stack buffer, in order and after
// score changes.
func TestSmallLongMembers(t *testing.T) {
	lim := Limits{MaxEntries: 128, MaxValue: 1000}
	z := New()
	long := strings.Repeat("x", 300)
	mid := strings.Repeat("y", 70)
	z.Add([]byte(long), 2.5, lim)
	z.Add([]byte(mid), 1, lim)
	z.Add([]byte("a"), 3, lim)
	if !z.Listpack() || z.Len() != 3 {
		t.Fatalf("Listpack %v, Len %d; want a small set of 3", z.Listpack(), z.Len())
	}
	r, _, ok := z.Find([]byte(mid))
	if !ok {
		t.Fatal("mid member missing")
	}
	z.SetScore(r, 10)
	r, _, _ = z.Find([]byte(long))
	z.SetScore(r, -1e10)
	var got []Entry
	z.Ascend(0, func(e Entry) bool {
		got = append(got, Entry{strings.Clone(e.Member), e.Score})
		return true
	})
	want := []Entry{{long, -1e10}, {"a", 3}, {mid, 10}}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %.20q/%v, want %.20q/%v", i, got[i].Member, got[i].Score, want[i].Member, want[i].Score)
		}
	}
	if rk, s, ok := z.Rank([]byte(mid)); !ok || rk != 2 || s != 10 {
		t.Errorf("Rank(mid) = %d, %v, %v; want 2, 10, true", rk, s, ok)
	}
}

// TestBuildCopiesMembers checks that a large set built from entries that
// alias a small set's buffer does not change when the small set does.
func TestBuildCopiesMembers(t *testing.T) {
	lim := Limits{MaxEntries: 128, MaxValue: 64}
	src := New()
	src.Add([]byte("aaa"), 1, lim)
	src.Add([]byte("bbb"), 2, lim)
	var entries []Entry
	src.Ascend(0, func(e Entry) bool { entries = append(entries, e); return true })
	dst := Build(entries, Limits{MaxEntries: 1, MaxValue: 64})
	if dst.Listpack() {
		t.Fatal("Build kept the small form past MaxEntries")
	}
	src.Remove([]byte("aaa"))
	src.Add([]byte("ccc"), 0, lim)
	if _, ok := dst.Score([]byte("aaa")); !ok {
		t.Error("built set lost aaa after the source changed")
	}
	if _, ok := dst.Score([]byte("bbb")); !ok {
		t.Error("built set lost bbb after the source changed")
	}
}

// TestDraw checks that Draw returns members of the set, with scores, in
// both encodings, and reaches every member of a small set.
func TestDraw(t *testing.T) {
	for _, lim := range []Limits{{128, 64}, {0, 64}} {
		z := New()
		for i := range 10 {
			z.Add([]byte{'a' + byte(i)}, float64(i)+0.5, lim)
		}
		seen := map[string]bool{}
		n := 0
		z.Draw(2000, func(e Entry) {
			n++
			if s, ok := z.Score([]byte(e.Member)); !ok || s != e.Score {
				t.Fatalf("listpack %v: drew %q/%v, set has %v (present %v)", z.Listpack(), e.Member, e.Score, s, ok)
			}
			seen[e.Member] = true
		})
		if n != 2000 || len(seen) != 10 {
			t.Errorf("listpack %v: %d draws reaching %d members, want 2000 reaching 10", z.Listpack(), n, len(seen))
		}
	}
}

// TestSmallAllocations pins the point of the small form: a 10-member set
// built by a bulk ZADD is two allocations (the set and its buffer), not
// one or more per member.
func TestSmallAllocations(t *testing.T) {
	lim := Limits{MaxEntries: 128, MaxValue: 64}
	var pairs [][]byte
	var scores []float64
	for i := range 10 {
		pairs = append(pairs, []byte("1"), []byte("member:0000000"+string(rune('0'+i))))
		scores = append(scores, float64(200000+i))
	}
	var z *ZSet
	allocs := testing.AllocsPerRun(100, func() {
		z = New()
		z.Reserve(pairs, scores, lim)
		for j, s := range scores {
			z.Add(pairs[2*j+1], s, lim)
		}
		if z.Len() != 10 || !z.Listpack() {
			t.Fatalf("Len %d, Listpack %v; want a small set of 10", z.Len(), z.Listpack())
		}
	})
	if allocs != 2 {
		t.Errorf("%v allocations for a 10-member small set, want 2", allocs)
	}
}

// TestSmallCountPastHeader lowers the header's capacity so a small set
// holds more entries than its count field can, and checks that lengths,
// ranks and removals stay right as the count crosses it both ways.
func TestSmallCountPastHeader(t *testing.T) {
	defer func(c int) { smallCountCap = c }(smallCountCap)
	smallCountCap = 5
	lim := Limits{MaxEntries: 128, MaxValue: 64}
	z := New()
	for i := range 8 {
		z.Add([]byte{'a' + byte(i)}, float64(i), lim)
		if z.Len() != i+1 {
			t.Fatalf("Len = %d after %d adds", z.Len(), i+1)
		}
	}
	if r, _, ok := z.Rank([]byte("h")); !ok || r != 7 {
		t.Errorf("Rank(h) = %d, %v; want 7", r, ok)
	}
	for i := 7; i >= 0; i-- {
		if !z.Remove([]byte{'a' + byte(i)}) || z.Len() != i {
			t.Fatalf("after removing entry %d: Len = %d, want %d", i, z.Len(), i)
		}
	}
	z.Add([]byte("x"), 1, lim)
	z.Add([]byte("y"), 2, lim)
	if z.Len() != 2 {
		t.Errorf("Len = %d, want 2", z.Len())
	}
}
