package cluster

import (
	"net"
	"strconv"
	"testing"
	"time"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startNodeOn(t *testing.T, port, bus int) *Cluster {
	t.Helper()
	c, err := Start(Options{Dir: t.TempDir(), ConfigFile: "nodes.conf", IP: "127.0.0.1", Port: port, Bus: bus, NodeTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestJoinRetries joins through a bus nobody answers yet: the joiner
// must keep asking until the node there is up, not stay alone after
// the first failure.
func TestJoinRetries(t *testing.T) {
	b := startNodeOn(t, 7001, freePort(t))
	busA := freePort(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.join(net.JoinHostPort("127.0.0.1", strconv.Itoa(busA)), nil)
	}()
	// Let a few attempts fail first.
	time.Sleep(500 * time.Millisecond)
	a := startNodeOn(t, 7000, busA)
	if _, err := a.Propose(&Entry{Op: OpAddSlots, ID: a.ID, Ranges: [][2]int{{0, 16383}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("join did not finish")
	}
	for _, c := range []*Cluster{a, b} {
		deadline := time.Now().Add(30 * time.Second)
		for len(c.View().Nodes) != 2 {
			if time.Now().After(deadline) {
				t.Fatalf("%s knows %d nodes, want 2", c.ID, len(c.View().Nodes))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The joiner may learn the members before it applies the ADDSLOTS
	// that the group committed after them.
	deadline := time.Now().Add(30 * time.Second)
	for {
		owner, _, _, _ := b.Route(100)
		if owner == a.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the joiner sees slot 100 owned by %q, want %s", owner, a.ID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestJoinStopsOnLeave checks that CLUSTER RESET ends a join still
// trying, and leaves the node a working group of its own.
func TestJoinStopsOnLeave(t *testing.T) {
	b := startNodeOn(t, 7001, freePort(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.join(net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))), nil)
	}()
	time.Sleep(300 * time.Millisecond)
	if err := b.Leave(false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("join still trying after RESET")
	}
	if _, err := b.Propose(&Entry{Op: OpAddSlots, ID: b.ID, Ranges: [][2]int{{0, 0}}}); err != nil {
		t.Fatalf("after RESET: %v", err)
	}
	if owner, _, _, _ := b.Route(0); owner != b.ID {
		t.Fatalf("slot 0 owner %q after RESET and ADDSLOTS", owner)
	}
}
