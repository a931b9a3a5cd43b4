package cluster

import (
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Failure detection runs on the Raft leader only: Raft already
// heartbeats every voter, so a voter the leader could not reach for
// cluster-node-timeout is marked failed through the log, and a failed
// master with slots is replaced by its most up-to-date healthy replica.
// A node the leader reaches again is marked healthy. When the leader
// itself dies, Raft elects another one first, whose replication to the
// dead node then starts failing (it counts from its own election).

// detector tracks the leader's failing heartbeats.
type detector struct {
	// self is the node's id when its Raft started: a hard CLUSTER RESET
	// changes c.ID while the old Raft's detector is still stopping.
	self string
	mu   sync.Mutex
	// since maps a failing voter's id to its last successful contact.
	since map[string]time.Time
	// resumed holds voters heard from again since they failed.
	resumed map[string]bool
	// probed is when failed nodes were last probed directly: a leader
	// elected after a node came back never sees its heartbeats resume.
	probed time.Time
	// prevLeader is the last leader this node followed and prevContact
	// when it last heard from it: once elected in its place, the node
	// counts the old leader's silence from then, not from its election.
	prevLeader  string
	prevContact time.Time
}

// watch registers the failure observer on r, the Raft of node self, and
// runs the detector until r shuts down.
func (c *Cluster) watch(r *raft.Raft, self string) {
	d := &detector{self: self, since: map[string]time.Time{}, resumed: map[string]bool{}}
	ch := make(chan raft.Observation, 64)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.FailedHeartbeatObservation, raft.ResumedHeartbeatObservation, raft.LeaderObservation:
			return true
		}
		return false
	})
	r.RegisterObserver(obs)
	defer r.DeregisterObserver(obs)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	shutdown := make(chan struct{})
	go func() {
		// Shutdown's future completes once r has stopped.
		for c.currentRaft() == r {
			select {
			case <-c.closed:
				close(shutdown)
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		close(shutdown)
	}()
	for {
		select {
		case <-shutdown:
			return
		case o := <-ch:
			d.mu.Lock()
			switch x := o.Data.(type) {
			case raft.FailedHeartbeatObservation:
				if _, ok := d.since[string(x.PeerID)]; !ok {
					d.since[string(x.PeerID)] = x.LastContact
				}
				delete(d.resumed, string(x.PeerID))
			case raft.ResumedHeartbeatObservation:
				delete(d.since, string(x.PeerID))
				d.resumed[string(x.PeerID)] = true
			case raft.LeaderObservation:
				// A new term: what the previous leader saw is void.
				d.since, d.resumed = map[string]time.Time{}, map[string]bool{}
				if string(x.LeaderID) == d.self && d.prevLeader != "" && d.prevLeader != d.self {
					d.since[d.prevLeader] = d.prevContact
				}
			}
			d.mu.Unlock()
		case <-tick.C:
			if r.State() == raft.Leader {
				c.detect(r, d)
			} else if _, id := r.LeaderWithID(); id != "" {
				d.mu.Lock()
				d.prevLeader, d.prevContact = string(id), r.LastContact()
				d.mu.Unlock()
			}
		}
	}
}

// detect marks nodes failed or healthy and promotes replicas; leader only.
func (c *Cluster) detect(r *raft.Raft, d *detector) {
	timeout := max(c.opts.NodeTimeout, 100*time.Millisecond)
	d.mu.Lock()
	var failing, back []string
	for id, t := range d.since {
		if time.Since(t) >= timeout {
			failing = append(failing, id)
		}
	}
	for id := range d.resumed {
		back = append(back, id)
	}
	d.resumed = map[string]bool{}
	probe := time.Since(d.probed) > 500*time.Millisecond
	if probe {
		d.probed = time.Now()
	}
	failingNow := map[string]bool{}
	for id := range d.since {
		failingNow[id] = true
	}
	d.mu.Unlock()
	v := c.View()
	if probe {
		for _, id := range v.SortedIDs() {
			n := v.Nodes[id]
			if !n.Fail || failingNow[id] {
				continue
			}
			if _, _, err := call(c.local, n.Raft, &rpcRequest{Op: "info"}, 200*time.Millisecond); err == nil {
				back = append(back, id)
			}
		}
	}
	for _, id := range back {
		if n := v.Nodes[id]; n != nil && n.Fail {
			c.logf("node %s is reachable again", id)
			c.Propose(&Entry{Op: OpFail, ID: id})
		}
	}
	for _, id := range failing {
		n := v.Nodes[id]
		if n == nil {
			continue
		}
		if !n.Fail {
			// A last check, as the old leader's silence is only inferred.
			if _, _, err := call(c.local, n.Raft, &rpcRequest{Op: "info"}, 200*time.Millisecond); err == nil {
				d.mu.Lock()
				delete(d.since, id)
				d.mu.Unlock()
				continue
			}
			c.logf("node %s unreachable for %v: marking it failed", id, timeout)
			if _, err := c.Propose(&Entry{Op: OpFail, ID: id, Flag: true}); err != nil {
				continue
			}
		}
		if n.IsMaster() && len(v.SlotsOf(id)) > 0 {
			c.failover(v, id, d.self)
		}
	}
}

// failover promotes the healthy replica of the failed master id with the
// largest replication offset; self is this node's id.
func (c *Cluster) failover(v *View, id, self string) {
	best, bestOff := "", int64(-1)
	for _, rid := range v.Replicas(id) {
		rn := v.Nodes[rid]
		if rn.Fail {
			continue
		}
		off := int64(0)
		if rid == self {
			if c.opts.ReplOffset != nil {
				off = c.opts.ReplOffset()
			}
		} else {
			rep, _, err := call(c.local, rn.Raft, &rpcRequest{Op: "offset"}, time.Second)
			if err != nil {
				continue
			}
			off = int64(rep.Index)
		}
		if off > bestOff {
			best, bestOff = rid, off
		}
	}
	if best == "" {
		return
	}
	c.logf("promoting %s (offset %d) to replace failed master %s", best, bestOff, id)
	c.Propose(&Entry{Op: OpPromote, ID: best})
}

// raftLogFilter drops Raft's per-attempt connectivity errors: while a
// node is down they repeat several times a second, and the cluster logs
// the failure itself once.
func raftLogFilter(level int, msg string, args ...any) bool {
	return strings.HasPrefix(msg, "failed to ")
}
