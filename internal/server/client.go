package server

import (
	"errors"
	"net"
	"runtime"
	"slices"
	"time"

	"github.com/respd/respd/internal/acl"
	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
)

const (
	readBufSize = 16 * 1024
	// Buffers that grew past these sizes for one big request or reply are
	// dropped afterwards so idle clients stay small. A read buffer up to
	// keepReadBuf stays while the client is awake (see input.idle).
	keepReadBuf  = 256 * 1024
	keepWriteBuf = 1 << 20
)

var errReadOnlyReplica = resp.Error("READONLY You can't write against a read only replica.")

// client is one connection. Its goroutine owns conn and the buffers; the
// Session and ctx are engine-owned (touched only under the engine lock).
type client struct {
	s      *Server
	conn   net.Conn
	sess   command.Session
	ctx    command.Ctx
	parser resp.Parser
	args   [][]byte
	// lastCmd and lastMs feed CLIENT LIST; engine-owned.
	lastCmd string
	lastMs  int64
	// blocked is the parked command while the client waits; engine-owned.
	blocked *blocked
	// spare is the output buffer not in use by the engine; owned by the
	// connection goroutine (see takeOutput).
	spare []byte
	// sock is the socket under conn (output.go), nil for the master
	// link's client.
	sock *sockConn
	// Going to sleep when idle (sleep.go): reads counts the reads with
	// data, sleepReads is its value when the sleep deadline was armed.
	// Owned by the connection goroutine, set under the engine lock (the
	// deadline is shared with pokes).
	reads, sleepReads uint32

	// Transaction state (multi.go); engine-owned.
	multi   *multiState
	watched []watchedKey

	// Pub/Sub state (pubsub.go); engine-owned. subs[kind] lists the
	// names subscribed, in order, made by the first subscription (most
	// clients never subscribe, and an idle client should stay small);
	// softSinceMs is when the output buffer went over the soft limit (0:
	// it is not).
	subs        *[3][]string
	softSinceMs int64

	// track is the CLIENT TRACKING mode (tracking.go), nil until first
	// enabled; engine-owned.
	track *clientTracking

	// user is the ACL user (acl.go); nil for internal clients, which no
	// ACL applies to. Engine-owned.
	user *acl.User
	// Replication (repl.go): repl is set once the client speaks as a
	// replica (REPLCONF, PSYNC); woff is the replication offset after
	// the client's last write, for WAIT; lseq the propagation flush
	// carrying that write, for WAITAOF. Engine-owned, except that repl is
	// only ever set by the client's own goroutine.
	repl *replicaConn
	woff int64
	lseq int64

	// The flags come last, sharing one word: an idle client should stay
	// small. With the allocator's 8-byte header for objects over 512
	// bytes, the 632 bytes it has now take 640, and one word more 704:
	// 0.8 MB more for 10,000 idle connections (bench -only idle).
	//
	// async is whether writes to sock go asynchronously, decided under
	// the engine lock in takeOutput and used by write.
	async bool
	// sleepArmed is whether the sleep deadline is set (sleep.go).
	sleepArmed bool
	// dirtyCAS: a watched key changed (multi.go); engine-owned.
	dirtyCAS bool
	// Client management (clientcmds.go, monitor.go); engine-owned.
	// killed: closed by CLIENT KILL or the idle timeout; paused: holding
	// a command back until a CLIENT PAUSE ends; monitor: MONITOR stream.
	killed, paused, monitor bool
	// isMaster marks the client our master's stream runs as (repl.go);
	// loader, the one AOF commands run as while loading (aof.go).
	isMaster, loader bool
}

