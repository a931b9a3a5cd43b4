package server

import (
	"runtime"
	"sort"

	"github.com/respd/respd/internal/command"
)

// latencyHistory is how many per-second samples an event keeps.
const latencyHistory = 160

// latencySeries is one event's samples in a ring, with at most one
// sample per second (the worst of that second).
type latencySeries struct {
	samples [latencyHistory]command.LatencySample
	next    int // where the next sample goes
	max     int64
}

// addLatency records a latency of ms for event at second now.
func (in *introspection) addLatency(event string, now, ms int64) {
	ts := in.latency[event]
	if ts == nil {
		ts = &latencySeries{}
		in.latency[event] = ts
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.next+latencyHistory-1)%latencyHistory]
	if prev.Time == now {
		prev.Ms = max(prev.Ms, ms)
		return
	}
	ts.samples[ts.next] = command.LatencySample{Time: now, Ms: ms}
	ts.next = (ts.next + 1) % latencyHistory
}

// LatencyEvents implements command.Host.
func (s *Server) LatencyEvents() []command.LatencyEvent {
	out := make([]command.LatencyEvent, 0, len(s.intro.latency))
	for name, ts := range s.intro.latency {
		e := command.LatencyEvent{Name: name, Max: ts.max}
		for i := 0; i < latencyHistory; i++ {
			if sm := ts.samples[(ts.next+i)%latencyHistory]; sm.Time != 0 {
				e.Samples = append(e.Samples, sm)
			}
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LatencyReset implements command.Host.
func (s *Server) LatencyReset(names []string) int {
	if len(names) == 0 {
		n := len(s.intro.latency)
		clear(s.intro.latency)
		return n
	}
	n := 0
	for _, name := range names {
		if _, ok := s.intro.latency[name]; ok {
			delete(s.intro.latency, name)
			n++
		}
	}
	return n
}

// Rough per-entry costs of a database's tables for MEMORY STATS: a dict
// slot and entry for every key, a slot and deadline for every TTL.
const (
	mainEntryOverhead   = 48
	expireEntryOverhead = 32
)

func heapAlloc() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// MemoryStats implements command.Host from the Go runtime's figures.
func (s *Server) MemoryStats() command.MemoryStats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	in := &s.intro
	in.peakHeap = max(in.peakHeap, int64(m.HeapAlloc))
	st := command.MemoryStats{
		PeakAllocated: in.peakHeap, TotalAllocated: int64(m.HeapAlloc), StartupAllocated: in.startupHeap,
		Active: int64(m.HeapInuse), Resident: int64(m.HeapSys), RSS: int64(m.Sys),
	}
	s.cmu.Lock()
	for _, c := range s.clients {
		st.ClientsNormal += int64(readBufSize + cap(c.ctx.Writer.B))
	}
	s.cmu.Unlock()
	for _, d := range s.ks.DBs {
		if d.Len() == 0 {
			continue
		}
		st.Keys += int64(d.Len())
		st.DBs = append(st.DBs, command.DBOverhead{ID: d.ID, Main: int64(d.Len()) * mainEntryOverhead, Expires: int64(d.ExpiresLen()) * expireEntryOverhead})
	}
	return st
}
