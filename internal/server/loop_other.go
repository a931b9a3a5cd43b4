//go:build !linux

package server

// evLoop needs epoll (loop_linux.go); elsewhere there is none, no client
// sleeps, and every client keeps its goroutine.
type evLoop struct{}

func newLoop(*Server) *evLoop { return nil }

func (*evLoop) grab(*sockConn) int { return -1 }

func (*evLoop) adopt(*sockConn, int) bool { return false }

func (*evLoop) drop(int) {}

func (*evLoop) wake(*sockConn) {}

func (*evLoop) stop() {}

func (*evLoop) run() {}

func (*evLoop) count(int) {}

func (*evLoop) writeNow(*sockConn, []byte) {}