func (s *Server) newClient(conn net.Conn) {
	id := s.nextID.Add(1)
	c := &client{s: s, conn: conn, sock: sockOf(conn)}
	now := time.Now().UnixMilli()
	c.sess = command.Session{ID: id, Addr: conn.RemoteAddr().String(), LAddr: conn.LocalAddr().String(), CreatedMs: now}
	if conn.LocalAddr().Network() == "unix" {
		// Redis names both ends of a unix socket client by the path.
		c.sess.LAddr = conn.LocalAddr().String() + ":0"
		c.sess.Addr = c.sess.LAddr
	}
	c.lastMs = now
	c.ctx = command.Ctx{Sess: &c.sess, KS: s.ks, DB: s.ks.DBs[0], Host: s, Conn: c, Writer: resp.Writer{Proto: 2, OnError: s.countError}, Notifying: &s.notifyMask, Prop: &s.prop.unit}

	// The accepting goroutine must not wait behind a busy script, or
	// nobody could connect to send SCRIPT KILL. While a script is busy it
	// holds the engine lock and nothing else changes the users, so they
	// are read without it then.
	locked := s.lockEngine()
	c.defaultAuth()
	admitted := s.admit(c)
	if locked {
		s.mu.Unlock()
	}
	if !admitted {
		s.stats.rejected.Add(1)
		conn.Write([]byte(protectedText))
		conn.Close()
		return
	}

	s.cmu.Lock()
	if s.closing {
		s.cmu.Unlock()
		conn.Close()
		return
	}
	if int64(len(s.clients)) >= s.maxClients.Load() {
		s.cmu.Unlock()
		s.stats.rejected.Add(1)
		conn.Write([]byte("-ERR max number of clients reached\r\n"))
		conn.Close()
		return
	}
	plain := c.sock != nil && conn == net.Conn(c.sock)
	if plain {
		// Before anyone can find c and close it (sockConn.Close).
		c.sock.client = c
	}
	s.clients[id] = c
	s.cmu.Unlock()
	s.stats.connections.Add(1)

	s.wg.Add(1)
	if plain {
		if c.sock.sleep() {
			// Its goroutine starts with its first request.
			return
		}
	}
	go c.serve()
}

// serve runs the connection until it closes or goes to sleep (sleep.go).
func (c *client) serve() { c.serveFrom(nil) }

// serveFrom is serve for a client the event loop gives back, with what
// the loop had read and not written (loop_linux.go).
func (c *client) serveFrom(h *handoff) {
	if c.loop(h) {
		return
	}
	s := c.s
	c.closeConn()
	s.mu.Lock()
	s.unpark(c)
	c.unwatchAll()
	c.unsubscribeAll()
	s.disableTracking(c)
	s.forget(c)
	if c.repl != nil {
		s.dropReplica(c)
	}
	s.mu.Unlock()
	s.cmu.Lock()
	delete(s.clients, c.sess.ID)
	s.cmu.Unlock()
	s.wg.Done()
}

// closeConn closes the connection for good: sockConn.Close only shuts a
// client's socket down.
func (c *client) closeConn() {
	if c.sock != nil && c.sock.client == c {
		c.sock.Conn.Close()
		return
	}
	c.conn.Close()
}

// loop reads and runs requests, after writing the replies h carries and
// taking its input. It returns true when the client went to sleep, false
// when the connection must close.
func (c *client) loop(h *handoff) bool {
	in := &input{c: c}
	rr := newRawReader(c)
	slept := false
	defer func() {
		if !slept {
			// The arguments kept for reuse point into it (goToSleep
			// dropped them already, and c is no longer ours then).
			clear(c.args[:cap(c.args)])
		}
		putReadBuf(in.buf)
	}()
	if h != nil {
		in.buf, in.n = h.in.buf, h.in.n
		written := c.write(h.out)
		if h.how == handClose {
			if written {
				c.sock.drain()
			}
			return false
		}
		if !written || h.how == handRun && in.n > 0 && c.parser.Need() <= in.n && !c.run(in) {
			return false
		}
	}
	for {
		var err error
		if rr != nil {
			var closing bool
			if closing, err = rr.serve(in); closing {
				return false
			}
		} else {
			var r int
			r, err = c.conn.Read(in.space())
			if r > 0 && !in.got(r) {
				return false
			}
		}
		if err != nil {
			if !isTimeout(err) {
				return false
			}
			var ok bool
			if ok, slept = c.poked(in); slept {
				return true
			}
			if !ok {
				return false
			}
		}
	}
}

