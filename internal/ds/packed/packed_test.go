package packed

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

func entries(b []byte) [][]byte {
	var out [][]byte
	for off := 0; off < len(b); {
		s, next := Read(b, off)
		if Skip(b, off) != next {
			panic("Skip and Read disagree")
		}
		out = append(out, s)
		off = next
	}
	return out
}

// TestModel replaces, cuts and appends entries of random lengths (some
// needing two-byte length prefixes) and checks the buffer against a plain
// slice of strings.
func TestModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var b []byte
	var model []string
	randStr := func() []byte {
		n := r.IntN(300)
		if r.IntN(4) == 0 {
			n = r.IntN(3)
		}
		return []byte(strings.Repeat(string(rune('a'+r.IntN(26))), n))
	}
	offsetOf := func(i int) (int, int) {
		off := 0
		for ; i > 0; i-- {
			off = Skip(b, off)
		}
		return off, Skip(b, off)
	}
	for step := 0; step < 5000; step++ {
		switch op := r.IntN(3); {
		case op == 0 || len(model) == 0:
			s := randStr()
			b = Append(b, s)
			model = append(model, string(s))
		case op == 1:
			i := r.IntN(len(model))
			s := randStr()
			off, end := offsetOf(i)
			b = Replace(b, off, end, s)
			model[i] = string(s)
		default:
			i := r.IntN(len(model))
			off, end := offsetOf(i)
			b = Cut(b, off, end)
			model = append(model[:i], model[i+1:]...)
		}
		got := entries(b)
		if len(got) != len(model) {
			t.Fatalf("step %d: %d entries, want %d", step, len(got), len(model))
		}
		for i := range got {
			if string(got[i]) != model[i] {
				t.Fatalf("step %d: entry %d = %q, want %q", step, i, got[i], model[i])
			}
		}
	}
}

func TestSizeAndGrow(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384} {
		s := bytes.Repeat([]byte{'x'}, n)
		if got := len(Append(nil, s)); got != Size(s) {
			t.Errorf("len %d: appended %d bytes, Size says %d", n, got, Size(s))
		}
	}
	b := Grow(make([]byte, 100), 1)
	if cap(b) < 101 || cap(b) > 128 {
		t.Errorf("Grow(100+1) gave cap %d, want a little over 101", cap(b))
	}
	if c := Clone(b); len(c) != len(b) || cap(c) != len(b) {
		t.Errorf("Clone kept spare capacity: len %d cap %d", len(c), cap(c))
	}
}
