package server

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/rdb"
	"github.com/respd/respd/internal/repl"
	"github.com/respd/respd/internal/resp"
)

// Replication, master side (the replica side is in repl_link.go; byte
// formats in package repl).
//
// The backlog exists from the first replica on (or the first sync with a
// master). Every propagated chunk goes, in order, into it and to each
// replica: appended to the output buffer of an online one (its goroutine
// writes it after a poke), or kept in pending for one whose full sync is
// in progress, from the instant its snapshot began, to follow the RDB. A
// full sync runs on the replica client's own goroutine, which streams the
// snapshot to its connection between reads, so nothing else writes there
// meanwhile. A replica never gets command replies, only its handshake's.

// Replica states, as INFO names them.
const (
	replNone       = iota // not (yet) a replica: REPLCONF may come first
	replWaitBgsave        // waiting for the snapshot in use to end
	replSendBulk          // its RDB is being sent
	replOnline
)

var replStateNames = [...]string{"none", "wait_bgsave", "send_bulk", "online"}

// replicaConn is what the master knows of one replica; engine-owned.
type replicaConn struct {
	c          *client
	state      int
	port       int
	ip         string
	capaEOF    bool
	capaPSYNC2 bool
	oldSync    bool // SYNC: no +FULLRESYNC line, disk form
	ackOff     int64
	aofOff     int64 // FACK: offset its AOF fsynced (WAITAOF)
	ackMs      int64 // wall clock of the last ACK
	pending    []byte
	// waitSince is when it began waiting for a snapshot (unix ms), for
	// repl-diskless-sync-delay.
	waitSince int64
	// task is its part of a full sync, until its goroutine takes it;
	// reader stays for dropReplica to leave the feed.
	task   *syncTask
	reader *syncReader
	// waitAck holds the stream back after a diskless payload until the
	// replica's first ACK: it finds the payload's end by the mark being
	// the last bytes it read, so nothing may follow before it is done.
	waitAck bool
	// replyMark is where the output stood before the replica's running
	// command, moved past stream bytes released during it (the first
	// ACK's): anything beyond is a reply.
	replyMark int
	softSince int64
}

// syncTask is one replica's part of a shared full sync: the feed to
// read the payload from and the framing it wants (diskless EOF mark, or
// a length prefix).
type syncTask struct {
	feed *syncFeed
	r    *syncReader
	eof  bool
}

// replState is the engine's replication state; engine-owned.
type replState struct {
	replid2      string
	secondOffset int64
	backlog      *repl.Backlog
	fed          bool
	replicas     []*replicaConn
	waiters      []*client
	aofWaiters   int // how many of waiters are WAITAOFs (waitaof.go)
	getack       bool
	lastPing     time.Time
	// lastKeepalive is when waiting replicas last got a newline.
	lastKeepalive time.Time
	good          int // replicas within min-replicas-max-lag
	minReplicas   int64
	minLag        int64
	readOnly      bool
	serveStale    bool
	limit         outputLimit
	stats         struct{ full, partialOK, partialErr int64 }
	// link is the connection to our master, nil on a master.
	link *masterLink
	// load is the load in progress, of our master's RDB or of the
	// dataset at start-up; nil otherwise (loading.go).
	load *loadState
	// streamDB is the master stream's selected db, kept across
	// reconnections as Redis keeps its cached master.
	streamDB int
	// failover is a FAILOVER under way (failover.go).
	failover failoverState
}

var (
	getackCmd = []byte("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n")
	pingCmd   = []byte("*1\r\n$4\r\nping\r\n") // as Redis 7.0 spells it

	errNoReplicas    = "NOREPLICAS Not enough good replicas to write."
	errMasterDown    = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
	errNoMasterLink  = resp.Error("NOMASTERLINK Can't SYNC while not connected with my master")
	errAlreadyMaster = "OK Already connected to specified master"
)

