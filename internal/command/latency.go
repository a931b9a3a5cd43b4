package command

import (
	"strconv"
	"strings"
)

// LatencySample is one second's worst latency of an event.
type LatencySample struct {
	// Time is the second, in Unix seconds.
	Time int64
	// Ms is the worst latency seen in that second.
	Ms int64
}

// LatencyEvent is the recorded history of one event class ("command",
// "fast-command").
type LatencyEvent struct {
	Name string
	// Samples are the kept samples, oldest first.
	Samples []LatencySample
	// Max is the worst latency ever recorded for the event.
	Max int64
}

var latencyCommands = []*Command{
	{Name: "latency", Arity: -2, ACL: CatSlow, Group: "server", Since: "2.8.13", Summary: "A container for latency diagnostics commands.", Sub: []*Command{
		{Name: "doctor", Fn: latencyDoctor, Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.8.13", Summary: "Returns a human-readable latency analysis report."},
		{Name: "graph", Fn: latencyGraph, Arity: 3, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.8.13", Summary: "Returns a latency graph for an event."},
		{Name: "reset", Fn: latencyReset, Arity: -2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.8.13", Summary: "Resets the latency data for one or more events."},
		{Name: "history", Fn: latencyHistory, Arity: 3, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.8.13", Summary: "Returns timestamp-latency samples for an event."},
		{Name: "help", Fn: latencyHelp, Arity: 2, Flags: Loading | Stale, ACL: CatSlow, Since: "2.8.13", Summary: "Returns helpful text about the different subcommands."},
		{Name: "histogram", Fn: latencyHistogram, Arity: -2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "7.0.0", Summary: "Return the cumulative distribution of latencies of a subset of commands or all."},
		{Name: "latest", Fn: latencyLatest, Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.8.13", Summary: "Returns the latest latency samples for all events."},
	}},
}

// LatencyHistogram is one command's latency distribution: its calls and,
// for each power of two of microseconds that some call did not exceed,
// how many calls did not exceed it.
type LatencyHistogram struct {
	Name    string
	Calls   int64
	Buckets [][2]int64
}

// latencyHistogram replies a map of command name to its calls and
// cumulative histogram; names that match no command, or commands never
// called, are left out.
func latencyHistogram(c *Ctx) {
	names := make([]string, 0, len(c.Args)-2)
	for _, a := range c.Args[2:] {
		names = append(names, string(a))
	}
	hs := c.Host.LatencyHistograms(names)
	c.Map(len(hs))
	for _, h := range hs {
		c.BulkString(h.Name)
		c.Map(2)
		c.BulkString("calls")
		c.Int(h.Calls)
		c.BulkString("histogram_usec")
		c.Map(len(h.Buckets))
		for _, b := range h.Buckets {
			c.Int(b[0])
			c.Int(b[1])
		}
	}
}

// findEvent returns the event named name, or nil.
func findEvent(events []LatencyEvent, name []byte) *LatencyEvent {
	for i := range events {
		if events[i].Name == string(name) {
			return &events[i]
		}
	}
	return nil
}

func latencyLatest(c *Ctx) {
	events := c.Host.LatencyEvents()
	c.Array(len(events))
	for _, e := range events {
		last := e.Samples[len(e.Samples)-1]
		c.Array(4)
		c.BulkString(e.Name)
		c.Int(last.Time)
		c.Int(last.Ms)
		c.Int(e.Max)
	}
}

func latencyHistory(c *Ctx) {
	e := findEvent(c.Host.LatencyEvents(), c.Args[2])
	if e == nil {
		c.Array(0)
		return
	}
	c.Array(len(e.Samples))
	for _, s := range e.Samples {
		c.Array(2)
		c.Int(s.Time)
		c.Int(s.Ms)
	}
}

func latencyReset(c *Ctx) {
	names := make([]string, 0, len(c.Args)-2)
	for _, a := range c.Args[2:] {
		names = append(names, string(a))
	}
	c.Int(int64(c.Host.LatencyReset(names)))
}

// graphHeight is how many rows of marks LATENCY GRAPH draws.
const graphHeight = 4

// latencyGraph draws the event's samples as columns of marks scaled
// between the lowest and highest sample, each labelled below with how
// long ago it was taken, in Redis's layout (header, rule, rows, labels);
// the drawing itself is respd's.
func latencyGraph(c *Ctx) {
	e := findEvent(c.Host.LatencyEvents(), c.Args[2])
	if e == nil {
		c.Errorf("ERR No samples available for event '" + string(c.Args[2]) + "'")
		return
	}
	lo, hi := e.Samples[0].Ms, e.Samples[0].Ms
	for _, s := range e.Samples {
		lo, hi = min(lo, s.Ms), max(hi, s.Ms)
	}
	var b strings.Builder
	b.WriteString(e.Name + " - high " + strconv.FormatInt(hi, 10) + " ms, low " + strconv.FormatInt(lo, 10) +
		" ms (all time high " + strconv.FormatInt(e.Max, 10) + " ms)\n")
	b.WriteString(strings.Repeat("-", 80) + "\n")
	for row := graphHeight; row >= 1; row-- {
		for _, s := range e.Samples {
			level := graphHeight
			if hi > lo {
				level = 1 + int((s.Ms-lo)*(graphHeight-1)/(hi-lo))
			}
			switch {
			case level > row:
				b.WriteByte('|')
			case level == row:
				b.WriteByte('_')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	now := c.DB.Now() / 1000
	labels := make([]string, len(e.Samples))
	width := 0
	for i, s := range e.Samples {
		labels[i] = agoLabel(now - s.Time)
		width = max(width, len(labels[i]))
	}
	for j := 0; j < width; j++ {
		for _, l := range labels {
			if j < len(l) {
				b.WriteByte(l[j])
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	c.Verbatim("txt", b.String())
}

// agoLabel renders an age in seconds as a short label: 5s, 3m, 2h, 1d.
func agoLabel(sec int64) string {
	sec = max(sec, 0)
	switch {
	case sec < 60:
		return strconv.FormatInt(sec, 10) + "s"
	case sec < 3600:
		return strconv.FormatInt(sec/60, 10) + "m"
	case sec < 86400:
		return strconv.FormatInt(sec/3600, 10) + "h"
	}
	return strconv.FormatInt(sec/86400, 10) + "d"
}

// latencyDoctor writes a plain-language report on the recorded events:
// respd's own wording, in Redis's shape (a greeting, one numbered line
// per event with its statistics, then advice).
func latencyDoctor(c *Ctx) {
	cfg := c.Host.Config()
	threshold := cfg.Int("latency-monitor-threshold")
	var b strings.Builder
	events := c.Host.LatencyEvents()
	switch {
	case threshold == 0 && len(events) == 0:
		b.WriteString("Latency monitoring is disabled on this server, so there is nothing to analyse. " +
			"Enable it with \"CONFIG SET latency-monitor-threshold <milliseconds>\" and ask again once some events were recorded.\n")
	case len(events) == 0:
		b.WriteString("No latency events at or above the " + strconv.FormatInt(threshold, 10) +
			" ms threshold were recorded on this server. Nothing to report.\n")
	default:
		b.WriteString("Latency spikes were recorded on this server. The events, worst first in each line:\n\n")
		for i, e := range events {
			var sum int64
			for _, s := range e.Samples {
				sum += s.Ms
			}
			n := int64(len(e.Samples))
			avg := sum / n
			var dev int64
			for _, s := range e.Samples {
				d := s.Ms - avg
				dev += max(d, -d)
			}
			period := float64(e.Samples[n-1].Time-e.Samples[0].Time) / float64(n)
			if n == 1 {
				period = float64(c.DB.Now()/1000-e.Samples[0].Time) + 1
			}
			b.WriteString(strconv.Itoa(i+1) + ". " + e.Name + ": " + strconv.FormatInt(n, 10) +
				" latency spikes (average " + strconv.FormatInt(avg, 10) + "ms, mean deviation " +
				strconv.FormatInt(dev/n, 10) + "ms, period " + strconv.FormatFloat(period, 'f', 2, 64) +
				" sec). Worst all time event " + strconv.FormatInt(e.Max, 10) + "ms.\n")
		}
		b.WriteString("\nSuggestions:\n\n")
		slower := cfg.Int("slowlog-log-slower-than")
		if slower < 0 || slower/1000 > threshold {
			b.WriteString("- The slow log misses commands this slow: set slowlog-log-slower-than to " +
				strconv.FormatInt(threshold*1000, 10) + " or less to see them there.\n")
		}
		b.WriteString("- SLOWLOG GET shows which commands were slow and with what arguments.\n")
		b.WriteString("- Deleting or expiring very large values blocks the server; splitting them into smaller keys avoids that.\n")
	}
	c.Verbatim("txt", b.String())
}

func latencyHelp(c *Ctx) {
	helpReply(c, "LATENCY",
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	)
}
