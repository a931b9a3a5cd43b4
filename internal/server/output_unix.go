//go:build unix

package server

import (
	"io"
	"net"
	"syscall"
)

// rawConn is conn's descriptor for non-blocking writes, nil if it has
// none.
func rawConn(conn net.Conn) syscall.RawConn {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// rawWriter writes to a socket through its RawConn. The callback is
// bound once, so that a write allocates nothing (a closure per call
// would). One write at a time.
type rawWriter struct {
	rc   syscall.RawConn
	fn   func(fd uintptr) bool
	b    []byte
	n    int
	err  error
	wait bool
}

func newRawWriter(rc syscall.RawConn) *rawWriter {
	w := &rawWriter{rc: rc}
	w.fn = w.step
	return w
}

// write writes b. With wait it writes all of b, waiting in the poller for
// room as net.Conn's Write does (and honouring the write deadline);
// without, it writes what the kernel takes now: Go keeps sockets
// non-blocking, and returning true from the callback skips the wait.
func (w *rawWriter) write(b []byte, wait bool) (int, error) {
	w.b, w.n, w.err, w.wait = b, 0, nil, wait
	err := w.rc.Write(w.fn)
	if err == nil {
		err = w.err
	}
	n := w.n
	w.b, w.err = nil, nil
	return n, err
}

// step is the RawConn callback: true ends the call.
func (w *rawWriter) step(fd uintptr) bool {
	for w.n < len(w.b) {
		m, err := sockWrite(fd, w.b[w.n:])
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			return !w.wait
		}
		if err == nil && m == 0 {
			err = io.ErrUnexpectedEOF // a socket takes at least a byte
		}
		if err != nil {
			w.err = err
			return true
		}
		w.n += m
	}
	return true
}

// shutdownSock shuts rc's socket down both ways without waiting for the
// calls in progress on it, as Close would.
func shutdownSock(rc syscall.RawConn) error {
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Shutdown(int(fd), syscall.SHUT_RDWR) }); err != nil {
		return err
	}
	return serr
}
