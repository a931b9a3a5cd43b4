package cluster

import (
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// What the request router and the CLUSTER commands read: the slot
// migration marks, a slot's owner, and the cluster's health.

// SetMigrating marks slot s as moving to node id ("" ends it).
func (c *Cluster) SetMigrating(s int, id string) { c.setMark(false, s, id) }

// SetImporting marks slot s as coming from node id ("" ends it).
func (c *Cluster) SetImporting(s int, id string) { c.setMark(true, s, id) }

// setMark sets or ends one slot's mark; the maps are read under the
// lock, as a RESET replaces them.
func (c *Cluster) setMark(importing bool, s int, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	marks := c.Migrating
	if importing {
		marks = c.Importing
	}
	if id == "" {
		delete(marks, s)
	} else {
		marks[s] = id
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
	covered, members, joining := c.covered, c.members, c.shown != nil && c.replayTo == 0
	c.mu.RUnlock()
	if !covered && (c.opts.FullCoverage == nil || c.opts.FullCoverage()) {
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
