package cluster

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// joinTimeout bounds one join request, joinWait how long an accepted
// joiner waits for the log before asking again; both generous, as a
// loaded machine can take seconds. A failed request is retried after
// joinBackoff, doubling up to joinMaxBackoff.
const (
	joinTimeout    = 30 * time.Second
	joinWait       = 30 * time.Second
	joinBackoff    = 100 * time.Millisecond
	joinMaxBackoff = 5 * time.Second
)

// Meet connects this node's group with the node at ip:port (bus port
// bus): whichever side is a group of one joins the other, as the design
// in doc.go describes. It runs in the background, as Redis's handshake
// does, and logs what went wrong.
func (c *Cluster) Meet(ip string, port, bus int) {
	peer := net.JoinHostPort(ip, strconv.Itoa(bus))
	c.mu.Lock()
	if c.joining {
		// A join still trying: it goes on through this node.
		c.joinPeer = peer
		c.mu.Unlock()
		c.logf("MEET %s:%d: joining through it from now on", ip, port)
		return
	}
	c.mu.Unlock()
	c.joinMu.Lock()
	defer c.joinMu.Unlock()
	info, local, err := call(c.local, peer, &rpcRequest{Op: "info"}, joinTimeout)
	if err != nil {
		c.logf("MEET %s:%d: %v", ip, port, err)
		return
	}
	c.mu.RLock()
	_, known := c.state.Nodes[info.ID]
	mine := len(c.state.Nodes)
	c.mu.RUnlock()
	if known || info.ID == c.ID {
		return
	}
	mine = max(mine, c.voters())
	switch {
	case mine <= 1:
		c.join(peer, local)
	case info.Members <= 1:
		// The other side joins us.
		c.mu.RLock()
		self := c.self
		c.mu.RUnlock()
		myIP := self.IP
		if myIP == "" {
			myIP = hostOf(local)
		}
		if _, _, err := call(c.local, peer, &rpcRequest{Op: "meet", IP: myIP, Port: c.opts.Port, Bus: c.opts.Bus}, joinTimeout); err != nil {
			c.logf("MEET %s:%d: %v", ip, port, err)
		}
	default:
		c.logf("MEET %s:%d: both nodes already belong to clusters of several nodes; not merging them", ip, port)
	}
}

func hostOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	h, _, _ := net.SplitHostPort(a.String())
	return h
}

// join makes this node (a group of one) a member of the group peer
// belongs to: it restarts Raft empty and asks the group to add its
// record and its vote. local is our address as the peer sees it. It
// keeps asking, with backoff, until the group's log reaches it, the
// node leaves (CLUSTER RESET) or closes: a node that gave up would stay
// a group of its own that the others count as a member, and the
// cluster would disagree about its configuration. A later MEET while
// it tries makes it ask through that node instead. Requests are
// idempotent: the leader re-adds the same record and vote.
func (c *Cluster) join(peer string, local net.Addr) {
	gen := c.joinGen.Load()
	c.mu.RLock()
	self := c.self
	if n := c.state.Nodes[c.ID]; n != nil {
		self = *n
	}
	ranges := c.state.SlotsOf(c.ID)
	c.mu.RUnlock()
	if c.opts.Announce == "" && local != nil {
		self.IP = hostOf(local)
	}
	self.Master = ""
	self.Fail = false
	c.mu.Lock()
	c.shown = c.state.Clone()
	c.recount()
	c.joining, c.joinPeer = true, peer
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.joining, c.joinPeer = false, ""
		c.mu.Unlock()
	}()
	c.rmu.Lock()
	c.stopRaft()
	err := c.startRaft(true)
	c.rmu.Unlock()
	if err != nil {
		c.logf("join: restarting Raft: %v", err)
		return
	}
	c.mu.Lock()
	c.self = self
	c.mu.Unlock()
	backoff := joinBackoff
	for attempt := 1; ; attempt++ {
		c.mu.RLock()
		via := c.joinPeer
		c.mu.RUnlock()
		rep, _, err := call(c.local, via, &rpcRequest{Op: "join", Node: &self, Ranges: ranges}, joinTimeout)
		if err == nil {
			if len(rep.State) > 0 {
				if st, derr := decodeState(bytes.NewReader(rep.State)); derr == nil {
					c.mu.Lock()
					if _, in := c.state.Nodes[c.ID]; !in {
						c.shown = st
						c.recount()
					}
					c.mu.Unlock()
				}
			}
			if c.waitJoined(gen) {
				return
			}
			err = fmt.Errorf("accepted, but the log did not reach us within %v", joinWait)
			backoff = joinBackoff
		}
		if c.joinCancelled(gen) {
			c.logf("join via %s: given up (the node left or closed)", via)
			return
		}
		c.logf("join via %s (attempt %d) failed: %v; trying again in %v", via, attempt, err, backoff)
		for wake := time.Now().Add(backoff); time.Now().Before(wake); {
			if c.joinCancelled(gen) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		backoff = min(2*backoff, joinMaxBackoff)
	}
}

