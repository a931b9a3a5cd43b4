package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/config"
)

// startSleepy starts a server on loopback whose clients go to sleep after
// idle.
func startSleepy(t *testing.T, idle time.Duration) *Server {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("clients sleep on Linux only")
	}
	old := sleepAfter
	sleepAfter = idle
	t.Cleanup(func() { sleepAfter = old })
	cfg := config.New()
	if err := cfg.Set("maxclients", "1000", false); err != nil {
		t.Fatal(err)
	}
	srv, err := Start(cfg, Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// sleepers counts the server's clients whose goroutine sleeps, and all.
func sleepers(s *Server) (asleepN, all int) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	for _, c := range s.clients {
		if c.sock != nil && c.sock.state.Load() == asleep {
			asleepN++
		}
	}
	return asleepN, len(s.clients)
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type rawClient struct {
	net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, s *Server) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawClient{c, bufio.NewReader(c)}
}

// do sends an inline command and returns its first reply line.
func (c *rawClient) do(t *testing.T, cmd string) string {
	t.Helper()
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		t.Fatal(err)
	}
	return c.line(t)
}

func (c *rawClient) line(t *testing.T) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	l, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

// TestSleepNewClients: connections that send nothing take no goroutine,
// and each answers as soon as it speaks.
func TestSleepNewClients(t *testing.T) {
	s := startSleepy(t, time.Hour)
	const n = 200
	before := runtime.NumGoroutine()
	conns := make([]*rawClient, n)
	for i := range conns {
		conns[i] = dialRaw(t, s)
	}
	waitFor(t, "all clients asleep", func() bool {
		a, all := sleepers(s)
		return all == n && a == n
	})
	if g := runtime.NumGoroutine() - before; g > n/4 {
		t.Fatalf("%d idle connections added %d goroutines", n, g)
	}
	for i, c := range conns {
		if got := c.do(t, fmt.Sprintf("ECHO m%d", i)); got != fmt.Sprintf("$%d", len(fmt.Sprint("m", i))) {
			t.Fatalf("client %d: ECHO replied %q", i, got)
		}
		if got, want := c.line(t), fmt.Sprint("m", i); got != want {
			t.Fatalf("client %d: ECHO replied %q, want %q", i, got, want)
		}
	}
}

