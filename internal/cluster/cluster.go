package cluster

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// Options configure a node's cluster side.
type Options struct {
	// Dir holds the Raft data ("raft" inside it) and ConfigFile.
	Dir        string
	ConfigFile string
	// IP is the address the bus listens on and dials from; "" for any.
	IP string
	// Announce is the address other nodes and clients are told; "" to
	// learn it from the peers (as Redis does).
	Announce string
	// Port is the client port, Bus the bus port.
	Port, Bus int
	// AnnouncePort and AnnounceBus, when not 0, are the ports shown to
	// others instead (cluster-announce-port, cluster-announce-bus-port).
	AnnouncePort, AnnounceBus int
	// Hostname is cluster-announce-hostname.
	Hostname string
	// NodeTimeout is cluster-node-timeout.
	NodeTimeout time.Duration
	// Log receives Raft's warnings and respd's cluster events.
	Log io.Writer
	// ReplOffset reports the node's replication offset, for choosing
	// the replica to promote.
	ReplOffset func() int64
	// PauseWrites holds the node's writes for ms milliseconds (or until
	// it stops being a master) and returns its replication offset, for
	// a manual failover to its replica.
	PauseWrites func(ms int64) int64
	// FullCoverage reports cluster-require-full-coverage: whether a slot
	// without a healthy owner puts the whole cluster down. Called from
	// StateOK, under whatever lock its caller holds.
	FullCoverage func() bool
	// OnChange is called after the state changed (from Raft's goroutine;
	// it must not block).
	OnChange func()
}

// Cluster is one node's view of the cluster: the replicated State kept by
// Raft, and the node-local slot migration states.
type Cluster struct {
	opts Options
	// ID is this node's id.
	ID string

	mu    sync.RWMutex
	state *State
	// shown, while a join waits for the log to reach this node, is the
	// configuration to show and route by instead of the empty state:
	// first our own as it was, then the group's as the leader sent it.
	shown *State
	// covered (every slot has a healthy owner) and members (how many
	// nodes there are) summarize cur() for StateOK; see recount.
	covered bool
	members int
	// self is the last record of ours the state had, for the moments a
	// join leaves the state empty.
	self Node
	// applied is the index of the last entry Apply applied; replayTo,
	// when not 0, is the last entry of the stored log that shown (the
	// configuration as this node last knew it before a restart) already
	// includes: shown stays until Raft has applied that far.
	applied, replayTo uint64
	// appliedSig is closed (and replaced) whenever Apply ran.
	appliedSig chan struct{}
	// Migrating and Importing hold the node id a slot moves to or comes
	// from ("" when stable); node-local, as in Redis. Guarded by mu.
	Migrating, Importing map[int]string

	rmu    sync.Mutex // guards raft and its stores while joins restart them
	raft   *raft.Raft
	store  *raftboltdb.BoltStore
	bus    *bus
	logger hclog.Logger
	local  net.IP
	adv    string // our Raft address
	joinMu sync.Mutex
	// joining is set while a join keeps trying, joinPeer is the bus
	// address it asks through (guarded by mu); Leave moves joinGen on
	// to stop it.
	joining  bool
	joinPeer string
	joinGen  atomic.Uint64

	started int64
	closed  chan struct{}
	// nudges asks the nudger for a barrier (see commit.go).
	nudges chan struct{}
}

// Start opens (or creates) the node's cluster configuration and starts
// Raft on the bus port; a node with no Raft state bootstraps a group of
// itself.
func Start(opts Options) (*Cluster, error) {
	c := &Cluster{opts: opts, state: NewState(), Migrating: map[int]string{}, Importing: map[int]string{}, closed: make(chan struct{}), nudges: make(chan struct{}, 1), appliedSig: make(chan struct{}), started: time.Now().UnixMilli()}
	id, err := readMyID(c.confPath())
	if err != nil {
		return nil, err
	}
	if id == "" {
		id = randomID()
	}
	c.ID = id
	out := opts.Log
	if out == nil {
		out = io.Discard
	}
	c.logger = hclog.New(&hclog.LoggerOptions{Name: "raft", Output: out, Level: hclog.Error,
		Exclude: func(level hclog.Level, msg string, args ...any) bool { return raftLogFilter(int(level), msg, args...) }})
	ip := opts.IP
	if ip == "" || ip == "*" {
		ip = "0.0.0.0"
	}
	c.local = net.ParseIP(ip)
	advIP := opts.Announce
	if advIP == "" {
		advIP = ip
	}
	if net.ParseIP(advIP) == nil || net.ParseIP(advIP).IsUnspecified() {
		advIP = "127.0.0.1"
	}
	c.adv = net.JoinHostPort(advIP, strconv.Itoa(opts.Bus))
	c.self = c.record(id, opts.Announce, 0)
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(opts.Bus)))
	if err != nil {
		return nil, err
	}
	advAddr, _ := net.ResolveTCPAddr("tcp", c.adv)
	c.bus = newBus(ln, advAddr, c.local, c.handleRPC)
	if err := c.startRaft(false); err != nil {
		c.bus.Close()
		return nil, err
	}
	c.SaveConfig()
	go c.nudger()
	return c, nil
}

