//go:build linux

package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/respd/respd/internal/config"
)

// TestLoopSocketInOneSet: a sleeping client's socket is watched by one
// epoll set, the loop's, and no longer by Go's netpoller; woken, it is
// the netpoller's alone again.
func TestLoopSocketInOneSet(t *testing.T) {
	s := startSleepy(t, time.Hour)
	c := dialRaw(t, s)
	if got := c.do(t, "PING"); got != "+PONG" {
		t.Fatalf("PING replied %q", got)
	}
	waitFor(t, "the client asleep", func() bool { a, _ := sleepers(s); return a == 1 })
	inode := peerInode(t, c.Conn)
	// The loop's set may have a second descriptor (its waiter): sets
	// are told apart by what they hold.
	loopSet := watched(t, s.loop.epfd)
	sets := setsWatching(t, inode)
	if len(sets) == 0 {
		t.Fatal("asleep: no epoll set holds the socket")
	}
	for fd, held := range sets {
		if held != loopSet {
			t.Fatalf("asleep: the socket is in epoll set %d besides the loop's (%d)", fd, s.loop.epfd)
		}
	}
	// SUBSCRIBE wakes it: the loop leaves subscribers to goroutines.
	if got := c.do(t, "SUBSCRIBE ch"); got != "*3" {
		t.Fatalf("SUBSCRIBE replied %q", got)
	}
	waitFor(t, "the client awake", func() bool { a, _ := sleepers(s); return a == 0 })
	loopSet = watched(t, s.loop.epfd)
	sets = setsWatching(t, inode)
	if len(sets) != 1 {
		t.Fatalf("awake: the socket is in %d epoll sets, want 1", len(sets))
	}
	for fd, held := range sets {
		if held == loopSet {
			t.Fatalf("awake: the socket is in the loop's set (%d)", fd)
		}
	}
}

// peerInode is the inode of the server's end of conn: the socket in
// this process whose addresses are conn's, swapped.
func peerInode(t *testing.T, conn net.Conn) uint64 {
	t.Helper()
	local, remote := conn.LocalAddr().(*net.TCPAddr), conn.RemoteAddr().(*net.TCPAddr)
	is := func(sa syscall.Sockaddr, a *net.TCPAddr) bool {
		in4, ok := sa.(*syscall.SockaddrInet4)
		return ok && in4.Port == a.Port && a.IP.Equal(net.IP(in4.Addr[:]))
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fds {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		sa, err1 := syscall.Getsockname(fd)
		pa, err2 := syscall.Getpeername(fd)
		if err1 != nil || err2 != nil || !is(sa, remote) || !is(pa, local) {
			continue
		}
		var st syscall.Stat_t
		if syscall.Fstat(fd, &st) == nil {
			return st.Ino
		}
	}
	t.Fatalf("no descriptor of the server's end of %v", remote)
	return 0
}

// watched is what the epoll set of descriptor fd holds, one
// "tfd: ... ino:..." line of its fdinfo per watched descriptor.
func watched(t *testing.T, fd int) string {
	t.Helper()
	info, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		t.Fatal(err)
	}
	var held []string
	for _, line := range strings.Split(string(info), "\n") {
		if strings.HasPrefix(line, "tfd:") {
			held = append(held, line)
		}
	}
	return strings.Join(held, "\n")
}

// setsWatching maps each epoll descriptor of this process whose set
// holds the socket with the given inode to what its set holds.
func setsWatching(t *testing.T, inode uint64) map[int]string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	sets := map[int]string{}
	for _, e := range fds {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if link, err := os.Readlink("/proc/self/fd/" + e.Name()); err != nil || link != "anon_inode:[eventpoll]" {
			continue
		}
		held := watched(t, fd)
		for _, line := range strings.Split(held, "\n") {
			// "tfd: 12 events: 2019 data: ... pos:0 ino:1a2b sdev:8"
			i := strings.Index(line, " ino:")
			if i < 0 {
				continue
			}
			ino, err := strconv.ParseUint(strings.Fields(line[i+len(" ino:"):])[0], 16, 64)
			if err == nil && ino == inode {
				sets[fd] = held
			}
		}
	}
	return sets
}

