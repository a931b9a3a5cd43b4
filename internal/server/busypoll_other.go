//go:build !linux

package server

// busyPoller needs epoll (busypoll_linux.go); elsewhere there is none,
// and a nil poller does nothing.
type busyPoller struct{}

func newBusyPoller() *busyPoller { return nil }

func (*busyPoller) count(int) {}

func (*busyPoller) batchDone(*client) {}

func (*busyPoller) run(<-chan struct{}) {}
