package server

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// Pacing the Go collector for a keyspace held in pointer-free arenas.
//
// With the default GOGC of 100 the collector lets as much garbage pile up
// between cycles as there is live heap. respd's live heap is mostly arena
// chunks without pointers, so what a cycle costs to mark hardly grows with
// the dataset; what grows is the garbage of each cycle, and the sweeping
// that returns it runs as one stretch after the cycle: on a server
// confined to one CPU, Go's scheduler does not poll the network while the
// background sweeper is runnable, so no client is served meanwhile. With
// 3,000,000 keys (150 MB live) and 64 KB values churned, that was 150 MB
// of garbage per cycle and about 0.8 ms without service.
//
// So once the live heap is larger than the headroom (gcHeadroom, or as
// much as the last cycle had to scan if that is more, so that a cycle
// never costs more marking per allocated byte than the default pacing of
// a heap made of pointers), respd starts a cycle itself whenever that
// much has been allocated since the last one. It does so from a goroutine
// of its own (gcTrigger): a cycle the runtime starts begins inside the
// allocation that crossed its trigger, and that goroutine, a client in
// the middle of a request, first pays for the stop-the-world and then
// for the first marking (the globals) as an assist, one stretch of about
// 0.25 ms; started from a goroutine that has nothing else to do, the
// marking goes to the background worker in its share. GOGC is lowered
// too, to twice the headroom, as a backstop should that goroutine be
// late. All of it is process-wide, like the memory limit; an operator's
// GOGC stands.
const gcHeadroom = 32 << 20

// operatorGOGC is set when GOGC was given in the environment.
var operatorGOGC = os.Getenv("GOGC") != ""

// gcPace is the process's pacing state.
var gcPace struct {
	mu      sync.Mutex
	samples []metrics.Sample
	percent int // the GOGC last set; 0 before the first call
	// headroom is what gcTrigger lets be allocated between cycles; 0
	// leaves the pacing to the runtime.
	headroom atomic.Uint64
	trigger  sync.Once
	started  atomic.Uint64 // cycles gcTrigger started
}

// paceGC sets the headroom and GOGC from the heap figures of the last
// cycle. It runs on every server's cron tick; reading the figures costs
// about a microsecond, and GOGC is only set when it changes.
func paceGC() {
	if operatorGOGC {
		return
	}
	p := &gcPace
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.samples == nil {
		p.samples = []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/total:bytes"}}
		p.percent = 100
	}
	metrics.Read(p.samples)
	for _, s := range p.samples {
		if s.Value.Kind() != metrics.KindUint64 {
			return
		}
	}
	headroom, pct := gcPacing(p.samples[0].Value.Uint64(), p.samples[1].Value.Uint64())
	p.headroom.Store(headroom)
	if headroom > 0 {
		p.trigger.Do(func() { go gcTrigger() })
	}
	if pct != p.percent {
		debug.SetGCPercent(pct)
		p.percent = pct
	}
}

// gcPacing returns the headroom between cycles for a live heap with
// so many scannable bytes, 0 when the default pacing allows no more
// garbage than that anyway, and the backstop GOGC: twice the headroom
// over live, at most 100 and at least 1.
func gcPacing(live, scannable uint64) (headroom uint64, percent int) {
	h := max(gcHeadroom, scannable)
	if live <= h {
		return 0, 100
	}
	return h, min(max(int(2*h*100/live), 1), 100)
}

// gcTrigger runs a collection whenever the headroom has been allocated
// since the last one, for the process's life from the first time the
// heap was large enough to need it. It checks at intervals sized from
// the allocation rate since the last check (half the time the rest of
// the headroom lasts at that rate, between 1 and 100 ms; after a
// collection too, so that a fast allocator does not reach the GOGC
// backstop first), so that an idle server wakes it ten times a second.
func gcTrigger() {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	read := func() (allocs, cycles uint64) {
		metrics.Read(s)
		return s[0].Value.Uint64(), s[1].Value.Uint64()
	}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return // a runtime without these figures: its own pacing stays
	}
	base, cycles := s[0].Value.Uint64(), s[1].Value.Uint64()
	last, lastAt := base, time.Now()
	for {
		wait := 100 * time.Millisecond
		if h := gcPace.headroom.Load(); h > 0 {
			allocs, c := read()
			rate := float64(allocs-last) / time.Since(lastAt).Seconds()
			if c != cycles {
				base, cycles = allocs, c
			}
			if allocs-base >= h {
				runtime.GC()
				gcPace.started.Add(1)
				base, cycles = read()
				allocs = base
			}
			last, lastAt = allocs, time.Now()
			if rate > 0 {
				wait = min(max(time.Duration(float64(h-(allocs-base))/rate/2*1e9), time.Millisecond), wait)
			}
		}
		time.Sleep(wait)
	}
}
