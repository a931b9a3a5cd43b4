package server

import (
	"slices"
	"strconv"
	"time"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/pubsub"
)

// Client management: CLIENT LIST / KILL / UNBLOCK / PAUSE / REPLY, and
// the idle timeout. All of it runs under the engine lock; s.cmu guards
// only the clients map.
//
// A kill marks the client and closes its connection: its goroutine's read
// then fails and serve's deferred cleanup unparks, unwatches and
// unsubscribes it, and the mark stops it running input it already read.
//
// CLIENT PAUSE does not consume the command it holds back: the batch
// stops before it, the client is listed as paused with its read deadline
// at the pause's end, and its goroutine only queues input meanwhile.
// When the pause ends (CLIENT UNPAUSE, or the cron or the client's own
// deadline noticing the time) every paused client is poked and, being no
// longer paused, parses and runs its pending input as if it just arrived.

// pauseState is a CLIENT PAUSE in force; engine-owned.
type pauseState struct {
	on    bool
	all   bool  // ALL; otherwise WRITE
	endMs int64 // keyspace clock
	// failover is FAILOVER's own pause of writes (failover.go), with
	// no end time; CLIENT UNPAUSE leaves it in force.
	failover bool
	// waiters are the clients holding a command back.
	waiters []*client
}

// errUnblocked is the reply of a command ended by CLIENT UNBLOCK ... ERROR.
const errUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

// matches reports whether c is selected by f.
func (c *client) matches(f *command.ClientFilter) bool {
	if len(f.IDs) > 0 && !slices.Contains(f.IDs, c.sess.ID) {
		return false
	}
	if f.SkipID != 0 && c.sess.ID == f.SkipID {
		return false
	}
	if f.Addr != nil && *f.Addr != c.sess.Addr {
		return false
	}
	if f.LAddr != nil && *f.LAddr != c.sess.LAddr {
		return false
	}
	if f.User != nil && *f.User != c.userName() {
		return false
	}
	return f.Type == "" || f.Type == c.clientType()
}

// clientType is the class CLIENT KILL/LIST TYPE and the output limits
// use; a MONITOR client counts as normal, as in Redis.
func (c *client) clientType() string {
	if c.isMaster {
		return "master"
	}
	if c.isReplica() {
		return "replica"
	}
	if c.sess.Subs > 0 {
		return "pubsub"
	}
	return "normal"
}

// selected returns the clients f selects, by id.
func (s *Server) selected(f *command.ClientFilter) []*client {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	var out []*client
	for _, id := range sortedIDs(s.clients) {
		if c := s.clients[id]; !c.killed && c.matches(f) {
			out = append(out, c)
		}
	}
	return out
}

// ClientList implements command.Host.
func (s *Server) ClientList(f *command.ClientFilter) string {
	wallNow := time.Now().UnixMilli()
	now := s.ks.Now()
	var b []byte
	for _, c := range s.selected(f) {
		b = c.appendInfo(b, wallNow, now)
	}
	return string(b)
}

// appendInfo appends c's CLIENT LIST line, with Redis 7.0's fields. The
// memory and buffer fields are constants: respd does not account them.
func (c *client) appendInfo(b []byte, wallNow, now int64) []byte {
	multi := int64(-1)
	if c.multi != nil {
		multi = int64(len(c.multi.queue))
	}
	b = append(b, "id="...)
	b = strconv.AppendInt(b, c.sess.ID, 10)
	b = append(b, " addr="...)
	b = append(b, c.sess.Addr...)
	b = append(b, " laddr="...)
	b = append(b, c.sess.LAddr...)
	b = append(b, " fd="...)
	b = strconv.AppendInt(b, c.sess.ID+7, 10)
	b = append(b, " name="...)
	b = append(b, c.sess.Name...)
	b = append(b, " age="...)
	b = strconv.AppendInt(b, (wallNow-c.sess.CreatedMs)/1000, 10)
	b = append(b, " idle="...)
	b = strconv.AppendInt(b, max(0, now-c.lastMs)/1000, 10)
	b = append(b, " flags="...)
	b = c.appendFlags(b)
	b = append(b, " db="...)
	b = strconv.AppendInt(b, int64(c.sess.DB), 10)
	b = append(b, " sub="...)
	b = strconv.AppendInt(b, int64(len(c.subscribed(pubsub.Channel))), 10)
	b = append(b, " psub="...)
	b = strconv.AppendInt(b, int64(len(c.subscribed(pubsub.Pattern))), 10)
	b = append(b, " ssub="...)
	b = strconv.AppendInt(b, int64(len(c.subscribed(pubsub.Shard))), 10)
	b = append(b, " multi="...)
	b = strconv.AppendInt(b, multi, 10)
	b = append(b, " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs="...)
	b = strconv.AppendInt(b, readBufSize, 10)
	// omem is the output not yet accepted by the socket (output.go);
	// tot-mem adds the read buffer.
	omem := c.pendingOutput()
	b = append(b, " rbp=0 obl=0 oll=0 omem="...)
	b = strconv.AppendInt(b, omem, 10)
	b = append(b, " tot-mem="...)
	b = strconv.AppendInt(b, omem+readBufSize, 10)
	b = append(b, " events=r cmd="...)
	b = append(b, orNULL(c.lastCmd)...)
	b = append(b, " user="...)
	b = append(b, c.userName()...)
	b = append(b, " redir="...)
	b = strconv.AppendInt(b, c.redirectID(), 10)
	b = append(b, " resp="...)
	b = strconv.AppendInt(b, int64(c.ctx.Proto), 10)
	return append(b, '\n')
}

