package server

import (
	"math"
	"runtime/debug"
	"testing"
)

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