func (s *Server) initRepl() {
	r := &s.repl
	r.replid2 = strings.Repeat("0", 40)
	r.secondOffset = -1
	s.cfg.OnChange("repl-backlog-size", func(v string) {
		if r.backlog != nil {
			r.backlog.Resize(int(s.cfg.Int("repl-backlog-size")))
		}
	})
	s.cfg.OnChange("min-replicas-to-write", func(string) { r.minReplicas = s.cfg.Int("min-replicas-to-write") })
	s.cfg.OnChange("min-replicas-max-lag", func(string) { r.minLag = s.cfg.Int("min-replicas-max-lag") })
	s.cfg.OnChange("replica-read-only", func(string) { r.readOnly = s.cfg.Bool("replica-read-only") })
	s.cfg.OnChange("replica-serve-stale-data", func(string) { r.serveStale = s.cfg.Bool("replica-serve-stale-data") })
	s.cfg.OnChange("client-output-buffer-limit", func(v string) { r.limit = parseOutputLimit(v, "slave") })
}

// replOffset is master_repl_offset.
func (s *Server) replOffset() int64 {
	if s.repl.backlog == nil {
		return 0
	}
	return s.repl.backlog.Offset()
}

// ensureBacklog creates the backlog, registering it for the propagated
// stream. newID gives the master a new replication id first, as Redis
// does when its first replica ever arrives.
func (s *Server) ensureBacklog(newID bool) {
	r := &s.repl
	if r.backlog != nil {
		return
	}
	if newID {
		s.replid = randomHex(40)
		r.replid2, r.secondOffset = strings.Repeat("0", 40), -1
	}
	r.backlog = repl.NewBacklog(int(s.cfg.Int("repl-backlog-size")), 0)
	r.lastPing = time.Now()
	if !r.fed {
		r.fed = true
		s.OnPropagate(s.propagatedToReplicas)
	}
	s.ResetPropagationDB()
}

// propagatedToReplicas receives the propagated stream. A replica's
// replicas get its master's stream verbatim instead (repl_link.go).
func (s *Server) propagatedToReplicas(b []byte) {
	if s.masterHost != "" {
		return
	}
	s.replFeed(b)
}

// replFeed appends b to the replication stream: the backlog and every
// replica past the start of its sync.
func (s *Server) replFeed(b []byte) {
	r := &s.repl
	if r.backlog == nil {
		return
	}
	r.backlog.Write(b)
	var over []*replicaConn
	for _, rc := range r.replicas {
		switch {
		case rc.state == replOnline && !rc.waitAck:
			rc.c.ctx.B = append(rc.c.ctx.B, b...)
		case rc.state == replSendBulk || rc.waitAck:
			rc.pending = append(rc.pending, b...)
		default:
			continue
		}
		if s.replicaOverLimit(rc) {
			over = append(over, rc)
			continue
		}
		if rc.state == replOnline && !rc.waitAck {
			rc.c.poke()
		}
	}
	for _, rc := range over {
		s.logf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", rc.c.sess.Addr)
		s.kill(rc.c)
		s.dropReplica(rc.c)
	}
}

// replicaOverLimit applies client-output-buffer-limit replica.
func (s *Server) replicaOverLimit(rc *replicaConn) bool {
	lim := s.repl.limit
	size := int64(len(rc.c.ctx.B) + len(rc.pending))
	now := time.Now().UnixMilli()
	switch {
	case lim.hard > 0 && size > lim.hard:
		return true
	case lim.soft > 0 && size > lim.soft:
		if rc.softSince == 0 {
			rc.softSince = now
		} else if now-rc.softSince > lim.softSeconds*1000 {
			return true
		}
	default:
		rc.softSince = 0
	}
	return false
}

// replFlush runs after each flush of the propagated stream: WAIT asked
// for acknowledgements.
func (s *Server) replFlush() {
	if s.repl.getack {
		s.repl.getack = false
		if s.masterHost == "" {
			s.replFeed(getackCmd)
		}
	}
}

// replica returns c's replica record, creating it.
func (c *client) replica() *replicaConn {
	if c.repl == nil {
		c.repl = &replicaConn{c: c}
	}
	return c.repl
}

