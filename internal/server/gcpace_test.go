package server

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestGCPacing: the headroom is the larger of gcHeadroom and the
// scannable bytes, 0 while the live heap is no larger; the backstop GOGC
// is twice the headroom over live, between 1 and 100.
func TestGCPacing(t *testing.T) {
	for _, c := range []struct {
		live, scannable uint64
		headroom        uint64
		percent         int
	}{
		{0, 0, 0, 100},
		{16 << 20, 1 << 20, 0, 100},
		{gcHeadroom, 0, 0, 100},
		{3 * gcHeadroom, 1 << 20, gcHeadroom, 66},
		{150 << 20, 800 << 10, gcHeadroom, 42},
		{300 << 20, 100 << 20, 100 << 20, 66}, // a heap of pointers: marking paces it
		{200 << 20, 300 << 20, 0, 100},        // never beyond the default
		{10 << 30, 1 << 20, gcHeadroom, 1},    // 0.6% rounds to 0: never below 1
	} {
		h, p := gcPacing(c.live, c.scannable)
		if h != c.headroom || p != c.percent {
			t.Errorf("gcPacing(%d, %d) = %d, %d; want %d, %d", c.live, c.scannable, h, p, c.headroom, c.percent)
		}
	}
}

// TestPaceGCFollowsLiveHeap: with a large pointer-free live heap, paceGC
// lowers GOGC to the backstop and the trigger starts a cycle itself once
// the headroom has been allocated; with a small heap again, GOGC is back
// to 100 and the trigger leaves the pacing to the runtime.
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
		gcPace.mu.Lock()
		gcPace.percent = 100
		gcPace.headroom.Store(0)
		gcPace.mu.Unlock()
		debug.SetGCPercent(100)
	}()
	big := make([]byte, 4*gcHeadroom)
	for i := range big {
		big[i] = byte(i)
	}
	runtime.GC()
	paceGC()
	if got := gogc(); got < 35 || got > 60 {
		t.Errorf("GOGC with %d MB live: %d, want about 50", len(big)>>20, got)
	}
	if got := gcPace.headroom.Load(); got != gcHeadroom {
		t.Errorf("headroom with %d MB live: %d, want %d", len(big)>>20, got, gcHeadroom)
	}

	before := gcPace.started.Load()
	var sink [][]byte
	allocated := 0
	deadline := time.Now().Add(10 * time.Second)
	for gcPace.started.Load() == before {
		if time.Now().After(deadline) {
			t.Fatalf("no cycle started by the trigger after allocating %d MB", allocated>>20)
		}
		sink = append(sink, make([]byte, 64<<10))
		allocated += 64 << 10
		if len(sink) == 64 {
			sink = sink[:0]
		}
		time.Sleep(50 * time.Microsecond)
	}
	if allocated < gcHeadroom/2 {
		t.Errorf("the trigger started a cycle after %d MB allocated, want about %d", allocated>>20, gcHeadroom>>20)
	}

	runtime.KeepAlive(big)
	big = nil
	runtime.GC()
	paceGC()
	if got := gogc(); got != 100 {
		t.Errorf("GOGC with a small heap again: %d, want 100", got)
	}
	if got := gcPace.headroom.Load(); got != 0 {
		t.Errorf("headroom with a small heap again: %d, want 0", got)
	}
}
