//go:build linux

package server

import (
	"bufio"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/respd/respd/internal/config"
)

// withProcs runs f with GOMAXPROCS set to n.
func withProcs(n int, f func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	f()
}

func TestBusyPollerOnlyWithOneP(t *testing.T) {
	withProcs(2, func() {
		if p := newBusyPoller(); p != nil {
			syscall.Close(p.epfd)
			t.Fatal("a poller with two Ps")
		}
	})
	withProcs(1, func() {
		p := newBusyPoller()
		if p == nil {
			t.Fatal("no poller with one P")
		}
		syscall.Close(p.epfd)
	})
}

// TestBusyPollerSeesArrivals: a client's socket is watched from its
// first batch on, and an arrival is reported once.
func TestBusyPollerSeesArrivals(t *testing.T) {
	var p *busyPoller
	withProcs(1, func() { p = newBusyPoller() })
	defer syscall.Close(p.epfd)
	server, peer := tcpPair(t)
	c := &client{sock: newSockConn(server)}
	send := func() {
		t.Helper()
		if _, err := peer.Write([]byte("PING\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	// The bytes may take a moment to reach the socket on a loaded machine.
	seen := func() bool {
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
			if p.poll() {
				return true
			}
		}
		return false
	}
	send()
	arrived(t, server)
	if p.poll() {
		t.Fatal("poll saw a socket before its client's first batch")
	}
	p.batchDone(c)
	if !c.polled {
		t.Fatal("the first batch did not register the socket")
	}
	send()
	if !seen() {
		t.Fatal("poll did not see the request arrive")
	}
	// Edge-triggered: the arrival is reported once, though unread.
	if p.poll() {
		t.Fatal("poll saw the same arrival twice")
	}
}

// arrived waits until conn has bytes to read, so that a poll that then
// sees nothing did not merely come too early.
func arrived(t *testing.T, conn net.Conn) {
	t.Helper()
	rc, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		var n int32
		var errno syscall.Errno
		rc.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
		})
		if errno != 0 {
			t.Fatal(errno)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the request did not reach the socket")
		}
	}
}

// TestBusyPollerOnlySmallBatches checks the gate: pipelined batches
// leave the poller parked, batches of one command start it.
func TestBusyPollerOnlySmallBatches(t *testing.T) {
	var p *busyPoller
	withProcs(1, func() { p = newBusyPoller() })
	defer syscall.Close(p.epfd)
	for range 50 {
		p.count(16)
		p.start()
	}
	// The mean started at 0 and may have started it once.
	p.parked.Store(true)
	select {
	case <-p.kick:
	default:
	}
	for range 50 {
		p.count(16)
		p.start()
	}
	if !p.parked.Load() || len(p.kick) != 0 {
		t.Fatalf("batches of 16 started the poller (mean %d/16)", p.mean.Load())
	}
	kicked := 0
	for range 50 {
		p.count(1)
		p.start()
		if !p.parked.Load() {
			kicked++
			<-p.kick
			p.parked.Store(true)
		}
	}
	if kicked == 0 {
		t.Fatalf("batches of one never started the poller (mean %d/16)", p.mean.Load())
	}
	if m := p.mean.Load(); m > smallBatches {
		t.Fatalf("mean after 50 batches of one: %d/16", m)
	}
}

func TestBusyPollerRunsAndStops(t *testing.T) {
	var p *busyPoller
	withProcs(1, func() { p = newBusyPoller() })
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		p.run(stop)
		close(done)
	}()
	waitParked := func() {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !p.parked.Load(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the poller did not park")
			}
		}
	}
	waitParked()
	p.count(1)
	p.start()
	if p.parked.Load() {
		t.Fatal("a batch of one left the poller parked")
	}
	waitParked() // polled for busyPollFor, then parked again
	close(stop)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after stop")
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(p.epfd), syscall.F_GETFD, 0); errno != syscall.EBADF {
		t.Fatalf("the epoll set is still open after stop (fcntl: %v)", errno)
	}
}

// TestServerWithOneP runs clients that send one command at a time, and
// one that pipelines, against a server started with one P, where the
// poller runs, and checks every reply.
func TestServerWithOneP(t *testing.T) {
	withProcs(1, func() {
		srv, err := Start(config.New(), Options{Addr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		if srv.busy == nil {
			t.Fatal("no busy poller with one P")
		}
		const clients, each = 20, 200
		var wg sync.WaitGroup
		errs := make(chan error, clients+1)
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- incrs(srv, fmt.Sprintf("INCR k%d\r\n", i), each, 1)
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- incrs(srv, "INCR piped\r\n", each, each)
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

// incrs sends req n times, in pipelines of depth, and checks that the
// replies count from 1 to n.
func incrs(srv *Server, req string, n, depth int) error {
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	for j := 1; j <= n; j += depth {
		if _, err := conn.Write([]byte(strings.Repeat(req, depth))); err != nil {
			return err
		}
		for k := j; k < j+depth; k++ {
			line, err := r.ReadString('\n')
			if err != nil || line != ":"+strconv.Itoa(k)+"\r\n" {
				return fmt.Errorf("%q number %d: %q %v", req, k, line, err)
			}
		}
	}
	return nil
}
