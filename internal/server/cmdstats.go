package server

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/respd/respd/internal/command"
)

// Per-command statistics (INFO commandstats and latencystats, LATENCY
// HISTOGRAM) and error statistics (INFO errorstats, total_error_replies).
// All engine-owned.

// cmdStat is one command's counters, allocated on its first use.
type cmdStat struct {
	calls, rejected, failed int64
	ns                      int64
	// hist counts calls by duration: histSub buckets per doubling from
	// 1 µs, and the first histSub buckets share the first microsecond.
	hist [histOctaves * histSub]uint32
}

const (
	histSub     = 16 // buckets per doubling: about 6% resolution
	histOctaves = 34 // 1 µs to about 2.4 hours
)

// histBucket is the bucket of a duration of ns nanoseconds.
func histBucket(ns int64) int {
	if ns < 0 {
		ns = 0
	}
	o := bits.Len64(uint64(ns) >> 10)
	if o == 0 {
		return int(ns * histSub >> 10)
	}
	if o >= histOctaves {
		return histOctaves*histSub - 1
	}
	lo := int64(1024) << (o - 1)
	return o*histSub + int((ns-lo)*histSub/lo)
}

// histUpper is the largest duration, in ns, bucket i holds.
func histUpper(i int) int64 {
	o, sub := i/histSub, int64(i%histSub)
	if o == 0 {
		return (sub+1)<<10/histSub - 1
	}
	lo := int64(1024) << (o - 1)
	return lo + (sub+1)*lo/histSub - 1
}

// errorStatsLimit is how many distinct error codes Redis tracks before it
// stops adding new ones.
const errorStatsLimit = 128

type statsState struct {
	byCmd []*cmdStat
	// errors counts error replies by code (their first word); total
	// counts them all.
	errors map[string]int64
	total  int64
}

func (s *Server) initCmdStats() {
	s.cstats.byCmd = make([]*cmdStat, command.Count())
	s.cstats.errors = map[string]int64{}
}

func (s *Server) cmdStat(cmd *command.Command) *cmdStat {
	st := s.cstats.byCmd[cmd.ID()]
	if st == nil {
		st = &cmdStat{}
		s.cstats.byCmd[cmd.ID()] = st
	}
	return st
}

// countCall records a command that ran for d, and whether it replied
// with an error (failed_calls).
func (s *Server) countCall(cmd *command.Command, d time.Duration, failed bool) {
	st := s.cmdStat(cmd)
	st.calls++
	st.ns += int64(d)
	st.hist[histBucket(int64(d))]++
	if failed {
		st.failed++
	}
}

// countError is every error reply's hook (resp.Writer.OnError).
func (s *Server) countError(msg string) {
	s.cstats.total++
	code, _, _ := strings.Cut(msg, " ")
	if _, ok := s.cstats.errors[code]; ok || len(s.cstats.errors) < errorStatsLimit {
		s.cstats.errors[code]++
	}
}

func (s *Server) resetCmdStats() {
	clear(s.cstats.byCmd)
	s.cstats.errors = map[string]int64{}
	s.cstats.total = 0
}

// usedCommands lists the commands with counters, sorted by name.
func (s *Server) usedCommands() []*command.Command {
	var out []*command.Command
	var walk func(cs []*command.Command)
	walk = func(cs []*command.Command) {
		for _, c := range cs {
			if s.cstats.byCmd[c.ID()] != nil {
				out = append(out, c)
			}
			walk(c.Sub)
		}
	}
	walk(command.All())
	slices.SortFunc(out, func(a, b *command.Command) int { return strings.Compare(a.FullName(), b.FullName()) })
	return out
}

func (s *Server) infoCommandStats(b *strings.Builder) {
	for _, c := range s.usedCommands() {
		st := s.cstats.byCmd[c.ID()]
		usec := st.ns / 1000
		per := 0.0
		if st.calls > 0 {
			per = float64(st.ns) / 1000 / float64(st.calls)
		}
		fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			c.FullName(), st.calls, usec, per, st.rejected, st.failed)
	}
}

func (s *Server) infoErrorStats(b *strings.Builder) {
	codes := make([]string, 0, len(s.cstats.errors))
	for code := range s.cstats.errors {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		fmt.Fprintf(b, "errorstat_%s:count=%d\r\n", code, s.cstats.errors[code])
	}
}

// percentile is the duration in µs below which a fraction p of the
// calls fell.
func (st *cmdStat) percentile(p float64) float64 {
	want := int64(p / 100 * float64(st.calls))
	if want < 1 {
		want = 1
	}
	var seen int64
	for i, n := range st.hist {
		seen += int64(n)
		if seen >= want {
			return float64(histUpper(i)) / 1000
		}
	}
	return 0
}

func (s *Server) infoLatencyStats(b *strings.Builder) {
	ps := strings.Fields(s.cfg.Get("latency-tracking-info-percentiles"))
	for _, c := range s.usedCommands() {
		st := s.cstats.byCmd[c.ID()]
		if st.calls == 0 {
			continue
		}
		fmt.Fprintf(b, "latency_percentiles_usec_%s:", c.FullName())
		for i, p := range ps {
			f, _ := strconv.ParseFloat(p, 64)
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "p%s=%.3f", p, st.percentile(f))
		}
		b.WriteString("\r\n")
	}
}

// LatencyHistograms implements command.Host: each named command's (all
// used commands' when names is empty; a container's subcommands for its
// name) cumulative call counts at each power of two of microseconds.
func (s *Server) LatencyHistograms(names []string) []command.LatencyHistogram {
	var cmds []*command.Command
	if len(names) == 0 {
		cmds = s.usedCommands()
	}
	for _, n := range names {
		c := command.FindFull(n)
		if c == nil {
			continue
		}
		if len(c.Sub) == 0 {
			cmds = append(cmds, c)
		}
		cmds = append(cmds, c.Sub...)
	}
	var out []command.LatencyHistogram
	for _, c := range cmds {
		st := s.cstats.byCmd[c.ID()]
		if st == nil || st.calls == 0 {
			continue
		}
		h := command.LatencyHistogram{Name: c.FullName(), Calls: st.calls}
		var cum, prev int64
		for o := 0; o < histOctaves; o++ {
			for i := o * histSub; i < (o+1)*histSub; i++ {
				cum += int64(st.hist[i])
			}
			if cum > prev {
				h.Buckets = append(h.Buckets, [2]int64{hdrKey(o), cum})
				prev = cum
			}
		}
		out = append(out, h)
	}
	return out
}

// hdrKey is the label Redis gives the bucket of durations up to 2^o µs:
// the highest value its HDR histogram (2 significant digits) treats as
// equal to 1024<<o ns, in whole µs.
func hdrKey(o int) int64 {
	v := int64(1024) << o
	width := int64(1)
	if m := bits.Len64(uint64(v)) - 1 - 7; m > 0 {
		width = int64(1) << m
	}
	return (v + width - 1) / 1000
}