// run executes the complete requests in the input, writes the replies
// and keeps the unfinished tail at the start of the buffer. While the
// client is parked by a blocking command, input only queues up. It
// returns false when the connection must close.
func (c *client) run(in *input) bool {
	consumed, closeNow, out := c.process(in.buf[:in.n])
	if consumed > 0 {
		// Only the unfinished tail moves, once: from then on it starts
		// the buffer and nothing is consumed until it is complete.
		in.n = copy(in.buf, in.buf[consumed:in.n])
	}
	// Let the other clients whose input is ready run first and write
	// after them, as an event loop sends its replies once it has read
	// every ready client: otherwise a client served early sends its next
	// pipeline while the round is still going, and the clients drift
	// apart, some answered at once and some after two rounds, which
	// doubles the slowest latencies (p99 of pipelined GETs 1.86 ms
	// against 1.49 with the yield, with no cost in CPU or throughput).
	runtime.Gosched()
	written := c.write(out)
	if closeNow {
		if written && c.sock != nil {
			// The last reply (QUIT's, a protocol error) goes out first.
			c.sock.drain()
		}
		return false
	}
	if !written {
		return false
	}
	if c.repl == nil {
		return true
	}
	c.s.mu.Lock()
	job := c.takeSyncJob()
	c.s.mu.Unlock()
	return c.runSyncJob(job)
}

// poked handles an interrupted read: the engine moved the read deadline
// to wake this goroutine (replies were queued for it, or its blocking
// command was served), or a parked command's timeout passed, or the
// sleep deadline (sleep.go). It writes what is queued and, once the
// client is no longer parked, runs the input that arrived meanwhile. It
// reports whether the connection goes on, and whether the client went to
// sleep instead, when it has been idle since the sleep deadline was armed.
func (c *client) poked(in *input) (ok, slept bool) {
	s := c.s
	s.mu.Lock()
	s.ks.Tick()
	if b := c.blocked; b != nil && timedOut(b.req.DeadlineMs, s.ks.Now()) {
		b.req.OnTimeout(&c.ctx.Writer)
		s.unpark(c)
	}
	if c.paused {
		s.checkPause()
	}
	parked := c.blocked != nil || c.paused
	switch {
	case c.blocked != nil:
		// Early by the wall clock, or a reply queued while parked.
		c.conn.SetReadDeadline(s.realDeadline(c.blocked.req.DeadlineMs))
	case c.paused:
		c.conn.SetReadDeadline(s.pauseDeadline())
	case c.canSleep():
		if in.n == 0 && !c.parser.Pending() && c.reads == c.sleepReads && c.sleepArmed && c.goToSleep() {
			s.mu.Unlock()
			return true, true
		}
		c.armSleep()
	default:
		c.conn.SetReadDeadline(time.Time{})
		c.sleepArmed = false
	}
	out := c.takeOutput()
	job := c.takeSyncJob()
	// A blocked command ended by a change of role closes the connection
	// after its error (unblockOnRoleChange).
	closeNow := !parked && c.sess.CloseAfterReply
	s.mu.Unlock()
	if !c.write(out) || !c.runSyncJob(job) || closeNow {
		return false, false
	}
	if !parked && in.n > 0 && c.parser.Need() <= in.n {
		return c.run(in), false
	}
	return true, false
}

// canSleep is whether c may sleep when idle: a plain socket's client,
// not a replica. Engine lock held.
func (c *client) canSleep() bool {
	return c.sock != nil && c.sock.client != nil && c.repl == nil
}

// armSleep sets the read deadline at which the goroutine looks whether
// the client has been idle since. Engine lock held, not parked.
func (c *client) armSleep() {
	c.sleepReads = c.reads
	c.sleepArmed = true
	c.conn.SetReadDeadline(time.Now().Add(sleepAfter))
}

// goToSleep puts an idle client to sleep if nothing is pending for it,
// dropping its buffers first. It reports whether it did: then the caller
// unlocks the engine and its goroutine exits without touching c again.
// Engine lock held, not parked, no unparsed input.
func (c *client) goToSleep() bool {
	if len(c.ctx.Writer.B) > 0 || c.sess.CloseAfterReply || c.sock.busy.Load() {
		return false
	}
	c.conn.SetReadDeadline(time.Time{})
	c.sleepArmed = false
	c.ctx.Writer.B, c.spare = nil, nil
	clear(c.args[:cap(c.args)])
	c.args = nil
	return c.sock.sleep()
}

// takeOutput hands the replies queued in the engine-owned output buffer
// to the connection goroutine, leaving an empty spare buffer in its place.
// Called under the engine lock.
func (c *client) takeOutput() []byte {
	if c.sess.Reply == command.ReplyOff {
		// Messages, served blocking commands and MONITOR lines are
		// dropped too under CLIENT REPLY OFF.
		c.ctx.Writer.B = c.ctx.Writer.B[:0]
	}
	out := c.ctx.Writer.B
	c.ctx.Writer.B = c.spare[:0]
	c.spare = nil
	c.async = c.s.limitOf(c).on()
	return out
}

