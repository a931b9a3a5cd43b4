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

// rawWriter is never used here: without a descriptor (rawConn) there
// are no raw writes.
type rawWriter struct{}

func newRawWriter(syscall.RawConn) *rawWriter { return &rawWriter{} }

func (*rawWriter) write([]byte, bool) (int, error) {
	return 0, errors.New("raw writes are not supported here")
}

// shutdownSock is never called here: without a descriptor (rawConn) a
// socket is closed outright.
func shutdownSock(syscall.RawConn) error { return nil }
