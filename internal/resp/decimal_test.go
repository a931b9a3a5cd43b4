package resp

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestAppendDecimal(t *testing.T) {
	check := func(n int64) {
		t.Helper()
		prefix := []byte("x")
		got := appendDecimal(prefix, n)
		if want := strconv.AppendInt([]byte("x"), n, 10); string(got) != string(want) {
			t.Fatalf("appendDecimal(%d) = %q, want %q", n, got, want)
		}
		// With room already there, in place.
		roomy := make([]byte, 1, 32)
		roomy[0] = 'x'
		if got := appendDecimal(roomy, n); string(got) != "x"+strconv.FormatInt(n, 10) {
			t.Fatalf("appendDecimal(%d) with room = %q", n, got)
		}
	}
	for _, n := range []int64{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, math.MaxInt64, math.MinInt64, math.MinInt64 + 1, -1, -10, -100} {
		check(n)
	}
	// Every power of ten and its neighbours, where the width changes.
	for p := int64(1); p <= math.MaxInt64/10; p *= 10 {
		for _, n := range []int64{p - 1, p, p + 1, 10*p - 1} {
			check(n)
			check(-n)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		n := r.Int64() >> r.IntN(63)
		check(n)
		check(-n)
	}
}

func BenchmarkAppendInt(b *testing.B) {
	buf := make([]byte, 0, 64)
	for _, n := range []int64{1, 1234567, -9876543210} {
		b.Run(strconv.FormatInt(n, 10), func(b *testing.B) {
			for b.Loop() {
				buf = AppendInt(buf[:0], n)
			}
		})
	}
}

func BenchmarkAppendBulk(b *testing.B) {
	buf := make([]byte, 0, 256)
	for _, n := range []int{3, 16, 100} {
		v := make([]byte, n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				buf = AppendBulk(buf[:0], v)
			}
		})
	}
}