// isReplica reports whether c is a replica past PSYNC.
func (c *client) isReplica() bool { return c.repl != nil && c.repl.state != replNone }

// ReplConf implements command.ReplicationHost.
func (s *Server) ReplConf(ctx *command.Ctx) {
	c := ctx.Conn.(*client)
	if len(ctx.Args)%2 == 0 {
		ctx.Error(command.ErrSyntax)
		return
	}
	for i := 1; i < len(ctx.Args); i += 2 {
		v := ctx.Args[i+1]
		switch {
		case ctx.ArgIs(i, "listening-port"):
			n, ok := resp.ParseInt(v)
			if !ok {
				ctx.Error(command.ErrNotInt)
				return
			}
			c.replica().port = int(n)
		case ctx.ArgIs(i, "ip-address"):
			c.replica().ip = string(v)
		case ctx.ArgIs(i, "capa"):
			if command.EqualFold(v, "eof") {
				c.replica().capaEOF = true
			} else if command.EqualFold(v, "psync2") {
				c.replica().capaPSYNC2 = true
			}
		case ctx.ArgIs(i, "ack"):
			if c.isReplica() {
				if off, ok := resp.ParseInt(v); ok {
					// REPLCONF ACK <off> FACK <aofoff>, from replicas
					// with an AOF (Redis 7.2 and respd).
					if len(ctx.Args) > i+3 && ctx.ArgIs(i+2, "fack") {
						if f, ok := resp.ParseInt(ctx.Args[i+3]); ok && f > c.repl.aofOff {
							c.repl.aofOff = f
						}
					}
					s.replicaAcked(c.repl, off)
				}
			}
			return
		case ctx.ArgIs(i, "getack"):
			if c.isMaster && s.repl.link != nil {
				s.repl.link.ackDue = true
			}
			return
		case ctx.ArgIs(i, "rdb-only"), ctx.ArgIs(i, "rdb-filter-only"):
		default:
			ctx.Errorf("ERR Unrecognized REPLCONF option: " + string(ctx.Args[i]))
			return
		}
	}
	ctx.OK()
}

// replicaAcked records a replica's acknowledged offset and serves WAITs.
func (s *Server) replicaAcked(rc *replicaConn, off int64) {
	rc.ackMs = time.Now().UnixMilli()
	if rc.waitAck && rc.state == replOnline {
		rc.waitAck = false
		rc.c.ctx.Writer.B = append(rc.c.ctx.Writer.B, rc.pending...)
		rc.replyMark = len(rc.c.ctx.Writer.B)
		rc.pending = nil
		rc.c.poke()
	}
	if off > rc.ackOff {
		rc.ackOff = off
	}
	s.countGoodReplicas()
	s.serveWaiters()
}

// PSync implements command.ReplicationHost (PSYNC and SYNC).
func (s *Server) PSync(ctx *command.Ctx) {
	c := ctx.Conn.(*client)
	if c.isReplica() {
		return // already one: ignored, as in Redis
	}
	if !s.psyncFailover(ctx) {
		return
	}
	if s.masterHost != "" && (s.repl.link == nil || s.repl.link.state != linkConnected) {
		ctx.Error(errNoMasterLink)
		return
	}
	if ctx.ArgIs(0, "psync") {
		if _, ok := resp.ParseInt(ctx.Args[2]); !ok {
			ctx.Error(command.ErrNotInt)
			return
		}
	}
	rc := c.replica()
	if ctx.ArgIs(0, "psync") {
		if s.tryPartial(ctx, rc) {
			return
		}
	} else {
		rc.oldSync = true
	}
	s.repl.stats.full++
	s.ensureBacklog(len(s.repl.replicas) == 0 && s.masterHost == "")
	rc.state = replWaitBgsave
	rc.ackMs = time.Now().UnixMilli()
	rc.waitSince = rc.ackMs
	s.repl.replicas = append(s.repl.replicas, rc)
	s.logf("Replica %s asks for synchronization", c.sess.Addr)
	if s.ks.Snapshotting() {
		return // the cron starts it once the snapshot in use ends
	}
	if s.cfg.Bool("repl-diskless-sync") && rc.capaEOF && !rc.oldSync && s.cfg.Int("repl-diskless-sync-delay") > 0 {
		// Others may arrive meanwhile and share the transfer.
		s.logf("Delay next BGSAVE for diskless SYNC")
		s.startPendingSyncs(false)
		return
	}
	s.startPendingSyncs(true)
}

