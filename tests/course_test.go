package tests

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/servertest"
)

// The stages of the "Build your own Redis" course, checked over raw TCP
// the way its tester does: exact bytes, no client library.

func TestCourseBind(t *testing.T) {
	in := servertest.Start(t)
	conn, err := net.DialTimeout("tcp", in.Addr, 5*time.Second)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	conn.Close()
}

func TestCoursePing(t *testing.T) {
	in := servertest.Start(t)
	c := in.Raw(t)
	c.Write("*1\r\n$4\r\nPING\r\n")
	if r := c.Read(); r != "+PONG\r\n" {
		t.Fatalf("PING: %q", r)
	}
}

func TestCoursePingTwiceOneConnection(t *testing.T) {
	in := servertest.Start(t)
	c := in.Raw(t)
	for i := 0; i < 2; i++ {
		c.Write("*1\r\n$4\r\nPING\r\n")
		if r := c.Read(); r != "+PONG\r\n" {
			t.Fatalf("PING %d: %q", i+1, r)
		}
	}
}

func TestCourseConcurrentClients(t *testing.T) {
	in := servertest.Start(t)
	const clients, pings = 20, 200
	conns := make([]net.Conn, clients)
	for i := range conns {
		conn, err := net.Dial("tcp", in.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conns[i] = conn
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for _, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := bufio.NewReader(conn)
			for j := 0; j < pings; j++ {
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
					errs <- err
					return
				}
				line, err := r.ReadString('\n')
				if err != nil || line != "+PONG\r\n" {
					errs <- fmt.Errorf("ping %d: %q %v", j, line, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCourseEcho(t *testing.T) {
	in := servertest.Start(t)
	c := in.Raw(t)
	c.Write("*2\r\n$4\r\nECHO\r\n$3\r\nhey\r\n")
	if r := c.Read(); r != "$3\r\nhey\r\n" {
		t.Fatalf("ECHO: %q", r)
	}
}

func TestCourseSetGet(t *testing.T) {
	in := servertest.Start(t)
	c := in.Raw(t)
	for _, step := range []struct{ req, want string }{
		{"*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n", "+OK\r\n"},
		{"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n", "$3\r\nbar\r\n"},
		{"*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n", "$-1\r\n"},
	} {
		c.Write(step.req)
		if r := c.Read(); r != step.want {
			t.Fatalf("%q: %q, want %q", step.req, r, step.want)
		}
	}
}

// TestCourseExpiry uses the wall clock, as the course's tester does.
func TestCourseExpiry(t *testing.T) {
	in := servertest.Start(t)
	c := in.Raw(t)
	set := time.Now()
	if r := c.Do("SET", "foo", "bar", "px", "100"); r != "+OK\r\n" {
		t.Fatalf("SET PX: %q", r)
	}
	// A busy machine may take the GET past the 100 ms; only then is a
	// miss allowed.
	if r := c.Do("GET", "foo"); r != "$3\r\nbar\r\n" && (r != "$-1\r\n" || time.Since(set) < 100*time.Millisecond) {
		t.Fatalf("GET before expiry: %q", r)
	}
	time.Sleep(150 * time.Millisecond)
	if r := c.Do("GET", "foo"); r != "$-1\r\n" {
		t.Fatalf("GET after expiry: %q", r)
	}
}

// startBinary runs the built respd with args and returns the address it
// answers PING on; it is killed when the test ends.
func startBinary(t *testing.T, bin string, port int, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	// Tests listen on loopback only.
	args = append(args, "--bind", "127.0.0.1")
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			conn.Write([]byte("*1\r\n$4\r\nPING\r\n"))
			line, err := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if err != nil || line != "+PONG\r\n" {
				t.Fatalf("PING on %s: %q %v; stderr:\n%s", addr, line, err, stderr.String())
			}
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("respd %v did not listen on %s: %v; stderr:\n%s", args, addr, err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCoursePortFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	port := oracle.FreePort(t)
	startBinary(t, buildRespd(t), port, "--port", strconv.Itoa(port))
}

func infoReplication(t *testing.T, addr string) string {
	t.Helper()
	c := servertest.Dial(t, addr)
	r := c.Do("INFO", "replication")
	if !strings.HasPrefix(r, "$") {
		t.Fatalf("INFO replication: %q", r)
	}
	return r
}

func TestCourseInfoReplication(t *testing.T) {
	in := servertest.Start(t)
	if r := infoReplication(t, in.Addr); !strings.Contains(r, "# Replication\r\n") || !strings.Contains(r, "\r\nrole:master\r\n") {
		t.Errorf("master's INFO replication: %q", r)
	}
}

func TestCourseReplicaOf(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildRespd(t)
	master := oracle.FreePort(t) // nothing listens there: only the role is checked
	for name, args := range map[string][]string{
		"one argument":  {"--replicaof", "localhost " + strconv.Itoa(master)},
		"two arguments": {"--replicaof", "localhost", strconv.Itoa(master)},
	} {
		t.Run(name, func(t *testing.T) {
			port := oracle.FreePort(t)
			addr := startBinary(t, bin, port, append([]string{"--port", strconv.Itoa(port)}, args...)...)
			if r := infoReplication(t, addr); !strings.Contains(r, "\r\nrole:slave\r\n") {
				t.Errorf("replica's INFO replication: %q", r)
			}
		})
	}
	// And a plain start of the binary is a master.
	port := oracle.FreePort(t)
	addr := startBinary(t, bin, port, "--port", strconv.Itoa(port))
	if r := infoReplication(t, addr); !strings.Contains(r, "\r\nrole:master\r\n") {
		t.Errorf("binary's INFO replication: %q", r)
	}
}
