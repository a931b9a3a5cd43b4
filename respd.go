package respd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/respd/respd/internal/clock"
	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/server"
)

// Server is a running embedded respd. Its methods are safe for concurrent
// use, with each other and with clients connected to it.
type Server struct {
	srv  *server.Server
	addr string
	// fake is the frozen clock of Options.Time; nil when the server
	// follows the wall clock through shift.
	fake  *clock.Fake
	shift *shiftedClock
	// stop releases the context watch of Start.
	stop func() bool
}

// Start starts a server and returns once it accepts connections. It runs
// until Close, or until ctx is done, whichever comes first; a ctx already
// done makes Start fail with its error.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &Server{}
	sopts := server.Options{Addr: opts.Addr}
	if sopts.Addr == "" {
		sopts.Addr = "127.0.0.1:0"
	}
	if !opts.Time.IsZero() {
		s.fake = clock.NewFake(opts.Time.UnixMilli())
		sopts.Clock = s.fake
	} else {
		s.shift = &shiftedClock{}
		sopts.Clock = s.shift
	}
	srv, err := server.Start(cfg, sopts)
	if err != nil {
		return nil, fmt.Errorf("respd: %w", err)
	}
	s.srv = srv
	s.addr = srv.Addr().String()
	s.stop = context.AfterFunc(ctx, func() { srv.Close() })
	return s, nil
}

// buildConfig applies Options to the defaults the way the respd command
// applies its command line, so values are checked alike.
func buildConfig(opts Options) (*config.Config, error) {
	cfg := config.New()
	set := make(map[string]string, len(opts.Config)+3)
	set["save"] = ""
	for name, v := range opts.Config {
		d := cfg.Lookup(name)
		if d == nil {
			return nil, fmt.Errorf("respd: unknown config directive %q", name)
		}
		set[d.Name] = v
	}
	if opts.Databases != 0 {
		set["databases"] = strconv.Itoa(opts.Databases)
	}
	if opts.Hz != 0 {
		set["hz"] = strconv.Itoa(opts.Hz)
	}
	names := make([]string, 0, len(set))
	for name := range set {
		names = append(names, name)
	}
	// Sorted, so which of two bad values is reported does not vary.
	sort.Strings(names)
	lines := make([]config.Line, len(names))
	for i, name := range names {
		lines[i] = config.Line{Name: name, Args: []string{set[name]}, Num: i + 1, Text: name + " " + set[name]}
	}
	if err := cfg.Apply(lines, "options"); err != nil {
		var le *config.LoadError
		if errors.As(err, &le) && le.Line > 0 {
			return nil, fmt.Errorf("respd: config %s: %s", lines[le.Line-1].Name, le.Msg)
		}
		return nil, fmt.Errorf("respd: config: %w", err)
	}
	return cfg, nil
}

// Addr returns the address the server listens on, as host:port, for a
// client library to dial.
func (s *Server) Addr() string { return s.addr }

// Port returns the port the server listens on.
func (s *Server) Port() int {
	if a, ok := s.srv.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Close disconnects every client, stops the server and waits until its
// goroutines are gone. Closing twice is harmless.
func (s *Server) Close() error {
	s.stop()
	return s.srv.Close()
}

// FastForward moves the server's clock forward by d (to the millisecond)
// and runs the cron once: keys whose TTL ran out read as missing from the
// next command on and are sampled for reclaiming at once, and blocked
// commands whose timeout passed get their timeout reply. It is how a test
// makes time pass without sleeping.
func (s *Server) FastForward(d time.Duration) {
	if d <= 0 {
		return
	}
	if s.fake != nil {
		s.fake.Advance(d)
	} else {
		s.shift.offset.Add(d.Milliseconds())
	}
	s.srv.Housekeep()
}

// Now returns the server's current time, which FastForward moves.
func (s *Server) Now() time.Time {
	var ms int64
	if s.fake != nil {
		ms = s.fake.NowMs()
	} else {
		ms = s.shift.NowMs()
	}
	return time.UnixMilli(ms)
}

// shiftedClock is the wall clock moved forward by what FastForward added.
type shiftedClock struct{ offset atomic.Int64 }

func (c *shiftedClock) NowMs() int64 { return time.Now().UnixMilli() + c.offset.Load() }