// write sends out in one write and keeps its buffer as the next spare.
// Under an output limit the write does not wait for the client to read
// (output.go).
func (c *client) write(out []byte) bool {
	var err error
	if len(out) > 0 {
		if c.sock != nil && c.sock.async.Load() != c.async {
			c.sock.async.Store(c.async)
		}
		_, err = c.conn.Write(out)
		c.s.stats.netOut.Add(int64(len(out)))
	}
	if cap(out) <= keepWriteBuf {
		c.spare = out[:0]
	}
	return err == nil
}

// writeNow writes out at once, outside the batch's replies
// (processBusy).
func (c *client) writeNow(out []byte) {
	if c.sock != nil && c.sock.state.Load() == asleep {
		c.s.loop.writeNow(c.sock, out)
		return
	}
	c.conn.Write(out)
}

// process runs every complete request in buf under one engine lock and
// returns how many bytes it consumed, whether to close after writing, and
// the replies to write. A command that parks the client ends the batch.
// A protocol error is answered, after the replies of the requests before
// it, and closes the connection, as in Redis.
func (c *client) process(buf []byte) (int, bool, []byte) {
	s := c.s
	pos, ran := 0, 0
	for !s.lockEngine() {
		// A script is busy (scripting_busy.go).
		n, done := c.processBusy(buf[pos:])
		if pos += n; done {
			return pos, false, nil
		}
	}
	defer s.mu.Unlock()
	// Runs before the unlock, and before run writes the replies.
	defer s.flushPropagation()
	if c.killed {
		return pos, true, nil
	}
	if c.blocked != nil || c.paused {
		return pos, false, c.takeOutput()
	}
	// The event loop's client (loop_linux.go).
	inLoop := c.sock != nil && c.sock.state.Load() == asleep
	s.ks.Tick()
	s.markBatch()
	c.parser.MaxBulk = s.maxBulk
	ahead := newLookahead(c.ctx.DB)
	for pos < len(buf) {
		args, n, err := c.parser.Parse(buf[pos:], c.args)
		c.args = args
		if err != nil {
			if errors.Is(err, resp.ErrIncomplete) {
				break
			}
			var pe resp.ProtocolError
			if errors.As(err, &pe) {
				c.ctx.Errorf(string(pe))
			}
			return pos, true, c.takeOutput()
		}
		if len(args) > 0 && (s.pause.on || s.pause.failover) && c.holdsBack(args) {
			// Not consumed: it is parsed again when the pause ends.
			break
		}
		if len(args) == 0 {
			pos += n
			continue
		}
		top := s.finder.Top(args[0])
		if inLoop && top.Has(command.Long) {
			// Not consumed: the client's goroutine runs it.
			c.sock.handBack = handRun
			break
		}
		pos += n
		if !ahead.off {
			ahead.step(c.ctx.DB, buf, pos, args)
		}
		c.execute(top, args)
		ran++
		if s.overLimit(c) {
			return pos, true, nil
		}
		if c.sess.CloseAfterReply {
			return pos, true, c.takeOutput()
		}
		if c.blocked != nil {
			// The rest of the pipeline waits until it is served.
			break
		}
	}
	if len(s.track.prefixes) > 0 {
		s.broadcast(c)
	}
	if !inLoop && !c.sleepArmed && c.blocked == nil && !c.paused && c.canSleep() {
		c.armSleep()
	}
	out := c.takeOutput()
	if inLoop {
		s.loop.count(ran)
		if c.blocked != nil || c.paused || c.repl != nil || c.sess.Subs > 0 || c.monitor || c.track != nil || c.async {
			c.sock.handBack = handPoke
		}
	}
	return pos, false, out
}

// execute runs one command, whose name Find or Finder.Top looked up
// as top, and applies CLIENT REPLY to its output.
func (c *client) execute(top *command.Command, args [][]byte) {
	if c.s.track.active() || c.track != nil {
		c.executeTracked(top, args)
		return
	}
	mark := len(c.ctx.B)
	replica := c.repl != nil && c.isReplica()
	if replica {
		c.repl.replyMark = mark
	}
	c.dispatch(top, args)
	if c.sess.Reply != command.ReplyOn {
		c.applyReply(mark)
	}
	if replica && len(c.ctx.B) > c.repl.replyMark {
		// A replica gets the stream, never replies: one whose command
		// wants a reply is misbehaving, and Redis drops it.
		c.ctx.B = c.ctx.B[:c.repl.replyMark]
		c.s.logf("Replica generated a reply to command '%s', disconnecting it", c.lastCmd)
		c.sess.CloseAfterReply = true
	}
}

