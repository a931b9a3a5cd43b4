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

// TestRawReaderNoLostWakeup: input arriving between a read that found
// nothing and the wait that follows wakes the reader, whether it waits
// holding its buffer or not.
func TestRawReaderNoLostWakeup(t *testing.T) {
	for _, release := range []bool{false, true} {
		conn, peer := tcpPair(t)
		rc := rawConn(conn)
		if rc == nil {
			t.Skip("no raw socket access here")
		}
		rr := &rawReader{rc: &injectingRawConn{RawConn: rc, peer: peer}}
		rr.fn = rr.step
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := getReadBuf()
		n, released, err := rr.read(buf, release)
		if released != release || err != nil {
			t.Fatalf("release %v: read gave released %v, err %v", release, released, err)
		}
		if released {
			buf = getReadBuf()
			n, released, err = rr.read(buf, release)
		}
		if err != nil || released || string(buf[:n]) != "hello" {
			t.Fatalf("release %v: read %q, released %v, err %v", release, buf[:n], released, err)
		}
	}
}
