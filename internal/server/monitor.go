package server

import (
	"slices"
	"strconv"
	"time"

	"github.com/respd/respd/internal/command"
)

// MONITOR: every command the engine calls is rendered as Redis does
// ("+<sec>.<usec> [<db> <addr>] "arg" ...") into each monitoring
// client's output buffer, and that client is poked to write it.

// Monitor implements command.Conn.
func (c *client) Monitor(ctx *command.Ctx) {
	if c.monitor {
		return
	}
	c.monitor = true
	c.s.monitors = append(c.s.monitors, c)
	ctx.OK()
}

// dropMonitor stops c monitoring.
func (s *Server) dropMonitor(c *client) {
	if !c.monitor {
		return
	}
	c.monitor = false
	if i := slices.Index(s.monitors, c); i >= 0 {
		s.monitors = slices.Delete(s.monitors, i, i+1)
	}
}

// feedMonitors sends c's command to the monitors. Admin commands and the
// ones flagged skip-monitor are not shown, as in Redis.
func (s *Server) feedMonitors(c *client, cmd *command.Command, args [][]byte) {
	if cmd.Has(command.Admin) || cmd.Has(command.SkipMonitor) {
		return
	}
	s.monitorLine(c, cmd, args)
}

// monitorLine sends one MONITOR line for args run by c.
func (s *Server) monitorLine(c *client, cmd *command.Command, args [][]byte) {
	now := time.Now()
	line := make([]byte, 0, 64)
	line = append(line, '+')
	line = strconv.AppendInt(line, now.Unix(), 10)
	line = append(line, '.')
	us := now.Nanosecond() / 1000
	for d := 100000; d > 1 && us < d; d /= 10 {
		line = append(line, '0')
	}
	line = strconv.AppendInt(line, int64(us), 10)
	line = append(line, " ["...)
	line = strconv.AppendInt(line, int64(c.sess.DB), 10)
	line = append(line, ' ')
	if c == s.lua.client {
		line = append(line, "lua"...)
	} else {
		line = append(line, c.sess.Addr...)
	}
	line = append(line, ']')
	// Passwords (AUTH, HELLO AUTH) are hidden, as in the slowlog.
	redacted := redactedArgs(cmd, args)
	for i, a := range args {
		line = append(line, ' ')
		if redacted[i] {
			line = append(line, `"(redacted)"`...)
			continue
		}
		line = appendRepr(line, a)
	}
	line = append(line, "\r\n"...)
	for _, m := range s.monitors {
		if m.killed {
			continue
		}
		m.ctx.B = append(m.ctx.B, line...)
		if m != c && !s.overLimit(m) {
			m.poke()
		}
	}
}

// appendRepr appends a as a double-quoted string with C-style escapes,
// the way Redis shows binary-safe strings.
func appendRepr(b, a []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range a {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch >= ' ' && ch <= '~' {
				b = append(b, ch)
			} else {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&15])
			}
		}
	}
	return append(b, '"')
}