// TestSleepAfterIdle: a client that was woken goes back to sleep once
// idle, keeps its state (selected db, name) and answers when it speaks
// again, a request split across a long pause included.
func TestSleepAfterIdle(t *testing.T) {
	s := startSleepy(t, 30*time.Millisecond)
	c := dialRaw(t, s)
	for _, cmd := range []string{"SELECT 3", "CLIENT SETNAME napper", "SET k v"} {
		if got := c.do(t, cmd); got != "+OK" {
			t.Fatalf("%s: %q", cmd, got)
		}
	}
	for round := range 3 {
		waitFor(t, "the client asleep", func() bool { a, _ := sleepers(s); return a == 1 })
		// EXEC wakes it: the event loop leaves transactions to the
		// client's goroutine.
		for _, step := range [][2]string{{"MULTI", "+OK"}, {"GET k", "+QUEUED"}, {"EXEC", "*1"}} {
			if got := c.do(t, step[0]); got != step[1] {
				t.Fatalf("round %d: %s replied %q", round, step[0], got)
			}
		}
		if got := c.line(t); got != "$1" || c.line(t) != "v" {
			t.Fatalf("round %d: EXEC replied %q", round, got)
		}
		if got := c.do(t, "CLIENT GETNAME"); got != "$6" || c.line(t) != "napper" {
			t.Fatalf("round %d: CLIENT GETNAME replied %q", round, got)
		}
	}
	// Half a request, then sleep-worthy silence: the event loop keeps
	// the partial request, and the rest completes it.
	waitFor(t, "the client asleep", func() bool { a, _ := sleepers(s); return a == 1 })
	if _, err := c.Write([]byte("*2\r\n$3\r\nGET\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	if got := c.do(t, "$1\r\nk"); got != "$1" || c.line(t) != "v" {
		t.Fatalf("split GET replied %q", got)
	}
}

// TestSleepWakeUps: what the engine does to a sleeping client reaches it:
// a published message, a served blocking command's reply, CLIENT KILL,
// the peer hanging up, and the server's shutdown.
func TestSleepWakeUps(t *testing.T) {
	s := startSleepy(t, 30*time.Millisecond)
	sub := dialRaw(t, s)
	if got := sub.do(t, "SUBSCRIBE news"); got != "*3" {
		t.Fatalf("SUBSCRIBE replied %q", got)
	}
	for range 5 {
		sub.line(t)
	}
	pub := dialRaw(t, s)
	victim := dialRaw(t, s)
	quitter := dialRaw(t, s)
	blocker := dialRaw(t, s)
	victimID := victim.do(t, "CLIENT ID")
	if !strings.HasPrefix(victimID, ":") {
		t.Fatalf("CLIENT ID replied %q", victimID)
	}
	waitFor(t, "five sleeping clients", func() bool { a, all := sleepers(s); return a == 5 && all == 5 })

	// A parked client stays awake until served, then sleeps again.
	if _, err := blocker.Write([]byte("BLPOP list 0\r\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the BLPOP parked", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.block.count == 1
	})
	time.Sleep(100 * time.Millisecond)
	if got := pub.do(t, "RPUSH list x"); got != ":1" {
		t.Fatalf("RPUSH replied %q", got)
	}
	for _, w := range []string{"*2", "$4", "list", "$1", "x"} {
		if got := blocker.line(t); got != w {
			t.Fatalf("blocked client read %q, want %q", got, w)
		}
	}
	waitFor(t, "five sleeping clients", func() bool { a, _ := sleepers(s); return a == 5 })

	for i := range 3 {
		if got := pub.do(t, fmt.Sprintf("PUBLISH news hello%d", i)); got != ":1" {
			t.Fatalf("PUBLISH replied %q", got)
		}
		want := []string{"*3", "$7", "message", "$4", "news", "$6", fmt.Sprint("hello", i)}
		for _, w := range want {
			if got := sub.line(t); got != w {
				t.Fatalf("subscriber read %q, want %q", got, w)
			}
		}
		waitFor(t, "five sleeping clients", func() bool { a, _ := sleepers(s); return a == 5 })
	}

	if got := pub.do(t, "CLIENT KILL ID "+victimID[1:]); got != ":1" {
		t.Fatalf("CLIENT KILL replied %q", got)
	}
	victim.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := victim.r.ReadByte(); err != io.EOF {
		t.Fatalf("killed client read: %v, want EOF", err)
	}
	waitFor(t, "the killed client gone", func() bool { _, all := sleepers(s); return all == 4 })

	quitter.Close()
	waitFor(t, "the hung-up client gone", func() bool { _, all := sleepers(s); return all == 3 })

	waitFor(t, "three sleeping clients", func() bool { a, _ := sleepers(s); return a == 3 })
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return with sleeping clients")
	}
	sub.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := sub.r.ReadByte(); err != io.EOF {
		t.Fatalf("client after shutdown read: %v, want EOF", err)
	}
}

// TestNoLostWakeups: clients whose requests keep arriving, one write
// each, while the server reads and replies, never stall waiting for
// input that has arrived. The sleep deadline is far away, so it cannot
// hide a missed readiness event.
func TestNoLostWakeups(t *testing.T) {
	s := startSleepy(t, time.Hour)
	const clients, rounds = 20, 2000
	errs := make(chan error, 2*clients)
	for i := range clients {
		c := dialRaw(t, s)
		c.SetDeadline(time.Now().Add(30 * time.Second))
		go func() {
			for j := range rounds {
				if _, err := fmt.Fprintf(c, "ECHO %d-%d\r\n", i, j); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
		go func() {
			for j := range rounds {
				want := fmt.Sprintf("%d-%d", i, j)
				for _, w := range []string{fmt.Sprintf("$%d", len(want)), want} {
					l, err := c.r.ReadString('\n')
					if err != nil {
						errs <- fmt.Errorf("client %d reply %d: %v", i, j, err)
						return
					}
					if l = strings.TrimRight(l, "\r\n"); l != w {
						errs <- fmt.Errorf("client %d reply %d: read %q, want %q", i, j, l, w)
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range 2 * clients {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