// tryPartial answers a PSYNC with +CONTINUE and the missing bytes when
// the backlog has them under the replid asked (or the previous replid,
// up to where it ended).
func (s *Server) tryPartial(ctx *command.Ctx, rc *replicaConn) bool {
	r := &s.repl
	id := string(ctx.Args[1])
	off, ok := resp.ParseInt(ctx.Args[2])
	if !ok || r.backlog == nil {
		if id != "?" {
			r.stats.partialErr++
		}
		return false
	}
	if id != s.replid && (id != r.replid2 || off > r.secondOffset) || !r.backlog.Covers(off) {
		if id != "?" {
			r.stats.partialErr++
		}
		return false
	}
	// Only a replica that knows PSYNC2 is told the id, which it may
	// have to adopt.
	b := append(ctx.Writer.B, "+CONTINUE"...)
	if rc.capaPSYNC2 {
		b = append(b, ' ')
		b = append(b, s.replid...)
	}
	b = append(b, "\r\n"...)
	ctx.Writer.B = r.backlog.AppendFrom(b, off)
	rc.state = replOnline
	rc.ackMs = time.Now().UnixMilli()
	r.replicas = append(r.replicas, rc)
	r.stats.partialOK++
	s.countGoodReplicas()
	s.logf("Partial resynchronization request from %s accepted, sending %d bytes of backlog", rc.c.sess.Addr, r.backlog.Offset()-off+1)
	return true
}

// startPendingSyncs starts one snapshot for every replica waiting for
// one, as Redis starts one BGSAVE for all of them: at once when due
// (force, or without repl-diskless-sync), else once the longest waiting
// has waited repl-diskless-sync-delay seconds or
// repl-diskless-sync-max-replicas are waiting. Engine lock held.
func (s *Server) startPendingSyncs(force bool) {
	if s.ks.Snapshotting() {
		return
	}
	var waiting []*replicaConn
	oldest := int64(-1)
	for _, rc := range s.repl.replicas {
		if rc.state == replWaitBgsave {
			waiting = append(waiting, rc)
			if oldest < 0 || rc.waitSince < oldest {
				oldest = rc.waitSince
			}
		}
	}
	if len(waiting) == 0 {
		return
	}
	if !force && s.cfg.Bool("repl-diskless-sync") {
		maxReplicas := s.cfg.Int("repl-diskless-sync-max-replicas")
		idle := time.Now().UnixMilli() - oldest
		if !(maxReplicas > 0 && int64(len(waiting)) >= maxReplicas) && idle < s.cfg.Int("repl-diskless-sync-delay")*1000 {
			return
		}
	}
	s.startFullSync(waiting)
}

