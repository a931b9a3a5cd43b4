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
		for {
			n, werr = syscall.Write(int(fd), b)
			if !errors.Is(werr, syscall.EINTR) {
				return true
			}
		}
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

// shutdownSock shuts rc's socket down both ways without waiting for the
// calls in progress on it, as Close would.
func shutdownSock(rc syscall.RawConn) error {
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Shutdown(int(fd), syscall.SHUT_RDWR) }); err != nil {
		return err
	}
	return serr
}
