//go:build !linux

package server

import "syscall"

// busyPoller needs epoll (busypoll_linux.go); elsewhere there is none,
// and a nil poller does nothing.
type busyPoller struct{}

func newBusyPoller() *busyPoller { return nil }

func (*busyPoller) watch(syscall.RawConn) {}

func (*busyPoller) batchDone(int) {}

func (*busyPoller) run(<-chan struct{}) {}
