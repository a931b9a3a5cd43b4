package main

import (
	"cmp"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"time"
)

// probing runs probe on s in the background; the returned function stops
// it and returns the samples.
func probing(cfg *config, s *server) func() ([]sample, error) {
	stop := make(chan struct{})
	type result struct {
		s   []sample
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := probe(s.addr, cfg.clients, cfg.keys, stop)
		done <- result{s, err}
	}()
	return func() ([]sample, error) {
		close(stop)
		r := <-done
		return r.s, r.err
	}
}

// churnRate is how many 64 KB SET+DEL pairs per second churn sends:
// 256 MB of garbage a second, enough for a GC cycle every few seconds
// with millions of keys, at a small fraction of the server's CPU.
const churnRate = 4000

// churning makes garbage on s in the background: it SETs a 64 KB value
// and DELetes it, churnRate times a second. respd's GET, SET and INCR
// allocate nothing, so without it a loaded respd would hardly collect.
func churning(s *server) func() error {
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			c, err := dial(s.addr)
			if err != nil {
				return err
			}
			defer c.Close()
			pairCmd := appendCommand(nil, "SET", "gc:churn", strings.Repeat("g", 64<<10))
			pairCmd = appendCommand(pairCmd, "DEL", "gc:churn")
			interval := time.Second / churnRate
			next := time.Now()
			for {
				select {
				case <-stop:
					return nil
				default:
				}
				c.w = append(c.w, pairCmd...)
				if err := c.flush(); err != nil {
					return err
				}
				for range 2 {
					if rep, err := c.read(); err != nil || rep.kind == '-' {
						return errors.Join(err, errors.New(rep.str))
					}
				}
				next = next.Add(interval)
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				} else if d < -100*interval {
					next = time.Now() // too far behind: do not burst
				}
			}
		}()
	}()
	return func() error {
		close(stop)
		return <-done
	}
}

// gcMargin widens each GC cycle's span on both sides: gctrace gives the
// start in whole milliseconds and calibrate's origin is as coarse, and
// after the span's end the cycle's sweeping is still to come.
const gcMargin = int64(2 * time.Millisecond)

// gcTest probes GET latency on respd while garbage is churned until two
// full GC cycles have ended, and compares the requests sent during the
// cycles with those sent outside them. Redis gets the same churn for as
// long, for comparison.
func gcTest(cfg *config, p pair, t *table, label string) error {
	s := p.respd
	from := s.logSize()
	stopProbe := probing(cfg, s)
	time.Sleep(300 * time.Millisecond)
	stopChurn := churning(s)
	begin := time.Now()
	var cycles []gcCycle
	for time.Since(begin) < cfg.gcTimeout {
		time.Sleep(100 * time.Millisecond)
		if cycles = s.gcCycles(from); len(cycles) >= 2 {
			break
		}
	}
	churnFor := time.Since(begin)
	cerr := stopChurn()
	time.Sleep(300 * time.Millisecond)
	samples, perr := stopProbe()
	if err := errors.Join(cerr, perr); err != nil {
		return fmt.Errorf("respd: %w", err)
	}
	cycles = s.gcCycles(from)
	if len(cycles) == 0 {
		return fmt.Errorf("respd ran no GC cycle in %v of churn", churnFor)
	}
	var in, out []int64
	var outside []sample
	for _, x := range samples {
		inside := false
		for _, c := range cycles {
			if x.at >= c.from-gcMargin && x.at <= c.to+gcMargin {
				inside = true
				break
			}
		}
		if inside {
			in = append(in, x.lat)
		} else {
			out = append(out, x.lat)
			outside = append(outside, x)
		}
	}
	p99In, maxIn, p99Out := p99of(in), maxOf(in), p99of(out)
	maxOutRun := medianRunMax(outside, len(in))
	var all []int64
	for _, x := range samples {
		all = append(all, x.lat)
	}
	respdAll := p99of(all)
	log.Printf("  respd: %d GC cycles in %v of churn; %d GETs inside them p99 %.3f ms max %.3f ms, %d outside p99 %.3f ms, longest of %d in a row outside %.3f ms (median)",
		len(cycles), churnFor.Round(time.Millisecond), len(in), p99In, maxIn, len(out), p99Out, len(in), maxOutRun)

	// The same load on Redis for the same time.
	r := p.redis
	stopProbe = probing(cfg, r)
	time.Sleep(300 * time.Millisecond)
	stopChurn = churning(r)
	time.Sleep(churnFor)
	cerr = stopChurn()
	time.Sleep(300 * time.Millisecond)
	rs, perr := stopProbe()
	if err := errors.Join(cerr, perr); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	all = all[:0]
	for _, x := range rs {
		all = append(all, x.lat)
	}
	redisAll := p99of(all)

	t.info(label+": GET p99 under 256 MB/s garbage churn, -P 1", "ms", respdAll, redisAll)
	t.self(fmt.Sprintf("%s: GET p99 inside GC cycles / outside (%d cycles)", label, len(cycles)), "x", p99In/p99Out, nan, "≤", 2)
	t.self(label+": longest GET inside GC cycles / p99 outside", "x", maxIn/p99Out, nan, "≤", 2)
	// The longest GET inside the cycles, set against the longest of as
	// many GETs sent in a row at other times, and on Redis.
	t.info(fmt.Sprintf("%s: longest of %d GETs in a row / p99 (median; respd outside GC cycles)", label, len(in)), "x",
		maxOutRun/p99Out, medianRunMax(rs, len(in))/redisAll)
	return nil
}

