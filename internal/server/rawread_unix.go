//go:build unix

package server

import (
	"errors"
	"io"
	"syscall"
)

// rawReader reads a plain socket without Go's blocking Read, so that
// waiting for input and reading it are separate steps and the waiting
// needs no buffer. Go keeps sockets non-blocking: read takes what is
// there, and wait parks the goroutine in the netpoller until the socket
// is readable. Both honour the read deadline as conn.Read does (pokes,
// parked commands, the sleep deadline) and fail once it is closed.
type rawReader struct {
	rc syscall.RawConn
	// readFn and waitFn are made once per goroutine run, so that the
	// calls through the RawConn interface do not allocate each time.
	readFn, waitFn func(uintptr) bool
	b              []byte
	n              int
	err            error
	waited         bool
}

// newRawReader returns c's raw reader, nil for a client that is not on
// a plain socket (TLS: the TLS layer reads).
func newRawReader(c *client) *rawReader {
	if c.sock == nil || c.sock.client == nil || c.sock.raw == nil {
		return nil
	}
	rr := &rawReader{rc: c.sock.raw}
	rr.readFn = rr.readNow
	rr.waitFn = rr.waitNow
	return rr
}

func (rr *rawReader) readNow(fd uintptr) bool {
	for {
		rr.n, rr.err = syscall.Read(int(fd), rr.b)
		if !errors.Is(rr.err, syscall.EINTR) {
			return true
		}
	}
}

// waitNow asks the poller to wait the first time, and ends the wait
// when called again (the socket turned readable).
func (rr *rawReader) waitNow(uintptr) bool {
	done := rr.waited
	rr.waited = true
	return done
}

// read returns what the socket holds now, up to len(b): (0, nil) when
// nothing is there yet; io.EOF when the peer closed.
func (rr *rawReader) read(b []byte) (int, error) {
	rr.b = b
	err := rr.rc.Read(rr.readFn)
	rr.b = nil
	switch {
	case err != nil:
		return 0, err
	case errors.Is(rr.err, syscall.EAGAIN):
		return 0, nil
	case rr.err != nil:
		return 0, rr.err
	case rr.n == 0:
		return 0, io.EOF
	}
	return rr.n, nil
}

// wait parks until the socket is readable, its read deadline passes or
// it is closed. It may return early; read then finds nothing again.
func (rr *rawReader) wait() error {
	rr.waited = false
	return rr.rc.Read(rr.waitFn)
}
