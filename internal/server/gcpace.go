package server

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
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
// So the collector gets at most gcHeadroom bytes of garbage per cycle, or
// as much as the last cycle had to scan if that is more (a cycle then
// never costs more marking per allocated byte than the default pacing of
// a heap made of pointers), and never more than the default. The setting
// is process-wide, like the memory limit; an operator's GOGC stands.
const gcHeadroom = 32 << 20

// operatorGOGC is set when GOGC was given in the environment.
var operatorGOGC = os.Getenv("GOGC") != ""

// gcPace is the process's pacing state.
var gcPace struct {
	mu      sync.Mutex
	samples []metrics.Sample
	percent int // the GOGC last set; 0 before the first call
}

// paceGC sets GOGC from the heap figures of the last cycle. It runs on
// every server's cron tick; reading the figures costs about a
// microsecond, and GOGC is only set when it changes.
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
	if pct := gcPercent(p.samples[0].Value.Uint64(), p.samples[1].Value.Uint64()); pct != p.percent {
		debug.SetGCPercent(pct)
		p.percent = pct
	}
}

// gcPercent is the GOGC that lets garbage grow by the larger of
// gcHeadroom and scannable bytes over live, at most 100 and at least 1.
func gcPercent(live, scannable uint64) int {
	headroom := max(gcHeadroom, scannable)
	if live <= headroom {
		return 100
	}
	return max(int(headroom*100/live), 1)
}