// medianRunMax splits samples, in the order sent, into runs of n and
// returns the median of the runs' longest latencies: what the longest of
// n requests in a row typically is, to set the longest of the n sent
// during GC cycles against.
func medianRunMax(samples []sample, n int) float64 {
	if n == 0 || len(samples) < n {
		return nan
	}
	samples = slices.Clone(samples)
	slices.SortFunc(samples, func(a, b sample) int { return cmp.Compare(a.at, b.at) })
	var maxes []float64
	for i := 0; i+n <= len(samples); i += n {
		longest := slices.MaxFunc(samples[i:i+n], func(a, b sample) int { return cmp.Compare(a.lat, b.lat) })
		maxes = append(maxes, float64(longest.lat)/1e6)
	}
	return median(maxes)
}

// persistTest probes GET latency on each server before and during a
// background save (BGSAVE or BGREWRITEAOF), whose progress field of
// INFO persistence reads 0 once it is done.
func persistTest(cfg *config, p pair, t *table, label, cmd, field string) error {
	var ratio [2]float64
	for i, s := range p.both() {
		stopProbe := probing(cfg, s)
		start := time.Now()
		time.Sleep(2 * time.Second)
		t0 := time.Now()
		_, err := s.ctl.do(cmd)
		if err == nil {
			time.Sleep(50 * time.Millisecond)
			err = s.waitInfo("persistence", field, "0", 10*time.Minute)
		}
		if err == nil && cmd == "BGREWRITEAOF" {
			err = s.waitInfo("persistence", "aof_rewrite_scheduled", "0", 10*time.Minute)
		}
		t1 := time.Now()
		time.Sleep(300 * time.Millisecond)
		samples, perr := stopProbe()
		if err := errors.Join(err, perr); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		before, _, nb := latencies(samples, start.UnixNano(), t0.UnixNano())
		during, maxDuring, nd := latencies(samples, t0.UnixNano(), t1.UnixNano())
		ratio[i] = during / before
		log.Printf("  %s %s: %v; GET p99 before %.3f ms (%d), during %.3f ms max %.3f ms (%d)",
			s.name, cmd, t1.Sub(t0).Round(time.Millisecond), before, nb, during, maxDuring, nd)
	}
	t.self(label+": GET p99 during "+cmd+" / before", "x", ratio[0], ratio[1], "≤", 2)
	return nil
}
