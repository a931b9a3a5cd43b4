package zset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// model is the obvious sorted-slice implementation the set is checked
// against.
type model []Entry

func (m model) sorted() model {
	out := append(model(nil), m...)
	sort.Slice(out, func(i, j int) bool {
		return out[i].Score < out[j].Score || (out[i].Score == out[j].Score && out[i].Member < out[j].Member)
	})
	return out
}

func (m model) find(member string) int {
	for i, e := range m {
		if e.Member == member {
			return i
		}
	}
	return -1
}

// check compares every query of z with the model.
func check(t *testing.T, z *ZSet, m model, small bool) {
	t.Helper()
	want := m.sorted()
	if z.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", z.Len(), len(want))
	}
	if small && !z.Listpack() {
		t.Fatalf("expected the small encoding")
	}
	for r, e := range want {
		got := z.At(r)
		if got.Member != e.Member || got.Score != e.Score {
			t.Fatalf("At(%d) = %v, want %v", r, got, e)
		}
		rank, score, ok := z.Rank([]byte(e.Member))
		if !ok || rank != r || score != e.Score {
			t.Fatalf("Rank(%q) = %d %v %v, want %d", e.Member, rank, score, ok, r)
		}
		if s, ok := z.Score([]byte(e.Member)); !ok || s != e.Score {
			t.Fatalf("Score(%q) = %v %v", e.Member, s, ok)
		}
	}
	var asc []Entry
	z.Ascend(0, func(e Entry) bool { asc = append(asc, e); return true })
	var desc []Entry
	z.Descend(z.Len()-1, func(e Entry) bool { desc = append(desc, e); return true })
	if len(asc) != len(want) || len(desc) != len(want) {
		t.Fatalf("iteration lengths %d/%d, want %d", len(asc), len(desc), len(want))
	}
	for i := range want {
		if asc[i] != want[i] || desc[len(want)-1-i] != want[i] {
			t.Fatalf("iteration differs at %d", i)
		}
	}
	if !z.Listpack() {
		checkTree(t, z.big.tree)
	}
}

// checkTree verifies the large form's tree: each node's counts and keys
// against the entries below it, the fill of its nodes, and the leaves'
// links against the order.
func checkTree(t *testing.T, tr *btree) {
	t.Helper()
	var leaves []*leaf
	// walk checks the subtree of x (an *inner at height h > 0, else a
	// *leaf) and returns its entry count and first and last entries.
	var walk func(in *inner, lf *leaf, h int, root bool) (int, Entry, Entry)
	walk = func(in *inner, lf *leaf, h int, root bool) (int, Entry, Entry) {
		if h == 0 {
			if !root && lf.n == 0 {
				t.Fatalf("empty leaf")
			}
			for i := 1; i < lf.n; i++ {
				if !before(lf.scores[i-1], lf.members[i-1], lf.scores[i], lf.members[i]) {
					t.Fatalf("leaf out of order at %d", i)
				}
			}
			leaves = append(leaves, lf)
			if lf.n == 0 {
				return 0, Entry{}, Entry{}
			}
			return lf.n, Entry{lf.members[0], lf.scores[0]}, Entry{lf.members[lf.n-1], lf.scores[lf.n-1]}
		}
		if (root && in.n < 2) || (!root && in.n < innerMin) {
			t.Fatalf("inner node of %d children at height %d", in.n, h)
		}
		total := 0
		var first, last Entry
		for i := range in.n {
			n, lo, hi := walk(in.inners[i], in.leaves[i], h-1, false)
			if n != in.counts[i] {
				t.Fatalf("count of child %d at height %d is %d, want %d", i, h, in.counts[i], n)
			}
			if i > 0 && (!before(last.Score, last.Member, in.scores[i], in.members[i]) ||
				before(lo.Score, lo.Member, in.scores[i], in.members[i])) {
				t.Fatalf("key %d at height %d does not separate its children", i, h)
			}
			if i == 0 {
				first = lo
			}
			last = hi
			total += n
		}
		return total, first, last
	}
	n, _, _ := walk(tr.top, tr.lone, tr.height, true)
	if n != tr.n {
		t.Fatalf("tree counts %d entries, has %d", tr.n, n)
	}
	var prev *leaf
	i := 0
	for l := tr.head; l != nil; l = l.next {
		if i >= len(leaves) || leaves[i] != l || l.prev != prev {
			t.Fatalf("leaf list differs from the tree at leaf %d", i)
		}
		prev = l
		i++
	}
	if i != len(leaves) || tr.tail != prev {
		t.Fatalf("leaf list ends at %d of %d leaves", i, len(leaves))
	}
}

