package servertest

import (
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/clock"
	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/server"
)

// Instance is a respd server started for one test.
type Instance struct {
	Srv  *server.Server
	Addr string
	// Clock is the fake clock when the instance was started with one.
	Clock *clock.Fake
}

// Start runs respd in-process on a free loopback port, configured by
// `--name value` style args, and stops it when the test ends.
func Start(t testing.TB, args ...string) *Instance {
	return start(t, nil, args)
}

// StartFake is Start with a fake clock the test advances by hand.
func StartFake(t testing.TB, args ...string) *Instance {
	return start(t, clock.NewFake(time.Now().UnixMilli()), args)
}

// StartErr starts a server as Start does and returns the error Start
// failed with, nil (the server then runs until the test ends) if none.
func StartErr(t testing.TB, args ...string) error {
	t.Helper()
	srv, err := startServer(t, nil, args)
	if err == nil {
		t.Cleanup(func() { srv.Close() })
	}
	return err
}

func start(t testing.TB, fake *clock.Fake, args []string) *Instance {
	t.Helper()
	srv, err := startServer(t, fake, args)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &Instance{Srv: srv, Addr: srv.Addr().String(), Clock: fake}
}

func startServer(t testing.TB, fake *clock.Fake, args []string) (*server.Server, error) {
	t.Helper()
	cfg := config.New()
	if !slices.Contains(args, "--dir") {
		// Persistence files go to the test's own directory.
		args = append([]string{"--dir", t.TempDir()}, args...)
	}
	if !slices.Contains(args, "--repl-diskless-sync-delay") {
		// Full syncs start at once instead of after Redis's default 5
		// seconds of waiting for more replicas to share them.
		args = append([]string{"--repl-diskless-sync-delay", "0"}, args...)
	}
	_, lines, err := config.ParseArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Apply(lines, "test"); err != nil {
		t.Fatal(err)
	}
	opts := server.Options{Addr: "127.0.0.1:0"}
	if fake != nil {
		opts.Clock = fake
	}
	return server.Start(cfg, opts)
}

// Client returns a go-redis client for addr, closed when the test ends.
func Client(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// Client returns a go-redis client for the instance.
func (in *Instance) Client(t testing.TB) *redis.Client { return Client(t, in.Addr) }

// Raw opens a raw RESP connection to the instance.
func (in *Instance) Raw(t testing.TB) *Conn { return Dial(t, in.Addr) }

// RedisServer starts the real redis-server (see package oracle).
func RedisServer(t testing.TB, args ...string) string { return oracle.RedisServer(t, args...) }
