//go:build linux

package server

import (
	"errors"
	"os"
	"sync"
	"syscall"
)

// sleepPoller is the readiness poller of sleeping sockets: an epoll set
// of its own, itself watched by Go's netpoller through an os.File, so
// that waiting for it takes no thread. Sockets are registered one-shot:
// an event disarms the socket until its goroutine sleeps again.
type sleepPoller struct {
	epfd int
	mu   sync.Mutex
	// byToken finds the socket of an event; tokens are never reused,
	// so a stale event cannot reach another client.
	byToken map[uint64]*sockConn
	next    uint64
}

var (
	pollerOnce sync.Once
	poller     *sleepPoller
)

// sleepPollerOf returns the process's poller, started on first use; nil
// if it cannot run, and then clients just never sleep.
func sleepPollerOf() *sleepPoller {
	pollerOnce.Do(func() {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		if err := syscall.SetNonblock(epfd, true); err != nil {
			syscall.Close(epfd)
			return
		}
		f := os.NewFile(uintptr(epfd), "sleep-poller")
		rc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return
		}
		poller = &sleepPoller{epfd: epfd, byToken: make(map[uint64]*sockConn)}
		go poller.run(f, rc)
	})
	return poller
}

// run wakes the sockets whose events come in, for the process's life.
func (p *sleepPoller) run(f *os.File, rc syscall.RawConn) {
	defer f.Close()
	events := make([]syscall.EpollEvent, 256)
	for {
		var n int
		var werr error
		err := rc.Read(func(fd uintptr) bool {
			n, werr = syscall.EpollWait(int(fd), events, 0)
			if errors.Is(werr, syscall.EINTR) {
				n, werr = 0, nil
			}
			return n > 0 || werr != nil
		})
		if err != nil || werr != nil {
			return
		}
		p.mu.Lock()
		for i := range events[:n] {
			ev := &events[i]
			if sc := p.byToken[uint64(uint32(ev.Fd))|uint64(uint32(ev.Pad))<<32]; sc != nil {
				sc.wake()
			}
		}
		p.mu.Unlock()
	}
}

// armSleeper registers sc for its next readiness event and reports
// whether it is now registered.
func armSleeper(sc *sockConn) bool {
	p := sleepPollerOf()
	if p == nil {
		return false
	}
	if sc.token == 0 {
		p.mu.Lock()
		p.next++
		sc.token = p.next
		p.byToken[sc.token] = sc
		p.mu.Unlock()
	}
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     int32(uint32(sc.token)),
		Pad:    int32(uint32(sc.token >> 32)),
	}
	var cerr error
	// Control holds the descriptor open: a socket closed meanwhile
	// fails here instead of its number naming another file.
	err := sc.raw.Control(func(fd uintptr) {
		op := syscall.EPOLL_CTL_ADD
		if sc.armed {
			op = syscall.EPOLL_CTL_MOD
		}
		cerr = syscall.EpollCtl(p.epfd, op, int(fd), &ev)
		if op == syscall.EPOLL_CTL_MOD && errors.Is(cerr, syscall.ENOENT) {
			cerr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
		}
	})
	if err != nil || cerr != nil {
		return false
	}
	sc.armed = true
	return true
}

// forgetSleeper drops sc's token when its client is gone; the kernel
// dropped the descriptor from the set when it was closed.
func forgetSleeper(sc *sockConn) {
	if sc.token == 0 {
		return
	}
	p := sleepPollerOf()
	p.mu.Lock()
	delete(p.byToken, sc.token)
	p.mu.Unlock()
}
