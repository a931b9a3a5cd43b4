package server

import (
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/respd/respd/internal/ticks"
)

// epollET is EPOLLET, which package syscall declares as a negative int.
const epollET = 1 << 31

// busyPollFor is how long the poller looks for more requests after a
// batch before it lets the server sleep.
const busyPollFor = 20 * time.Microsecond

// smallBatches is the mean number of commands per batch (in sixteenths,
// as count keeps it) at or under which the poller runs: clients
// that send one command and wait for its reply.
const smallBatches = 2 << 4

// busyPoller keeps a server whose Go runtime has one P from going to
// sleep the moment it runs out of requests, while its clients send one
// request at a time.
//
// Go's scheduler polls the network before it puts a thread to sleep only
// from spare threads that look for work for idle Ps, and with one P there
// are none: the P's own thread sleeps in epoll_wait as soon as no
// goroutine can run. On a virtual machine that does not poll before
// halting an idle CPU, the next request then has to wake the CPU: it
// arrives later, and the client's write pays for the wake-up. So after a
// batch the poller watches the connections for up to busyPollFor, on an
// epoll set of its own (edge-triggered: a readiness is reported to it
// once, and to the runtime's set all the same), yielding to any goroutine
// that can run between its polls. As soon as something arrives it parks,
// which leaves the runtime nothing to run, so the runtime polls the
// network at once and runs the connection's goroutine.
//
// Polling turns the server's idle gaps into CPU time. Where clients
// pipeline, the gaps are the clients' own time to make the next pipeline,
// and the requests come no sooner for it: so the poller keeps a running
// mean of the commands per batch and polls only while it is at most
// smallBatches, when each request waits on the one before. It costs at
// most busyPollFor of CPU per idle spell then; with more than one P it is
// not started.
type busyPoller struct {
	epfd   int
	kick   chan struct{}
	parked atomic.Bool
	// mean is the running mean of commands per batch, in sixteenths,
	// kept under the engine lock and read without it.
	mean   atomic.Int32
	events [32]syscall.EpollEvent
}

// newBusyPoller returns a poller, or nil when the runtime has more than
// one P or no epoll set can be had.
func newBusyPoller() *busyPoller {
	if runtime.GOMAXPROCS(0) != 1 {
		return nil
	}
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	return &busyPoller{epfd: fd, kick: make(chan struct{}, 1)}
}

// watch adds a socket to the poller's set. A socket leaves the set by
// itself when it is closed.
func (p *busyPoller) watch(rc syscall.RawConn) {
	rc.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET, Fd: int32(fd)}
		syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
	})
}

// count adds a batch of n commands to the running mean. Engine lock
// held.
func (p *busyPoller) count(n int) {
	if p == nil {
		return
	}
	m := p.mean.Load()
	p.mean.Store(m + (int32(min(n, 1<<20))<<4-m)/8)
}

// batchDone starts the poller once c's replies are written, while
// batches are small, unless it is polling already. A client's socket is
// watched from its first batch on: a connection that never sends a
// command costs the poller nothing.
func (p *busyPoller) batchDone(c *client) {
	if p == nil || c.sock == nil || c.sock.raw == nil {
		return
	}
	if !c.polled {
		p.watch(c.sock.raw)
		c.polled = true
	}
	p.start()
}

// start kicks the poller if batches are small and it is parked.
func (p *busyPoller) start() {
	if p.mean.Load() <= smallBatches && p.parked.Load() && p.parked.CompareAndSwap(true, false) {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
}

// run polls after each kick until stop is closed, then releases the set.
func (p *busyPoller) run(stop <-chan struct{}) {
	defer syscall.Close(p.epfd)
	for {
		p.parked.Store(true)
		select {
		case <-p.kick:
		case <-stop:
			return
		}
		p.poll()
	}
}

// poll looks for a readiness until one comes or busyPollFor has passed,
// and reports whether one came.
func (p *busyPoller) poll() bool {
	start := ticks.Now()
	for {
		runtime.Gosched()
		n, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(p.epfd),
			uintptr(unsafe.Pointer(&p.events[0])), uintptr(len(p.events)), 0, 0, 0)
		switch {
		case errno == 0 && n > 0:
			return true
		case errno != 0 && errno != syscall.EINTR, ticks.Between(start, ticks.Now()) >= busyPollFor:
			return false
		}
	}
}