// appendFlags renders the flags field, in Redis's letter order.
func (c *client) appendFlags(b []byte) []byte {
	start := len(b)
	if c.isReplica() {
		b = append(b, 'S')
	}
	if c.isMaster {
		b = append(b, 'M')
	}
	if c.monitor {
		b = append(b, 'O')
	}
	if c.sess.Subs > 0 {
		b = append(b, 'P')
	}
	if c.multi != nil {
		b = append(b, 'x')
	}
	if c.blocked != nil || c.paused {
		b = append(b, 'b')
	}
	if t := c.track; t != nil && t.on {
		b = append(b, 't')
		if t.broken {
			b = append(b, 'R')
		}
		if t.bcast {
			b = append(b, 'B')
		}
	}
	if c.dirtyCAS {
		b = append(b, 'd')
	}
	if c.sess.CloseAfterReply {
		b = append(b, 'c')
	}
	if c.killed {
		b = append(b, 'A')
	}
	if c.sess.NoEvict {
		b = append(b, 'e')
	}
	if c.sess.NoTouch {
		b = append(b, 'T')
	}
	if len(b) == start {
		b = append(b, 'N')
	}
	return b
}

// KillClients implements command.Host.
func (s *Server) KillClients(f *command.ClientFilter, self int64) int {
	n := 0
	for _, c := range s.selected(f) {
		n++
		if c.sess.ID == self {
			c.sess.CloseAfterReply = true
			continue
		}
		s.kill(c)
	}
	return n
}

// kill closes c's connection and, as Redis frees a killed client at
// once, drops it from everything now: no blocked command of it is served
// afterwards, PUBLISH no longer counts it, CLIENT LIST no longer shows
// it. Its goroutine's deferred cleanup then finds nothing left to do.
func (s *Server) kill(c *client) {
	c.killed = true
	c.conn.Close()
	s.unpark(c)
	c.unwatchAll()
	c.unsubscribeAll()
	s.forget(c)
	s.cmu.Lock()
	delete(s.clients, c.sess.ID)
	s.cmu.Unlock()
}

// UnblockClient implements command.Host.
func (s *Server) UnblockClient(id int64, withError bool) bool {
	s.cmu.Lock()
	c := s.clients[id]
	s.cmu.Unlock()
	if c == nil || c.blocked == nil || c.killed {
		return false
	}
	if withError {
		c.ctx.Errorf(errUnblocked)
	} else {
		c.blocked.req.OnTimeout(&c.ctx.Writer)
	}
	s.wake(c)
	return true
}

// PauseClients implements command.Host. A new pause never shortens nor
// weakens one in force, as in Redis.
func (s *Server) PauseClients(ms int64, all bool) {
	end := s.ks.Now() + ms
	if end < 0 {
		end = 1<<63 - 1
	}
	p := &s.pause
	if p.on && s.ks.Now() < p.endMs {
		p.endMs = max(p.endMs, end)
		p.all = p.all || all
		return
	}
	p.on, p.all, p.endMs = true, all, end
	s.freezeDataset()
}

// UnpauseClients implements command.Host.
func (s *Server) UnpauseClients() {
	s.pause.on = false
	s.freezeDataset()
	s.wakePaused()
}

// wakePaused lets every held client run its command again, after a
// pause ended: one that the other pause still holds parks again.
func (s *Server) wakePaused() {
	p := &s.pause
	for _, c := range p.waiters {
		c.paused = false
		c.poke()
	}
	p.waiters = p.waiters[:0]
}

