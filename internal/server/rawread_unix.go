//go:build unix

package server

import (
	"errors"
	"io"
	"syscall"
)

// rawReader reads a plain socket without Go's blocking Read, so that it
// can give its buffer back while it waits. Go keeps sockets
// non-blocking: one RawConn.Read call reads what is there, and when
// nothing is, parks the goroutine in the netpoller until the socket is
// readable. That must stay one call: each call first clears the
// netpoller's record of readiness, so a wait begun by a second call
// could miss input that arrived after the first one's read. It honours
// the read deadline as conn.Read does (pokes, parked commands, the sleep
// deadline) and fails once the socket is closed.
type rawReader struct {
	rc syscall.RawConn
	// fn is made once per goroutine run, so that the calls through the
	// RawConn interface do not allocate each time.
	fn func(uintptr) bool
	b  []byte
	// release: put b back in the pool rather than wait holding it;
	// released: it was.
	release, released bool
	n                 int
	err               error
}

// newRawReader returns c's raw reader, nil for a client that is not on
// a plain socket (TLS: the TLS layer reads).
func newRawReader(c *client) *rawReader {
	if c.sock == nil || c.sock.client == nil || c.sock.raw == nil {
		return nil
	}
	rr := &rawReader{rc: c.sock.raw}
	rr.fn = rr.step
	return rr
}

// step is the RawConn callback: true ends the call.
func (rr *rawReader) step(fd uintptr) bool {
	if rr.b == nil {
		// Readable now; the caller takes a buffer and reads.
		rr.n, rr.err = 0, nil
		return true
	}
	for {
		rr.n, rr.err = syscall.Read(int(fd), rr.b)
		if !errors.Is(rr.err, syscall.EINTR) {
			break
		}
	}
	if !errors.Is(rr.err, syscall.EAGAIN) {
		return true
	}
	if rr.release {
		putReadBuf(rr.b)
		rr.b = nil
		rr.released = true
	}
	return false
}

// read reads into b, waiting until something arrives. With release, it
// waits without b, which it then returns to the pool, and reports that
// it did: (0, true, nil), the caller takes a buffer and reads again.
// io.EOF is the peer closing.
func (rr *rawReader) read(b []byte, release bool) (int, bool, error) {
	rr.b, rr.release, rr.released = b, release, false
	err := rr.rc.Read(rr.fn)
	rr.b = nil
	switch {
	case err != nil:
		return 0, rr.released, err
	case rr.released:
		return 0, true, nil
	case rr.err != nil:
		return 0, false, rr.err
	case rr.n == 0:
		return 0, false, io.EOF
	}
	return rr.n, false, nil
}
