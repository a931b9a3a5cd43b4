package cluster

import (
	"bytes"
	"testing"
)

// FuzzApplyEntry feeds arbitrary log entries, as a peer on the bus can
// send them ("apply", "join"), through decoding, the state machine and
// a snapshot round trip: none may panic, and every assigned slot must
// belong to a known node.
func FuzzApplyEntry(f *testing.F) {
	seeds := []*Entry{
		{Op: OpUpsert, Node: &Node{ID: "b", Port: 2, Epoch: 5}, Ranges: [][2]int{{0, 9}}},
		{Op: OpAddSlots, ID: "a", Ranges: [][2]int{{5, 20}, {16383, 16383}}},
		{Op: OpDelSlots, Ranges: [][2]int{{0, 3}}},
		{Op: OpSetSlot, Target: "a", Ranges: [][2]int{{0, 0}}, Flag: true},
		{Op: OpReplicate, ID: "b", Target: "a"},
		{Op: OpPromote, ID: "b"},
		{Op: OpFail, ID: "a", Flag: true},
		{Op: OpForget, ID: "a", Now: 1000},
		{Op: OpBump, ID: "a"},
		{Op: OpSetEpoch, ID: "a", Epoch: 7},
	}
	for _, e := range seeds {
		f.Add(e.Encode())
	}
	f.Add([]byte(`{"op":"addslots","id":"a","ranges":[[-5,100000]]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEntry(b)
		if err != nil {
			return
		}
		s := NewState()
		s.Apply(&Entry{Op: OpUpsert, Node: &Node{ID: "a", Port: 1}, Ranges: [][2]int{{100, 200}}})
		s.Apply(e)
		s.Apply(e) // entries may be applied again after a restart's replay
		for i, id := range s.Slots {
			if id != "" && s.Nodes[id] == nil {
				t.Fatalf("slot %d owned by unknown node %q", i, id)
			}
		}
		snap, err := encodeState(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeState(bytes.NewReader(snap)); err != nil {
			t.Fatalf("snapshot of the state does not decode: %v", err)
		}
	})
}
