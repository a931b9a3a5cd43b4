//go:build unix

package server

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// injectingRawConn makes the peer send while a read that found nothing
// is about to wait: the moment when a readiness edge is easy to lose.
type injectingRawConn struct {
	syscall.RawConn
	peer net.Conn
	sent bool
}

func (c *injectingRawConn) Read(f func(uintptr) bool) error {
	return c.RawConn.Read(func(fd uintptr) bool {
		if f(fd) {
			return true
		}
		if !c.sent {
			c.sent = true
			c.peer.Write([]byte("hello"))
			time.Sleep(50 * time.Millisecond) // the edge lands before the wait
		}
		return false
	})
}

// recordingSink collects what a rawReader reads, until it has want
// bytes; onGot runs after each read, reads counts the reads offered.
type recordingSink struct {
	buf   [64]byte
	data  []byte
	want  int
	reads int
	idles int
	onGot func()
}

func (s *recordingSink) space() []byte { s.reads++; return s.buf[:] }

func (s *recordingSink) got(r int) bool {
	s.data = append(s.data, s.buf[:r]...)
	if s.onGot != nil {
		s.onGot()
	}
	return len(s.data) < s.want
}

func (s *recordingSink) idle() { s.idles++ }

// serveSink runs rr on sink under a deadline that a lost wake-up would
// hit, and checks that it ended because the sink had everything.
func serveSink(t *testing.T, conn net.Conn, rr *rawReader, sink *recordingSink, want string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	closing, err := rr.serve(sink)
	if !closing || err != nil || string(sink.data) != want {
		t.Fatalf("serve gave closing %v, err %v, read %q; want %q", closing, err, sink.data, want)
	}
}

// TestRawReaderNoLostWakeup: input arriving between a read that found
// nothing and the wait that follows wakes the reader.
func TestRawReaderNoLostWakeup(t *testing.T) {
	conn, peer := tcpPair(t)
	rc := rawConn(conn)
	if rc == nil {
		t.Skip("no raw socket access here")
	}
	rr := newRawReaderOn(&injectingRawConn{RawConn: rc, peer: peer})
	sink := &recordingSink{want: 5}
	serveSink(t, conn, rr, sink, "hello")
	if sink.idles == 0 {
		t.Fatal("the reader never waited")
	}
}

// TestRawReaderShortReadWaits: after a short read the reader waits
// without reading again, and input that arrives while the sink is still
// busy with the last read, or later, wakes it.
func TestRawReaderShortReadWaits(t *testing.T) {
	conn, peer := tcpPair(t)
	rc := rawConn(conn)
	if rc == nil {
		t.Skip("no raw socket access here")
	}
	peer.Write([]byte("a"))
	time.Sleep(20 * time.Millisecond)
	sink := &recordingSink{want: 3}
	sink.onGot = func() {
		switch len(sink.data) {
		case 1:
			// While the sink works: the edge comes before the wait.
			peer.Write([]byte("b"))
			time.Sleep(20 * time.Millisecond)
		case 2:
			// Once it waits.
			time.AfterFunc(50*time.Millisecond, func() { peer.Write([]byte("c")) })
		}
	}
	serveSink(t, conn, newRawReaderOn(rc), sink, "abc")
	if sink.reads != 3 {
		t.Fatalf("%d reads for 3 short inputs, want 3: a short read must not be followed by one that finds nothing", sink.reads)
	}
}
