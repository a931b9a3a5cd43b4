package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/rdb"
	"github.com/respd/respd/internal/repl"
	"github.com/respd/respd/internal/resp"
)

// Replication, replica side: one goroutine per master link connects,
// handshakes, loads the RDB of a full sync (or keeps the data on
// +CONTINUE), then applies the master's stream as the master client,
// under the engine lock a batch at a time. Replies to the master client
// are discarded; GETACK is answered and an ACK sent every second. What it
// applies reaches the AOF through the propagated stream as usual, while
// its own backlog and replicas get the master's bytes verbatim.

// Link states, as ROLE names them.
const (
	linkConnect = iota
	linkConnecting
	linkSync
	linkConnected
)

// masterLink is the connection to the master; fields engine-owned unless
// noted.
type masterLink struct {
	host  string
	port  int
	stop  chan struct{}
	state int
	// c is the master client while connected.
	c *client
	// lastIO is when the master last sent something (unix ms).
	lastIO int64
	// downSince is when the link went down (unix s); 0 while up or
	// before it was ever up.
	downSince int64
	// readOff is slave_read_repl_offset.
	readOff int64
	// ackDue is set by REPLCONF GETACK while a batch is applied.
	ackDue bool
	// wmu serializes writes to the connection (owned by the link
	// goroutines).
	wmu sync.Mutex
	// transfer* follow a full sync's payload for INFO (atomic: the link
	// goroutine updates them without the engine lock).
	transferTotal, transferRead, transferIO atomic.Int64
}

func (l *masterLink) stateName() string {
	return [...]string{"connect", "connecting", "sync", "connected"}[l.state]
}

// ReplicaOf implements command.ReplicationHost.
func (s *Server) ReplicaOf(ctx *command.Ctx, host string, port int) {
	if host == "" {
		if s.masterHost != "" {
			s.promote()
			s.cfg.Set("replicaof", "no one", true)
			s.logf("MASTER MODE enabled (user request from '%s')", ctx.Sess.Addr)
		}
		ctx.OK()
		return
	}
	p := strconv.Itoa(port)
	if s.masterHost == host && s.masterPort == p {
		ctx.Simple(errAlreadyMaster)
		return
	}
	s.setMaster(host, p)
	s.cfg.Set("replicaof", host+" "+p, true)
	s.logf("REPLICAOF %s:%s enabled (user request from '%s')", host, p, ctx.Sess.Addr)
	ctx.OK()
}

// setMaster makes this server a replica of host:port, dropping the link
// to any previous master. We keep our replid and offset to try a partial
// sync (the master may be our former replica), and, as Redis 7.0 does,
// our replicas: they are disconnected only once the new master turns out
// to have another history (a new replid with +CONTINUE, or a full sync),
// so after a FAILOVER they keep following through us. Clients blocked on
// the old role's data are let go. Engine lock held.
func (s *Server) setMaster(host, port string) {
	s.unblockOnRoleChange()
	s.stopLink()
	s.masterHost, s.masterPort = host, port
	s.ks.Replica = true
	s.startLink()
}

// promote is REPLICAOF NO ONE: the master's replid becomes our replid2,
// so our former siblings can continue from us. Engine lock held.
func (s *Server) promote() {
	s.stopLink()
	s.masterHost, s.masterPort = "", ""
	s.freezeDataset()
	r := &s.repl
	r.replid2, r.secondOffset = s.replid, s.replOffset()+1
	s.replid = randomHex(40)
	s.disconnectReplicas()
	s.ensureBacklog(false)
	s.ResetPropagationDB()
}

// startLink starts the goroutine of the link to s.masterHost.
func (s *Server) startLink() {
	port, _ := strconv.Atoi(s.masterPort)
	l := &masterLink{host: s.masterHost, port: port, stop: make(chan struct{})}
	s.repl.link = l
	s.wg.Add(1)
	go s.runLink(l)
}

