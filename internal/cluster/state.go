package cluster

import (
	"sort"

	"github.com/respd/respd/internal/slot"
)

// Node is one cluster member as the replicated state knows it.
type Node struct {
	ID string `json:"id"`
	// IP is the address clients reach the node at; "" until the node has
	// met another one and learnt how it is seen (as in Redis).
	IP   string `json:"ip"`
	Port int    `json:"port"`
	Bus  int    `json:"bus"`
	// Raft is the Raft transport address ("ip:busport") the node is a
	// voter with.
	Raft     string `json:"raft"`
	Hostname string `json:"hostname,omitempty"`
	// Master is the id of the node this one replicates, "" for a master.
	Master string `json:"master,omitempty"`
	Epoch  uint64 `json:"epoch"`
	// Fail is set by the leader's failure detector.
	Fail bool `json:"fail,omitempty"`
	// Successor is the replica promoted in place of this failed master;
	// the node follows it once it is reachable again (as Redis turns a
	// returning old master into a replica of its successor).
	Successor string `json:"successor,omitempty"`
}

// IsMaster reports whether n is a master (it replicates nobody).
func (n *Node) IsMaster() bool { return n.Master == "" }

// State is the replicated cluster configuration: every node applies the
// same log entries to its own copy, so all copies agree once applied.
type State struct {
	Nodes map[string]*Node `json:"nodes"`
	// Slots holds the owner's id of every slot, "" when unassigned.
	Slots        [slot.Count]string `json:"-"`
	CurrentEpoch uint64             `json:"current_epoch"`
	// Forgotten maps a FORGET'ed node id to the (leader clock) time in
	// ms until which it may not be re-added.
	Forgotten map[string]int64 `json:"forgotten,omitempty"`
}

// NewState returns an empty state.
func NewState() *State {
	return &State{Nodes: map[string]*Node{}, Forgotten: map[string]int64{}}
}

// Clone returns a deep copy, for readers that work without the lock.
func (s *State) Clone() *State {
	c := &State{Nodes: make(map[string]*Node, len(s.Nodes)), Slots: s.Slots, CurrentEpoch: s.CurrentEpoch,
		Forgotten: make(map[string]int64, len(s.Forgotten))}
	for id, n := range s.Nodes {
		cp := *n
		c.Nodes[id] = &cp
	}
	for id, t := range s.Forgotten {
		c.Forgotten[id] = t
	}
	return c
}

// SlotsOf returns the slots owned by id as sorted [start, end] ranges.
func (s *State) SlotsOf(id string) [][2]int {
	var out [][2]int
	for i := 0; i < slot.Count; i++ {
		if s.Slots[i] != id {
			continue
		}
		j := i
		for j+1 < slot.Count && s.Slots[j+1] == id {
			j++
		}
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// SortedIDs returns the node ids in a stable order.
func (s *State) SortedIDs() []string {
	ids := make([]string, 0, len(s.Nodes))
	for id := range s.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Replicas returns the ids of the nodes replicating master, sorted.
func (s *State) Replicas(master string) []string {
	var out []string
	for _, id := range s.SortedIDs() {
		if s.Nodes[id].Master == master {
			out = append(out, id)
		}
	}
	return out
}

// NodeEpoch is the config epoch CLUSTER NODES shows for n: a replica
// shows its master's.
func (s *State) NodeEpoch(n *Node) uint64 {
	if m := s.Nodes[n.Master]; m != nil {
		return m.Epoch
	}
	return n.Epoch
}

// maxEpoch is the largest config epoch of any node, or currentEpoch when
// larger.
func (s *State) maxEpoch() uint64 {
	m := s.CurrentEpoch
	for _, n := range s.Nodes {
		m = max(m, n.Epoch)
	}
	return m
}

// Assigned counts the slots that have an owner.
func (s *State) Assigned() int {
	n := 0
	for _, o := range s.Slots {
		if o != "" {
			n++
		}
	}
	return n
}

// Size is the number of masters serving at least one slot.
func (s *State) Size() int {
	owners := map[string]bool{}
	for _, o := range s.Slots {
		if o != "" {
			owners[o] = true
		}
	}
	return len(owners)
}

// FailedSlots counts the assigned slots whose owner is marked failed.
func (s *State) FailedSlots() int {
	n := 0
	for _, o := range s.Slots {
		if o != "" && s.Nodes[o] != nil && s.Nodes[o].Fail {
			n++
		}
	}
	return n
}
