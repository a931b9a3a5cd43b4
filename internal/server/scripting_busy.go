package server

import (
	"errors"
	"runtime"
	"time"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
)

// processBusy answers a client while a script runs past
// busy-reply-threshold, without the engine lock (the script holds it):
// SCRIPT KILL and FUNCTION KILL stop the script, FUNCTION STATS shows the
// running function, every other command gets BUSY. It writes its replies itself and returns how many bytes it
// consumed and whether the batch is done; it stops before SHUTDOWN
// NOSAVE, which aborts the script and then runs normally once the lock is free.
func (c *client) processBusy(buf []byte) (int, bool) {
	e := c.s.lua.engine
	pos := 0
	var out []byte
	defer func() {
		if len(out) > 0 {
			c.writeNow(out)
			c.s.stats.netOut.Add(int64(len(out)))
		}
	}()
	for pos < len(buf) {
		args, n, err := c.parser.Parse(buf[pos:], c.args)
		c.args = args
		if err != nil {
			var pe resp.ProtocolError
			if errors.As(err, &pe) {
				// Reported by the normal path.
				return pos, false
			}
			return pos, true
		}
		if len(args) == 0 {
			pos += n
			continue
		}
		switch {
		case command.EqualFold(args[0], "shutdown") && len(args) == 2 && command.EqualFold(args[1], "nosave"):
			e.Abort()
			return pos, false
		case len(args) == 2 && command.EqualFold(args[0], "script") && command.EqualFold(args[1], "kill"),
			len(args) == 2 && command.EqualFold(args[0], "function") && command.EqualFold(args[1], "kill"):
			if r := e.Kill(command.EqualFold(args[0], "function")); r != "" {
				out = resp.AppendError(out, string(r))
			} else {
				out = append(out, "+OK\r\n"...)
			}
		case len(args) == 2 && command.EqualFold(args[0], "function") && command.EqualFold(args[1], "stats"):
			// The protocol only changes on this goroutine's own commands.
			out = append(out, e.BusyStats(c.ctx.Proto)...)
		default:
			out = resp.AppendError(out, string(e.BusyError()))
		}
		pos += n
	}
	return pos, true
}

// lockEngine takes the engine lock, or returns false without it when a
// script is busy. A goroutine that finds the lock taken while a script
// runs keeps polling instead of queueing on the mutex, so that it answers
// BUSY once the script passes the threshold, as Redis answers clients
// whose commands arrived during the script. Otherwise it waits on the
// mutex as usual: the uncontended path is one atomic load and one CAS.
func (s *Server) lockEngine() bool {
	e := s.lua.engine
	if e.Busy() {
		return false
	}
	if s.mu.TryLock() {
		return true
	}
	for spins := 0; e.Running(); spins++ {
		if e.Busy() {
			return false
		}
		if s.mu.TryLock() {
			return true
		}
		if spins < 100 {
			runtime.Gosched()
		} else {
			time.Sleep(time.Millisecond)
		}
	}
	s.mu.Lock()
	return true
}