func (c *Cluster) confPath() string {
	if filepath.IsAbs(c.opts.ConfigFile) {
		return c.opts.ConfigFile
	}
	return filepath.Join(c.opts.Dir, c.opts.ConfigFile)
}

func (c *Cluster) raftDir() string {
	return filepath.Join(c.opts.Dir, "raft-"+filepath.Base(c.opts.ConfigFile))
}

func (c *Cluster) raftConfig() *raft.Config {
	cfg := raft.DefaultConfig()
	cfg.LocalID = raft.ServerID(c.ID)
	hb := min(max(c.opts.NodeTimeout/4, 100*time.Millisecond), time.Second)
	cfg.HeartbeatTimeout = hb
	cfg.ElectionTimeout = hb
	cfg.LeaderLeaseTimeout = hb / 2
	cfg.CommitTimeout = 10 * time.Millisecond
	cfg.SnapshotThreshold = 1024
	cfg.Logger = c.logger
	return cfg
}

// startRaft opens the stores and starts Raft; wipe drops any previous
// Raft state first (a node joining another group). Without state, the
// node bootstraps a group of itself unless it is joining.
func (c *Cluster) startRaft(wipe bool) error {
	dir := c.raftDir()
	if wipe {
		os.RemoveAll(dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	store, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		return err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 1, c.logger)
	if err != nil {
		store.Close()
		return err
	}
	cfg := c.raftConfig()
	existing, err := raft.HasExistingState(store, store, snaps)
	if err != nil {
		store.Close()
		return err
	}
	var snapIndex uint64
	if metas, err := snaps.List(); err == nil && len(metas) > 0 {
		snapIndex = metas[0].Index
	}
	c.mu.Lock()
	c.state = NewState()
	c.applied = 0 // indexes of a new log, or of the snapshot restored next
	c.recount()
	c.mu.Unlock()
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{Stream: c.bus.layer(), MaxPool: 3, Timeout: 2 * time.Second, Logger: c.logger})
	r, err := raft.NewRaft(cfg, (*fsm)(c), store, store, snaps, trans)
	if err != nil {
		trans.Close()
		store.Close()
		return err
	}
	c.raft, c.store = r, store
	if existing && !wipe {
		c.mu.Lock()
		c.applied = max(c.applied, snapIndex)
		c.mu.Unlock()
		c.replayStored(store, snapIndex)
	}
	go c.watch(r, c.ID)
	if !existing && !wipe {
		if err := c.bootstrap(); err != nil {
			return err
		}
	}
	return nil
}

// replayStored shows, from the moment Raft starts, the configuration the
// stored log leads to. Raft restores the snapshot at once but applies
// the log entries after it only once a leader confirms them as committed,
// which takes an election or a heartbeat: until then a restarted node
// would know only its snapshot's nodes and slots, where Redis shows what
// nodes.conf held. The entries are applied to a copy; the real state
// catches up through Raft and replaces it.
func (c *Cluster) replayStored(store *raftboltdb.BoltStore, snapIndex uint64) {
	last, err := store.LastIndex()
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	from := max(c.applied, snapIndex) + 1
	if from > last {
		return
	}
	st := c.state.Clone()
	for i := from; i <= last; i++ {
		var l raft.Log
		if store.GetLog(i, &l) != nil {
			continue
		}
		if l.Type != raft.LogCommand {
			continue
		}
		if e, err := DecodeEntry(l.Data); err == nil {
			st.Apply(e)
		}
	}
	c.shown, c.replayTo = st, last
	c.recount()
}

// bootstrap makes the running Raft a group of this node alone.
func (c *Cluster) bootstrap() error {
	return c.raft.BootstrapCluster(raft.Configuration{Servers: []raft.Server{{ID: raft.ServerID(c.ID), Address: raft.ServerAddress(c.adv)}}}).Error()
}

// stopRaft shuts Raft down and closes its store.
func (c *Cluster) stopRaft() {
	if c.raft != nil {
		c.raft.Shutdown().Error()
		c.raft = nil
	}
	if c.store != nil {
		c.store.Close()
		c.store = nil
	}
}

// Close stops the node's cluster side.
func (c *Cluster) Close() {
	select {
	case <-c.closed:
		return
	default:
	}
	close(c.closed)
	c.rmu.Lock()
	c.stopRaft()
	c.rmu.Unlock()
	c.bus.Close()
}

func (c *Cluster) currentRaft() *raft.Raft {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.raft
}

// proposeTimeout bounds how long a proposal waits for a leader and for
// its entry to be applied.
const proposeTimeout = 10 * time.Second

// errNoLeader is returned when no leader could be reached in time.
var errNoLeader = errors.New("no Raft leader reachable")

// Propose appends e to the log through the leader and waits until this
// node has applied it, returning the operation's result text.
func (c *Cluster) Propose(e *Entry) (string, error) {
	return c.proposeWithin(e, proposeTimeout)
}

