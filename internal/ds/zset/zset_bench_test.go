package zset

import (
	"math/rand/v2"
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

// BenchmarkSetScoreLarge gives random members of a 100k-member set
// random new scores, as redis-benchmark's ZADD test does once the set
// is full: a walk of the skiplist to unlink and one to relink, bound by
// cache misses.
func BenchmarkSetScoreLarge(b *testing.B) {
	benchLargeMoves(b, func(r *rand.Rand, _ float64) float64 { return float64(r.IntN(1_000_000)) })
}

// BenchmarkSetScoreSmall moves one member of a 10-member small set back
// and forth, as a ZADD that updates a score does.
func BenchmarkSetScoreSmall(b *testing.B) {
	z := New()
	for i := range 10 {
		z.Add([]byte("member:0000000"+strconv.Itoa(i)), float64(i+1), benchLimits)
	}
	m := []byte("member:00000005")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ref, _, _ := z.Find(m)
		z.SetScore(ref, float64(6+(i&1)*94))
	}
}

// BenchmarkIncrLarge adds 3 to the scores of random members of a
// 100k-member set scored by rank, as ZINCRBY 3 does: each move is a
// short way forwards.
func BenchmarkIncrLarge(b *testing.B) {
	benchLargeMoves(b, func(_ *rand.Rand, cur float64) float64 { return cur + 3 })
}

// benchLargeMoves gives random members of a large set (largeSet) the
// scores next returns for their current ones.
func benchLargeMoves(b *testing.B, next func(r *rand.Rand, cur float64) float64) {
	z, members, r := largeSet()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ref, cur, _ := z.Find(members[r.IntN(len(members))])
		z.SetScore(ref, next(r, cur))
	}
}

// largeSet returns a 100k-member set scored by rank, its members and a
// seeded source of random numbers.
func largeSet() (*ZSet, [][]byte, *rand.Rand) {
	const n = 100_000
	z := New()
	members := make([][]byte, n)
	for i := range members {
		members[i] = []byte("element:" + strconv.Itoa(i))
		z.Add(members[i], float64(i), benchLimits)
	}
	return z, members, rand.New(rand.NewPCG(1, 2))
}
