//go:build !unix

package server

import (
	"errors"
	"net"
	"syscall"
)

// rawConn reports no descriptor: outside unix, client writes always
// block (see output.go).
func rawConn(net.Conn) syscall.RawConn { return nil }

func writeNonblocking(syscall.RawConn, []byte) (int, error) {
	return 0, errors.New("non-blocking writes are not supported here")
}

// writeBlocking is never called here: there is no descriptor.
func writeBlocking(syscall.RawConn, []byte) (int, error) {
	return 0, errors.New("raw writes are not supported here")
}

// shutdownSock is never called here: without a descriptor (rawConn) a
// socket is closed outright.
func shutdownSock(syscall.RawConn) error { return nil }
