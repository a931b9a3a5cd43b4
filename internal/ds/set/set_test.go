package set

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func members(s *Set) []string {
	var out []string
	s.Range(func(m []byte) bool {
		out = append(out, string(m))
		return true
	})
	return out
}

// check compares s with a model, and an intset's order with the numeric
// order.
func check(t *testing.T, s *Set, model map[string]bool) {
	t.Helper()
	got := members(s)
	if len(got) != len(model) || s.Len() != len(model) {
		t.Fatalf("Range gave %d members, Len %d, want %d", len(got), s.Len(), len(model))
	}
	for _, m := range got {
		if !model[m] {
			t.Fatalf("unexpected member %q", m)
		}
	}
	for m := range model {
		if !s.Has([]byte(m)) {
			t.Fatalf("Has(%q) = false", m)
		}
	}
	if s.Intset() {
		for i := 1; i < len(got); i++ {
			x, _ := strconv.ParseInt(got[i-1], 10, 64)
			y, _ := strconv.ParseInt(got[i], 10, 64)
			if x >= y {
				t.Fatalf("intset members out of order: %v", got)
			}
		}
	}
}

// TestModel adds and removes random members (small, 16/32/64-bit
// integers, non-canonical integers and strings) and checks every form.
func TestModel(t *testing.T) {
	for _, maxIntset := range []int64{512, 10, 0} {
		for _, ints := range []bool{true, false} {
			t.Run(fmt.Sprint(maxIntset, ints), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(maxIntset), 7))
				s := New()
				model := map[string]bool{}
				wasIntset := true
				pick := func() string {
					switch r.IntN(6) {
					case 0:
						return fmt.Sprint(r.IntN(100) - 50)
					case 1:
						return fmt.Sprint(r.IntN(200) - 100 + math.MaxInt16)
					case 2:
						return fmt.Sprint(int64(r.IntN(200)-100) + math.MinInt32)
					case 3:
						return fmt.Sprint(int64(r.IntN(200)) + math.MaxInt64 - 199)
					case 4:
						if !ints {
							return fmt.Sprint("s", r.IntN(200))
						}
						return "-9223372036854775808"
					}
					if !ints {
						return []string{"007", "+1", " 1", "1.0", "", "-0"}[r.IntN(6)]
					}
					return "0"
				}
				for step := 0; step < 3000; step++ {
					m := pick()
					if r.IntN(3) == 0 {
						if s.Remove([]byte(m)) != model[m] {
							t.Fatalf("Remove(%q) disagrees with the model", m)
						}
						delete(model, m)
					} else {
						if s.Add([]byte(m), maxIntset) == model[m] {
							t.Fatalf("Add(%q) disagrees with the model", m)
						}
						model[m] = true
					}
					if s.Intset() && !wasIntset {
						t.Fatal("converted back to an intset")
					}
					if s.Intset() && int64(len(model)) > maxIntset {
						t.Fatalf("intset of %d members, limit %d", len(model), maxIntset)
					}
					wasIntset = s.Intset()
					check(t, s, model)
				}
				if ints && maxIntset == 512 && !s.Intset() {
					t.Fatal("integers only, under the limit: should still be an intset")
				}
			})
		}
	}
}

func TestNonCanonicalIntegers(t *testing.T) {
	for _, m := range []string{"007", "+1", "-0", "1 ", "", "9223372036854775808", "0x1"} {
		s := New()
		s.Add([]byte("1"), 512)
		s.Add([]byte(m), 512)
		if s.Intset() {
			t.Errorf("%q is not an integer to Redis, yet the set is an intset", m)
		}
		if !s.Has([]byte(m)) || !s.Has([]byte("1")) || s.Len() != 2 {
			t.Errorf("%q: members lost in the conversion: %v", m, members(s))
		}
	}
	s := New()
	s.Add([]byte("5"), 512)
	if s.Has([]byte("05")) || s.Remove([]byte("+5")) {
		t.Error("an intset matched a non-canonical spelling")
	}
}

func TestWidths(t *testing.T) {
	s := New()
	vals := []int64{1, -1, math.MaxInt16, math.MinInt16, math.MaxInt16 + 1, math.MinInt32, math.MaxInt32 + 1, math.MinInt64, math.MaxInt64, 0}
	for _, v := range vals {
		s.Add([]byte(strconv.FormatInt(v, 10)), 512)
	}
	slices.Sort(vals)
	var want []string
	for _, v := range vals {
		want = append(want, strconv.FormatInt(v, 10))
	}
	if got := members(s); !slices.Equal(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	if s.b[0] != 8 {
		t.Errorf("width %d, want 8", s.b[0])
	}
}

func TestPopAndSample(t *testing.T) {
	for _, n := range []int{1, 5, 100, 1000} {
		for _, strs := range []bool{false, true} {
			s := New()
			for i := 0; i < n; i++ {
				m := fmt.Sprint(i)
				if strs {
					m = "m" + m
				}
				s.Add([]byte(m), 512)
			}
			for _, count := range []int{1, n / 2, n - 1, 3 * n} {
				for _, distinct := range []bool{true, false} {
					if distinct && count >= n || count == 0 {
						continue
					}
					seen := map[string]bool{}
					got := 0
					s.Sample(count, distinct, func(m []byte) {
						got++
						if !s.Has(m) {
							t.Fatalf("sampled non-member %q", m)
						}
						if distinct && seen[string(m)] {
							t.Fatalf("n=%d count=%d: %q twice", n, count, m)
						}
						seen[string(m)] = true
					})
					if got != count {
						t.Fatalf("n=%d count=%d: got %d", n, count, got)
					}
				}
			}
			popped := map[string]bool{}
			for s.Len() > 0 {
				m := s.Pop()
				if popped[string(m)] || s.Has(m) {
					t.Fatalf("Pop returned %q twice or left it", m)
				}
				popped[string(m)] = true
			}
			if len(popped) != n {
				t.Fatalf("popped %d of %d", len(popped), n)
			}
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	for _, n := range []int{3, 1000} {
		for _, prefix := range []string{"", "m"} {
			s := New()
			for i := 0; i < n; i++ {
				s.Add([]byte(fmt.Sprint(prefix, i)), 512)
			}
			c := s.Clone().(*Set)
			c.Remove([]byte(prefix + "0"))
			c.Add([]byte("new"), 512)
			if !s.Has([]byte(prefix+"0")) || s.Has([]byte("new")) || s.Len() != n {
				t.Errorf("n=%d %q: the clone's changes leaked", n, prefix)
			}
		}
	}
}

// TestScanUnderChange scans a dict-form set while adding and deleting:
// every member present throughout must be returned.
func TestScanUnderChange(t *testing.T) {
	s := New()
	for i := 0; i < 2000; i++ {
		s.Add([]byte(fmt.Sprint("keep", i)), 512)
	}
	got := map[string]bool{}
	cursor := uint64(0)
	for step := 0; ; step++ {
		cursor = s.ScanStep(cursor, func(m []byte) { got[string(m)] = true })
		for j := 0; j < 50 && step < 40; j++ {
			s.Add([]byte(fmt.Sprint("tmp", step, "_", j)), 512)
		}
		if step == 40 {
			for k := 0; k < 40; k++ {
				for j := 0; j < 50; j++ {
					s.Remove([]byte(fmt.Sprint("tmp", k, "_", j)))
				}
			}
		}
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
