package cluster

import (
	"encoding/json"
	"strconv"

	"github.com/respd/respd/internal/slot"
)

// Entry is one Raft log entry: a change to the replicated State. See
// doc.go for the encoding.
type Entry struct {
	Op string `json:"op"`
	// ID is the node the operation is about.
	ID string `json:"id,omitempty"`
	// Node is the full record for OpUpsert.
	Node *Node `json:"node,omitempty"`
	// Ranges are [start, end] slot ranges for the slot operations.
	Ranges [][2]int `json:"ranges,omitempty"`
	// Target is the master (OpReplicate) or the new owner (OpSetSlot).
	Target string `json:"target,omitempty"`
	Epoch  uint64 `json:"epoch,omitempty"`
	// Now is the proposer's wall clock in ms, for time-limited state
	// (the forgotten set) that every node must compute alike.
	Now int64 `json:"now,omitempty"`
	// Flag carries an operation's variant (SETSLOT's epoch bump, a
	// failure mark being set or cleared).
	Flag bool `json:"flag,omitempty"`
}

// The operations an Entry can carry.
const (
	OpUpsert    = "upsert"     // add or replace Node (its slots in Ranges are assigned to it)
	OpAddSlots  = "addslots"   // assign the free slots in Ranges to ID
	OpDelSlots  = "delslots"   // unassign the slots in Ranges
	OpFlush     = "flushslots" // unassign every slot of ID
	OpSetSlot   = "setslot"    // give the slots in Ranges to Target (Flag: bump Target's epoch)
	OpSetEpoch  = "setepoch"   // set ID's config epoch to Epoch
	OpBump      = "bump"       // BUMPEPOCH for ID
	OpForget    = "forget"     // remove ID (remembered until Now+forgetTTL)
	OpReplicate = "replicate"  // ID replicates Target
	OpPromote   = "promote"    // ID, a replica, takes over its master's slots
	OpFail      = "fail"       // mark ID failed (Flag false: healthy again)
)

// forgetTTL is how long a forgotten node stays out, as Redis's
// 60-second blacklist.
const forgetTTL = 60_000

// Encode returns the entry's log bytes.
func (e *Entry) Encode() []byte {
	b, _ := json.Marshal(e)
	return b
}

// DecodeEntry parses log bytes.
func DecodeEntry(b []byte) (*Entry, error) {
	var e Entry
	err := json.Unmarshal(b, &e)
	return &e, err
}

func eachSlot(ranges [][2]int, fn func(int)) {
	for _, r := range ranges {
		for i := max(r[0], 0); i <= r[1] && i < slot.Count; i++ {
			fn(i)
		}
	}
}

// Apply changes s by e and returns the operation's reply text where the
// result is only known once applied (BUMPEPOCH), else "".
func (s *State) Apply(e *Entry) string {
	switch e.Op {
	case OpUpsert:
		if e.Node == nil {
			return ""
		}
		n := *e.Node
		if old := s.Nodes[n.ID]; old != nil && n.IP == "" {
			n.IP = old.IP
		}
		s.Nodes[n.ID] = &n
		delete(s.Forgotten, n.ID)
		eachSlot(e.Ranges, func(i int) {
			if s.Slots[i] == "" {
				s.Slots[i] = n.ID
			}
		})
		s.CurrentEpoch = max(s.CurrentEpoch, n.Epoch)
	case OpAddSlots:
		if s.Nodes[e.ID] == nil {
			return ""
		}
		eachSlot(e.Ranges, func(i int) {
			if s.Slots[i] == "" {
				s.Slots[i] = e.ID
			}
		})
	case OpDelSlots:
		eachSlot(e.Ranges, func(i int) { s.Slots[i] = "" })
	case OpFlush:
		for i := range s.Slots {
			if s.Slots[i] == e.ID {
				s.Slots[i] = ""
			}
		}
	case OpSetSlot:
		t := s.Nodes[e.Target]
		if t == nil {
			return ""
		}
		eachSlot(e.Ranges, func(i int) { s.Slots[i] = e.Target })
		if e.Flag {
			s.bump(t, false)
		}
	case OpSetEpoch:
		if n := s.Nodes[e.ID]; n != nil {
			n.Epoch = e.Epoch
			s.CurrentEpoch = max(s.CurrentEpoch, e.Epoch)
		}
	case OpBump:
		if n := s.Nodes[e.ID]; n != nil {
			if s.bump(n, false) {
				return "BUMPED " + strconv.FormatUint(n.Epoch, 10)
			}
			return "STILL " + strconv.FormatUint(n.Epoch, 10)
		}
	case OpForget:
		s.removeNode(e.ID)
		s.Forgotten[e.ID] = e.Now + forgetTTL
		for id, until := range s.Forgotten {
			if until < e.Now {
				delete(s.Forgotten, id)
			}
		}
	case OpReplicate:
		n, m := s.Nodes[e.ID], s.Nodes[e.Target]
		if n == nil || m == nil || e.ID == e.Target {
			return ""
		}
		for i := range s.Slots {
			if s.Slots[i] == e.ID {
				s.Slots[i] = ""
			}
		}
		n.Master = e.Target
	case OpPromote:
		s.promote(e.ID)
	case OpFail:
		if n := s.Nodes[e.ID]; n != nil {
			n.Fail = e.Flag
			if !n.Fail && n.Successor != "" {
				if s.Nodes[n.Successor] != nil {
					n.Master = n.Successor
				}
				n.Successor = ""
			}
		}
	}
	return ""
}

// bump gives n a new config epoch unless it already holds the unique
// largest one (always when force), reporting whether it did.
func (s *State) bump(n *Node, force bool) bool {
	if !force && !s.wouldBump(n) {
		return false
	}
	s.CurrentEpoch = s.maxEpoch() + 1
	n.Epoch = s.CurrentEpoch
	return true
}

// wouldBump reports whether a bump without force would change n's
// epoch: unless it is already the one greatest epoch.
func (s *State) wouldBump(n *Node) bool {
	if n.Epoch == 0 || n.Epoch != s.maxEpoch() {
		return true
	}
	for _, o := range s.Nodes {
		if o != n && o.Epoch == n.Epoch {
			return true
		}
	}
	return false
}

// removeNode drops id, its slots and its replicas' link to it.
func (s *State) removeNode(id string) {
	delete(s.Nodes, id)
	for i := range s.Slots {
		if s.Slots[i] == id {
			s.Slots[i] = ""
		}
	}
	for _, n := range s.Nodes {
		if n.Master == id {
			n.Master = ""
		}
	}
}

// promote makes replica id the master of its former master's slots
// with a new epoch; the old master (once reachable, if it failed) and
// its other replicas follow it.
func (s *State) promote(id string) {
	n := s.Nodes[id]
	if n == nil || n.Master == "" {
		return
	}
	old := n.Master
	n.Master = ""
	n.Fail = false
	s.bump(n, true)
	for i := range s.Slots {
		if s.Slots[i] == old {
			s.Slots[i] = id
		}
	}
	for _, o := range s.Nodes {
		switch {
		case o.ID == old && o.Fail:
			// Shown as a failed master without slots until it is back.
			o.Successor = id
		case o.ID == old || o.Master == old:
			o.Master = id
		}
	}
}
