package list

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// check verifies the structure's invariants and that it holds want.
func check(t *testing.T, l *List, want [][]byte) {
	t.Helper()
	if l.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", l.Len(), len(want))
	}
	total := 0
	for k, nd := range l.nodes {
		if nd.plain() {
			if !l.large(len(nd.data)) {
				t.Fatalf("node %d is plain but holds a small element of %d bytes", k, len(nd.data))
			}
		} else {
			if len(nd.ends) == 0 {
				t.Fatalf("node %d is empty", k)
			}
			if nd.size() > l.budget() {
				t.Fatalf("node %d weighs %d, over the budget %d", k, nd.size(), l.budget())
			}
			if l.fill >= 0 && nd.count() > max(l.fill, 1) {
				t.Fatalf("node %d holds %d elements, fill %d", k, nd.count(), l.fill)
			}
			if int(nd.ends[len(nd.ends)-1]) != len(nd.data) {
				t.Fatalf("node %d: last end %d, data %d", k, nd.ends[len(nd.ends)-1], len(nd.data))
			}
			if nd.base != nil && &nd.ends[0] != &nd.base[nd.room] {
				t.Fatalf("node %d: offsets not at room %d of their array", k, nd.room)
			}
		}
		total += nd.count()
	}
	if total != l.Len() {
		t.Fatalf("nodes hold %d elements, Len says %d", total, l.Len())
	}
	it := l.Iter(0, false)
	for i, w := range want {
		v, ok := it.Next()
		if !ok || !bytes.Equal(v, w) {
			t.Fatalf("element %d = %q (%v), want %q", i, v, ok, w)
		}
	}
	if v, ok := it.Next(); ok {
		t.Fatalf("iterator yields %q past the end", v)
	}
	rit := l.Iter(len(want)-1, true)
	for i := len(want) - 1; i >= 0; i-- {
		v, ok := rit.Next()
		if !ok || !bytes.Equal(v, want[i]) {
			t.Fatalf("reverse element %d = %q (%v), want %q", i, v, ok, want[i])
		}
	}
	if _, ok := rit.Next(); ok {
		t.Fatal("reverse iterator yields past the front")
	}
}

