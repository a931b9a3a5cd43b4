package server

import (
	"math"
	"strconv"
	"time"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/ticks"
)

// Limits on what a slowlog entry keeps of a command, as in Redis: the
// first slowlogMaxArgs arguments (the last slot then says how many more
// there were) and the first slowlogMaxString bytes of each.
const (
	slowlogMaxArgs   = 32
	slowlogMaxString = 128
)

// introspection holds the slowlog, the latency monitor and the DEBUG
// switches; engine-owned.
type introspection struct {
	// slowerThan is slowlog-log-slower-than as a duration, MaxInt64
	// when disabled; latencyMin is latency-monitor-threshold likewise.
	// interesting is the smaller: a command faster than it costs one
	// comparison.
	slowerThan, latencyMin, interesting time.Duration
	maxLen                              int
	// mark is when the running command started: the batch start or the
	// previous command's end.
	mark ticks.Stamp
	// slowlog holds the entries, oldest first.
	slowlog []command.SlowlogEntry
	nextID  int64
	latency map[string]*latencySeries
	// noActiveExpire is DEBUG SET-ACTIVE-EXPIRE 0: the cron leaves
	// expired keys alone until something reads them.
	noActiveExpire bool
	// startupHeap and peakHeap feed MEMORY STATS.
	startupHeap, peakHeap int64
}

// initIntrospect ties the slowlog and latency monitor to their live
// configuration.
func (s *Server) initIntrospect() {
	in := &s.intro
	in.latency = map[string]*latencySeries{}
	in.startupHeap = heapAlloc()
	in.peakHeap = in.startupHeap
	s.cfg.OnChange("slowlog-log-slower-than", func(string) {
		in.slowerThan = math.MaxInt64
		if v := s.cfg.Int("slowlog-log-slower-than"); v >= 0 && v < math.MaxInt64/int64(time.Microsecond) {
			in.slowerThan = time.Duration(v) * time.Microsecond
		}
		in.interesting = min(in.slowerThan, in.latencyMin)
	})
	s.cfg.OnChange("slowlog-max-len", func(string) {
		in.maxLen = int(min(s.cfg.Int("slowlog-max-len"), math.MaxInt32))
		in.trimSlowlog()
	})
	s.cfg.OnChange("latency-monitor-threshold", func(string) {
		in.latencyMin = math.MaxInt64
		if v := s.cfg.Int("latency-monitor-threshold"); v > 0 && v < math.MaxInt64/int64(time.Millisecond) {
			in.latencyMin = time.Duration(v) * time.Millisecond
		}
		in.interesting = min(in.slowerThan, in.latencyMin)
	})
}

// timedCall runs a command's handler and measures it for the slowlog
// and the latency monitor. One reading of package ticks per command: a
// command's start is the previous one's end (or the batch start, see
// markBatch), so a measurement also holds the few nanoseconds spent
// parsing it. A command under both thresholds allocates nothing.
func (s *Server) timedCall(c *client, cmd *command.Command, ctx *command.Ctx) {
	start := s.intro.mark
	errs := s.cstats.total
	s.ks.Writing = cmd.Has(command.Write)
	cmd.Fn(ctx)
	s.ks.Writing = false
	s.ks.Settle()
	end := ticks.Now()
	s.intro.mark = end
	d := ticks.Between(start, end)
	if ctx.Blocked == nil {
		s.countCall(cmd, d, s.cstats.total > errs)
	}
	if d < s.intro.interesting || ctx.Blocked != nil {
		return
	}
	s.commandWasSlow(c, cmd, ctx.Args, d)
}

// markBatch starts the timing of a batch of commands (see timedCall).
func (s *Server) markBatch() { s.intro.mark = ticks.Now() }

