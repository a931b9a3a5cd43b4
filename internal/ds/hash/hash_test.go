package hash

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

var defaults = Limits{MaxEntries: 512, MaxValue: 64}

// check compares h with a model map, and while h is a listpack also the
// insertion order kept in order.
func check(t *testing.T, h *Hash, model map[string]string, order []string) {
	t.Helper()
	if h.Len() != len(model) {
		t.Fatalf("Len = %d, want %d", h.Len(), len(model))
	}
	var seen []string
	h.Range(func(f, v []byte) bool {
		if want, ok := model[string(f)]; !ok || want != string(v) {
			t.Fatalf("Range gave %q=%q, model has %q (present %v)", f, v, want, ok)
		}
		seen = append(seen, string(f))
		return true
	})
	if len(seen) != len(model) {
		t.Fatalf("Range visited %d fields, want %d", len(seen), len(model))
	}
	if h.Listpack() && strings.Join(seen, ",") != strings.Join(order, ",") {
		t.Fatalf("listpack order %v, want insertion order %v", seen, order)
	}
	for f, v := range model {
		got, ok := h.Get([]byte(f))
		if !ok || string(got) != v {
			t.Fatalf("Get(%q) = %q, %v; want %q", f, got, ok, v)
		}
	}
}

// TestModel drives a hash with random sets and deletes through every
// form (listpack, packed hashtable, dict) and checks it against a map.
func TestModel(t *testing.T) {
	for _, lim := range []Limits{defaults, {MaxEntries: 8, MaxValue: 64}, {MaxEntries: 1000, MaxValue: 3}, {MaxEntries: 0, MaxValue: 0}} {
		t.Run(fmt.Sprint(lim), func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, uint64(lim.MaxEntries)))
			h := New()
			model := map[string]string{}
			var order []string
			wasListpack := true
			for step := 0; step < 3000; step++ {
				f := fmt.Sprint("f", r.IntN(300))
				if r.IntN(3) == 0 {
					if h.Delete([]byte(f)) != hasKey(model, f) {
						t.Fatalf("Delete(%q) result disagrees with the model", f)
					}
					delete(model, f)
					order = remove(order, f)
				} else {
					v := strings.Repeat("v", r.IntN(5))
					if r.IntN(50) == 0 {
						v = strings.Repeat("w", 70)
					}
					_, existed := model[f]
					if added := h.Set([]byte(f), []byte(v), lim); added == existed {
						t.Fatalf("Set(%q) added = %v, but existed = %v", f, added, existed)
					}
					if !existed {
						order = append(order, f)
					}
					model[f] = v
					if h.Listpack() && (int64(len(v)) > lim.MaxValue || int64(len(model)) > lim.MaxEntries) {
						t.Fatalf("still a listpack after a %d-byte value with %d fields", len(v), len(model))
					}
				}
				if h.Listpack() && !wasListpack {
					t.Fatal("converted back to a listpack")
				}
				wasListpack = h.Listpack()
				check(t, h, model, order)
			}
		})
	}
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func remove(s []string, x string) []string {
	for i, e := range s {
		if e == x {
			return append(s[:i], s[i+1:]...)
		}
	}
	return s
}

func TestConversionPoints(t *testing.T) {
	lim := Limits{MaxEntries: 3, MaxValue: 5}
	h := New()
	for i := 0; i < 3; i++ {
		h.Set([]byte{byte('a' + i)}, []byte("12345"), lim)
	}
	if !h.Listpack() {
		t.Fatal("3 fields of 5 bytes should stay a listpack")
	}
	h.Set([]byte("d"), []byte("x"), lim)
	if h.Listpack() {
		t.Fatal("a 4th field should convert")
	}
	h = New()
	h.Set([]byte("123456"), []byte("x"), lim)
	if h.Listpack() {
		t.Fatal("a 6-byte field should convert")
	}
	// A lowered limit takes effect on an update, not only an insertion.
	h = New()
	h.Set([]byte("a"), []byte("1"), defaults)
	h.Set([]byte("b"), []byte("1"), defaults)
	h.Set([]byte("a"), []byte("2"), Limits{MaxEntries: 1, MaxValue: 64})
	if h.Listpack() {
		t.Fatal("update with a lowered entry limit should convert")
	}
	// Big hashtable hashes leave the packed form for a dict.
	for i := 0; i < compactMax+1; i++ {
		h.Set([]byte(fmt.Sprint(i)), []byte("v"), defaults)
	}
	if h.d == nil {
		t.Fatalf("%d fields should be in a dict", h.Len())
	}
}

func TestCloneIsDeep(t *testing.T) {
	for _, n := range []int{3, 1000} {
		h := New()
		for i := 0; i < n; i++ {
			h.Set([]byte(fmt.Sprint("f", i)), []byte("v"), defaults)
		}
		c := h.Clone().(*Hash)
		c.Set([]byte("f0"), []byte("changed"), defaults)
		c.Delete([]byte("f1"))
		if v, _ := h.Get([]byte("f0")); string(v) != "v" {
			t.Errorf("n=%d: clone's change leaked: f0 = %q", n, v)
		}
		if !h.Has([]byte("f1")) || h.Len() != n {
			t.Errorf("n=%d: clone's delete leaked", n)
		}
	}
}