// stopLink ends the master link, if any. Engine lock held.
func (s *Server) stopLink() {
	l := s.repl.link
	if l == nil {
		return
	}
	close(l.stop)
	if l.c != nil {
		s.repl.streamDB = l.c.sess.DB
		s.kill(l.c)
		l.c = nil
	}
	s.repl.link = nil
}

// runLink keeps the link up until it is stopped, retrying with backoff.
func (s *Server) runLink(l *masterLink) {
	defer s.wg.Done()
	delay := 100 * time.Millisecond
	for {
		select {
		case <-l.stop:
			return
		case <-s.stop:
			return
		default:
		}
		synced, err := s.linkOnce(l)
		s.mu.Lock()
		if l.c != nil {
			s.repl.streamDB = l.c.sess.DB
			s.kill(l.c)
			l.c = nil
		}
		if s.repl.link == l {
			if l.state == linkConnected {
				l.downSince = time.Now().Unix()
			}
			l.state = linkConnect
		}
		s.mu.Unlock()
		if err != nil {
			s.logf("Master link %s:%d: %v", l.host, l.port, err)
		}
		if synced {
			delay = 100 * time.Millisecond
		} else {
			delay = min(2*delay, time.Second)
		}
		select {
		case <-l.stop:
			return
		case <-s.stop:
			return
		case <-time.After(delay):
		}
	}
}

// linkConn is one connection attempt's socket and reader.
type linkConn struct {
	conn net.Conn
	r    *bufio.Reader
	l    *masterLink
}

func (lc *linkConn) send(args ...string) error {
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	lc.l.wmu.Lock()
	defer lc.l.wmu.Unlock()
	lc.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := lc.conn.Write(b)
	return err
}

// line reads one reply line, skipping keepalive newlines.
func (lc *linkConn) line() (string, error) {
	for {
		s, err := lc.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		s = strings.TrimRight(s, "\r\n")
		if s != "" {
			return s, nil
		}
	}
}

// call sends a command and reads its one-line reply.
func (lc *linkConn) call(args ...string) (string, error) {
	if err := lc.send(args...); err != nil {
		return "", err
	}
	return lc.line()
}

