package cluster

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

func apply(t *testing.T, s *State, e *Entry) string {
	t.Helper()
	// Every entry goes through its log encoding, as Raft carries it.
	d, err := DecodeEntry(e.Encode())
	if err != nil {
		t.Fatal(err)
	}
	return s.Apply(d)
}

func TestStateSlotsAndEpochs(t *testing.T) {
	s := NewState()
	apply(t, s, &Entry{Op: OpUpsert, Node: &Node{ID: "a", Port: 1}, Ranges: [][2]int{{0, 9}}})
	apply(t, s, &Entry{Op: OpUpsert, Node: &Node{ID: "b", Port: 2, Epoch: 5}})
	if s.CurrentEpoch != 5 {
		t.Fatalf("current epoch %d after a node with epoch 5 joined", s.CurrentEpoch)
	}
	apply(t, s, &Entry{Op: OpAddSlots, ID: "b", Ranges: [][2]int{{5, 20}}})
	if got := s.SlotsOf("a"); len(got) != 1 || got[0] != [2]int{0, 9} {
		t.Fatalf("a's slots %v: ADDSLOTS must not take busy slots", got)
	}
	if got := s.SlotsOf("b"); len(got) != 1 || got[0] != [2]int{10, 20} {
		t.Fatalf("b's slots %v", got)
	}
	if got := apply(t, s, &Entry{Op: OpBump, ID: "b"}); got != "STILL 5" {
		t.Fatalf("BUMPEPOCH of the unique largest epoch: %q", got)
	}
	if got := apply(t, s, &Entry{Op: OpBump, ID: "a"}); got != "BUMPED 6" {
		t.Fatalf("BUMPEPOCH of epoch 0: %q", got)
	}
	apply(t, s, &Entry{Op: OpSetSlot, Target: "b", Ranges: [][2]int{{0, 0}}, Flag: true})
	if s.Slots[0] != "b" || s.Nodes["b"].Epoch != 7 {
		t.Fatalf("SETSLOT NODE with bump: owner %q, epoch %d", s.Slots[0], s.Nodes["b"].Epoch)
	}
	apply(t, s, &Entry{Op: OpDelSlots, Ranges: [][2]int{{0, 3}}})
	if s.Assigned() != 17 || s.Size() != 2 {
		t.Fatalf("assigned %d, size %d", s.Assigned(), s.Size())
	}
}

func TestStateReplicationAndPromotion(t *testing.T) {
	s := NewState()
	for _, id := range []string{"m", "r1", "r2"} {
		apply(t, s, &Entry{Op: OpUpsert, Node: &Node{ID: id}})
	}
	apply(t, s, &Entry{Op: OpAddSlots, ID: "m", Ranges: [][2]int{{0, 99}}})
	apply(t, s, &Entry{Op: OpSetEpoch, ID: "m", Epoch: 3})
	apply(t, s, &Entry{Op: OpReplicate, ID: "r1", Target: "m"})
	apply(t, s, &Entry{Op: OpReplicate, ID: "r2", Target: "m"})
	if got := s.Replicas("m"); len(got) != 2 || s.NodeEpoch(s.Nodes["r1"]) != 3 {
		t.Fatalf("replicas %v, replica's shown epoch %d", got, s.NodeEpoch(s.Nodes["r1"]))
	}
	apply(t, s, &Entry{Op: OpFail, ID: "m", Flag: true})
	if s.FailedSlots() != 100 {
		t.Fatalf("failed slots %d", s.FailedSlots())
	}
	apply(t, s, &Entry{Op: OpPromote, ID: "r1"})
	if s.Slots[50] != "r1" || !s.Nodes["r1"].IsMaster() || s.Nodes["r1"].Epoch != 4 {
		t.Fatalf("after promotion: owner %q, r1 %+v", s.Slots[50], *s.Nodes["r1"])
	}
	if !s.Nodes["m"].IsMaster() || s.Nodes["r2"].Master != "r1" {
		t.Fatalf("failed old master follows %q, sibling follows %q", s.Nodes["m"].Master, s.Nodes["r2"].Master)
	}
	apply(t, s, &Entry{Op: OpFail, ID: "m"})
	if s.Nodes["m"].Master != "r1" || s.Nodes["m"].Successor != "" {
		t.Fatalf("old master back: follows %q", s.Nodes["m"].Master)
	}
	if s.FailedSlots() != 0 {
		t.Fatalf("failed slots after promotion: %d", s.FailedSlots())
	}
	apply(t, s, &Entry{Op: OpForget, ID: "r1", Now: 1000})
	if _, ok := s.Nodes["r1"]; ok || s.Assigned() != 0 || s.Nodes["m"].Master != "" || s.Forgotten["r1"] != 61000 {
		t.Fatalf("after FORGET: nodes %v, assigned %d, forgotten %v", s.SortedIDs(), s.Assigned(), s.Forgotten)
	}
	apply(t, s, &Entry{Op: OpForget, ID: "x", Now: 70000})
	if _, ok := s.Forgotten["r1"]; ok {
		t.Fatal("an expired forgotten id is kept")
	}
}

// TestSnapshotRoundTrip checks that a Raft snapshot restores the same
// state.
func TestSnapshotRoundTrip(t *testing.T) {
	c := &Cluster{state: NewState(), Migrating: map[int]string{}, Importing: map[int]string{}}
	c.state.Apply(&Entry{Op: OpUpsert, Node: &Node{ID: "a", IP: "127.0.0.1", Port: 7000, Bus: 17000, Epoch: 2}, Ranges: [][2]int{{0, 5}, {100, 100}}})
	c.state.Apply(&Entry{Op: OpUpsert, Node: &Node{ID: "b", Master: "a"}})
	snap, err := (*fsm)(c).Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	b := []byte(snap.(fsmSnapshot))
	c2 := &Cluster{state: NewState(), opts: Options{ConfigFile: "nodes.conf", Dir: t.TempDir()}}
	if err := (*fsm)(c2).Restore(io.NopCloser(bytes.NewReader(b))); err != nil {
		t.Fatal(err)
	}
	j1, _ := json.Marshal(c.state)
	j2, _ := json.Marshal(c2.state)
	if string(j1) != string(j2) || c2.state.Slots != c.state.Slots {
		t.Fatalf("restored state differs:\n%s\n%s", j1, j2)
	}
}