func TestRandomOperations(t *testing.T) {
	for _, lim := range []Limits{{MaxEntries: 128, MaxValue: 64}, {MaxEntries: 0, MaxValue: 64}, {MaxEntries: 16, MaxValue: 64}} {
		t.Run(fmt.Sprint(lim.MaxEntries), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(lim.MaxEntries)))
			z := New()
			var m model
			converted := false
			for step := 0; step < 4000; step++ {
				member := fmt.Sprintf("m%d", r.IntN(60))
				score := float64(r.IntN(20)) / 2
				switch op := r.IntN(10); {
				case op < 6:
					added := z.Add([]byte(member), score, lim)
					i := m.find(member)
					if added != (i < 0) {
						t.Fatalf("Add(%q) = %v", member, added)
					}
					if i < 0 {
						m = append(m, Entry{member, score})
					} else {
						m[i].Score = score
					}
				case op < 8:
					removed := z.Remove([]byte(member))
					i := m.find(member)
					if removed != (i >= 0) {
						t.Fatalf("Remove(%q) = %v", member, removed)
					}
					if i >= 0 {
						m = append(m[:i], m[i+1:]...)
					}
				default:
					if z.Len() == 0 {
						continue
					}
					lo := r.IntN(z.Len())
					hi := lo + r.IntN(min(3, z.Len()-lo))
					z.RemoveRanks(lo, hi)
					s := m.sorted()
					m = append(s[:lo:lo], s[hi+1:]...)
				}
				if !z.Listpack() {
					converted = true
				}
				if converted && z.Listpack() {
					t.Fatal("a large set went back to the small encoding")
				}
				check(t, z, m, int64(len(m)) <= lim.MaxEntries && !converted)
			}
		})
	}
}

func TestConversionOnLongMember(t *testing.T) {
	lim := Limits{MaxEntries: 128, MaxValue: 4}
	z := New()
	z.Add([]byte("abcd"), 1, lim)
	if !z.Listpack() {
		t.Fatal("4-byte member left the small encoding")
	}
	z.Add([]byte("abcde"), 2, lim)
	if z.Listpack() {
		t.Fatal("5-byte member kept the small encoding")
	}
	check(t, z, model{{"abcd", 1}, {"abcde", 2}}, false)
}

func TestNegativeZero(t *testing.T) {
	lim := Limits{MaxEntries: 128, MaxValue: 64}
	negZero := math.Copysign(0, -1)
	small := New()
	small.Add([]byte("a"), negZero, lim)
	if s, _ := small.Score([]byte("a")); math.Signbit(s) {
		t.Fatal("the small encoding kept -0")
	}
	large := New()
	large.Add([]byte("a"), negZero, Limits{MaxEntries: 0, MaxValue: 64})
	if s, _ := large.Score([]byte("a")); !math.Signbit(s) {
		t.Fatal("the large encoding lost -0")
	}
	// 0 and -0 are equal: updating one to the other changes nothing.
	large.Add([]byte("a"), 0, Limits{})
	if s, _ := large.Score([]byte("a")); !math.Signbit(s) {
		t.Fatal("an equal score replaced -0")
	}
}

func TestCountBefore(t *testing.T) {
	for _, lim := range []Limits{{128, 64}, {0, 64}} {
		z := New()
		for i := 0; i < 50; i++ {
			z.Add([]byte(fmt.Sprintf("m%02d", i)), float64(i/5), lim)
		}
		for s := -1.0; s <= 11; s += 0.5 {
			want := 0
			for i := 0; i < 50; i++ {
				if float64(i/5) < s {
					want++
				}
			}
			if got := z.CountBefore(func(e Entry) bool { return e.Score < s }); got != want {
				t.Fatalf("listpack=%v: CountBefore(score < %v) = %d, want %d", z.Listpack(), s, got, want)
			}
		}
		if got := z.CountBefore(func(e Entry) bool { return e.Score < 3 || e.Score == 3 && e.Member < "m17" }); got != 17 {
			t.Fatalf("CountBefore by member = %d, want 17", got)
		}
	}
}

