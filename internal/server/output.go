package server

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Client output and client-output-buffer-limit.
//
// Each connection has one goroutine that reads a batch, runs it and
// writes the replies. With a blocking write, a client that never reads
// just stalls its own goroutine once the kernel's buffers are full: it
// stops reading too, so its output never grows past one batch and it is
// never disconnected. Redis instead keeps reading and executing, queues
// the replies in user space, and closes the client when that queue breaks
// the limit of its class (normal, pubsub). To give the same outcome, a
// client whose class has a limit writes asynchronously: sockConn.Write
// hands the kernel what it accepts at once (a non-blocking write) and
// queues the rest for a flusher goroutine, so the connection goroutine
// keeps reading and running commands. What a client owes the socket is
// then the engine's buffer not yet taken plus the bytes queued in its
// sockConn (those handed over but not accepted by the kernel), and that
// is what the limits are applied to, after every command and every
// pushed message. A class without limits (normal's default, 0 0 0)
// keeps the blocking write: there the stalled goroutine is the bound,
// where Redis would let the queue grow without one.

// sockConn is a client's socket, under its TLS layer if any, so that the
// bytes queued count encrypted records as Redis counts its output.
type sockConn struct {
	net.Conn
	raw syscall.RawConn // nil: no non-blocking writes on this socket
	// async selects the asynchronous write; set by the client's goroutine.
	async atomic.Bool
	// busy is set while the flusher owns the socket's writes: only Write
	// sets it (under wmu and q.mu), only the flusher clears it (under
	// q.mu).
	busy atomic.Bool
	// unsent is how many bytes Write took that the kernel has not.
	unsent atomic.Int64

	wmu sync.Mutex // one Write at a time
	// q is the flusher's queue, made by the first Write that needs it:
	// most clients never do, and an idle client should stay small.
	q atomic.Pointer[sendQueue]
	// w writes for Write (under wmu), made by the first one.
	w *rawWriter

	sleepState // sleep.go
}

// sendQueue is what a sockConn shares with its flusher.
type sendQueue struct {
	mu             sync.Mutex // guards what follows
	idle           sync.Cond  // the flusher finished
	pending, spare []byte
	err            error // the flusher's write error
}

func newSockConn(conn net.Conn) *sockConn {
	return &sockConn{Conn: conn, raw: rawConn(conn)}
}

// queue returns the send queue, making it on first use. Called by Write,
// under wmu.
func (sc *sockConn) queue() *sendQueue {
	if q := sc.q.Load(); q != nil {
		return q
	}
	q := &sendQueue{}
	q.idle.L = &q.mu
	sc.q.Store(q)
	return q
}

// Write sends b. In blocking mode it returns once the kernel took all of
// b, after anything still queued. In async mode it never waits: what the
// kernel does not take now is queued, in order, for the flusher.
func (sc *sockConn) Write(b []byte) (int, error) {
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	async := sc.async.Load() && sc.raw != nil
	if sc.busy.Load() {
		q := sc.queue()
		q.mu.Lock()
		if async && sc.busy.Load() {
			q.pending = append(q.pending, b...)
			sc.unsent.Add(int64(len(b)))
			q.mu.Unlock()
			return len(b), nil
		}
		for sc.busy.Load() {
			q.idle.Wait()
		}
		err := q.err
		q.mu.Unlock()
		if err != nil {
			return 0, err
		}
	}
	if !async {
		if sc.raw == nil {
			return sc.Conn.Write(b)
		}
		return sc.writer().write(b, true)
	}
	n, err := sc.writer().write(b, false)
	if err != nil {
		return n, err
	}
	if n < len(b) {
		q := sc.queue()
		q.mu.Lock()
		q.pending = append(q.pending[:0], b[n:]...)
		sc.unsent.Add(int64(len(b) - n))
		sc.busy.Store(true)
		q.mu.Unlock()
		go sc.flush(q)
	}
	return len(b), nil
}