// joinCancelled reports whether the join started at generation gen
// must stop: the node closed or left (Leave moves joinGen on).
func (c *Cluster) joinCancelled(gen uint64) bool {
	select {
	case <-c.closed:
		return true
	default:
	}
	return c.joinGen.Load() != gen
}

// waitJoined waits up to joinWait until our own record reached us
// through the log, reporting whether it did.
func (c *Cluster) waitJoined(gen uint64) bool {
	deadline := time.Now().Add(joinWait)
	for time.Now().Before(deadline) && !c.joinCancelled(gen) {
		c.mu.RLock()
		_, in := c.state.Nodes[c.ID]
		c.mu.RUnlock()
		if in {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// serveJoin adds a joining node: on a follower it records our own address
// as the joiner sees it and passes the request to the leader, which adds
// the node's record and then its vote.
func (c *Cluster) serveJoin(req *rpcRequest) *rpcReply {
	if req.Node == nil {
		return &rpcReply{Err: "join without a node"}
	}
	// This node's own record goes into the configuration first when it
	// is not there yet (a node that never changed its configuration) or
	// lacks the address the joiner reached it on, so that the joiner
	// learns it with the rest.
	c.mu.RLock()
	mine, ok := c.self, false
	if n := c.state.Nodes[c.ID]; n != nil {
		mine, ok = *n, true
	}
	c.mu.RUnlock()
	learnIP := mine.IP == "" && c.opts.Announce == "" && req.local != nil
	if learnIP {
		mine.IP = hostOf(req.local)
	}
	if !ok || learnIP {
		if _, err := c.Propose(&Entry{Op: OpUpsert, Node: &mine}); err != nil {
			return &rpcReply{Err: err.Error()}
		}
	}
	r := c.currentRaft()
	if r == nil {
		return &rpcReply{Err: "raft not running"}
	}
	if r.State() != raft.Leader {
		addr, _ := r.LeaderWithID()
		if addr == "" {
			return &rpcReply{Err: errNoLeader.Error()}
		}
		fwd := *req
		rep, _, err := call(c.local, string(addr), &fwd, joinTimeout)
		if err != nil {
			return &rpcReply{Err: err.Error()}
		}
		return rep
	}
	if _, err := c.Propose(&Entry{Op: OpUpsert, Node: req.Node, Ranges: req.Ranges}); err != nil {
		return &rpcReply{Err: err.Error()}
	}
	if err := r.AddVoter(raft.ServerID(req.Node.ID), raft.ServerAddress(req.Node.Raft), 0, joinTimeout).Error(); err != nil {
		return &rpcReply{Err: err.Error()}
	}
	c.mu.RLock()
	b, _ := encodeState(c.state)
	c.mu.RUnlock()
	return &rpcReply{State: b}
}

func (c *Cluster) logf(format string, a ...any) {
	if c.opts.Log != nil {
		fmt.Fprintf(c.opts.Log, time.Now().Format("02 Jan 2006 15:04:05.000")+" * cluster: "+format+"\n", a...)
	}
}