// freezeDataset keeps the dataset still while a pause is in force, as
// Redis does: expired keys read as missing but are not deleted (nor
// actively expired), and nothing is evicted, exactly as on a replica, so
// no DEL enters the stream; a failover's replica can then catch up, and
// a new master sends the deletions instead.
func (s *Server) freezeDataset() {
	s.ks.Replica = s.masterHost != "" || s.pause.on || s.pause.failover
}

// pauseDeadline is when a held client looks at the pause again: at the
// CLIENT PAUSE's end, or never for FAILOVER's alone.
func (s *Server) pauseDeadline() time.Time {
	if !s.pause.on {
		return time.Time{}
	}
	return s.realDeadline(s.pause.endMs)
}

// checkPause ends a pause whose time is up; the cron and paused clients'
// own deadlines call it.
func (s *Server) checkPause() {
	if s.pause.on && s.ks.Now() >= s.pause.endMs {
		s.UnpauseClients()
	}
}

// holdsBack reports whether the pause in force keeps args from running
// now, and if so parks c until it ends. Only called while a pause is on.
func (c *client) holdsBack(args [][]byte) bool {
	s := c.s
	s.checkPause()
	if !s.pause.on && !s.pause.failover {
		return false
	}
	cmd, errText := s.finder.Names.Lookup(args)
	if errText != "" {
		return false
	}
	if !(s.pause.on && s.pause.all) && !c.isWrite(cmd) {
		return false
	}
	if s.masterHost != "" && s.repl.readOnly && cmd.Has(command.Write) {
		// READONLY comes first in Redis (a failover's old master is a
		// replica while the pause lasts).
		return false
	}
	// Like Redis, CLIENT LIST shows the held command as the last one,
	// and INFO counts the client as blocked.
	c.lastCmd = cmd.FullName()
	c.paused = true
	s.pause.waiters = append(s.pause.waiters, c)
	c.conn.SetReadDeadline(s.pauseDeadline())
	return true
}

// isWrite is what CLIENT PAUSE WRITE holds back: writes, commands that
// may replicate, and EXEC of a transaction holding any.
func (c *client) isWrite(cmd *command.Command) bool {
	if cmd.Has(command.Write) || cmd.Has(command.MayReplicate) {
		return true
	}
	if cmd.Name == "exec" && c.multi != nil {
		for _, q := range c.multi.queue {
			if q.cmd.Has(command.Write) || q.cmd.Has(command.MayReplicate) {
				return true
			}
		}
	}
	return false
}

// dropPaused removes c from the pause's waiters.
func (s *Server) dropPaused(c *client) {
	if i := slices.Index(s.pause.waiters, c); i >= 0 {
		s.pause.waiters = slices.Delete(s.pause.waiters, i, i+1)
	}
	c.paused = false
}

// applyReply carries out CLIENT REPLY after a command: its output, from
// mark on, is dropped while replies are off or skipped.
func (c *client) applyReply(mark int) {
	switch c.sess.Reply {
	case command.ReplyOff:
		c.ctx.B = c.ctx.B[:mark]
	case command.ReplySkip:
		c.ctx.B = c.ctx.B[:mark]
		c.sess.Reply = command.ReplyOn
	case command.ReplySkipNext:
		c.sess.Reply = command.ReplySkip
	}
}

// closeIdle closes clients idle for longer than the timeout directive.
// As in Redis, clients waiting (blocked or paused), subscribed or
// monitoring are exempt.
func (s *Server) closeIdle() {
	timeout := s.cfg.Int("timeout")
	if timeout <= 0 {
		return
	}
	now := s.ks.Now()
	s.cmu.Lock()
	var idle []*client
	for _, c := range s.clients {
		if c.killed || c.blocked != nil || c.paused || c.sess.Subs > 0 || c.monitor {
			continue
		}
		if now-c.lastMs > timeout*1000 {
			idle = append(idle, c)
		}
	}
	s.cmu.Unlock()
	for _, c := range idle {
		s.kill(c)
	}
}

// forget drops c from the management lists when its connection ends.
// Called under the engine lock.
func (s *Server) forget(c *client) {
	s.dropPaused(c)
	s.dropMonitor(c)
}

// resetMgmt is RESET's part for this file: replies on, switches off, no
// longer monitoring.
func (c *client) resetMgmt() {
	c.sess.Reply = command.ReplyOn
	c.sess.NoEvict, c.sess.NoTouch = false, false
	c.s.dropMonitor(c)
}