// dispatch runs one command: lookup and arity, the checks the command's
// flags call for, then queueing (inside MULTI) or the call.
func (c *client) dispatch(top *command.Command, args [][]byte) {
	s := c.s
	s.stats.commands++
	c.lastMs = s.ks.Now()
	cmd, errText := command.Resolve(top, args)
	if errText != "" {
		if cmd != nil { // a known command with the wrong arity
			s.cmdStat(cmd).rejected++
		}
		c.reject(nil, errText)
		return
	}
	c.lastCmd = cmd.FullName()
	if !c.checkAuth(cmd, args) {
		return
	}
	if s.clus.cl != nil && !c.isMaster && !c.routeCluster(cmd, args) {
		return
	}
	if s.masterHost != "" && !c.isMaster {
		if cmd.Has(command.Write) && s.repl.readOnly {
			c.reject(cmd, string(errReadOnlyReplica))
			return
		}
		if !s.repl.serveStale && !cmd.Has(command.Stale) && !s.linkUp() {
			c.reject(cmd, errMasterDown)
			return
		}
	}
	if s.repl.minReplicas > 0 && cmd.Has(command.Write) {
		if e := s.refuseWrite(); e != "" {
			c.reject(cmd, e)
			return
		}
	}
	if cmd.Flags&(command.Write|command.DiskCheck) != 0 && !c.isMaster {
		if e := s.diskError(); e != "" {
			c.reject(cmd, e)
			return
		}
	}
	if s.checkMemory(cmd, args) {
		c.reject(cmd, errOOM)
		return
	}
	if c.sess.Subs > 0 && c.ctx.Proto < 3 && !cmd.Has(command.Subscribed) {
		c.reject(cmd, errSubscribedMode(cmd))
		return
	}
	if s.repl.load != nil && !cmd.Has(command.Loading) && !c.loader {
		c.reject(cmd, string(errLoading)) // loading.go
		return
	}
	if c.multi != nil && cmd.Has(command.NoMulti) {
		c.reject(cmd, string(errNotInMulti))
		return
	}
	if c.multi != nil && !cmd.Has(command.Unqueued) {
		c.queue(cmd, args)
		return
	}
	c.call(cmd, args)
}

// call runs a command's handler, propagates it, parks the client if it
// blocked, and serves clients waiting on keys the command made ready
// (after the whole transaction, for a command EXEC runs).
func (c *client) call(cmd *command.Command, args [][]byte) {
	s := c.s
	ctx := &c.ctx
	ctx.Args = args
	ctx.Cmd = cmd
	prop, db, dirty := s.prop.unit.On, c.sess.DB, s.ks.Dirty
	if prop {
		s.prop.unit.BeginCall()
	}
	s.nesting++
	s.timedCall(c, cmd, ctx)
	s.nesting--
	if prop {
		s.endCall(cmd, args, db, dirty)
		if s.nesting == 0 && len(s.prop.out) > 0 {
			c.lseq = s.prop.seq + 1 // for WAITAOF
			if s.repl.backlog != nil {
				c.woff = s.replOffset() + int64(len(s.prop.out))
			}
		}
	}
	if c.track != nil && cmd.Has(command.ReadOnly) {
		s.rememberKeys(c, cmd, args)
	}
	ctx.Args = nil
	if len(s.monitors) > 0 {
		// After the call, as Redis 7 does: SELECT shows its new db.
		s.feedMonitors(c, cmd, args)
	}
	if ctx.Blocked != nil {
		s.park(c, cmd, args)
	}
	if len(s.block.ready) > 0 && s.nesting == 0 {
		s.serveReady()
	}
}

func sortedIDs(m map[int64]*client) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Reset implements command.Conn: RESET's return to a fresh connection.
func (c *client) Reset(ctx *command.Ctx) {
	c.multi = nil
	c.unwatchAll()
	c.unsubscribeAll()
	c.s.disableTracking(c)
	c.sess.Name = ""
	if c.user != nil {
		c.defaultAuth()
	}
	c.resetMgmt()
	ctx.Select(0)
	ctx.Proto = 2
}

func orNULL(s string) string {
	if s == "" {
		return "NULL"
	}
	return s
}
