package cluster

import (
	"encoding/json"
	"io"

	"github.com/hashicorp/raft"
)

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
	c.applied = l.Index
	close(c.appliedSig)
	c.appliedSig = make(chan struct{})
	if n := c.state.Nodes[c.ID]; n != nil {
		c.self = *n
		if c.replayTo == 0 || l.Index >= c.replayTo {
			c.shown, c.replayTo = nil, 0
		}
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
		c.shown, c.replayTo = nil, 0
	}
	c.recount()
	c.mu.Unlock()
	c.changed()
	return nil
}

type fsmSnapshot []byte

// Persist implements raft.FSMSnapshot.
func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

// Release implements raft.FSMSnapshot; the bytes need no cleanup.
func (s fsmSnapshot) Release() {}
