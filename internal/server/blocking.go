package server

import (
	"errors"
	"net"
	"slices"
	"time"

	"github.com/respd/respd/internal/command"
)

// Blocking commands (BLPOP, XREAD BLOCK, ...) park their client instead of
// replying. The engine keeps, per database and key, the parked clients in
// the order they blocked. Any change to such a key marks it ready; after
// the command that changed it, the engine re-runs each waiter's command,
// first blocked first, on the waiter's behalf, writing into the waiter's
// output buffer. A waiter whose command replies this time is unparked and
// woken; one whose command blocks again keeps its place.
//
// While parked, a client's goroutine keeps reading (so pipelined input
// queues up and a disconnect is noticed) but runs nothing. It is woken by
// a poke (see client.poked), and its own read deadline is the timeout.

// blocked is a client's parked command; engine-owned.
type blocked struct {
	req  *command.BlockRequest
	cmd  *command.Command
	args [][]byte // copies: the read buffer moves on while parked
	db   int
}

// blockState is the engine's registry of parked clients.
type blockState struct {
	// byKey[db][key] lists the clients waiting on key, oldest first.
	byKey []map[string][]*client
	count int
	ready []readyKey
	isRdy map[readyKey]bool
}

type readyKey struct {
	db  int
	key string
}

func (s *Server) initBlocking() {
	s.block.byKey = make([]map[string][]*client, len(s.ks.DBs))
	for i := range s.block.byKey {
		s.block.byKey[i] = map[string][]*client{}
	}
	s.block.isRdy = map[readyKey]bool{}
}

// keyChanged is the keyspace's change hook (a nil key means the whole
// database changed): it breaks WATCHes and marks keys with waiters ready.
func (s *Server) keyChanged(db int, key []byte) {
	s.touchWatched(db, key)
	s.markWaitersReady(db, key)
	if s.track.active() {
		s.trackKeyChanged(key)
	}
}

func (s *Server) markWaitersReady(db int, key []byte) {
	if s.block.count == 0 {
		return
	}
	waiting := s.block.byKey[db]
	if key == nil {
		for k := range waiting {
			s.markReady(db, k)
		}
		return
	}
	if _, ok := waiting[string(key)]; ok {
		s.markReady(db, string(key))
	}
}

func (s *Server) markReady(db int, key string) {
	rk := readyKey{db, key}
	if !s.block.isRdy[rk] {
		s.block.isRdy[rk] = true
		s.block.ready = append(s.block.ready, rk)
	}
}

// park registers c's command, which asked to block, and arms its read
// deadline for the timeout.
func (s *Server) park(c *client, cmd *command.Command, args [][]byte) {
	req := c.ctx.Blocked
	c.ctx.Blocked = nil
	b := &blocked{req: req, cmd: cmd, db: c.sess.DB}
	for _, a := range args {
		b.args = append(b.args, append([]byte(nil), a...))
	}
	c.blocked = b
	for _, k := range req.Keys {
		m := s.block.byKey[b.db]
		m[string(k)] = append(m[string(k)], c)
	}
	s.block.count++
	c.conn.SetReadDeadline(s.realDeadline(req.DeadlineMs))
}

// unpark removes c from every key it waits on.
func (s *Server) unpark(c *client) {
	b := c.blocked
	if b == nil {
		return
	}
	m := s.block.byKey[b.db]
	for _, k := range b.req.Keys {
		list := m[string(k)]
		for i, w := range list {
			if w == c {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(m, string(k))
		} else {
			m[string(k)] = list
		}
	}
	c.blocked = nil
	s.block.count--
}

// wake unparks c and pokes its goroutine to write the reply.
func (s *Server) wake(c *client) {
	s.unpark(c)
	c.poke()
}

// poke interrupts the client goroutine's read so it writes the replies
// queued for it by others. Called under the engine lock; the goroutine
// re-arms its deadline under the same lock, so a poke is never lost.
func (c *client) poke() {
	c.conn.SetReadDeadline(time.Unix(1, 0))
}

// serveReady re-runs the commands of clients waiting on ready keys. Their
// replies may make more keys ready (BLMOVE pushes), which are served in
// the same loop.
func (s *Server) serveReady() {
	for len(s.block.ready) > 0 {
		rk := s.block.ready[0]
		s.block.ready = s.block.ready[1:]
		delete(s.block.isRdy, rk)
		waiters := append([]*client(nil), s.block.byKey[rk.db][rk.key]...)
		for _, w := range waiters {
			b := w.blocked
			if b == nil {
				continue
			}
			ctx := &w.ctx
			ctx.Args, ctx.Cmd, ctx.ReadyKey, ctx.Resumed = b.args, b.cmd, []byte(rk.key), b.req
			// Each waiter served is a unit of propagation of its own.
			prop, dirty := s.prop.unit.On, s.ks.Dirty
			if prop {
				s.prop.unit.BeginCall()
			}
			s.nesting++
			s.ks.Writing = b.cmd.Has(command.Write)
			b.cmd.Fn(ctx)
			s.ks.Writing = false
			s.ks.Settle()
			s.nesting--
			if prop {
				s.endCall(b.cmd, b.args, b.db, dirty)
				if s.ks.Dirty != dirty {
					w.lseq = s.prop.seq + 1 // for WAITAOF
					if s.repl.backlog != nil {
						w.woff = s.replOffset() + int64(len(s.prop.out)) // for WAIT
					}
				}
			}
			ctx.Args, ctx.ReadyKey, ctx.Resumed = nil, nil, nil
			if ctx.Blocked != nil {
				// Still nothing for it: it keeps its place.
				ctx.Blocked = nil
				continue
			}
			s.wake(w)
		}
	}
	s.block.ready = s.block.ready[:0]
}

// expireBlocked times out waiters whose deadline passed by the keyspace
// clock; the cron calls it so a fake clock's jumps are honoured too.
func (s *Server) expireBlocked() {
	if s.block.count == 0 {
		return
	}
	now := s.ks.Now()
	var due []*client
	for _, m := range s.block.byKey {
		for _, list := range m {
			for _, c := range list {
				if b := c.blocked; b != nil && timedOut(b.req.DeadlineMs, now) && !slices.Contains(due, c) {
					due = append(due, c)
				}
			}
		}
	}
	for _, c := range due {
		c.blocked.req.OnTimeout(&c.ctx.Writer)
		s.wake(c)
	}
}

// timedOut reports whether a parked command's deadline has passed, in
// whole milliseconds of the keyspace clock, as Redis counts them.
func timedOut(deadlineMs, nowMs int64) bool {
	return deadlineMs != 0 && deadlineMs <= nowMs
}

// realDeadline converts a keyspace-clock deadline to a wall-clock one for
// the connection; 0 means none.
func (s *Server) realDeadline(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.Now().Add(time.Duration(ms-s.ks.Now()+1) * time.Millisecond)
}

// isTimeout reports a read interrupted by its deadline: a poke or a
// parked command's timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
