package cluster

import (
	"time"

	"github.com/hashicorp/raft"
)

// How quickly followers see a change. A follower applies an entry once
// it learns that the entry is committed, and Raft tells it only with
// the next AppendEntries: the next entry, or an empty one sent after
// CommitTimeout without entries. A change proposed through a follower
// (which replies once it applied the change), or read on another node
// right after (redis-cli sends SETSLOT NODE to the target, then to the
// source and every other master), would wait for that timeout every
// time. So the leader follows each committed change with a barrier
// entry, whose replication carries the new commit index at once.
// Nudges coalesce: one barrier covers every change committed before it.

// nudge asks the leader's nudger for a barrier; it never blocks.
func (c *Cluster) nudge() {
	select {
	case c.nudges <- struct{}{}:
	default:
	}
}

// nudger appends the barriers nudge asks for, one at a time, until the
// node closes.
func (c *Cluster) nudger() {
	for {
		select {
		case <-c.closed:
			return
		case <-c.nudges:
		}
		if r := c.currentRaft(); r != nil && r.State() == raft.Leader {
			r.Barrier(proposeTimeout).Error()
		}
	}
}

// CatchUp waits (up to timeout) until this node has applied every entry
// the leader had committed when asked, so that what it shows next
// includes changes other nodes already made and replied to. It reports
// whether it caught up.
func (c *Cluster) CatchUp(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	r := c.currentRaft()
	if r == nil {
		return false
	}
	var index uint64
	if r.State() == raft.Leader {
		index = c.lastCommand(r.CommitIndex())
	} else {
		addr, _ := r.LeaderWithID()
		if addr == "" {
			return false
		}
		rep, _, err := call(c.local, string(addr), &rpcRequest{Op: "commit"}, timeout)
		if err != nil {
			return false
		}
		index = rep.Index
	}
	return c.waitApplied(index, deadline)
}

// lastCommand is the index of the last command entry at or before
// index (the others, barriers and configuration changes, do not reach
// the FSM), 0 if none is stored.
func (c *Cluster) lastCommand(index uint64) uint64 {
	c.rmu.Lock()
	store := c.store
	c.rmu.Unlock()
	if store == nil {
		return index
	}
	first, err := store.FirstIndex()
	if err != nil {
		return index
	}
	for i := index; i >= first && i > 0; i-- {
		var l raft.Log
		if store.GetLog(i, &l) != nil {
			return i
		}
		if l.Type == raft.LogCommand {
			return i
		}
		if index-i > 64 {
			return index
		}
	}
	return 0
}

// AssignSlot makes target the owner of slot s (SETSLOT NODE), bumping
// target's config epoch when bump is set. A change the configuration
// already holds commits no new entry: redis-cli sends the same SETSLOT
// NODE to every master, and only the first needs the log.
func (c *Cluster) AssignSlot(s int, target string, bump bool) error {
	c.mu.RLock()
	st := c.cur()
	done := false
	if n := st.Nodes[target]; n != nil && st.Slots[s] == target {
		done = !bump || !st.wouldBump(n)
	}
	c.mu.RUnlock()
	if done {
		return nil
	}
	_, err := c.Propose(&Entry{Op: OpSetSlot, Target: target, Ranges: [][2]int{{s, s}}, Flag: bump})
	return err
}