// linkOnce runs one connection to the master until it fails or the link
// is stopped; synced reports whether it got as far as the stream.
func (s *Server) linkOnce(l *masterLink) (synced bool, err error) {
	s.mu.Lock()
	l.state = linkConnecting
	timeout := time.Duration(s.cfg.Int("repl-timeout")) * time.Second
	auth, user := s.cfg.Get("masterauth"), s.cfg.Get("masteruser")
	myPort := s.tcpPort()
	var tlsConf *tls.Config
	if s.cfg.Bool("tls-replication") {
		// Over TLS: we announce our TLS port, where our own replicas
		// would be found.
		if p := s.cfg.Int("tls-port"); p != 0 {
			myPort = int(p)
		}
		if tlsConf, err = s.tlsClientConfig(); err != nil {
			s.mu.Unlock()
			return false, err
		}
	}
	if p := s.cfg.Int("replica-announce-port"); p != 0 {
		myPort = int(p)
	}
	announceIP := s.cfg.Get("replica-announce-ip")
	s.mu.Unlock()

	// Stopping the link (or the server) ends a dial or any read at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.stop:
		case <-s.stop:
		case <-ctx.Done():
		}
		cancel()
	}()
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(l.host, strconv.Itoa(l.port)))
	if err != nil {
		return false, err
	}
	go func(raw net.Conn) {
		// The socket itself, under any TLS: no close_notify to wait on.
		<-ctx.Done()
		raw.Close()
	}(conn)
	if tlsConf != nil {
		tc := tls.Client(conn, tlsConf)
		hctx, hcancel := context.WithTimeout(ctx, timeout)
		err := tc.HandshakeContext(hctx)
		hcancel()
		if err != nil {
			return false, fmt.Errorf("TLS handshake with master: %w", err)
		}
		conn = tc
	}
	lc := &linkConn{conn: conn, r: bufio.NewReaderSize(conn, 64<<10), l: l}
	conn.SetReadDeadline(time.Now().Add(timeout))
	if rep, err := lc.call("PING"); err != nil {
		return false, err
	} else if rep[0] == '-' && !strings.HasPrefix(rep, "-NOAUTH") && !strings.HasPrefix(rep, "-NOPERM") && !strings.HasPrefix(rep, "-ERR operation not permitted") {
		return false, fmt.Errorf("error reply to PING from master: %s", rep)
	}
	if auth != "" {
		args := []string{"AUTH", auth}
		if user != "" {
			args = []string{"AUTH", user, auth}
		}
		if rep, err := lc.call(args...); err != nil {
			return false, err
		} else if rep[0] == '-' {
			return false, fmt.Errorf("unable to AUTH to MASTER: %s", rep)
		}
	}
	if rep, err := lc.call("REPLCONF", "listening-port", strconv.Itoa(myPort)); err != nil {
		return false, err
	} else if rep[0] == '-' {
		s.logf("(Non critical) Master does not understand REPLCONF listening-port: %s", rep)
	}
	if announceIP != "" {
		if _, err := lc.call("REPLCONF", "ip-address", announceIP); err != nil {
			return false, err
		}
	}
	if _, err := lc.call("REPLCONF", "capa", "eof", "capa", "psync2"); err != nil {
		return false, err
	}

	s.mu.Lock()
	id, off := "?", int64(-1)
	if s.repl.backlog != nil {
		id, off = s.replid, s.repl.backlog.Offset()+1
	}
	psync := []string{"PSYNC", id, strconv.FormatInt(off, 10)}
	failover := s.failoverInProgress()
	if failover {
		psync = append(psync, "FAILOVER")
	}
	s.mu.Unlock()
	rep, err := lc.call(psync...)
	if err != nil {
		return false, err
	}
	if failover && !s.failoverPSyncReply(l, rep) {
		return false, fmt.Errorf("failover target refused PSYNC: %s", rep)
	}
	switch {
	case strings.HasPrefix(rep, "+FULLRESYNC"):
		f := strings.Fields(rep)
		if len(f) < 3 {
			return false, fmt.Errorf("bad FULLRESYNC reply: %s", rep)
		}
		moff, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return false, fmt.Errorf("bad FULLRESYNC reply: %s", rep)
		}
		s.mu.Lock()
		l.state = linkSync
		s.mu.Unlock()
		conn.SetReadDeadline(time.Time{})
		l.transferTotal.Store(-1) // unknown until the payload's header
		l.transferRead.Store(0)
		l.transferIO.Store(time.Now().Unix())
		data, err := repl.ReadPayload(lc.r, 1<<40, func(total, read int64) {
			l.transferTotal.Store(total)
			l.transferRead.Store(read)
			l.transferIO.Store(time.Now().Unix())
		})
		if err != nil {
			return false, fmt.Errorf("reading the RDB from master: %w", err)
		}
		if err := s.loadFromMaster(data, f[1], moff); err != nil {
			return false, err
		}
	case strings.HasPrefix(rep, "+CONTINUE"):
		s.mu.Lock()
		if f := strings.Fields(rep); len(f) >= 2 && f[1] != s.replid {
			// The master changed id (a promotion): ours follows, the
			// old one stays valid for our replicas up to here.
			s.repl.replid2, s.repl.secondOffset = s.replid, s.repl.backlog.Offset()+1
			s.replid = f[1]
			s.disconnectReplicas()
		}
		s.mu.Unlock()
		s.logf("Successful partial resynchronization with master.")
	default:
		return false, fmt.Errorf("unexpected reply to PSYNC from master: %s", rep)
	}
	return true, s.streamFromMaster(lc, timeout, strings.HasPrefix(rep, "+FULLRESYNC"))
}

