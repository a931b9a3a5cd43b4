package server

import "testing"

// TestHistogramBuckets: every duration lands in the bucket whose upper
// bound is the first one not below it.
func TestHistogramBuckets(t *testing.T) {
	for v := int64(0); v < 1<<36; v = v*9/8 + 1 {
		i := histBucket(v)
		if histUpper(i) < v {
			t.Fatalf("%d ns in bucket %d, whose upper bound is %d", v, i, histUpper(i))
		}
		if i > 0 && histUpper(i-1) >= v && v < 1<<33 {
			t.Fatalf("%d ns in bucket %d but bucket %d reaches %d", v, i, i-1, histUpper(i-1))
		}
	}
}

// TestHDRKeys are the bucket labels redis-server 7.0 prints in LATENCY
// HISTOGRAM.
func TestHDRKeys(t *testing.T) {
	want := []int64{1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113}
	for o, w := range want {
		if got := hdrKey(o); got != w {
			t.Errorf("key of octave %d: %d, want %d", o, got, w)
		}
	}
}