// TestSample checks distinctness, membership and counts for every form.
func TestSample(t *testing.T) {
	for _, n := range []int{1, 5, 100, 1000} {
		h := New()
		for i := 0; i < n; i++ {
			h.Set([]byte(fmt.Sprint("f", i)), []byte(fmt.Sprint("v", i)), defaults)
		}
		for _, count := range []int{1, n / 2, n - 1, n * 3} {
			for _, distinct := range []bool{true, false} {
				if distinct && count >= n {
					continue
				}
				seen := map[string]bool{}
				got := 0
				h.Sample(count, distinct, func(f, v []byte) {
					got++
					if "v"+string(f[1:]) != string(v) {
						t.Fatalf("pair %q=%q does not belong together", f, v)
					}
					if distinct && seen[string(f)] {
						t.Fatalf("n=%d count=%d: %q twice", n, count, f)
					}
					seen[string(f)] = true
				})
				if got != count {
					t.Fatalf("n=%d count=%d distinct=%v: got %d", n, count, distinct, got)
				}
			}
		}
		f, v := h.Random()
		if got, _ := h.Get(f); string(got) != string(v) {
			t.Fatalf("Random gave %q=%q", f, v)
		}
	}
}

// TestScanUnderChange scans a dict-form hash while adding and deleting
// fields: every field present for the whole scan must be returned.
func TestScanUnderChange(t *testing.T) {
	h := New()
	for i := 0; i < 2000; i++ {
		h.Set([]byte(fmt.Sprint("keep", i)), []byte("v"), defaults)
	}
	got := map[string]bool{}
	cursor := uint64(0)
	step := 0
	for {
		cursor = h.ScanStep(cursor, func(f, _ []byte) { got[string(f)] = true })
		// Grow and then shrink the table between steps.
		for j := 0; j < 50; j++ {
			name := fmt.Sprint("tmp", step, "_", j)
			if step < 40 {
				h.Set([]byte(name), []byte("x"), defaults)
			}
		}
		if step == 40 {
			for s := 0; s < 40; s++ {
				for j := 0; j < 50; j++ {
					h.Delete([]byte(fmt.Sprint("tmp", s, "_", j)))
				}
			}
		}
		step++
		if cursor == 0 {
			break
		}
	}
	for i := 0; i < 2000; i++ {
		if !got[fmt.Sprint("keep", i)] {
			t.Fatalf("keep%d was never returned", i)
		}
	}
}

// TestReserveAllocations pins what NewFor is for: a 10-field hash
// written by one HSET is two allocations (the hash and its buffer), and
// its buffer has no slack.
func TestReserveAllocations(t *testing.T) {
	var pairs [][]byte
	for i := range 10 {
		pairs = append(pairs, []byte(fmt.Sprintf("field:%d", i)), []byte(fmt.Sprintf("value:%08d", i)))
	}
	var h *Hash
	allocs := testing.AllocsPerRun(100, func() {
		h = NewFor(pairs, defaults)
		for i := 0; i < len(pairs); i += 2 {
			h.Set(pairs[i], pairs[i+1], defaults)
		}
	})
	if allocs != 2 {
		t.Errorf("%v allocations for a 10-field hash, want 2", allocs)
	}
	if len(h.b) != cap(h.b) || h.Len() != 10 {
		t.Errorf("buffer len %d cap %d with %d fields, want no slack and 10 fields", len(h.b), cap(h.b), h.Len())
	}
}

// TestReserve checks that Reserve grows an existing listpack hash once
// for all the pairs, and leaves alone a hash the pairs would convert.
func TestReserve(t *testing.T) {
	h := New()
	h.Set([]byte("a"), []byte("1"), defaults)
	pairs := [][]byte{[]byte("b"), []byte("2222222222"), []byte("c"), []byte("3333333333")}
	h.Reserve(pairs, defaults)
	if want := len(h.b) + 26; cap(h.b) != want {
		t.Errorf("cap after Reserve = %d, want %d", cap(h.b), want)
	}
	allocs := testing.AllocsPerRun(1, func() {
		for i := 0; i < len(pairs); i += 2 {
			h.Set(pairs[i], pairs[i+1], defaults)
		}
	})
	if allocs != 0 || h.Len() != 3 {
		t.Errorf("%v allocations adding reserved pairs, Len %d; want 0 and 3", allocs, h.Len())
	}
	before := cap(h.b)
	h.Reserve([][]byte{[]byte("d"), []byte(strings.Repeat("v", 65))}, defaults)
	h.Reserve([][]byte{[]byte("d"), []byte("4")}, Limits{MaxEntries: 3, MaxValue: 64})
	if cap(h.b) != before {
		t.Errorf("Reserve grew the buffer (cap %d -> %d) for pairs that convert the hash", before, cap(h.b))
	}
}