// startFullSync begins one snapshot for the replicas given: +FULLRESYNC
// goes into each one's output, a producer goroutine encodes the snapshot
// into a feed, and each replica's goroutine, once poked, streams the
// feed to its connection. Engine lock held, no snapshot running.
func (s *Server) startFullSync(members []*replicaConn) {
	s.flushPropagation() // what came before belongs to the snapshot
	enc := rdb.NewEncoder(nil, s.cfg.Bool("rdbcompression"))
	enc.Header(s.replAux())
	snap := s.snapshotInto(enc)
	s.ResetPropagationDB()
	feed := newSyncFeed()
	diskless := s.cfg.Bool("repl-diskless-sync")
	sockets := false
	for _, rc := range members {
		r := feed.join()
		eof := rc.capaEOF && !rc.oldSync && diskless
		sockets = sockets || eof
		rc.state, rc.pending = replSendBulk, nil
		rc.task, rc.reader = &syncTask{feed: feed, r: r, eof: eof}, r
		if !rc.oldSync {
			b := rc.c.ctx.Writer.B
			b = append(b, "+FULLRESYNC "...)
			b = append(b, s.replid...)
			b = append(b, ' ')
			b = strconv.AppendInt(b, s.replOffset(), 10)
			rc.c.ctx.Writer.B = append(b, "\r\n"...)
		}
		rc.c.poke()
	}
	s.logf("Starting BGSAVE for SYNC with target: %s (%d replicas)", map[bool]string{true: "replicas sockets", false: "disk"}[sockets], len(members))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		feed.finish(s.streamSnapshot(snap, enc, feed, nil))
	}()
}

// replAux are the aux fields of a sync's RDB (with the replication
// position, as the backlog exists by then).
func (s *Server) replAux() [][2]string { return s.auxFields(false) }

// replSaveInfo is the replication position an RDB file records, as
// Redis does: the stream's db and the offset the dataset corresponds
// to, when we are in a replication chain (a master with a backlog, or a
// replica that has synced). A master's offset counts the commands of the
// running batch not yet handed to the backlog: their effects are in the
// data.
func (s *Server) replSaveInfo() (db int, off int64, ok bool) {
	r := &s.repl
	if r.backlog == nil {
		return 0, 0, false
	}
	if s.masterHost == "" {
		db = max(s.prop.lastDB, 0)
		return db, r.backlog.Offset() + int64(len(s.prop.out)), true
	}
	db = r.streamDB
	if l := r.link; l != nil && l.c != nil {
		db = l.c.sess.DB
	}
	return db, r.backlog.Offset(), true
}

// restoreReplInfo takes the replication position of the RDB file loaded
// at start-up, as Redis does: a replica continues from it with PSYNC; a
// master keeps it as its previous id, so its replicas can continue.
func (s *Server) restoreReplInfo() {
	h := s.persist.loadedRepl
	if h == nil || len(h.replid) != 40 || h.replOffset < 0 {
		return
	}
	r := &s.repl
	if s.masterHost != "" {
		s.replid = h.replid
		s.ensureBacklog(false)
		r.backlog.Reset(h.replOffset)
		r.streamDB = h.streamDB
		return
	}
	s.ensureBacklog(false)
	r.backlog.Reset(h.replOffset)
	r.replid2, r.secondOffset = h.replid, h.replOffset+1
	s.replid = randomHex(40)
}

// takeSyncJob hands a full sync queued for c to its goroutine. Engine
// lock held.
func (c *client) takeSyncJob() *syncTask {
	if c.repl == nil {
		return nil
	}
	task := c.repl.task
	c.repl.task = nil
	return task
}

