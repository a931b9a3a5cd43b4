package server_test

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/server"
	"github.com/respd/respd/internal/servertest"
)

// TestClusterUpBeforeAccepting connects to a cluster-mode node while it
// starts: the first reply must come from a node whose cluster mode is
// up, as redis-cli --cluster add-node checks right away.
func TestClusterUpBeforeAccepting(t *testing.T) {
	port := strconv.Itoa(busPort(t))
	cfg := config.New()
	_, lines, err := config.ParseArgs([]string{"--dir", t.TempDir(), "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(busPort(t))})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Apply(lines, "test"); err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() {
		srv, err := server.Start(cfg, server.Options{Addr: "127.0.0.1:" + port})
		if err == nil {
			t.Cleanup(func() { srv.Close() })
		}
		started <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	var conn net.Conn
	for conn == nil {
		conn, _ = net.Dial("tcp", "127.0.0.1:"+port)
		if conn == nil {
			time.Sleep(time.Millisecond)
		}
		if time.Now().After(deadline) {
			t.Fatal("could not connect")
		}
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	if _, err := conn.Write([]byte("INFO cluster\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	var reply strings.Builder
	for !strings.Contains(reply.String(), "cluster_enabled:") {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading INFO: %v (so far %q)", err, reply.String())
		}
		reply.WriteString(line)
	}
	if !strings.Contains(reply.String(), "cluster_enabled:1") {
		t.Fatalf("first INFO cluster while starting: %q", reply.String())
	}
	if err := <-started; err != nil {
		t.Fatal(err)
	}
}

// TestClusterRestartKeepsConfig restarts one node of a three-node
// cluster: its very first reply must already show the whole cluster, as
// Redis's does from nodes.conf, not an empty or partial configuration
// until Raft hears from the leader.
func TestClusterRestartKeepsConfig(t *testing.T) {
	type node struct {
		in       *servertest.Instance
		dir, bus string
	}
	var nodes []*node
	for range 3 {
		n := &node{dir: t.TempDir(), bus: strconv.Itoa(busPort(t))}
		n.in = servertest.Start(t, "--cluster-enabled", "yes", "--cluster-port", n.bus, "--cluster-node-timeout", "2000", "--dir", n.dir)
		nodes = append(nodes, n)
	}
	if got := do(t, nodes[0].in.Addr, "CLUSTER", "ADDSLOTSRANGE", "0", "16383"); got != "OK" {
		t.Fatalf("ADDSLOTSRANGE: %s", got)
	}
	host, port, _ := strings.Cut(nodes[0].in.Addr, ":")
	for _, n := range nodes[1:] {
		if got := do(t, n.in.Addr, "CLUSTER", "MEET", host, port, nodes[0].bus); got != "OK" {
			t.Fatalf("MEET: %s", got)
		}
		// One join at a time: a node joins a group of one only.
		waitInfo(t, n.in.Addr, "cluster_known_nodes:"+strconv.Itoa(len(nodes[:2])+boolToInt(n == nodes[2])))
	}
	last := nodes[2]
	waitInfo(t, last.in.Addr, "cluster_slots_assigned:16384")
	waitInfo(t, last.in.Addr, "cluster_known_nodes:3")
	last.in.Srv.Close()
	again := servertest.Start(t, "--cluster-enabled", "yes", "--cluster-port", last.bus, "--cluster-node-timeout", "2000", "--dir", last.dir)
	info := do(t, again.Addr, "CLUSTER", "INFO")
	if !strings.Contains(info, "cluster_known_nodes:3\r\n") || !strings.Contains(info, "cluster_slots_assigned:16384\r\n") {
		t.Fatalf("first CLUSTER INFO after the restart:\n%s", info)
	}
	// And the node then follows the group as before.
	waitInfo(t, again.Addr, "cluster_state:ok")
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// waitInfo waits until addr's CLUSTER INFO contains the line want.
func waitInfo(t *testing.T, addr, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		info := do(t, addr, "CLUSTER", "INFO")
		if strings.Contains(info, want+"\r\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q in CLUSTER INFO:\n%s", addr, want, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClusterMeetEmptyNodes joins nodes that have never changed their
// configuration (no slots, no epoch), as a user running CLUSTER MEET by
// hand before ADDSLOTS does: every node must then know every other,
// and slots added afterwards on any node reach all of them.
func TestClusterMeetEmptyNodes(t *testing.T) {
	nodes := startClusterNodes(t, 3)
	host, port, _ := strings.Cut(nodes[1].Addr, ":")
	bus := strings.Split(do(t, nodes[1].Addr, "CONFIG", "GET", "cluster-port"), "\n")[1]
	if got := do(t, nodes[0].Addr, "CLUSTER", "MEET", host, port, bus); got != "OK" {
		t.Fatalf("MEET: %s", got)
	}
	waitInfo(t, nodes[0].Addr, "cluster_known_nodes:2")
	waitInfo(t, nodes[1].Addr, "cluster_known_nodes:2")
	if got := do(t, nodes[2].Addr, "CLUSTER", "MEET", host, port, bus); got != "OK" {
		t.Fatalf("MEET: %s", got)
	}
	for _, n := range nodes {
		waitInfo(t, n.Addr, "cluster_known_nodes:3")
	}
	for i, r := range [][2]string{{"0", "5000"}, {"5001", "10000"}, {"10001", "16383"}} {
		if got := do(t, nodes[i].Addr, "CLUSTER", "ADDSLOTSRANGE", r[0], r[1]); got != "OK" {
			t.Fatalf("ADDSLOTSRANGE on node %d: %s", i, got)
		}
	}
	for _, n := range nodes {
		waitInfo(t, n.Addr, "cluster_slots_assigned:16384")
		waitInfo(t, n.Addr, "cluster_state:ok")
	}
}
