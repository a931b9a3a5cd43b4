package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/respd/respd/internal/acl"
	"github.com/respd/respd/internal/aof"
	"github.com/respd/respd/internal/clock"
	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/pubsub"
)

// Version is the Redis version respd reports.
const Version = "7.2.4"

// Server is a running respd instance.
type Server struct {
	mu  sync.Mutex // the engine lock
	cfg *config.Config
	ks  *keyspace.Keyspace

	// Values cached from the configuration by apply hooks; engine-owned.
	maxBulk    int64
	maxClients atomic.Int64 // read by accept without the engine lock
	queryLimit atomic.Int64 // client-query-buffer-limit, read by connections
	keepAlive  atomic.Int64 // tcp-keepalive, read by accept

	replid     string
	masterHost string
	masterPort string

	configFile string
	startMs    int64
	runID      string
	listeners  []net.Listener

	cmu     sync.Mutex // guards clients and closing
	clients map[int64]*client
	closing bool
	nextID  atomic.Int64

	// finder resolves requests to commands; engine-owned.
	finder command.Finder
	// Counters for INFO stats; owned by the engine.
	stats struct {
		commands                             int64
		connections, rejected, netIn, netOut atomic.Int64
	}

	// block holds the clients parked by blocking commands; engine-owned.
	block blockState
	// watchers[db][key] lists the clients WATCHing key; engine-owned.
	watchers []map[string][]*client
	// pubsub is the subscription registry; engine-owned.
	pubsub      *pubsub.Registry[command.Conn]
	pubsubLimit outputLimit
	normalLimit outputLimit
	// notifyMask is the enabled keyspace-event classes (notify.go).
	notifyMask command.NotifyClass
	// pause is the CLIENT PAUSE in force and monitors the MONITOR
	// clients; engine-owned.
	pause    pauseState
	monitors []*client
	// track is the CLIENT TRACKING registry (tracking.go).
	track trackState
	// intro is the slowlog, latency monitor and DEBUG switches.
	intro introspection
	// cstats are the per-command and error statistics (cmdstats.go).
	cstats statsState
	// mem is the maxmemory gauge and eviction state (evict.go).
	mem memState
	// prop is the propagated command stream (propagate.go); nesting
	// counts the handlers running (EXEC runs others), engine-owned.
	prop    propState
	nesting int
	// persist is the RDB state (persist.go).
	persist persistState
	// repl is the replication state (repl.go, repl_link.go).
	repl replState
	// lua is the scripting engine (scripting.go).
	lua scriptState
	// aof is the append-only file (aof.go); aofFed is set once it is
	// registered for the propagated stream. onFatal replaces os.Exit.
	aof     *aof.AOF
	aofFed  bool
	onFatal func(error)
	// users are the ACL users, aclLog the ACL LOG (acl.go); aclReady
	// is set once start-up loaded the users. Engine-owned.
	users    *acl.Users
	aclLog   acl.Log
	aclReady bool
	// log receives the server's log lines; nil discards them.
	log io.Writer
	// clus is the cluster side (cluster.go); clus.cl is nil unless
	// cluster-enabled is yes.
	clus clusterSide

	// loop serves the clients that sleep (loop_linux.go); nil where
	// there is none.
	loop *evLoop

	stop chan struct{}
	wg   sync.WaitGroup
	// shutdown is closed by SHUTDOWN (Done).
	shutdown     chan struct{}
	shutdownOnce sync.Once
}

// Options are what Start needs beyond the configuration.
type Options struct {
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// ConfigFile is the path of the redis.conf the server was started
	// with, for INFO and CONFIG REWRITE.
	ConfigFile string
	// Log receives log lines; nil discards them.
	Log io.Writer
	// Fatal, when set, is called instead of exiting the process when the
	// AOF cannot be written under appendfsync always.
	Fatal func(error)
	// Addr, when set, is the one address to listen on ("127.0.0.1:0" in
	// tests), instead of bind and port.
	Addr string
}

// Start listens on the configured addresses and serves until Close.
func Start(cfg *config.Config, opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	s := &Server{
		cfg:        cfg,
		ks:         keyspace.New(int(cfg.Int("databases")), opts.Clock),
		clients:    map[int64]*client{},
		stop:       make(chan struct{}),
		shutdown:   make(chan struct{}),
		replid:     randomHex(40),
		runID:      randomHex(40),
		startMs:    time.Now().UnixMilli(),
		configFile: opts.ConfigFile,
		log:        opts.Log,
		onFatal:    opts.Fatal,
	}
	names, err := command.Renamed(cfg.Renames)
	if err != nil {
		return nil, err
	}
	s.finder.Names = names
	s.initCmdStats()
	s.initMemory()
	s.initBlocking()
	s.initWatch()
	s.initTracking()
	s.pubsub = pubsub.New[command.Conn]()
	cfg.OnChange("client-output-buffer-limit", func(v string) {
		s.pubsubLimit, s.normalLimit = parseOutputLimit(v, "pubsub"), parseOutputLimit(v, "normal")
	})
	s.initIntrospect()
	s.ks.OnChange = s.keyChanged
	s.initNotify()
	s.initPropagation()
	s.initScripting()
	cfg.OnChange("proto-max-bulk-len", func(string) { s.maxBulk = cfg.Int("proto-max-bulk-len") })
	cfg.OnChange("maxclients", func(string) { s.maxClients.Store(cfg.Int("maxclients")) })
	cfg.OnChange("tcp-keepalive", func(string) { s.keepAlive.Store(cfg.Int("tcp-keepalive")) })
	cfg.OnChange("client-query-buffer-limit", func(string) { s.queryLimit.Store(cfg.Int("client-query-buffer-limit")) })
	if err := s.initACL(); err != nil {
		return nil, err
	}
	s.initRepl()
	if err := s.applyReplicaOf(cfg.Get("replicaof")); err != nil {
		return nil, err
	}
	s.initPersist()
	if err := s.listen(opts.Addr); err != nil {
		return nil, err
	}
	// Cluster mode is up (its configuration loaded) before the first
	// client is accepted, as in Redis: a client never sees a node that
	// says cluster support is disabled or knows no other node yet.
	if err := s.startCluster(); err != nil {
		s.closeListeners()
		return nil, err
	}
	if s.loop = newLoop(s); s.loop != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.loop.run()
		}()
	}
	// Clients are accepted while the dataset loads, and get -LOADING
	// meanwhile, as in Redis (loading.go).
	s.repl.load = s.newLoad()
	s.serve()
	if err := s.loadAtStart(); err != nil {
		s.Close()
		if errors.Is(err, errLoadStopped) {
			// SHUTDOWN during the load: the server has stopped (Done).
			return s, nil
		}
		return nil, err
	}
	if s.masterHost != "" {
		s.mu.Lock()
		s.startLink()
		s.mu.Unlock()
	}
	s.wg.Add(1)
	go s.cron()
	return s, nil
}

