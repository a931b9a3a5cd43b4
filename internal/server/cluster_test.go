package server_test

import (
	"context"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/servertest"
)

// clusterNode is one single-node cluster under test: its address, the
// raw connection the script runs on, and what differs legitimately
// between two servers (id, ports), masked before comparing.
type clusterNode struct {
	addr, id, port, bus string
	conn                *servertest.Conn
}

func (n *clusterNode) mask(s string) string {
	s = strings.ReplaceAll(s, n.id, strings.Repeat("x", 40))
	s = strings.ReplaceAll(s, ":"+n.bus, ":BBBBB")
	s = strings.ReplaceAll(s, "@"+n.bus, "@BBBBB")
	return strings.ReplaceAll(s, n.port, "PPPPP")
}

// do runs args with "$ID" standing for the node's own id.
func (n *clusterNode) do(args []string) string {
	a := make([]string, len(args))
	for i, x := range args {
		a[i] = strings.ReplaceAll(x, "$ID", n.id)
	}
	return n.mask(n.conn.Do(a...))
}

func newClusterNode(t *testing.T, addr string, bus int) *clusterNode {
	t.Helper()
	n := &clusterNode{addr: addr, conn: servertest.Dial(t, addr), bus: strconv.Itoa(bus)}
	_, n.port, _ = strings.Cut(addr, ":")
	id := n.conn.Do("CLUSTER", "MYID")
	if !strings.HasPrefix(id, "$40\r\n") {
		t.Fatalf("CLUSTER MYID on %s: %q", addr, id)
	}
	n.id = id[5:45]
	return n
}

// startClusterPair starts a cluster-mode respd and a cluster-mode
// redis-server, each a cluster of its own (no MEET).
func startClusterPair(t *testing.T) (respd, redis *clusterNode) {
	t.Helper()
	rbus := busPort(t)
	raddr := oracle.RedisServer(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", strconv.Itoa(rbus))
	redisStart := time.Now()
	bus := busPort(t)
	in := servertest.Start(t, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus), "--cluster-node-timeout", "2000")
	respd, redis = newClusterNode(t, in.Addr, bus), newClusterNode(t, raddr, rbus)
	// Redis computes cluster_state and cluster_size only once it has
	// been up for two seconds.
	time.Sleep(time.Until(redisStart.Add(2500 * time.Millisecond)))
	return respd, redis
}

// busPort returns a free port below Linux's ephemeral range, so that it
// cannot be handed out again to a server asking for a free client port
// before the bus listens on it.
func busPort(t *testing.T) int {
	t.Helper()
	for range 1000 {
		p := 20000 + rand.IntN(12000)
		if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			ln.Close()
			return p
		}
	}
	t.Fatal("no free bus port")
	return 0
}