// runSyncJob streams a full sync's payload to c, on c's goroutine, after
// its +FULLRESYNC was written. It returns false when the connection must
// close.
func (c *client) runSyncJob(task *syncTask) bool {
	if task == nil {
		return true
	}
	s := c.s
	rc := c.repl
	start := time.Now()
	err := c.sendPayload(task)
	task.feed.leave(task.r)
	if err != nil {
		s.logf("Full sync to %s failed: %v", c.sess.Addr, err)
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.killed {
		return false
	}
	rc.state = replOnline
	rc.ackMs = time.Now().UnixMilli()
	rc.reader = nil
	if task.eof {
		rc.waitAck = true // see waitAck
	} else {
		c.ctx.Writer.B = append(c.ctx.Writer.B, rc.pending...)
		rc.pending = nil
		c.poke()
	}
	s.countGoodReplicas()
	s.logf("Synchronization with replica %s succeeded in %v", c.sess.Addr, time.Since(start).Round(time.Millisecond))
	return true
}

// sendPayload copies the feed to c's connection in the replica's
// framing: after "$EOF:<mark>" and ended by the mark, or, for the disk
// form, whole after its length (newlines meanwhile keep the replica from
// timing out).
func (c *client) sendPayload(task *syncTask) error {
	if task.eof {
		mark := []byte(randomHex(repl.EOFMarkLen))
		if _, err := c.conn.Write(append(append([]byte("$EOF:"), mark...), "\r\n"...)); err != nil {
			return err
		}
		err := task.copyFeed(func(b []byte) error {
			if _, err := c.conn.Write(b); err != nil {
				return err
			}
			c.s.stats.netOut.Add(int64(len(b)))
			return nil
		})
		if err != nil {
			return err
		}
		_, err = c.conn.Write(mark)
		return err
	}
	buf := keepaliveBuffer{conn: c.conn, last: time.Now()}
	err := task.copyFeed(func(b []byte) error {
		_, err := buf.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	_, err = c.conn.Write(append([]byte("$"+strconv.Itoa(buf.Len())+"\r\n"), buf.Bytes()...))
	return err
}

// copyFeed hands each chunk of the task's snapshot feed to write, until
// the feed ends or write fails.
func (task *syncTask) copyFeed(write func([]byte) error) error {
	for {
		b, err := task.feed.read(task.r)
		if err != nil || b == nil {
			return err
		}
		if err := write(b); err != nil {
			return err
		}
	}
}

// dropReplica forgets a disconnected replica. Engine lock held.
func (s *Server) dropReplica(c *client) {
	r := &s.repl
	for i, rc := range r.replicas {
		if rc.c == c {
			r.replicas = append(r.replicas[:i:i], r.replicas[i+1:]...)
			if rc.reader != nil {
				// The producer stops when its last reader leaves.
				rc.reader.feed.leave(rc.reader)
				rc.task, rc.reader = nil, nil
			}
			break
		}
	}
	s.countGoodReplicas()
}

// disconnectReplicas closes every replica's link (a change of role or
// of dataset): they reconnect and resynchronize, partially when they can.
func (s *Server) disconnectReplicas() {
	for _, rc := range append([]*replicaConn(nil), s.repl.replicas...) {
		s.kill(rc.c)
		s.dropReplica(rc.c)
	}
}

// countGoodReplicas refreshes the count min-replicas-to-write checks.
func (s *Server) countGoodReplicas() {
	now := time.Now().UnixMilli()
	n := 0
	for _, rc := range s.repl.replicas {
		if rc.state == replOnline && (now-rc.ackMs)/1000 <= s.repl.minLag {
			n++
		}
	}
	s.repl.good = n
}

// replCron is the replication part of the cron: syncs waiting for a
// snapshot start, replicas are pinged, lag is re-evaluated.
func (s *Server) replCron() {
	r := &s.repl
	s.startPendingSyncs(false)
	if now := time.Now(); now.Sub(r.lastKeepalive) >= time.Second {
		// Replicas waiting for a snapshot get newlines, so they do not
		// time out (they skip them).
		r.lastKeepalive = now
		for _, rc := range r.replicas {
			if rc.state == replWaitBgsave {
				rc.c.ctx.Writer.B = append(rc.c.ctx.Writer.B, '\n')
				rc.c.poke()
			}
		}
	}
	if len(r.replicas) > 0 {
		// Replicas that stopped acknowledging are dropped after
		// repl-timeout (not SYNC ones, which never acknowledge).
		limit := s.cfg.Int("repl-timeout") * 1000
		now := time.Now().UnixMilli()
		for _, rc := range append([]*replicaConn(nil), r.replicas...) {
			if rc.state == replOnline && !rc.oldSync && now-rc.ackMs > limit {
				s.logf("Disconnecting timedout replica: %s", rc.c.sess.Addr)
				s.kill(rc.c)
				s.dropReplica(rc.c)
			}
		}
		s.countGoodReplicas()
	}
	s.updateFailover()
	// No PING while a failover waits for a replica to catch up: the
	// stream stands still.
	period := time.Duration(s.cfg.Int("repl-ping-replica-period")) * time.Second
	if s.masterHost == "" && len(r.replicas) > 0 && time.Since(r.lastPing) >= period && r.failover.state == foNone {
		r.lastPing = time.Now()
		s.flushPropagation()
		s.replFeed(pingCmd)
	}
}

// linkUp reports whether the link to our master is up.
func (s *Server) linkUp() bool {
	return s.repl.link != nil && s.repl.link.state == linkConnected
}

// refuseWrite is min-replicas-to-write: "" when a write may go on.
func (s *Server) refuseWrite() string {
	if s.repl.minReplicas > 0 && s.masterHost == "" && int64(s.repl.good) < s.repl.minReplicas {
		return errNoReplicas
	}
	return ""
}

// waitState is a WAIT in progress.
type waitState struct{ need, off int64 }

// countAcks is how many online replicas acknowledged offset off.
func (s *Server) countAcks(off int64) int64 {
	n := int64(0)
	for _, rc := range s.repl.replicas {
		if rc.state == replOnline && rc.ackOff >= off {
			n++
		}
	}
	return n
}

// Wait implements command.ReplicationHost.
func (s *Server) Wait(ctx *command.Ctx, need, deadline int64) {
	c := ctx.Conn.(*client)
	off := c.woff
	if n := s.countAcks(off); n >= need || ctx.NoBlock {
		ctx.Int(n)
		return
	}
	st := &waitState{need: need, off: off}
	ctx.Block(nil, deadline, func(w *resp.Writer) { w.Int(s.countAcks(st.off)) })
	ctx.Blocked.State = st
	s.repl.waiters = append(s.repl.waiters, c)
	s.repl.getack = true
}

// serveWaiters answers the WAITs whose replicas have acknowledged.
func (s *Server) serveWaiters() {
	r := &s.repl
	keep := r.waiters[:0]
	r.aofWaiters = 0
	for _, w := range r.waiters {
		b := w.blocked
		if b == nil || w.killed {
			continue
		}
		if st, ok := b.req.State.(*waitAOFState); ok {
			if !s.serveWaitAOF(w, st) {
				keep = append(keep, w)
				r.aofWaiters++
			}
			continue
		}
		st, ok := b.req.State.(*waitState)
		if !ok {
			continue
		}
		if n := s.countAcks(st.off); n >= st.need {
			w.ctx.Int(n)
			s.wake(w)
			continue
		}
		keep = append(keep, w)
	}
	clear(r.waiters[len(keep):])
	r.waiters = keep
}

// RoleReply implements command.ReplicationHost.
func (s *Server) RoleReply(ctx *command.Ctx) {
	if l := s.repl.link; s.masterHost != "" && l != nil {
		ctx.Array(5)
		ctx.BulkString("slave")
		ctx.BulkString(s.masterHost)
		ctx.Int(int64(l.port))
		ctx.BulkString(l.stateName())
		off := int64(-1)
		if l.state == linkConnected {
			off = s.replOffset()
		}
		ctx.Int(off)
		return
	}
	ctx.Array(3)
	ctx.BulkString("master")
	ctx.Int(s.replOffset())
	var online []*replicaConn
	for _, rc := range s.repl.replicas {
		if rc.state == replOnline {
			online = append(online, rc)
		}
	}
	ctx.Array(len(online))
	for _, rc := range online {
		ctx.Array(3)
		ctx.BulkString(rc.addrIP())
		ctx.BulkString(strconv.Itoa(rc.port))
		ctx.BulkString(strconv.FormatInt(rc.ackOff, 10))
	}
}

// addrIP is the replica's announced address, or its peer address.
func (rc *replicaConn) addrIP() string {
	if rc.ip != "" {
		return rc.ip
	}
	host, _, _ := strings.Cut(rc.c.sess.Addr, ":")
	if i := strings.LastIndexByte(rc.c.sess.Addr, ':'); i >= 0 {
		host = rc.c.sess.Addr[:i]
	}
	return host
}

// infoReplication renders INFO replication with Redis 7.0's fields.
func (s *Server) infoReplication(b *strings.Builder) {
	r := &s.repl
	now := time.Now()
	if l := r.link; s.masterHost != "" && l != nil {
		field(b, "role", "slave")
		field(b, "master_host", s.masterHost)
		field(b, "master_port", s.masterPort)
		up := l.state == linkConnected
		field(b, "master_link_status", map[bool]string{true: "up", false: "down"}[up])
		last := int64(-1)
		if up {
			last = (now.UnixMilli() - l.lastIO) / 1000
		}
		field(b, "master_last_io_seconds_ago", last)
		field(b, "master_sync_in_progress", boolInt(l.state == linkSync))
		// Without a master (or a cached one) Redis shows 1.
		read, applied := int64(1), int64(1)
		if up {
			read, applied = l.readOff, s.replOffset()
		} else if r.backlog != nil {
			read, applied = s.replOffset(), s.replOffset()
		}
		field(b, "slave_read_repl_offset", read)
		field(b, "slave_repl_offset", applied)
		if l.state == linkSync {
			total, done := l.transferTotal.Load(), l.transferRead.Load()
			// As Redis computes it, -1 (unknown size) included.
			perc := 0.0
			if total != 0 {
				perc = float64(done) / float64(total) * 100
			}
			field(b, "master_sync_total_bytes", total)
			field(b, "master_sync_read_bytes", done)
			field(b, "master_sync_left_bytes", total-done)
			field(b, "master_sync_perc", fmt.Sprintf("%.2f", perc))
			field(b, "master_sync_last_io_seconds_ago", now.Unix()-l.transferIO.Load())
		}
		if !up {
			down := int64(-1)
			if l.downSince != 0 {
				down = now.Unix() - l.downSince
			}
			field(b, "master_link_down_since_seconds", down)
		}
		field(b, "slave_priority", s.cfg.Get("replica-priority"))
		field(b, "slave_read_only", boolInt(r.readOnly))
		field(b, "replica_announced", boolInt(s.cfg.Bool("replica-announced")))
	} else {
		field(b, "role", "master")
	}
	n := 0
	for _, rc := range r.replicas {
		if rc.state != replNone {
			n++
		}
	}
	field(b, "connected_slaves", n)
	if s.masterHost == "" && r.minReplicas > 0 {
		field(b, "min_slaves_good_slaves", r.good)
	}
	for i, rc := range r.replicas {
		lag := (now.UnixMilli() - rc.ackMs) / 1000
		fmt.Fprintf(b, "slave%d:ip=%s,port=%d,state=%s,offset=%d,lag=%d\r\n", i, rc.addrIP(), rc.port, replStateNames[rc.state], rc.ackOff, lag)
	}
	field(b, "master_failover_state", s.failoverStateName())
	field(b, "master_replid", s.replid)
	field(b, "master_replid2", r.replid2)
	field(b, "master_repl_offset", s.replOffset())
	field(b, "second_repl_offset", r.secondOffset)
	active, size, first, hist := 0, s.cfg.Int("repl-backlog-size"), int64(0), 0
	if r.backlog != nil {
		active, first, hist = 1, r.backlog.FirstByte(), r.backlog.HistLen()
	}
	field(b, "repl_backlog_active", active)
	field(b, "repl_backlog_size", size)
	field(b, "repl_backlog_first_byte_offset", first)
	field(b, "repl_backlog_histlen", hist)
}

// keepaliveBuffer collects a disk-form payload, which must be complete
// before its length can be sent, writing a newline to the replica every
// second meanwhile so that it does not time out.
type keepaliveBuffer struct {
	bytes.Buffer
	conn net.Conn
	last time.Time
}

func (k *keepaliveBuffer) Write(p []byte) (int, error) {
	if now := time.Now(); now.Sub(k.last) >= time.Second {
		k.last = now
		if _, err := k.conn.Write([]byte{'\n'}); err != nil {
			return 0, err
		}
	}
	return k.Buffer.Write(p)
}
