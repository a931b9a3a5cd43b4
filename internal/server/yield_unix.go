//go:build unix

package server

import (
	"errors"
	"os"
	"runtime"
	"syscall"
)

// netYielder lets a long background job (a snapshot being written) give
// the processor to the clients between its turns.
//
// runtime.Gosched is not enough for that. Go's scheduler looks at the
// netpoller only when it has nothing else to run (or from its monitor
// thread every 10 ms), so while a CPU-bound goroutine stays runnable,
// clients whose requests have arrived are not even noticed: on a server
// confined to one CPU (GOMAXPROCS=1, as when pinned with taskset) a
// background save would delay every request by up to 10 ms, then convoy
// them behind its turns of the engine lock.
//
// So the yielder waits for I/O instead: it writes a byte to a pipe of its
// own and parks until the netpoller reports the pipe readable. The
// scheduler polls the network to find that out, and with it every socket
// that became readable meanwhile; the client goroutines so readied run
// before the yielder's next turn (it also steps to the back of the run
// queue once woken). With nothing else to do, a yield costs a few
// microseconds: a write, an epoll_wait and a read.
type netYielder struct {
	r, w *os.File
	rc   syscall.RawConn
	fn   func(uintptr) bool
	// armed: the byte is written and the yielder waits for it.
	armed bool
	buf   [64]byte
	one   [1]byte
}

// newNetYielder returns a yielder; nil when no pipe can be had, and a nil
// yielder's yield falls back to runtime.Gosched.
func newNetYielder() *netYielder {
	r, w, err := os.Pipe()
	if err != nil {
		return nil
	}
	rc, err := r.SyscallConn()
	if err != nil {
		r.Close()
		w.Close()
		return nil
	}
	y := &netYielder{r: r, w: w, rc: rc}
	y.fn = y.step
	return y
}

// step is the RawConn callback: the first call arms the pipe (after the
// read side has cleared its readiness, so the wake-up cannot be lost)
// and asks to wait; the next drains it and ends the wait.
func (y *netYielder) step(fd uintptr) bool {
	if !y.armed {
		if _, err := y.w.Write(y.one[:]); err != nil {
			return true // no wait possible: just go on
		}
		y.armed = true
		return false
	}
	for {
		n, err := syscall.Read(int(fd), y.buf[:])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if n > 0 || !errors.Is(err, syscall.EAGAIN) {
			y.armed = false
			return true
		}
		// Woken without the byte (should not happen): arm it anew, so
		// that the next wait has an event to end it.
		if _, err := y.w.Write(y.one[:]); err != nil {
			y.armed = false
			return true
		}
		return false
	}
}

// yield parks the caller until the scheduler has polled the network, then
// lets the goroutines that readied run first.
func (y *netYielder) yield() {
	if y == nil {
		runtime.Gosched()
		return
	}
	y.armed = false
	_ = y.rc.Read(y.fn) // an error (the pipe closed) just ends the wait
	runtime.Gosched()
}

// close releases the pipe.
func (y *netYielder) close() {
	if y != nil {
		y.r.Close()
		y.w.Close()
	}
}
