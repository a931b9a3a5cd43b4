package server

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestGCPercent: the garbage allowed per cycle is the larger of the
// headroom and the scannable bytes, as a percentage of the live heap,
// between 1 and the default 100.
func TestGCPercent(t *testing.T) {
	for _, c := range []struct {
		live, scannable uint64
		want            int
	}{
		{0, 0, 100},
		{16 << 20, 1 << 20, 100},
		{gcHeadroom, 0, 100},
		{2 * gcHeadroom, 1 << 20, 50},
		{150 << 20, 800 << 10, 21},
		{150 << 20, 100 << 20, 66},  // a heap of pointers: marking paces it
		{200 << 20, 300 << 20, 100}, // never above the default
		{10 << 30, 1 << 20, 1},      // 0.3% rounds to 0: never below 1
	} {
		if got := gcPercent(c.live, c.scannable); got != c.want {
			t.Errorf("gcPercent(%d, %d) = %d, want %d", c.live, c.scannable, got, c.want)
		}
	}
}

// TestPaceGCFollowsLiveHeap: with a large pointer-free live heap, paceGC
// lowers GOGC to keep the garbage per cycle near the headroom, and puts
// it back once the heap is small again.
func TestPaceGCFollowsLiveHeap(t *testing.T) {
	if operatorGOGC {
		t.Skip("GOGC is set in the environment")
	}
	gogc := func() int {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	defer func() {
		debug.SetGCPercent(100)
		gcPace.mu.Lock()
		gcPace.percent = 100
		gcPace.mu.Unlock()
	}()
	big := make([]byte, 4*gcHeadroom)
	for i := range big {
		big[i] = byte(i)
	}
	runtime.GC()
	paceGC()
	if got := gogc(); got < 15 || got > 30 {
		t.Errorf("GOGC with %d MB live: %d, want about 25", len(big)>>20, got)
	}
	runtime.KeepAlive(big)
	big = nil
	runtime.GC()
	paceGC()
	if got := gogc(); got != 100 {
		t.Errorf("GOGC with a small heap again: %d, want 100", got)
	}
}
