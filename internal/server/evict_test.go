package server

import (
	"fmt"
	"math"
	"runtime/debug"
	"testing"
)

func TestEvictPool(t *testing.T) {
	var p evictPool
	// 40 candidates, scores 39..0, a few offered twice: the pool keeps
	// the 16 lowest, once each, and gives them back lowest first.
	for i := 39; i >= 0; i-- {
		p.insert(int64(i), i%2, fmt.Sprint("k", i))
		if i%5 == 0 {
			p.insert(int64(i), i%2, fmt.Sprint("k", i))
		}
	}
	if p.n != evictPoolSize {
		t.Fatalf("pool holds %d entries, want %d", p.n, evictPoolSize)
	}
	for want := range evictPoolSize {
		e := p.pop()
		if e.score != int64(want) || string(e.key) != fmt.Sprint("k", want) || e.db != want%2 {
			t.Fatalf("pop %d = %d %q db %d", want, e.score, e.key, e.db)
		}
	}
	if p.n != 0 {
		t.Fatalf("pool not empty: %d", p.n)
	}
	// Equal scores leave in the order they came; a full pool refuses
	// what is no better than its worst.
	for i := range evictPoolSize {
		p.insert(7, 0, fmt.Sprint("e", i))
	}
	p.insert(7, 0, "late")
	p.insert(3, 0, "better")
	if e := p.pop(); string(e.key) != "better" {
		t.Fatalf("best = %q, want better", e.key)
	}
	for i := range evictPoolSize - 1 {
		if e := p.pop(); string(e.key) != fmt.Sprint("e", i) {
			t.Fatalf("pop = %q, want e%d", e.key, i)
		}
	}
}

// TestGoMemoryLimitFollowsMaxmemory: a maxmemory gives the collector a
// soft limit with headroom (a quarter, at least 32 MB), and no maxmemory
// lifts it, unless the operator set GOMEMLIMIT.
func TestGoMemoryLimitFollowsMaxmemory(t *testing.T) {
	if operatorMemLimit {
		t.Skip("GOMEMLIMIT is set in the environment")
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, c := range []struct{ maxmemory, want int64 }{
		{1 << 30, 1<<30 + 1<<28},
		{10 << 20, 10<<20 + 32<<20},
		{0, math.MaxInt64},
	} {
		setGoMemoryLimit(c.maxmemory)
		if got := debug.SetMemoryLimit(-1); got != c.want {
			t.Errorf("maxmemory %d: Go memory limit %d, want %d", c.maxmemory, got, c.want)
		}
	}
}
