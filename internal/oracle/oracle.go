// Package oracle starts the real redis-server, the reference respd's
// differential tests compare against. It imports nothing of respd, so
// any package's tests may use it.
package oracle

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisServer starts the real redis-server on a free loopback port with no
// persistence, returning its address. Without redis-server on PATH the
// test is skipped, or fails when CI=true.
func RedisServer(t testing.TB, args ...string) string {
	t.Helper()
	bin := Binary(t, "redis-server")
	port := FreePort(t)
	base := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning"}
	cmd := exec.Command(bin, append(base, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer PING", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr
}

// Binary returns the path of a Redis program (redis-server, redis-cli,
// redis-sentinel), for tests that run it themselves. Without it on PATH
// the test is skipped, or fails when CI=true.
func Binary(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(name + " not found on PATH; CI needs it for differential tests")
		}
		t.Skip(name + " not found on PATH")
	}
	return bin
}

// FreePort returns a loopback TCP port nobody listens on now.
func FreePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