func TestCloneIsIndependent(t *testing.T) {
	for _, lim := range []Limits{{128, 64}, {0, 64}} {
		z := New()
		var m model
		for i := 0; i < 40; i++ {
			z.Add([]byte(fmt.Sprint(i)), float64(i%7), lim)
			m = append(m, Entry{fmt.Sprint(i), float64(i % 7)})
		}
		c := z.Clone().(*ZSet)
		if c.Listpack() != z.Listpack() {
			t.Fatal("Clone changed the encoding")
		}
		c.Add([]byte("new"), 1, lim)
		c.Remove([]byte("3"))
		z.Add([]byte("0"), 100, lim)
		m[0].Score = 100
		check(t, z, m, lim.MaxEntries > 0)
		if c.Len() != 40 {
			t.Fatalf("clone Len = %d", c.Len())
		}
		if s, _ := c.Score([]byte("0")); s != 0 {
			t.Fatal("clone saw the original's change")
		}
	}
}

func TestBuild(t *testing.T) {
	entries := []Entry{{"b", 2}, {"a", 2}, {"c", math.Copysign(0, -1)}}
	z := Build(append([]Entry(nil), entries...), Limits{128, 64})
	if !z.Listpack() {
		t.Fatal("a small result was not built small")
	}
	check(t, z, model{{"b", 2}, {"a", 2}, {"c", 0}}, true)
	z = Build(append([]Entry(nil), entries...), Limits{2, 64})
	if z.Listpack() {
		t.Fatal("a result over the entry limit was built small")
	}
	if s, _ := z.Score([]byte("c")); !math.Signbit(s) {
		t.Fatal("the large encoding lost -0")
	}
	z = Build([]Entry{{"long", 1}}, Limits{128, 3})
	if z.Listpack() {
		t.Fatal("a result with a long member was built small")
	}
}

func TestScan(t *testing.T) {
	z := New()
	lim := Limits{0, 64}
	want := map[string]bool{}
	for i := 0; i < 500; i++ {
		k := fmt.Sprint("k", i)
		z.Add([]byte(k), float64(i), lim)
		want[k] = true
	}
	seen := map[string]bool{}
	cursor := uint64(0)
	for {
		cursor = z.Scan(cursor, func(e Entry) { seen[e.Member] = true })
		if cursor == 0 {
			break
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("scan saw %d members, want %d", len(seen), len(want))
	}
	small := New()
	small.Add([]byte("x"), 1, Limits{128, 64})
	n := 0
	if c := small.Scan(7, func(Entry) { n++ }); c != 0 || n != 1 {
		t.Fatalf("small scan returned cursor %d after %d entries", c, n)
	}
}

// TestSetScore moves members of a large set by small steps (often
// keeping their place, where only the score changes) and by large ones,
// with ties broken by member, and checks the set against the model.
func TestSetScore(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	lim := Limits{MaxEntries: 128, MaxValue: 64}
	z := New()
	var m model
	for i := 0; i < 500; i++ {
		member := fmt.Sprintf("m%03d", i)
		z.Add([]byte(member), float64(i), lim)
		m = append(m, Entry{member, float64(i)})
	}
	for step := 0; step < 3000; step++ {
		i := r.IntN(len(m))
		ref, cur, ok := z.Find([]byte(m[i].Member))
		if !ok || cur != m[i].Score {
			t.Fatalf("Find(%q) = %v %v, want %v", m[i].Member, cur, ok, m[i].Score)
		}
		var s float64
		switch r.IntN(3) {
		case 0:
			s = cur + (r.Float64()-0.5)/1000 // usually stays in place
		case 1:
			s = float64(r.IntN(500)) // ties with another member's score
		default:
			s = r.Float64()*1000 - 250
		}
		z.SetScore(ref, s)
		m[i].Score = s
		if step%500 == 0 {
			check(t, z, m, false)
		}
	}
	check(t, z, m, false)
}

// TestSetScoreAllocs pins score updates of a large set at no allocation.
func TestSetScoreAllocs(t *testing.T) {
	z := New()
	members := make([][]byte, 1000)
	for i := range members {
		members[i] = []byte(fmt.Sprintf("member:%d", i))
		z.Add(members[i], float64(i), Limits{MaxEntries: 128, MaxValue: 64})
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		ref, _, _ := z.Find(members[i*7919%len(members)])
		z.SetScore(ref, float64(i*104729%100000))
	})
	if allocs != 0 {
		t.Errorf("%v allocations per score update, want 0", allocs)
	}
}

