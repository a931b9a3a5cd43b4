package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
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

	started int64
	closed  chan struct{}
}

// Start opens (or creates) the node's cluster configuration and starts
// Raft on the bus port; a node with no Raft state bootstraps a group of
// itself.
func Start(opts Options) (*Cluster, error) {
	c := &Cluster{opts: opts, state: NewState(), Migrating: map[int]string{}, Importing: map[int]string{}, closed: make(chan struct{}), started: time.Now().UnixMilli()}
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
	c.mu.Lock()
	c.state = NewState()
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
	go c.watch(r)
	if !existing && !wipe {
		if err := c.bootstrap(); err != nil {
			return err
		}
	}
	return nil
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

// waitApplied waits until this node applied the log up to index.
func (c *Cluster) waitApplied(index uint64, deadline time.Time) bool {
	for {
		r := c.currentRaft()
		if r != nil && r.AppliedIndex() >= index {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
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
		s, _ := f.Response().(string)
		return &rpcReply{Index: f.Index(), Resp: s}
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

// fsm is the Cluster seen as Raft's state machine.
type fsm Cluster

// Apply implements raft.FSM.
func (f *fsm) Apply(l *raft.Log) any {
	c := (*Cluster)(f)
	e, err := DecodeEntry(l.Data)
	if err != nil {
		return ""
	}
	c.mu.Lock()
	res := c.state.Apply(e)
	if n := c.state.Nodes[c.ID]; n != nil {
		c.self = *n
		c.shown = nil
	}
	c.recount()
	c.mu.Unlock()
	c.changed()
	return res
}

func (c *Cluster) changed() {
	c.SaveConfig()
	if c.opts.OnChange != nil {
		c.opts.OnChange()
	}
}

// snapshotState is the State as snapshots encode it.
type snapshotState struct {
	State
	// Owners maps each owner's id to its slot ranges.
	Owners map[string][][2]int `json:"owners"`
}

// Snapshot implements raft.FSM.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	c := (*Cluster)(f)
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, err := encodeState(c.state)
	return fsmSnapshot(b), err
}

// encodeState renders st as snapshots (and join replies) carry it.
func encodeState(st *State) ([]byte, error) {
	ss := snapshotState{State: *st.Clone(), Owners: map[string][][2]int{}}
	for id := range ss.Nodes {
		ss.Owners[id] = ss.SlotsOf(id)
	}
	return json.Marshal(&ss)
}

// decodeState parses what encodeState wrote.
func decodeState(r io.Reader) (*State, error) {
	var ss snapshotState
	if err := json.NewDecoder(r).Decode(&ss); err != nil {
		return nil, err
	}
	st := NewState()
	if ss.Nodes != nil {
		st.Nodes = ss.Nodes
	}
	if ss.Forgotten != nil {
		st.Forgotten = ss.Forgotten
	}
	st.CurrentEpoch = ss.CurrentEpoch
	for id, rs := range ss.Owners {
		eachSlot(rs, func(i int) { st.Slots[i] = id })
	}
	return st, nil
}

// Restore implements raft.FSM.
func (f *fsm) Restore(rc io.ReadCloser) error {
	c := (*Cluster)(f)
	defer rc.Close()
	st, err := decodeState(rc)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.state = st
	if n := st.Nodes[c.ID]; n != nil {
		c.self = *n
		c.shown = nil
	}
	c.recount()
	c.mu.Unlock()
	c.changed()
	return nil
}

type fsmSnapshot []byte

func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s fsmSnapshot) Release() {}

// SetMigrating marks slot s as moving to node id ("" ends it).
func (c *Cluster) SetMigrating(s int, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id == "" {
		delete(c.Migrating, s)
	} else {
		c.Migrating[s] = id
	}
}

// SetImporting marks slot s as coming from node id ("" ends it).
func (c *Cluster) SetImporting(s int, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id == "" {
		delete(c.Importing, s)
	} else {
		c.Importing[s] = id
	}
}

// Started is when this node's cluster side started, in ms.
func (c *Cluster) Started() int64 { return c.started }

// cur is the configuration to show and route by; c.mu held.
func (c *Cluster) cur() *State {
	if c.shown != nil {
		return c.shown
	}
	return c.state
}

// Route describes slot s for the request router, without allocating:
// the owner's id, the node a migration goes to ("" when none), whether
// the slot is being imported, and the master this node replicates (""
// for a master).
func (c *Cluster) Route(s int) (owner, migrating string, importing bool, master string) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	st := c.cur()
	owner = st.Slots[s]
	migrating = c.Migrating[s]
	importing = c.Importing[s] != ""
	if me := st.Nodes[c.ID]; me != nil {
		master = me.Master
	}
	return
}

// ClientAddr is node id's "ip:port" for redirections.
func (c *Cluster) ClientAddr(id string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if n := c.cur().Nodes[id]; n != nil {
		return net.JoinHostPort(n.IP, strconv.Itoa(n.Port))
	}
	return ":0"
}

// StateOK reports cluster_state:ok: every slot has a healthy owner and
// this node is in touch with a Raft leader (it is not in a minority).
func (c *Cluster) StateOK() bool {
	c.mu.RLock()
	covered, members, joining := c.covered, c.members, c.shown != nil
	c.mu.RUnlock()
	if !covered {
		return false
	}
	if members <= 1 || joining {
		// A joining node was just accepted by the leader; the log
		// follows within moments.
		return true
	}
	r := c.currentRaft()
	if r == nil {
		return false
	}
	if r.State() == raft.Leader {
		return true
	}
	// Measured from the last contact with a leader, so that an election
	// shorter than the node timeout (the leader died) is no outage.
	return time.Since(r.LastContact()) < max(c.opts.NodeTimeout, time.Second)
}

// recount updates what StateOK needs from the configuration, so that
// the router does not walk the slots per command; c.mu held.
func (c *Cluster) recount() {
	st := c.cur()
	c.members = len(st.Nodes)
	c.covered = true
	for _, o := range st.Slots {
		if n := st.Nodes[o]; n == nil || n.Fail {
			c.covered = false
			return
		}
	}
}

// Forget removes node id from the state and from the Raft group.
func (c *Cluster) Forget(id string) error {
	return c.forget(id, proposeTimeout)
}

func (c *Cluster) forget(id string, timeout time.Duration) error {
	if _, err := c.proposeWithin(&Entry{Op: OpForget, ID: id, Now: time.Now().UnixMilli()}, timeout); err != nil {
		return err
	}
	return c.removeVoter(id, timeout)
}

// removeVoter takes id out of the Raft configuration, through the leader.
func (c *Cluster) removeVoter(id string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		r := c.currentRaft()
		if r == nil {
			return errNoLeader
		}
		if r.State() == raft.Leader {
			return r.RemoveServer(raft.ServerID(id), 0, timeout).Error()
		}
		if addr, _ := r.LeaderWithID(); addr != "" {
			_, _, err := call(c.local, string(addr), &rpcRequest{Op: "remove", Node: &Node{ID: id}}, timeout)
			return err
		}
		if time.Now().After(deadline) {
			return errNoLeader
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Leave makes this node leave its group and start again as a group of
// one (CLUSTER RESET); hard also gives it a new id and zero epochs.
func (c *Cluster) Leave(hard bool) error {
	c.joinMu.Lock()
	defer c.joinMu.Unlock()
	v := c.View()
	c.mu.RLock()
	_, inState := c.state.Nodes[c.ID]
	c.mu.RUnlock()
	if len(v.Nodes) > 1 && inState && c.inRaftConfig() {
		// Best effort: a node FORGET'ed already (redis-cli del-node
		// resets it afterwards) reaches no leader any more.
		if err := c.forget(c.ID, 2*time.Second); err != nil {
			c.logf("RESET: leaving the cluster: %v", err)
		}
	}
	self := c.record(c.ID, v.Me().IP, v.Me().Epoch)
	c.rmu.Lock()
	c.stopRaft()
	if hard {
		c.ID = randomID()
		self.ID = c.ID
		self.Epoch = 0
	}
	c.mu.Lock()
	c.self = self
	c.Migrating, c.Importing = map[int]string{}, map[int]string{}
	c.mu.Unlock()
	err := c.startRaft(true)
	if err == nil {
		err = c.bootstrap()
	}
	c.rmu.Unlock()
	if err != nil {
		return err
	}
	_, err = c.Propose(&Entry{Op: OpUpsert, Node: &self})
	return err
}

// Failover promotes this replica (CLUSTER FAILOVER). Unless forced, it
// first has its master hold writes and waits until it has applied the
// master's whole stream, so that no acknowledged write is lost; it runs
// in the background, as Redis's manual failover does.
func (c *Cluster) Failover(force bool) {
	v := c.View()
	m := v.Nodes[v.Me().Master]
	if m == nil {
		return
	}
	if !force {
		pause := max(2*c.opts.NodeTimeout, time.Second)
		rep, _, err := call(c.local, m.Raft, &rpcRequest{Op: "pause", Ms: pause.Milliseconds()}, time.Second)
		if err != nil {
			c.logf("manual failover: master unreachable: %v", err)
			return
		}
		want := int64(rep.Index)
		deadline := time.Now().Add(pause)
		for c.opts.ReplOffset != nil && c.opts.ReplOffset() < want {
			if time.Now().After(deadline) {
				c.logf("manual failover: replica did not reach the master's offset %d in time", want)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if _, err := c.Propose(&Entry{Op: OpPromote, ID: c.ID}); err != nil {
		c.logf("manual failover: %v", err)
	}
}

// record is this node's own record as others must see it.
func (c *Cluster) record(id, ip string, epoch uint64) Node {
	n := Node{ID: id, IP: ip, Port: c.opts.Port, Bus: c.opts.Bus, Raft: c.adv, Hostname: c.opts.Hostname, Epoch: epoch}
	if c.opts.AnnouncePort != 0 {
		n.Port = c.opts.AnnouncePort
	}
	if c.opts.AnnounceBus != 0 {
		n.Bus = c.opts.AnnounceBus
	}
	return n
}

// inRaftConfig reports whether this node is a voter of its group still
// (a FORGET'ed node is taken out).
func (c *Cluster) inRaftConfig() bool {
	r := c.currentRaft()
	if r == nil {
		return false
	}
	f := r.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, srv := range f.Configuration().Servers {
		if string(srv.ID) == c.ID {
			return true
		}
	}
	return false
}
