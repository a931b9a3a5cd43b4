package cluster

import (
	"time"

	"github.com/hashicorp/raft"
)

// Membership changes that are more than one log entry: FORGET (the entry
// and the Raft configuration), RESET and the manual failover.

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
	c.joinGen.Add(1) // stops a join still trying
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