// loadFromMaster replaces the dataset with a full sync's RDB. The engine
// lock is held, but let go every loadYieldEvery (and around each
// key-load-delay pause): meanwhile clients are served, and every command
// not allowed while loading gets -LOADING (see loadState), as Redis
// serves events between chunks of its load.
func (s *Server) loadFromMaster(data []byte, replid string, off int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disconnectReplicas()
	s.ks.FlushAll()
	rd := bytes.NewReader(data)
	ld := s.newLoad()
	start, h := ld.start, ld.rdbLoader
	ld.progress = func() (int64, int64) { return int64(len(data) - rd.Len()), int64(len(data)) }
	s.repl.load = ld
	defer func() { s.repl.load = nil }()
	_, err := rdb.Load(rd, rdb.Options{Limits: rdb.ConfigLimits(s.cfg), DBs: len(s.ks.DBs), Warn: func(m string) { s.logf("%s", m) }}, ld)
	s.persist.loadedKeys, s.persist.loadedExpired = h.keys, h.expired
	if err != nil {
		s.ks.FlushAll()
		return fmt.Errorf("failed to load the RDB from master: %w", err)
	}
	if s.repl.link == nil || s.repl.link.c != nil || s.repl.link.state != linkSync {
		// The link was stopped while the lock was let go.
		return errors.New("master link closed during the load")
	}
	s.ks.Dirty++ // the dataset changed
	s.replid = replid
	s.repl.replid2, s.repl.secondOffset = strings.Repeat("0", 40), -1
	if s.repl.backlog == nil {
		s.ensureBacklog(false)
	}
	s.repl.backlog.Reset(off)
	s.repl.streamDB = h.streamDB
	if s.aofFed && !s.ks.Snapshotting() {
		// The AOF must describe the new dataset: rewrite it.
		if err := s.startRewrite(); err != nil {
			s.logf("Background AOF rewrite after sync failed to start: %v", err)
		}
		s.rebaseAOF()
	}
	s.logf("MASTER <-> REPLICA sync: Finished with success (%d keys, %d bytes, %v)", h.keys, len(data), time.Since(start).Round(time.Millisecond))
	return nil
}

// masterClient registers the client that the master's stream runs as.
// Engine lock held.
func (s *Server) masterClient(conn net.Conn) *client {
	c := &client{s: s, conn: conn, isMaster: true}
	id := s.nextID.Add(1)
	now := time.Now().UnixMilli()
	c.sess = command.Session{ID: id, Addr: conn.RemoteAddr().String(), LAddr: conn.LocalAddr().String(), CreatedMs: now}
	c.lastMs = now
	c.ctx = command.Ctx{Sess: &c.sess, KS: s.ks, DB: s.ks.DBs[0], Host: s, Conn: c, Writer: resp.Writer{Proto: 2}, Notifying: &s.notifyMask, Prop: &s.prop.unit, NoBlock: true}
	c.ctx.Select(min(s.repl.streamDB, len(s.ks.DBs)-1))
	s.cmu.Lock()
	s.clients[id] = c
	s.cmu.Unlock()
	return c
}

var errLinkTimeout = errors.New("MASTER timeout: no data nor PING received")

