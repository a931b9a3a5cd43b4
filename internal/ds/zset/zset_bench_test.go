package zset

import (
	"strconv"
	"testing"
)

var benchLimits = Limits{MaxEntries: 128, MaxValue: 64}

func BenchmarkAddLarge(b *testing.B) {
	z := New()
	members := make([][]byte, 1<<16)
	for i := range members {
		members[i] = []byte("member:" + strconv.Itoa(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Add(members[i&(1<<16-1)], float64(i%1000), benchLimits)
	}
}

func BenchmarkRankLarge(b *testing.B) {
	z := New()
	members := make([][]byte, 1<<16)
	for i := range members {
		members[i] = []byte("member:" + strconv.Itoa(i))
		z.Add(members[i], float64(i), benchLimits)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, ok := z.Rank(members[i&(1<<16-1)]); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkScoreSmall(b *testing.B) {
	z := New()
	members := make([][]byte, 100)
	for i := range members {
		members[i] = []byte("member:" + strconv.Itoa(i))
		z.Add(members[i], float64(i), benchLimits)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := z.Score(members[i%100]); !ok {
			b.Fatal("missing")
		}
	}
}
