//go:build unix

package server

import (
	"errors"
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

// writeNonblocking writes what the kernel takes of b now, without
// waiting for room: Go keeps sockets non-blocking, and returning true
// from the callback skips the poller's wait.
func writeNonblocking(rc syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		n, werr = sysWrite(fd, b)
		return true
	})
	if err != nil {
		return 0, err
	}
	if errors.Is(werr, syscall.EAGAIN) {
		return 0, nil
	}
	if werr != nil {
		return 0, werr
	}
	return n, nil
}

// writeBlocking writes all of b, waiting for room in the poller as
// net.Conn's Write does (and honouring its write deadline).
func writeBlocking(rc syscall.RawConn, b []byte) (int, error) {
	n := 0
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := sysWrite(fd, b[n:])
			if errors.Is(e, syscall.EAGAIN) {
				return false
			}
			if e != nil {
				werr = e
				return true
			}
			n += m
		}
		return true
	})
	if err == nil {
		err = werr
	}
	return n, err
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