// streamFromMaster applies the master's stream until the link fails.
// After a payload (afterRDB), an optional "\r\n" is dropped first.
func (s *Server) streamFromMaster(lc *linkConn, timeout time.Duration, afterRDB bool) error {
	l := lc.l
	s.mu.Lock()
	if s.repl.link != l {
		s.mu.Unlock()
		return nil
	}
	c := s.masterClient(lc.conn)
	l.c = c
	l.state = linkConnected
	l.downSince = 0
	l.lastIO = time.Now().UnixMilli()
	l.readOff = s.replOffset()
	s.mu.Unlock()

	stopAck := make(chan struct{})
	defer close(stopAck)
	// Send an ACK at once, as Redis does after a sync.
	s.mu.Lock()
	ack, fack := s.ackArgs(s.replOffset())
	s.mu.Unlock()
	if err := lc.send(ack...); err != nil {
		return err
	}
	go func() {
		// An ACK every second; and sooner when the AOF fsynced more
		// (FACK), so that the master's WAITAOF need not wait a second.
		t := time.NewTicker(time.Second / 10)
		defer t.Stop()
		for i := 1; ; i++ {
			select {
			case <-stopAck:
				return
			case <-t.C:
				s.mu.Lock()
				args, f := s.ackArgs(s.replOffset())
				s.mu.Unlock()
				if i%10 != 0 && f == fack {
					continue
				}
				fack = f
				if lc.send(args...) != nil {
					return
				}
			}
		}
	}()

	buf := make([]byte, 64<<10)
	// Whatever the reader already buffered comes first.
	n := 0
	if k := lc.r.Buffered(); k > 0 {
		if k > len(buf) {
			buf = make([]byte, k+len(buf))
		}
		n, _ = lc.r.Read(buf[:k])
	}
	applied := 0 // buf[:applied] is processed but not yet fed (inside MULTI)
	for {
		if afterRDB {
			// Too short to tell (-1): read more first.
			if k := repl.SkipTrailer(buf[:n]); k >= 0 {
				copy(buf, buf[k:n])
				n -= k
				afterRDB = false
			}
		}
		if n > applied && !afterRDB {
			var ackOff int64 = -1
			var fatal error
			n, applied, ackOff, fatal = s.applyFromMaster(l, c, buf, n, applied)
			if fatal != nil {
				return fatal
			}
			if ackOff >= 0 {
				s.mu.Lock()
				args, _ := s.ackArgs(ackOff)
				s.mu.Unlock()
				if err := lc.send(args...); err != nil {
					return err
				}
			}
		}
		if len(buf)-n < 16<<10 {
			nb := make([]byte, max(2*len(buf), n+64<<10))
			copy(nb, buf[:n])
			buf = nb
		}
		lc.conn.SetReadDeadline(time.Now().Add(timeout))
		r, err := lc.conn.Read(buf[n:])
		if r > 0 {
			s.mu.Lock()
			l.lastIO = time.Now().UnixMilli()
			l.readOff += int64(r)
			s.mu.Unlock()
			s.stats.netIn.Add(int64(r))
			n += r
			continue
		}
		if err != nil {
			if isTimeout(err) {
				return errLinkTimeout
			}
			return err
		}
	}
}

// applyFromMaster runs the complete commands of buf[applied:n] under the
// engine lock, feeding the bytes of each command outside a transaction
// (and of each EXEC's whole transaction) to the backlog and our replicas.
// It returns the new n and applied with the consumed bytes dropped, and
// the offset to acknowledge if GETACK was seen (-1 otherwise).
func (s *Server) applyFromMaster(l *masterLink, c *client, buf []byte, n, applied int) (int, int, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.flushPropagation()
	if c.killed || s.repl.link != l {
		return n, applied, -1, errors.New("master link closed")
	}
	s.ks.Tick()
	s.markBatch()
	ackOff := int64(-1)
	fed := 0 // buf[:fed] is in the stream already
	pos := applied
	c.parser.MaxBulk = 1 << 40
	for pos < n {
		args, k, err := c.parser.Parse(buf[pos:n], c.args)
		c.args = args
		if err != nil {
			if errors.Is(err, resp.ErrIncomplete) {
				break
			}
			return n, applied, -1, fmt.Errorf("protocol error from master: %v", err)
		}
		if len(args) == 0 {
			pos += k
			if c.multi == nil {
				fed = pos
			}
			continue
		}
		l.ackDue = false
		c.dispatch(s.finder.Stream(args[0]), args)
		c.ctx.B = c.ctx.B[:0]
		if l.ackDue {
			// The GETACK itself is not counted yet.
			ackOff = s.replOffset() + int64(pos-fed)
			l.ackDue = false
		}
		pos += k
		if c.multi == nil {
			s.replFeed(buf[fed:pos])
			fed = pos
		}
	}
	// Drop what is in the stream; keep an open transaction's bytes and
	// the unfinished tail.
	rest := copy(buf, buf[fed:n])
	return rest, pos - fed, ackOff, nil
}