func elems(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func TestPushPopBothEnds(t *testing.T) {
	l := New(-2)
	l.PushBack([]byte("b"))
	l.PushFront([]byte("a"))
	l.PushBack([]byte("c"))
	check(t, l, elems("a", "b", "c"))
	if got := string(l.PopFront()); got != "a" {
		t.Fatalf("PopFront = %q", got)
	}
	if got := string(l.PopBack()); got != "c" {
		t.Fatalf("PopBack = %q", got)
	}
	check(t, l, elems("b"))
	l.PopBack()
	check(t, l, nil)
	if l.Nodes() != 0 {
		t.Fatalf("an empty list keeps %d nodes", l.Nodes())
	}
}

func TestPushCopiesTheValue(t *testing.T) {
	l := New(-2)
	v := []byte("abc")
	l.PushBack(v)
	l.PushFront(v)
	l.Insert(1, v)
	l.Set(0, v)
	v[0] = 'X'
	check(t, l, elems("abc", "abc", "abc"))
}

func TestPoppedValueIsOwned(t *testing.T) {
	l := New(-2)
	for _, s := range []string{"one", "two", "three"} {
		l.PushBack([]byte(s))
	}
	a := l.PopFront()
	l.PushFront([]byte("zzz"))
	if string(a) != "one" {
		t.Fatalf("popped value changed to %q after a push", a)
	}
}

func TestIndexAndSet(t *testing.T) {
	l := New(4) // four elements per node: many nodes
	var want [][]byte
	for i := range 50 {
		v := []byte(fmt.Sprint(i))
		l.PushBack(v)
		want = append(want, v)
	}
	if l.Nodes() < 13 {
		t.Fatalf("fill 4 gives %d nodes for 50 elements", l.Nodes())
	}
	for i := range 50 {
		if got := string(l.Index(i)); got != fmt.Sprint(i) {
			t.Fatalf("Index(%d) = %q", i, got)
		}
	}
	l.Set(0, []byte("first"))
	l.Set(49, []byte("last"))
	l.Set(25, []byte(strings.Repeat("m", 100)))
	want[0], want[49], want[25] = []byte("first"), []byte("last"), []byte(strings.Repeat("m", 100))
	check(t, l, want)
	if string(l.Front()) != "first" || string(l.Back()) != "last" {
		t.Fatalf("Front %q Back %q", l.Front(), l.Back())
	}
}

func TestNodesFollowTheFill(t *testing.T) {
	for _, tc := range []struct {
		fill, budget int
	}{{-1, 4096}, {-2, 8192}, {-3, 16384}, {-4, 32768}, {-5, 65536}, {-9, 65536}} {
		l := New(tc.fill)
		v := bytes.Repeat([]byte("x"), 96) // 100 bytes with its overhead
		for range 2000 {
			l.PushBack(v)
		}
		perNode := tc.budget / 100
		if want := (2000 + perNode - 1) / perNode; l.Nodes() != want {
			t.Errorf("fill %d: %d nodes, want %d", tc.fill, l.Nodes(), want)
		}
	}
	// A count fill also keeps nodes under 8 KiB.
	l := New(1000)
	for range 1000 {
		l.PushBack(bytes.Repeat([]byte("y"), 96))
	}
	if l.Nodes() != 13 {
		t.Errorf("fill 1000 with 100-byte elements: %d nodes, want 13", l.Nodes())
	}
	// Fill 0: a node per element.
	l = New(0)
	for range 10 {
		l.PushFront([]byte("z"))
	}
	if l.Nodes() != 10 {
		t.Errorf("fill 0: %d nodes for 10 elements", l.Nodes())
	}
}

func TestLargeElementsGetPlainNodes(t *testing.T) {
	l := New(-1)
	big := bytes.Repeat([]byte("B"), 5000)
	l.PushBack([]byte("a"))
	l.PushBack(big)
	l.PushBack([]byte("b"))
	l.PushFront(big)
	if l.Nodes() != 4 {
		t.Fatalf("%d nodes, want 4 (a, big, b each apart, big in front)", l.Nodes())
	}
	if !l.nodes[0].plain() || l.nodes[1].plain() || !l.nodes[2].plain() {
		t.Fatal("the big elements are not in plain nodes")
	}
	l.Insert(2, big)
	l.Set(1, big)
	l.Set(0, []byte("small"))
	check(t, l, [][]byte{[]byte("small"), big, big, big, []byte("b")})
	if n := l.Remove(big, 0, false); n != 3 {
		t.Fatalf("Remove big = %d", n)
	}
	check(t, l, elems("small", "b"))
	if l.Nodes() != 1 {
		t.Fatalf("small neighbours left in %d nodes, want them merged", l.Nodes())
	}
}

func TestInsertSplitsFullNodes(t *testing.T) {
	l := New(4)
	var want [][]byte
	for i := range 8 {
		l.PushBack([]byte{byte('a' + i)})
		want = append(want, []byte{byte('a' + i)})
	}
	l.Insert(2, []byte("X")) // into a full node: split
	want = slices.Insert(want, 2, []byte("X"))
	check(t, l, want)
	l.Insert(4, []byte("Y")) // at a node boundary
	want = slices.Insert(want, 4, []byte("Y"))
	check(t, l, want)
	l.Insert(l.Len(), []byte("Z"))
	want = append(want, []byte("Z"))
	check(t, l, want)
}

func TestDeleteRangeAndMerge(t *testing.T) {
	l := New(4)
	var want [][]byte
	for i := range 40 {
		v := []byte(fmt.Sprint(i))
		l.PushBack(v)
		want = append(want, v)
	}
	l.DeleteRange(3, 30) // across many nodes
	want = slices.Delete(want, 3, 33)
	check(t, l, want)
	if l.Nodes() != 3 {
		t.Fatalf("%d nodes after the cut, want 3 (0 1 2 | 33 34 35 | 36..39 merged where they fit)", l.Nodes())
	}
	l.DeleteRange(0, l.Len())
	check(t, l, nil)
}

func TestRemove(t *testing.T) {
	for _, fill := range []int{-2, 3, 1} {
		mk := func() *List {
			l := New(fill)
			for _, s := range strings.Split("a b a c a d a", " ") {
				l.PushBack([]byte(s))
			}
			return l
		}
		for _, tc := range []struct {
			max      int
			fromTail bool
			n        int
			want     string
		}{
			{0, false, 4, "b c d"},
			{2, false, 2, "b c a d a"},
			{2, true, 2, "a b a c d"},
			{1, true, 1, "a b a c a d"},
			{9, true, 4, "b c d"},
		} {
			l := mk()
			if n := l.Remove([]byte("a"), tc.max, tc.fromTail); n != tc.n {
				t.Errorf("fill %d Remove(a, %d, %v) = %d, want %d", fill, tc.max, tc.fromTail, n, tc.n)
			}
			check(t, l, elems(strings.Split(tc.want, " ")...))
			if n := l.Remove([]byte("nope"), 0, false); n != 0 {
				t.Errorf("removing a missing value removed %d", n)
			}
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	l := New(2)
	for _, s := range []string{"a", "b", "c", strings.Repeat("x", 9000)} {
		l.PushBack([]byte(s))
	}
	c := l.Clone().(*List)
	c.Set(0, []byte("A"))
	c.PopBack()
	c.PushBack([]byte("new"))
	check(t, l, elems("a", "b", "c", strings.Repeat("x", 9000)))
	check(t, c, elems("A", "b", "c", "new"))
}

func TestIterFromTheMiddle(t *testing.T) {
	l := New(3)
	for i := range 10 {
		l.PushBack([]byte{byte('0' + i)})
	}
	var got []byte
	it := l.Iter(4, false)
	for v, ok := it.Next(); ok; v, ok = it.Next() {
		got = append(got, v...)
	}
	if string(got) != "456789" {
		t.Fatalf("forward from 4: %q", got)
	}
	got = got[:0]
	it = l.Iter(4, true)
	for v, ok := it.Next(); ok; v, ok = it.Next() {
		got = append(got, v...)
	}
	if string(got) != "43210" {
		t.Fatalf("backward from 4: %q", got)
	}
	for _, i := range []int{-1, 10} {
		it := l.Iter(i, false)
		if _, ok := it.Next(); ok {
			t.Fatalf("Iter(%d) yields", i)
		}
	}
}

// TestRandomOps compares the list with a slice under a random mix of
// every operation, for several fills, checking invariants as it goes.
func TestRandomOps(t *testing.T) {
	for _, fill := range []int{-1, -2, 0, 1, 5, 128} {
		t.Run(fmt.Sprint(fill), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(fill+10), 7))
			l := New(fill)
			var want [][]byte
			val := func() []byte {
				switch r.IntN(10) {
				case 0:
					return bytes.Repeat([]byte{byte('a' + r.IntN(3))}, 3000+r.IntN(6000))
				case 1:
					return nil
				}
				return []byte(fmt.Sprint(r.IntN(20)))
			}
			for step := range 6000 {
				switch op := r.IntN(9); {
				case op == 0:
					v := val()
					l.PushFront(v)
					want = slices.Insert(want, 0, v)
				case op == 1:
					v := val()
					l.PushBack(v)
					want = append(want, v)
				case op == 2 && len(want) > 0:
					if got := l.PopFront(); !bytes.Equal(got, want[0]) {
						t.Fatalf("step %d PopFront %q want %q", step, got, want[0])
					}
					want = want[1:]
				case op == 3 && len(want) > 0:
					if got := l.PopBack(); !bytes.Equal(got, want[len(want)-1]) {
						t.Fatalf("step %d PopBack %q", step, got)
					}
					want = want[:len(want)-1]
				case op == 4:
					i := r.IntN(len(want) + 1)
					v := val()
					l.Insert(i, v)
					want = slices.Insert(want, i, v)
				case op == 5 && len(want) > 0:
					i := r.IntN(len(want))
					v := val()
					l.Set(i, v)
					want[i] = v
				case op == 6 && len(want) > 0:
					i := r.IntN(len(want))
					n := r.IntN(len(want) - i + 1)
					if r.IntN(4) > 0 {
						n = min(n, 3)
					}
					l.DeleteRange(i, n)
					want = slices.Delete(want, i, i+n)
				case op == 7:
					v := []byte(fmt.Sprint(r.IntN(20)))
					max, fromTail := r.IntN(4), r.IntN(2) == 0
					got := l.Remove(v, max, fromTail)
					n := 0
					if fromTail {
						for i := len(want) - 1; i >= 0 && (max == 0 || n < max); i-- {
							if bytes.Equal(want[i], v) {
								want = slices.Delete(want, i, i+1)
								n++
							}
						}
					} else {
						for i := 0; i < len(want) && (max == 0 || n < max); {
							if bytes.Equal(want[i], v) {
								want = slices.Delete(want, i, i+1)
								n++
							} else {
								i++
							}
						}
					}
					if got != n {
						t.Fatalf("step %d Remove = %d, want %d", step, got, n)
					}
				case op == 8 && len(want) > 0:
					i := r.IntN(len(want))
					if got := l.Index(i); !bytes.Equal(got, want[i]) {
						t.Fatalf("step %d Index(%d) = %q", step, i, got)
					}
				}
				if step%50 == 0 {
					check(t, l, want)
				}
			}
			check(t, l, want)
		})
	}
}