// TestTreeOperations drives a large set through every operation that
// changes its tree, with scores drawn from a handful of values (so most
// comparisons are ties broken by member, and -0 meets 0) and small nudges
// that keep a member in its leaf, and checks the tree after every step
// and the order and ranks against the model every 100. The set grows to
// thousands of entries, so nodes split, lend and merge on two levels.
func TestTreeOperations(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	lim := Limits{MaxEntries: 0, MaxValue: 64}
	scores := []float64{-1, math.Copysign(0, -1), 0, 0.5, 1, 2}
	z := New()
	var m model
	heights := map[int]bool{}
	const steps = 12000
	for step := 0; step < steps; step++ {
		member := fmt.Sprintf("m%04d", r.IntN(8000))
		score := scores[r.IntN(len(scores))]
		op := r.IntN(20)
		// The first two thirds grow the set to a tree of three
		// levels, the last third shrinks it back to one leaf.
		shrink := step >= steps*2/3
		switch {
		case shrink && op < 8:
			op = 14 + op%4
		case !shrink && op >= 16:
			op %= 8
		}
		switch {
		case op < 8:
			added := z.Add([]byte(member), score, lim)
			if i := m.find(member); i < 0 {
				m = append(m, Entry{member, score})
			} else if added {
				t.Fatalf("Add(%q) added a present member", member)
			} else if score != m[i].Score {
				m[i].Score = score
			}
		case op < 14:
			ref, cur, ok := z.Find([]byte(member))
			if !ok {
				continue
			}
			if op < 11 {
				// A nudge far smaller than the gaps between scores
				// keeps the member's place.
				score = cur + (r.Float64()-0.5)/1e6
			}
			z.SetScore(ref, score)
			if i := m.find(member); score != m[i].Score {
				m[i].Score = score
			}
		case op < 18:
			z.Remove([]byte(member))
			if i := m.find(member); i >= 0 {
				m = append(m[:i], m[i+1:]...)
			}
		default:
			if z.Len() == 0 {
				continue
			}
			span := 4
			if shrink {
				span = 40
			}
			lo := r.IntN(z.Len())
			hi := lo + r.IntN(min(span, z.Len()-lo))
			z.RemoveRanks(lo, hi)
			s := m.sorted()
			m = append(s[:lo:lo], s[hi+1:]...)
		}
		checkTree(t, z.big.tree)
		heights[z.big.tree.height] = true
		if step%100 == 0 {
			check(t, z, m, false)
		}
	}
	check(t, z, m, false)
	if !heights[2] || z.big.tree.height != 0 {
		t.Errorf("the tree reached heights %v and ended at %d, want 2 and 0", heights, z.big.tree.height)
	}
}

// TestSortedLoadFillsLeaves: entries added in ascending or descending
// order (loading, COPY, a store command's result) fill their leaves
// instead of leaving each split leaf half empty.
func TestSortedLoadFillsLeaves(t *testing.T) {
	const n = 10_000
	lim := Limits{MaxEntries: 0, MaxValue: 64}
	for _, desc := range []bool{false, true} {
		z := New()
		for i := range n {
			if desc {
				i = n - 1 - i
			}
			z.Add(fmt.Appendf(nil, "m%05d", i), float64(i), lim)
		}
		checkTree(t, z.big.tree)
		leaves := 0
		for l := z.big.tree.head; l != nil; l = l.next {
			leaves++
		}
		if want := n/leafMax + 1; leaves > want {
			t.Errorf("descending %v: %d leaves for %d entries, want at most %d", desc, leaves, n, want)
		}
	}
}