// TestLoopFullSocket: a reply larger than the socket takes at once, to a
// client that reads it late, arrives whole; the loop's client is woken
// to write the rest.
func TestLoopFullSocket(t *testing.T) {
	// The big SET wakes the client too (big requests are its
	// goroutine's), which goes back to sleep soon after.
	s := startSleepy(t, 50*time.Millisecond)
	c := dialRaw(t, s)
	val := strings.Repeat("x", 8<<20)
	if got := c.do(t, fmt.Sprintf("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s", len(val), val)); got != "+OK" {
		t.Fatalf("SET replied %q", got)
	}
	waitFor(t, "the client asleep", func() bool { a, _ := sleepers(s); return a == 1 })
	if _, err := c.Write([]byte("GET big\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	// Its goroutine cannot finish writing, and so cannot sleep, until
	// the client reads.
	waitFor(t, "the client woken to write", func() bool { a, _ := sleepers(s); return a == 0 })
	if got := c.line(t); got != "$"+strconv.Itoa(len(val)) {
		t.Fatalf("GET replied %q", got)
	}
	got := make([]byte, len(val)+2)
	if _, err := io.ReadFull(c.r, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != val+"\r\n" {
		t.Fatal("GET's value came back changed")
	}
	if got := c.line(t); got != "+PONG" {
		t.Fatalf("PING after the big reply: %q", got)
	}
}

// startOneP starts a server with GOMAXPROCS set to 1 until the test
// ends, where the loop polls after its rounds, waits in its own set and
// coalesces rounds.
func startOneP(t *testing.T) *Server {
	old := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	srv, err := Start(config.New(), Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if srv.loop == nil || !srv.loop.spin {
		t.Fatal("no polling event loop with one P")
	}
	return srv
}

// TestServerWithOneP runs clients that send one command at a time, and
// clients that pipeline, against a server started with one P, and
// checks every reply. (Clients in the server's own process do not make
// it coalesce: TestLoopCoalesces runs them in another.)
func TestServerWithOneP(t *testing.T) {
	srv := startOneP(t)
	const clients, each = 20, 200
	var wg sync.WaitGroup
	errs := make(chan error, 2*clients+1)
	for i := range clients {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- incrs(srv.Addr().String(), fmt.Sprintf("INCR k%d\r\n", i), each, 1)
		}()
		go func() {
			defer wg.Done()
			errs <- incrs(srv.Addr().String(), fmt.Sprintf("INCR p%d\r\n", i), 10*each, 16)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- incrs(srv.Addr().String(), "INCR piped\r\n", each, each)
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestLoopCoalesces serves, with one P, clients in another process (this
// test binary run as TestLoopClients) that pipeline INCRs 16 deep, the
// load under which the loop coalesces its rounds, and checks every
// reply and that the loop did coalesce. How often depends on timing: 45
// to 427 sleeps in runs here, the fewest with two other processes
// keeping both CPUs busy.
func TestLoopCoalesces(t *testing.T) {
	srv := startOneP(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoopClients$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RESPD_LOOP_CLIENTS="+srv.Addr().String())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("clients: %v\n%s", err, out)
	}
	n := srv.loop.coalesced.Load()
	t.Logf("the loop slept %d times to coalesce", n)
	if n == 0 {
		t.Error("the loop never slept to coalesce")
	}
}

// TestLoopClients is TestLoopCoalesces's client process.
func TestLoopClients(t *testing.T) {
	addr := os.Getenv("RESPD_LOOP_CLIENTS")
	if addr == "" {
		t.Skip("run by TestLoopCoalesces")
	}
	const clients = 32
	errs := make(chan error, clients)
	for i := range clients {
		go func() { errs <- incrs(addr, fmt.Sprintf("INCR c%d\r\n", i), 16*2000, 16) }()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// incrs sends req n times, in pipelines of depth, and checks that the
// replies count from 1 to n.
func incrs(addr string, req string, n, depth int) error {
	conn, err := net.Dial("tcp", addr)
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
