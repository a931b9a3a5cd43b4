package cluster

import (
	"net"
	"testing"
	"time"
)

func startTestNode(t *testing.T) *Cluster {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bus := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c, err := Start(Options{Dir: t.TempDir(), ConfigFile: "nodes.conf", IP: "127.0.0.1", Port: 6379, Bus: bus, NodeTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestAssignSlotSkipsKnownOwner checks that SETSLOT NODE naming the
// owner the configuration already has commits nothing, unless the epoch
// bump it asks for would change the epoch.
func TestAssignSlotSkipsKnownOwner(t *testing.T) {
	c := startTestNode(t)
	if _, err := c.Propose(&Entry{Op: OpAddSlots, ID: c.ID, Ranges: [][2]int{{0, 0}}}); err != nil {
		t.Fatal(err)
	}
	last := c.currentRaft().LastIndex()
	if err := c.AssignSlot(0, c.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := c.currentRaft().LastIndex(); got != last {
		t.Fatalf("SETSLOT NODE to the owner appended entries: last index %d, was %d", got, last)
	}
	if err := c.AssignSlot(1, c.ID, false); err != nil {
		t.Fatal(err)
	}
	if owner, _, _, _ := c.Route(1); owner != c.ID {
		t.Fatalf("slot 1 owner %q", owner)
	}
	// The epoch is 0: a bump changes it, so it goes through the log.
	if err := c.AssignSlot(0, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if e := c.View().Me().Epoch; e == 0 {
		t.Fatal("bump asked by SETSLOT NODE did not happen")
	}
	// Now the node holds the one greatest epoch: nothing to commit.
	last = c.currentRaft().LastIndex()
	if err := c.AssignSlot(0, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if got := c.currentRaft().LastIndex(); got != last {
		t.Fatalf("a no-op bump appended entries: last index %d, was %d", got, last)
	}
	if !c.CatchUp(time.Second) {
		t.Fatal("CatchUp on the leader failed")
	}
}