// waitClusterOK polls CLUSTER INFO until the node reports state ok.
func waitClusterOK(t *testing.T, n *clusterNode) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(n.conn.Do("CLUSTER", "INFO"), "cluster_state:ok") {
		if time.Now().After(deadline) {
			t.Fatalf("%s: cluster_state not ok after 10s", n.addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clusterScript is run against both servers; every reply must match
// once ids and ports are masked. "!ok" waits for cluster_state:ok,
// "!sleep" lets Redis's cluster cron run.
var clusterScript = [][]string{
	{"CLUSTER", "HELP"},
	{"CLUSTER", "MYID"},
	{"CLUSTER", "INFO"},
	{"CLUSTER", "NODES"},
	{"CLUSTER", "SLOTS"},
	{"CLUSTER", "SHARDS"},
	{"CLUSTER", "FOO"},
	{"CLUSTER"},
	{"SELECT", "1"}, {"SELECT", "0"}, {"SELECT", "x"}, {"SELECT", "-1"}, {"SELECT", "99"},
	{"SET", "foo", "bar"}, {"GET", "foo"}, {"MSET", "a", "1", "b", "2"}, {"PING"}, {"DBSIZE"},
	{"EVAL", "return 1", "0"}, {"EVAL", "return 1", "1", "foo"},
	{"CLUSTER", "KEYSLOT", "foo"}, {"CLUSTER", "KEYSLOT", "{user1000}.following"}, {"CLUSTER", "KEYSLOT"},
	{"CLUSTER", "COUNTKEYSINSLOT", "1"}, {"CLUSTER", "COUNTKEYSINSLOT", "16384"}, {"CLUSTER", "COUNTKEYSINSLOT", "-1"},
	{"CLUSTER", "COUNTKEYSINSLOT", "x"},
	{"CLUSTER", "GETKEYSINSLOT", "1", "1"}, {"CLUSTER", "GETKEYSINSLOT", "1", "-1"}, {"CLUSTER", "GETKEYSINSLOT", "16384", "1"},
	{"CLUSTER", "GETKEYSINSLOT", "x", "1"}, {"CLUSTER", "GETKEYSINSLOT", "1", "x"}, {"CLUSTER", "GETKEYSINSLOT", "1"},
	{"CLUSTER", "ADDSLOTS"}, {"CLUSTER", "ADDSLOTS", "16384"}, {"CLUSTER", "ADDSLOTS", "x"}, {"CLUSTER", "ADDSLOTS", "-1"},
	{"CLUSTER", "ADDSLOTSRANGE", "1"}, {"CLUSTER", "ADDSLOTSRANGE", "5", "1"}, {"CLUSTER", "ADDSLOTSRANGE", "1", "2", "3"},
	{"CLUSTER", "ADDSLOTSRANGE", "1", "x"},
	{"CLUSTER", "DELSLOTS", "1"}, {"CLUSTER", "DELSLOTSRANGE", "1", "2"},
	{"CLUSTER", "ADDSLOTS", "1", "2", "2"}, {"CLUSTER", "ADDSLOTS", "1", "2", "3"}, {"CLUSTER", "ADDSLOTS", "1"},
	{"CLUSTER", "ADDSLOTS", "5", "5"}, {"CLUSTER", "ADDSLOTS", "4", "1"},
	{"CLUSTER", "ADDSLOTSRANGE", "10", "20", "15", "30"}, {"CLUSTER", "ADDSLOTSRANGE", "100", "200", "300", "400"},
	{"CLUSTER", "DELSLOTSRANGE", "300", "310"}, {"CLUSTER", "DELSLOTSRANGE", "300", "310"}, {"CLUSTER", "DELSLOTS", "2", "2"},
	{"CLUSTER", "NODES"}, {"CLUSTER", "SLOTS"}, {"CLUSTER", "SHARDS"}, {"CLUSTER", "INFO"},
	{"MSET", "a", "1", "b", "2"}, {"SET", "a", "1"},
	{"CLUSTER", "SET-CONFIG-EPOCH", "-1"}, {"CLUSTER", "SET-CONFIG-EPOCH", "x"},
	{"CLUSTER", "SET-CONFIG-EPOCH", "3"}, {"CLUSTER", "SET-CONFIG-EPOCH", "4"}, {"CLUSTER", "INFO"},
	{"CLUSTER", "BUMPEPOCH"}, {"CLUSTER", "BUMPEPOCH"}, {"CLUSTER", "INFO"}, {"CLUSTER", "NODES"},
	{"CLUSTER", "REPLICAS", "ff"}, {"CLUSTER", "SLAVES", "ff"}, {"CLUSTER", "COUNT-FAILURE-REPORTS", "x"},
	{"CLUSTER", "FORGET", "x"}, {"CLUSTER", "REPLICATE", "x"},
	{"CLUSTER", "SETSLOT", "1", "NODE", "x"}, {"CLUSTER", "SETSLOT", "1", "foo"}, {"CLUSTER", "SETSLOT", "1", "STABLE", "x"},
	{"CLUSTER", "SETSLOT", "1", "STABLE"}, {"CLUSTER", "SETSLOT", "20000", "STABLE"}, {"CLUSTER", "SETSLOT", "x", "STABLE"},
	{"CLUSTER", "SETSLOT", "1", "MIGRATING", "x"}, {"CLUSTER", "SETSLOT", "1", "IMPORTING", "x"},
	{"CLUSTER", "SETSLOT", "9", "MIGRATING", "x"}, {"CLUSTER", "SETSLOT", "9", "IMPORTING", "x"},
	{"CLUSTER", "SETSLOT", "1"},
	{"CLUSTER", "MEET", "1.2.3.4", "x"}, {"CLUSTER", "MEET", "1.2.3.4", "1", "x"}, {"CLUSTER", "MEET", "1.2.3.4"},
	{"CLUSTER", "MEET", "nohost", "1"}, {"CLUSTER", "MEET", "1.2.3.4", "70000"},
	{"READONLY"}, {"READWRITE"}, {"ASKING"}, {"READONLY", "x"},
	{"CLUSTER", "LINKS"}, {"CLUSTER", "FAILOVER"}, {"CLUSTER", "FAILOVER", "x"}, {"CLUSTER", "FAILOVER", "FORCE"},
	{"CLUSTER", "RESET", "x"}, {"CLUSTER", "SAVECONFIG"},
	{"CLUSTER", "FLUSHSLOTS"}, {"CLUSTER", "INFO"}, {"CLUSTER", "NODES"},
	{"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}, {"!ok"}, {"CLUSTER", "INFO"},
	{"SET", "foo", "bar"}, {"GET", "foo"}, {"MSET", "a", "1", "b", "2"}, {"MSET", "{a}1", "1", "{a}2", "2"},
	{"MGET", "a", "b"}, {"EXISTS", "a", "b"}, {"DEL", "a", "b"}, {"EVAL", "return redis.call('get', KEYS[1])", "1", "foo"},
	{"EVAL", "return 1", "2", "a", "b"},
	{"REPLICAOF", "127.0.0.1", "1"}, {"REPLICAOF", "no", "one"}, {"SLAVEOF", "no", "one"}, {"FAILOVER"}, {"FAILOVER", "x"},
	{"MOVE", "foo", "1"}, {"MOVE", "foo", "x"}, {"SWAPDB", "0", "1"}, {"SWAPDB", "x", "1"},
	{"COPY", "foo", "bar{foo}", "DB", "1"}, {"COPY", "foo", "bar{foo}", "DB", "0"}, {"COPY", "foo", "bar{foo}"},
	{"COPY", "foo", "bar"}, {"DEL", "bar{foo}"},
	{"SPUBLISH", "x", "y"}, {"SSUBSCRIBE", "a", "b"}, {"PUBLISH", "x", "y"}, {"SORT", "foo", "BY", "nosort"},
	{"FLUSHDB"}, {"SET", "foo", "bar"}, {"SET", "a", "1"}, {"SET", "b", "1"},
	{"CLUSTER", "COUNTKEYSINSLOT", "12182"}, {"CLUSTER", "GETKEYSINSLOT", "12182", "10"}, {"CLUSTER", "GETKEYSINSLOT", "12182", "0"},
	{"DBSIZE"}, {"CLUSTER", "FLUSHSLOTS"},
	{"CLUSTER", "SETSLOT", "12182", "MIGRATING", "$ID"}, {"GET", "foo"}, {"GET", "nokey{foo}"}, {"MGET", "foo", "nokey{foo}"},
	{"MGET", "foo", "foo"}, {"CLUSTER", "NODES"}, {"CLUSTER", "SETSLOT", "12182", "IMPORTING", "$ID"},
	{"CLUSTER", "SETSLOT", "12182", "STABLE"}, {"CLUSTER", "NODES"},
	{"CLUSTER", "SETSLOT", "12182", "NODE", "$ID"},
	{"CLUSTER", "REPLICATE", "$ID"}, {"CLUSTER", "FORGET", "$ID"}, {"CLUSTER", "COUNT-FAILURE-REPORTS", "$ID"},
	{"CLUSTER", "REPLICAS", "$ID"}, {"CLUSTER", "SLAVES", "$ID"},
	{"CLUSTER", "DELSLOTS", "15495"}, {"GET", "a"}, {"MULTI"}, {"SET", "foo", "1"}, {"SET", "a", "1"}, {"EXEC"},
	{"MULTI"}, {"SET", "foo", "1"}, {"SET", "b", "1"}, {"EXEC"}, {"GET", "foo"},
	{"CLUSTER", "DELSLOTS", "12182"}, {"CLUSTER", "SETSLOT", "12182", "IMPORTING", "$ID"}, {"CLUSTER", "NODES"},
	{"CLUSTER", "SETSLOT", "12182", "MIGRATING", "$ID"}, {"CLUSTER", "SETSLOT", "12182", "NODE", "$ID"}, {"CLUSTER", "NODES"},
	{"CONFIG", "SET", "cluster-require-full-coverage", "no"}, {"!sleep"}, {"CLUSTER", "INFO"}, {"GET", "foo"}, {"GET", "a"},
	// Back to yes, Redis re-evaluates the state only on the next change.
	{"CONFIG", "SET", "cluster-require-full-coverage", "yes"}, {"CLUSTER", "ADDSLOTS", "15495"}, {"!sleep"},
	{"CLUSTER", "INFO"}, {"GET", "foo"},
	{"CLUSTER", "RESET"},
	{"HELLO", "3"}, {"CLUSTER", "INFO"}, {"CLUSTER", "NODES"}, {"CLUSTER", "SLOTS"}, {"CLUSTER", "SHARDS"},
	{"CLUSTER", "LINKS"}, {"CLUSTER", "HELP"},
}

// TestClusterRepliesMatchRedis runs clusterScript on a single-node
// respd cluster and a single-node redis-server cluster and compares
// every reply byte for byte, ids and ports masked.
func TestClusterRepliesMatchRedis(t *testing.T) {
	respd, redis := startClusterPair(t)
	diffs := 0
	for _, args := range clusterScript {
		if args[0] == "!sleep" {
			// Redis's cluster cron revises the state every 100 ms.
			time.Sleep(300 * time.Millisecond)
			continue
		}
		if args[0] == "!ok" {
			waitClusterOK(t, redis)
			waitClusterOK(t, respd)
			continue
		}
		got, want := respd.do(args), redis.do(args)
		if args[0] == "HELLO" {
			// Versions and client ids differ; the mode must not.
			if !strings.Contains(got, "$4\r\nmode\r\n$7\r\ncluster\r\n") || !strings.Contains(want, "$4\r\nmode\r\n$7\r\ncluster\r\n") {
				t.Errorf("HELLO mode: got %q, redis %q", got, want)
			}
			continue
		}
		if strings.Contains(want, "replication-offset") {
			// The offsets count different histories.
			got, want = maskOffsets(got), maskOffsets(want)
		}
		if got != want {
			diffs++
			t.Errorf("%q:\n got  %q\n want %q", args, got, want)
		}
	}
	t.Logf("%d commands compared, %d differ", len(clusterScript), diffs)
}

// maskOffsets blanks the value after every "replication-offset" key.
func maskOffsets(s string) string {
	lines := strings.Split(s, "\r\n")
	for i := 1; i < len(lines); i++ {
		if lines[i-1] == "replication-offset" {
			lines[i] = ":N"
		}
	}
	return strings.Join(lines, "\r\n")
}

// TestClusterDisabled checks the replies of the cluster commands on a
// server without cluster mode, against redis-server.
func TestClusterDisabled(t *testing.T) {
	in := servertest.Start(t)
	raddr := oracle.RedisServer(t)
	a, b := servertest.Dial(t, in.Addr), servertest.Dial(t, raddr)
	for _, args := range [][]string{
		{"CLUSTER", "INFO"}, {"CLUSTER", "HELP"}, {"CLUSTER", "FOO"}, {"CLUSTER", "ADDSLOTS"}, {"CLUSTER", "NODES"},
		{"CLUSTER", "KEYSLOT", "foo"}, {"READONLY"}, {"READWRITE"}, {"ASKING"}, {"SELECT", "1"}, {"INFO", "cluster"},
	} {
		if got, want := a.Do(args...), b.Do(args...); got != want {
			t.Errorf("%q:\n got  %q\n want %q", args, got, want)
		}
	}
	if got := servertest.Client(t, in.Addr).Do(context.Background(), "HELLO", "3").String(); !strings.Contains(got, "standalone") {
		t.Errorf("HELLO mode without cluster: %s", got)
	}
}