// writer returns Write's rawWriter, making it on first use; under wmu.
func (sc *sockConn) writer() *rawWriter {
	if sc.w == nil {
		sc.w = newRawWriter(sc.raw)
	}
	return sc.w
}

// flush writes the queue out, blocking on the socket, until it is empty
// or the socket fails (it is closed when its client is dropped).
func (sc *sockConn) flush(q *sendQueue) {
	w := newRawWriter(sc.raw) // Write's own may be in use
	q.mu.Lock()
	for len(q.pending) > 0 {
		buf := q.pending
		q.pending = q.spare[:0]
		q.spare = nil
		q.mu.Unlock()
		n, err := w.write(buf, true)
		sc.unsent.Add(-int64(n))
		q.mu.Lock()
		if cap(buf) <= keepWriteBuf {
			q.spare = buf[:0]
		}
		if err != nil {
			q.err = err
			q.pending, q.spare = nil, nil
			sc.unsent.Store(0)
		}
	}
	sc.busy.Store(false)
	q.idle.Broadcast()
	q.mu.Unlock()
}

// drain waits until everything queued is written (or failed), for a
// client closed after its reply: the reply must go out first.
func (sc *sockConn) drain() {
	q := sc.q.Load()
	if q == nil {
		return // nothing was ever queued
	}
	q.mu.Lock()
	for sc.busy.Load() {
		q.idle.Wait()
	}
	q.mu.Unlock()
}

// tlsListener accepts TCP connections that wrapConn turns into TLS ones,
// so that TLS runs above the client's sockConn.
type tlsListener struct {
	net.Listener
	conf *tls.Config
}

// wrapConn puts an accepted connection under a sockConn, and TLS over it
// for a TLS listener.
func wrapConn(ln net.Listener, conn net.Conn) net.Conn {
	sc := newSockConn(conn)
	if tl, ok := ln.(*tlsListener); ok {
		return tls.Server(sc, tl.conf)
	}
	return sc
}

// sockOf finds the sockConn under conn, nil if there is none (the master
// link's client).
func sockOf(conn net.Conn) *sockConn {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	sc, _ := conn.(*sockConn)
	return sc
}

// pendingOutput is what c owes its socket: replies queued by the engine
// and not yet taken by its goroutine, plus what its socket has queued.
// Engine lock held.
func (c *client) pendingOutput() int64 {
	n := int64(len(c.ctx.Writer.B))
	if c.sock != nil {
		n += c.sock.unsent.Load()
	}
	return n
}

// limitOf is the client-output-buffer-limit class that applies to c:
// pubsub while it is subscribed to something, normal otherwise (MONITOR
// included, as in Redis). Replicas have their own accounting (repl.go)
// and get none here.
func (s *Server) limitOf(c *client) outputLimit {
	switch {
	case c.repl != nil:
		return outputLimit{}
	case c.sess.Subs > 0:
		return s.pubsubLimit
	}
	return s.normalLimit
}

func (l outputLimit) on() bool { return l.hard > 0 || l.soft > 0 }

// overLimit applies c's class limits to its pending output, as Redis
// does when output is added: over the hard limit, or over the soft limit
// for longer than its seconds, the client is closed at once without
// writing what is queued, and the event logged. It reports whether c was
// closed. Engine lock held.
func (s *Server) overLimit(c *client) bool {
	lim := s.limitOf(c)
	if !lim.on() {
		return false
	}
	size := c.pendingOutput()
	now := s.ks.Now()
	switch {
	case lim.hard > 0 && size > lim.hard:
	case lim.soft > 0 && size > lim.soft:
		if c.softSinceMs == 0 {
			c.softSinceMs = now
			return false
		}
		if now-c.softSinceMs <= lim.softSeconds*1000 {
			return false
		}
	default:
		c.softSinceMs = 0
		return false
	}
	wall := time.Now().UnixMilli()
	s.logf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.appendInfo(nil, wall, now))
	c.ctx.Writer.B = c.ctx.Writer.B[:0]
	c.killed = true
	c.conn.Close()
	return true
}