// commandWasSlow records a command that reached a threshold.
func (s *Server) commandWasSlow(c *client, cmd *command.Command, args [][]byte, d time.Duration) {
	in := &s.intro
	now := s.ks.Clock.NowMs() / 1000
	if d >= in.latencyMin {
		event := "command"
		if cmd.Has(command.Fast) {
			event = "fast-command"
		}
		in.addLatency(event, now, d.Milliseconds())
	}
	if d < in.slowerThan || cmd.Has(command.SkipSlowlog) {
		return
	}
	in.nextID++
	in.slowlog = append(in.slowlog, command.SlowlogEntry{
		ID: in.nextID - 1, Time: now, Micros: d.Microseconds(),
		Args: slowlogArgs(cmd, args), Addr: c.sess.Addr, Name: c.sess.Name,
	})
	in.trimSlowlog()
}

func (in *introspection) trimSlowlog() {
	if over := len(in.slowlog) - in.maxLen; over > 0 {
		in.slowlog = append(in.slowlog[:0], in.slowlog[over:]...)
	}
}

// slowlogArgs copies what an entry keeps of the arguments: secrets
// redacted, then cut to the argument and length limits.
func slowlogArgs(cmd *command.Command, args [][]byte) [][]byte {
	redacted := redactedArgs(cmd, args)
	n := min(len(args), slowlogMaxArgs)
	out := make([][]byte, n)
	for j := 0; j < n; j++ {
		a := args[j]
		switch {
		case n != len(args) && j == n-1:
			out[j] = []byte("... (" + strconv.Itoa(len(args)-n+1) + " more arguments)")
		case redacted[j]:
			out[j] = []byte("(redacted)")
		case len(a) > slowlogMaxString:
			out[j] = append(a[:slowlogMaxString:slowlogMaxString], "... ("+strconv.Itoa(len(a)-slowlogMaxString)+" more bytes)"...)
		default:
			out[j] = append([]byte(nil), a...)
		}
	}
	return out
}

// sensitiveConfigs are the directives whose values CONFIG SET keeps out
// of the slowlog.
var sensitiveConfigs = map[string]bool{"requirepass": true, "masterauth": true, "masteruser": true}

// redactedArgs marks the arguments Redis hides from the slowlog:
// passwords given to AUTH, HELLO, MIGRATE and CONFIG SET.
func redactedArgs(cmd *command.Command, args [][]byte) []bool {
	r := make([]bool, len(args))
	switch cmd.FullName() {
	case "auth":
		for j := 1; j < len(args); j++ {
			r[j] = true
		}
	case "hello":
		for j := 2; j < len(args); j++ {
			more := len(args) - 1 - j
			if command.EqualFold(args[j], "auth") && more >= 2 {
				r[j+1], r[j+2] = true, true
				j += 2
			} else if command.EqualFold(args[j], "setname") && more >= 1 {
				j++
			} else {
				break
			}
		}
	case "migrate":
		for j := 6; j < len(args); j++ {
			more := len(args) - 1 - j
			if command.EqualFold(args[j], "auth") && more >= 1 {
				r[j+1] = true
				j++
			} else if command.EqualFold(args[j], "auth2") && more >= 2 {
				r[j+1], r[j+2] = true, true
				j += 2
			}
		}
	case "config|set":
		for j := 2; j+1 < len(args); j += 2 {
			if d := configName(args[j]); sensitiveConfigs[d] {
				r[j+1] = true
			}
		}
	}
	return r
}

// configName lower-cases a directive name for the sensitive check.
func configName(b []byte) string {
	out := make([]byte, len(b))
	for i, ch := range b {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		out[i] = ch
	}
	return string(out)
}

// Slowlog implements command.Host.
func (s *Server) Slowlog(count int64) []command.SlowlogEntry {
	log := s.intro.slowlog
	n := int(min(count, int64(len(log))))
	out := make([]command.SlowlogEntry, n)
	for i := range out {
		out[i] = log[len(log)-1-i]
	}
	return out
}

// SlowlogLen implements command.Host.
func (s *Server) SlowlogLen() int { return len(s.intro.slowlog) }

// SlowlogReset implements command.Host.
func (s *Server) SlowlogReset() { s.intro.slowlog = nil }

// SetActiveExpire implements command.Host.
func (s *Server) SetActiveExpire(on bool) { s.intro.noActiveExpire = !on }