func (s *Server) applyReplicaOf(v string) error {
	f := strings.Fields(v)
	switch {
	case len(f) == 0 || (len(f) == 2 && strings.EqualFold(f[0], "no") && strings.EqualFold(f[1], "one")):
		s.masterHost, s.masterPort = "", ""
	case len(f) == 2:
		if _, err := strconv.Atoi(f[1]); err != nil {
			return fmt.Errorf("invalid master port %q", f[1])
		}
		s.masterHost, s.masterPort = f[0], f[1]
	default:
		return errors.New("replicaof needs a host and a port")
	}
	s.ks.Replica = s.masterHost != ""
	return nil
}

func (s *Server) listen(only string) error {
	port := s.cfg.Get("port")
	addrs := strings.Fields(s.cfg.Get("bind"))
	if only != "" {
		host, p, err := net.SplitHostPort(only)
		if err != nil {
			return err
		}
		addrs, port = []string{host}, p
	}
	if port != "0" || only != "" { // port 0 turns plain TCP off
		for _, addr := range addrs {
			optional := strings.HasPrefix(addr, "-")
			addr = strings.TrimPrefix(addr, "-")
			ln, err := net.Listen("tcp", net.JoinHostPort(bindHost(addr), port))
			if err != nil {
				if optional {
					continue
				}
				s.closeListeners()
				return err
			}
			s.listeners = append(s.listeners, ln)
		}
		if len(s.listeners) == 0 {
			return fmt.Errorf("could not listen on any address for port %s", port)
		}
	}
	extra, err := s.extraListeners(addrs)
	if err != nil {
		s.closeListeners()
		return err
	}
	s.listeners = append(s.listeners, extra...)
	return nil
}

// serve starts accepting on the listeners listen bound.
func (s *Server) serve() {
	for _, ln := range s.listeners {
		s.wg.Add(1)
		go s.accept(ln)
	}
}

func (s *Server) closeListeners() {
	for _, ln := range s.listeners {
		ln.Close()
	}
}

// Addr returns the first listening address.
func (s *Server) Addr() net.Addr {
	if len(s.listeners) == 0 {
		return nil
	}
	return s.listeners[0].Addr()
}

// Close stops listening, disconnects every client and waits for the
// server's goroutines to end.
func (s *Server) Close() error {
	s.cmu.Lock()
	if s.closing {
		s.cmu.Unlock()
		return nil
	}
	s.closing = true
	for _, c := range s.clients {
		c.conn.Close()
	}
	s.cmu.Unlock()
	close(s.stop)
	s.loop.stop()
	s.closeListeners()
	s.wg.Wait()
	if s.aof != nil {
		s.aof.Close()
	}
	return nil
}

func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			select {
			case <-s.stop:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of file descriptors and the like: back off, as
				// net/http does, rather than spin.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return
		}
		delay = 0
		if tc, ok := conn.(*net.TCPConn); ok {
			// tcp-keepalive seconds, 0 for none (Go's default is 15 s).
			if secs := s.keepAlive.Load(); secs > 0 {
				tc.SetKeepAlivePeriod(time.Duration(secs) * time.Second)
			} else {
				tc.SetKeepAlive(false)
			}
		}
		s.newClient(wrapConn(ln, conn))
	}
}

func isTemporary(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded) || strings.Contains(err.Error(), "too many open files")
}

func (s *Server) cron() {
	defer s.wg.Done()
	s.mu.Lock() // CONFIG SET writes the configuration under the engine lock
	hz := s.cfg.Int("hz")
	s.mu.Unlock()
	if hz <= 0 {
		hz = 10
	}
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Housekeep()
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Version implements command.Host.
func (s *Server) Version() string { return Version }

// Role implements command.Host.
func (s *Server) Role() string {
	if s.masterHost != "" {
		return "slave"
	}
	return "master"
}

// Config returns the live configuration (command.Host).
func (s *Server) Config() *config.Config { return s.cfg }

var _ command.Host = (*Server)(nil)

// CommandNames implements command.Host: the names of rename-command.
func (s *Server) CommandNames() command.Names { return s.finder.Names }