// TestMillionElementsFewObjects shows the point of the chunked layout:
// a million small elements live in about a thousand nodes.
func TestMillionElementsFewObjects(t *testing.T) {
	l := New(-2)
	for i := range 1_000_000 {
		l.PushBack([]byte(fmt.Sprint(i)))
	}
	if l.Nodes() > 1500 {
		t.Fatalf("1e6 elements take %d nodes", l.Nodes())
	}
	if got := string(l.Index(765_432)); got != "765432" {
		t.Fatalf("Index(765432) = %q", got)
	}
}

func BenchmarkPushPop(b *testing.B) {
	l := New(-2)
	v := []byte("some-value-16byt")
	for range 10000 {
		l.PushBack(v)
	}
	b.ReportAllocs()
	for b.Loop() {
		l.PushFront(v)
		l.DeleteRange(l.Len()-1, 1)
	}
}

// BenchmarkPushFront pushes small values at the front of a list, as
// redis-benchmark's LPUSH does: full nodes of a thousand elements, each
// push adding an offset before the others.
func BenchmarkPushFront(b *testing.B) {
	l := New(-2)
	v := []byte("xxx")
	b.ReportAllocs()
	for b.Loop() {
		l.PushFront(v)
	}
}

// TestQueueKeepsNodesSmall runs a list as a queue (push at the back, pop
// at the front, and the reverse) so a node's front room keeps moving:
// its buffer must stay within a small multiple of the node budget.
func TestQueueKeepsNodesSmall(t *testing.T) {
	for _, frontPush := range []bool{false, true} {
		l := New(-2)
		v := []byte("queued-element")
		for range 20 {
			l.PushBack(v)
		}
		for range 200_000 {
			if frontPush {
				l.PushFront(v)
				l.PopBack()
			} else {
				l.PushBack(v)
				l.PopFront()
			}
		}
		if l.Len() != 20 {
			t.Fatalf("Len = %d", l.Len())
		}
		for k, nd := range l.nodes {
			if cap(nd.data) > 2*l.budget() {
				t.Fatalf("frontPush=%v: node %d holds %d live bytes in a buffer of %d", frontPush, k, nd.live(), cap(nd.data))
			}
		}
	}
}