// proposeWithin is Propose giving up after timeout.
func (c *Cluster) proposeWithin(e *Entry, timeout time.Duration) (string, error) {
	if e.Op != OpUpsert && e.Op != OpForget && !c.ensureSelf() {
		return "", errNoLeader
	}
	deadline := time.Now().Add(timeout)
	b := e.Encode()
	for {
		r := c.currentRaft()
		if r == nil {
			return "", errNoLeader
		}
		if r.State() == raft.Leader {
			f := r.Apply(b, time.Until(deadline))
			if err := f.Error(); err == nil {
				c.nudge()
				s, _ := f.Response().(string)
				return s, nil
			} else if !errors.Is(err, raft.ErrNotLeader) && !errors.Is(err, raft.ErrLeadershipLost) {
				return "", err
			}
		} else if addr, _ := r.LeaderWithID(); addr != "" {
			rep, _, err := call(c.local, string(addr), &rpcRequest{Op: "apply", Entry: e}, time.Until(deadline))
			if err == nil {
				if c.waitApplied(rep.Index, deadline) {
					return rep.Resp, nil
				}
				return rep.Resp, errNoLeader
			}
		}
		if time.Now().After(deadline) {
			return "", errNoLeader
		}
		select {
		case <-c.closed:
			return "", errNoLeader
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ensureSelf adds our own record to a freshly bootstrapped group's empty
// state before the first change that refers to it. (A node removed from
// its group must not add itself back this way.)
func (c *Cluster) ensureSelf() bool {
	c.mu.RLock()
	empty := len(c.state.Nodes) == 0
	self := c.self
	c.mu.RUnlock()
	if !empty {
		return true
	}
	_, err := c.Propose(&Entry{Op: OpUpsert, Node: &self})
	return err == nil
}

// waitApplied waits until this node's state includes the command entry
// at index. Raft's AppliedIndex moves on when entries are handed to the
// FSM, before Apply ran; the FSM's own count (applied) is what the state
// shows. An entry that reached us inside a snapshot never passes Apply:
// once Raft counts it applied, a short grace covers the FSM's queue.
func (c *Cluster) waitApplied(index uint64, deadline time.Time) bool {
	var grace time.Time
	for {
		c.mu.RLock()
		done, sig := c.applied >= index, c.appliedSig
		c.mu.RUnlock()
		if done {
			return true
		}
		now := time.Now()
		if r := c.currentRaft(); r != nil && r.AppliedIndex() >= index {
			if grace.IsZero() {
				grace = now.Add(50 * time.Millisecond)
			} else if now.After(grace) {
				return true
			}
		}
		if now.After(deadline) {
			return false
		}
		select {
		case <-sig:
		case <-c.closed:
			return false
		case <-time.After(min(5*time.Millisecond, time.Until(deadline))):
		}
	}
}

// handleRPC answers respd's own bus requests.
func (c *Cluster) handleRPC(req *rpcRequest) *rpcReply {
	r := c.currentRaft()
	if r == nil {
		return &rpcReply{Err: "raft not running"}
	}
	switch req.Op {
	case "info":
		c.mu.RLock()
		n := len(c.state.Nodes)
		c.mu.RUnlock()
		addr, _ := r.LeaderWithID()
		return &rpcReply{ID: c.ID, Members: max(n, c.voters()), Leader: string(addr)}
	case "apply":
		if r.State() != raft.Leader {
			return &rpcReply{Err: "not the leader"}
		}
		f := r.Apply(req.Entry.Encode(), proposeTimeout)
		if err := f.Error(); err != nil {
			return &rpcReply{Err: err.Error()}
		}
		c.nudge()
		s, _ := f.Response().(string)
		return &rpcReply{Index: f.Index(), Resp: s}
	case "commit":
		if r.State() != raft.Leader {
			return &rpcReply{Err: "not the leader"}
		}
		return &rpcReply{Index: c.lastCommand(r.CommitIndex())}
	case "join":
		return c.serveJoin(req)
	case "offset":
		off := int64(0)
		if c.opts.ReplOffset != nil {
			off = c.opts.ReplOffset()
		}
		return &rpcReply{Index: uint64(max(off, 0))}
	case "pause":
		if c.opts.PauseWrites == nil {
			return &rpcReply{Err: "cannot pause"}
		}
		return &rpcReply{Index: uint64(max(c.opts.PauseWrites(req.Ms), 0))}
	case "remove":
		if r.State() != raft.Leader || req.Node == nil {
			return &rpcReply{Err: "not the leader"}
		}
		if err := r.RemoveServer(raft.ServerID(req.Node.ID), 0, proposeTimeout).Error(); err != nil {
			return &rpcReply{Err: err.Error()}
		}
		return &rpcReply{}
	case "meet":
		go c.Meet(req.IP, req.Port, req.Bus)
		return &rpcReply{}
	}
	return &rpcReply{Err: fmt.Sprintf("unknown request %q", req.Op)}
}

// voters counts the servers in the current Raft configuration.
func (c *Cluster) voters() int {
	r := c.currentRaft()
	if r == nil {
		return 0
	}
	f := r.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	return len(f.Configuration().Servers)
}
