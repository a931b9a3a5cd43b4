package server_test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/servertest"
)

// startClusterNodes starts n cluster-mode respd nodes, each a cluster
// of its own, with a free bus port each (the client port + 10000 may
// not exist for the test's random ports).
func startClusterNodes(t *testing.T, n int, extra ...string) []*servertest.Instance {
	t.Helper()
	var out []*servertest.Instance
	for range n {
		args := append([]string{"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(busPort(t)),
			"--cluster-node-timeout", "2000"}, extra...)
		out = append(out, servertest.Start(t, args...))
	}
	return out
}

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, oracle.Binary(t, "redis-cli"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// do runs one command on addr and returns its reply, or its error text.
func do(t *testing.T, addr string, args ...any) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	v, err := c.Do(context.Background(), args...).Result()
	if err != nil {
		return err.Error()
	}
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case []any:
		var parts []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "\n")
	}
	return ""
}

// TestClusterCreate builds a 3-master/3-replica cluster of respd nodes
// with redis-cli --cluster create, checks it with --cluster check, and
// uses it through go-redis's ClusterClient.
func TestClusterCreate(t *testing.T) {
	nodes := createCluster(t)
	out := runCLI(t, "--cluster", "check", nodes[0].Addr)
	if !strings.Contains(out, "[OK] All 16384 slots covered.") || strings.Contains(out, "[ERR]") || strings.Contains(out, "[WARNING]") {
		t.Fatalf("check:\n%s", out)
	}
	for _, n := range nodes {
		if got := do(t, n.Addr, "CLUSTER", "INFO"); !strings.Contains(got, "cluster_state:ok") || !strings.Contains(got, "cluster_known_nodes:6") || !strings.Contains(got, "cluster_size:3") {
			t.Fatalf("%s CLUSTER INFO:\n%s", n.Addr, got)
		}
	}
	useCluster(t, nodes)
}

// createCluster builds a 3-master/3-replica cluster of respd nodes with
// redis-cli --cluster create.
func createCluster(t *testing.T) []*servertest.Instance {
	oracle.Binary(t, "redis-cli")
	nodes := startClusterNodes(t, 6)
	args := []string{"--cluster", "create"}
	for _, n := range nodes {
		args = append(args, n.Addr)
	}
	out := runCLI(t, append(args, "--cluster-replicas", "1", "--cluster-yes")...)
	if !strings.Contains(out, "[OK] All nodes agree about slots configuration.") || !strings.Contains(out, "[OK] All 16384 slots covered.") {
		t.Fatalf("create:\n%s", out)
	}
	return nodes
}

// useCluster writes and reads keys through go-redis's ClusterClient,
// then checks where they landed and that replicas caught up.
func useCluster(t *testing.T, nodes []*servertest.Instance) {
	t.Helper()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].Addr}})
	defer cc.Close()
	ctx := context.Background()
	const keys = 300
	for i := range keys {
		if err := cc.Set(ctx, "key:"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatalf("SET through ClusterClient: %v", err)
		}
	}
	for i := range keys {
		if v, err := cc.Get(ctx, "key:"+strconv.Itoa(i)).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("GET key:%d = %q, %v", i, v, err)
		}
	}

	// Every master holds only its own slots' keys, and each replica
	// catches up with its master.
	total := 0
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range nodes {
		role := infoField(t, n.Addr, "role")
		if role == "master" {
			size, _ := strconv.Atoi(do(t, n.Addr, "DBSIZE"))
			total += size
			continue
		}
		master := infoField(t, n.Addr, "master_host") + ":" + infoField(t, n.Addr, "master_port")
		for infoField(t, n.Addr, "master_link_status") != "up" || do(t, n.Addr, "DBSIZE") != do(t, master, "DBSIZE") {
			if time.Now().After(deadline) {
				t.Fatalf("replica %s of %s not in sync: link %s, %s vs %s keys", n.Addr, master,
					infoField(t, n.Addr, "master_link_status"), do(t, n.Addr, "DBSIZE"), do(t, master, "DBSIZE"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if total != keys {
		t.Fatalf("masters hold %d keys, want %d", total, keys)
	}

	// A key's owner serves it; the others redirect with MOVED, and a
	// replica of the owner serves reads after READONLY.
	slot := do(t, nodes[0].Addr, "CLUSTER", "KEYSLOT", "key:1")
	moved := 0
	for _, n := range nodes {
		got := do(t, n.Addr, "GET", "key:1")
		if strings.HasPrefix(got, "MOVED "+slot+" 127.0.0.1:") {
			moved++
		} else if got != "1" {
			t.Fatalf("GET key:1 on %s: %q", n.Addr, got)
		}
	}
	if moved != 5 {
		t.Fatalf("%d nodes redirected GET key:1, want 5", moved)
	}

	// READONLY lets a replica of the owner serve reads, not writes.
	var owner string
	for _, n := range nodes {
		if do(t, n.Addr, "GET", "key:1") == "1" {
			owner = do(t, n.Addr, "CLUSTER", "MYID")
		}
	}
	for _, n := range nodes {
		if do(t, n.Addr, "CLUSTER", "MYSHARDID") != owner || do(t, n.Addr, "CLUSTER", "MYID") == owner {
			continue
		}
		c := servertest.Dial(t, n.Addr)
		for _, st := range []struct {
			args []string
			want string
		}{
			{[]string{"GET", "key:1"}, "-MOVED " + slot + " "},
			{[]string{"READONLY"}, "+OK"},
			{[]string{"GET", "key:1"}, "$1\r\n1\r\n"},
			{[]string{"SET", "key:1", "2"}, "-MOVED " + slot + " "},
			{[]string{"READWRITE"}, "+OK"},
			{[]string{"GET", "key:1"}, "-MOVED " + slot + " "},
		} {
			if got := c.Do(st.args...); !strings.HasPrefix(got, st.want) {
				t.Fatalf("%v on the replica: %q, want %q...", st.args, got, st.want)
			}
		}
		return
	}
	t.Fatalf("no replica of the owner %s found", owner)
}

func infoField(t *testing.T, addr, name string) string {
	t.Helper()
	for _, line := range strings.Split(do(t, addr, "INFO", "everything"), "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}

// meet joins b to a's cluster and waits until both know two nodes.
func meet(t *testing.T, a, b *servertest.Instance, aBus string) {
	t.Helper()
	host, port, _ := strings.Cut(a.Addr, ":")
	if got := do(t, b.Addr, "CLUSTER", "MEET", host, port, aBus); got != "OK" {
		t.Fatalf("MEET: %s", got)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range []*servertest.Instance{a, b} {
		for !strings.Contains(do(t, n.Addr, "CLUSTER", "INFO"), "cluster_known_nodes:2") {
			if time.Now().After(deadline) {
				t.Fatalf("%s does not know 2 nodes:\n%s", n.Addr, do(t, n.Addr, "CLUSTER", "NODES"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestClusterSetSlotAsk moves a slot between two nodes by hand, as
// redis-cli --cluster reshard does around MIGRATE: MIGRATING/IMPORTING
// marks, ASK and TRYAGAIN, ASKING, and SETSLOT NODE.
func TestClusterSetSlotAsk(t *testing.T) {
	bus := busPort(t)
	a := servertest.Start(t, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus), "--cluster-node-timeout", "2000")
	b := startClusterNodes(t, 1)[0]
	if got := do(t, a.Addr, "CLUSTER", "ADDSLOTSRANGE", "0", "16383"); got != "OK" {
		t.Fatal(got)
	}
	meet(t, a, b, strconv.Itoa(bus))
	idA, idB := do(t, a.Addr, "CLUSTER", "MYID"), do(t, b.Addr, "CLUSTER", "MYID")
	const s = "12182" // foo's slot
	do(t, a.Addr, "SET", "foo", "1")
	steps := []struct {
		addr string
		args []any
		want string
	}{
		{b.Addr, []any{"GET", "foo"}, "MOVED 12182 " + a.Addr},
		{a.Addr, []any{"CLUSTER", "SETSLOT", s, "IMPORTING", idB}, "ERR I'm already the owner of hash slot 12182"},
		{b.Addr, []any{"CLUSTER", "SETSLOT", s, "MIGRATING", idA}, "ERR I'm not the owner of hash slot 12182"},
		{b.Addr, []any{"CLUSTER", "SETSLOT", s, "IMPORTING", "nosuchnode"}, "ERR I don't know about node nosuchnode"},
		{b.Addr, []any{"CLUSTER", "SETSLOT", s, "IMPORTING", idA}, "OK"},
		{a.Addr, []any{"CLUSTER", "SETSLOT", s, "MIGRATING", idB}, "OK"},
		{a.Addr, []any{"GET", "foo"}, "1"},
		{a.Addr, []any{"GET", "bar{foo}"}, "ASK 12182 " + b.Addr},
		{a.Addr, []any{"MGET", "foo", "bar{foo}"}, "TRYAGAIN Multiple keys request during rehashing of slot"},
		{b.Addr, []any{"GET", "bar{foo}"}, "MOVED 12182 " + a.Addr},
		{a.Addr, []any{"CLUSTER", "SETSLOT", s, "NODE", idB}, "ERR Can't assign hashslot 12182 to a different node while I still hold keys for this hash slot."},
		{a.Addr, []any{"DEL", "foo"}, "1"},
		{a.Addr, []any{"CLUSTER", "SETSLOT", s, "NODE", idB}, "OK"},
		{a.Addr, []any{"GET", "foo"}, "MOVED 12182 " + b.Addr},
		{b.Addr, []any{"CLUSTER", "SETSLOT", s, "NODE", idB}, "OK"},
		{b.Addr, []any{"SET", "foo", "2"}, "OK"},
	}
	for _, st := range steps {
		if got := do(t, st.addr, st.args...); got != st.want {
			t.Fatalf("%v on %s: %q, want %q", st.args, st.addr, got, st.want)
		}
	}
	// ASKING on the importing side lets one command through.
	xs := do(t, b.Addr, "CLUSTER", "KEYSLOT", "x")
	do(t, b.Addr, "CLUSTER", "SETSLOT", xs, "IMPORTING", idA)
	nodes := do(t, b.Addr, "CLUSTER", "NODES")
	if !strings.Contains(nodes, "["+xs+"-<-"+idA+"]") {
		t.Fatalf("CLUSTER NODES on the importing node:\n%s", nodes)
	}
	c := servertest.Dial(t, b.Addr)
	for _, st := range []struct {
		args []string
		want string
	}{
		{[]string{"GET", "x"}, "-MOVED"},
		{[]string{"ASKING"}, "+OK"},
		{[]string{"GET", "x"}, "$-1"},
		{[]string{"GET", "x"}, "-MOVED"},
	} {
		if got := c.Do(st.args...); !strings.HasPrefix(got, st.want) {
			t.Fatalf("%v: %q, want %s...", st.args, got, st.want)
		}
	}
	// MIGRATE's RESTORE-ASKING needs no ASKING before it.
	do(t, a.Addr, "SET", "x", "payload")
	dump := do(t, a.Addr, "DUMP", "x")
	if got := do(t, b.Addr, "RESTORE-ASKING", "x", "0", dump); got != "OK" {
		t.Fatalf("RESTORE-ASKING into the importing slot: %q", got)
	}
	if got := do(t, b.Addr, "RESTORE", "x", "0", dump, "REPLACE"); !strings.HasPrefix(got, "MOVED ") {
		t.Fatalf("RESTORE into the importing slot without ASKING: %q", got)
	}
	if got := do(t, a.Addr, "CLUSTER", "NODES"); strings.Contains(got, "->-") {
		t.Fatalf("stale migrating mark:\n%s", got)
	}
}

// TestClusterFailover kills a master (closes its server) and measures
// how long until its replica, promoted through the Raft group, accepts
// writes for the master's slots; then a manual CLUSTER FAILOVER swaps
// another master with its replica.
func TestClusterFailover(t *testing.T) {
	nodes := createCluster(t)
	byID := map[string]*servertest.Instance{}
	for _, n := range nodes {
		byID[do(t, n.Addr, "CLUSTER", "MYID")] = n
	}
	// A master that is not the first node (which the others joined, so
	// likely the Raft leader), and its replica.
	var victim, heir *servertest.Instance
	for _, line := range strings.Split(do(t, nodes[0].Addr, "CLUSTER", "NODES"), "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && strings.Contains(f[2], "slave") && byID[f[3]] != nodes[0] && victim == nil {
			victim, heir = byID[f[3]], byID[f[0]]
		}
	}
	if victim == nil {
		t.Fatal("no master with a replica found")
	}
	key := "k"
	for i := 0; !strings.HasPrefix(do(t, victim.Addr, "SET", key, "before"), "OK"); i++ {
		key = "k" + strconv.Itoa(i)
	}
	// go-redis only reloads the slots on redirections or every
	// ClusterStateReloadInterval (60 s by default): a dead node answers
	// neither, with Redis as with respd.
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].Addr}, ClusterStateReloadInterval: time.Second})
	defer cc.Close()
	ctx := context.Background()
	for i := range 100 {
		if err := cc.Set(ctx, "cc:"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("promotion took %v (cluster-node-timeout 2000)", killAndTimePromotion(t, victim, heir, key))
	if got := infoField(t, heir.Addr, "role"); got != "master" {
		t.Fatalf("promoted node's role: %s", got)
	}
	// A cluster client finds the new owner by itself (after errors from
	// the dead node, until it reloads the slots, as with Redis); the
	// dead master's keys were all replicated before it died.
	deadline := time.Now().Add(20 * time.Second)
	for i := range 100 {
		for {
			v, err := cc.Get(ctx, "cc:"+strconv.Itoa(i)).Result()
			if err == nil && v == strconv.Itoa(i) {
				break
			}
			if err == nil || time.Now().After(deadline) {
				t.Fatalf("ClusterClient GET cc:%d after the failover: %q, %v", i, v, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, n := range nodes {
		if n == victim {
			continue
		}
		if got := do(t, n.Addr, "GET", key); got != "after" && !strings.HasPrefix(got, "MOVED") {
			t.Fatalf("GET on %s after the failover: %q", n.Addr, got)
		}
	}

	// Manual failover of a live master.
	var master, replica *servertest.Instance
	for _, line := range strings.Split(do(t, heir.Addr, "CLUSTER", "NODES"), "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[2] == "slave" && byID[f[3]] != nil && byID[f[3]] != victim && byID[f[3]] != heir {
			master, replica = byID[f[3]], byID[f[0]]
		}
	}
	if master == nil {
		t.Fatalf("no second master with a replica:\n%s", do(t, heir.Addr, "CLUSTER", "NODES"))
	}
	if got := do(t, master.Addr, "CLUSTER", "FAILOVER"); got != "ERR You should send CLUSTER FAILOVER to a replica" {
		t.Fatalf("CLUSTER FAILOVER on a master: %s", got)
	}
	// A write acknowledged just before the failover must survive it:
	// the master holds writes until its replica has the whole stream.
	key2 := "m"
	for i := 0; do(t, master.Addr, "SET", key2, "last") != "OK"; i++ {
		key2 = "m" + strconv.Itoa(i)
	}
	if got := do(t, replica.Addr, "CLUSTER", "FAILOVER"); got != "OK" {
		t.Fatalf("CLUSTER FAILOVER: %s", got)
	}
	deadline = time.Now().Add(20 * time.Second)
	for infoField(t, replica.Addr, "role") != "master" || infoField(t, master.Addr, "role") != "slave" ||
		infoField(t, master.Addr, "master_link_status") != "up" {
		if time.Now().After(deadline) {
			t.Fatalf("roles after CLUSTER FAILOVER: new %s, old %s (link %s)", infoField(t, replica.Addr, "role"),
				infoField(t, master.Addr, "role"), infoField(t, master.Addr, "master_link_status"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := do(t, replica.Addr, "GET", key2); got != "last" {
		t.Fatalf("GET %s on the new master: %q", key2, got)
	}
	if got := do(t, master.Addr, "SET", key2, "x"); !strings.HasPrefix(got, "MOVED ") {
		t.Fatalf("SET on the old master: %q", got)
	}
}

// waitSameKeys waits until the replica has as many keys as its master
// and its link is up.
func waitSameKeys(t *testing.T, replica, master string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for infoField(t, replica, "master_link_status") != "up" || do(t, replica, "DBSIZE") != do(t, master, "DBSIZE") {
		if time.Now().After(deadline) {
			t.Fatalf("replica %s not in sync with %s", replica, master)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClusterMinority leaves one node of three alone: without a Raft
// leader it reports cluster_state:fail and refuses keyed commands with
// CLUSTERDOWN, while keyless ones still work.
func TestClusterMinority(t *testing.T) {
	oracle.Binary(t, "redis-cli")
	nodes := startClusterNodes(t, 3)
	out := runCLI(t, "--cluster", "create", nodes[0].Addr, nodes[1].Addr, nodes[2].Addr, "--cluster-yes")
	if !strings.Contains(out, "[OK] All 16384 slots covered.") {
		t.Fatalf("create:\n%s", out)
	}
	alone := nodes[2]
	key := "k"
	for i := 0; do(t, alone.Addr, "SET", key, "1") != "OK"; i++ {
		key = "k" + strconv.Itoa(i)
	}
	nodes[0].Srv.Close()
	nodes[1].Srv.Close()
	start := time.Now()
	for !strings.Contains(do(t, alone.Addr, "CLUSTER", "INFO"), "cluster_state:fail") {
		if time.Since(start) > 30*time.Second {
			t.Fatal("the node left alone still reports cluster_state:ok after 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("cluster_state:fail %v after losing the majority", time.Since(start).Round(time.Millisecond))
	for _, args := range [][]any{{"GET", key}, {"SET", key, "2"}} {
		if got := do(t, alone.Addr, args...); got != "CLUSTERDOWN The cluster is down" {
			t.Fatalf("%v on the minority node: %q", args, got)
		}
	}
	if got := do(t, alone.Addr, "PING"); got != "PONG" {
		t.Fatalf("PING on the minority node: %q", got)
	}
}

// TestClusterAddDelNode grows a cluster with redis-cli --cluster add-node
// (a master, then a replica) and shrinks it with del-node, which FORGETs
// the node on every other node and RESETs it.
func TestClusterAddDelNode(t *testing.T) {
	oracle.Binary(t, "redis-cli")
	nodes := startClusterNodes(t, 5)
	out := runCLI(t, "--cluster", "create", nodes[0].Addr, nodes[1].Addr, nodes[2].Addr, "--cluster-yes")
	if !strings.Contains(out, "[OK] All 16384 slots covered.") {
		t.Fatalf("create:\n%s", out)
	}
	waitKnown := func(n *servertest.Instance, want int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(do(t, n.Addr, "CLUSTER", "INFO"), "cluster_known_nodes:"+strconv.Itoa(want)+"\r\n") {
			if time.Now().After(deadline) {
				t.Fatalf("%s does not know %d nodes:\n%s", n.Addr, want, do(t, n.Addr, "CLUSTER", "NODES"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	master, replica := nodes[3], nodes[4]
	// Through a node that is likely a Raft follower: the join goes on
	// to the leader.
	out = runCLI(t, "--cluster", "add-node", master.Addr, nodes[1].Addr)
	if !strings.Contains(out, "[OK] New node added correctly.") {
		t.Fatalf("add-node:\n%s", out)
	}
	waitKnown(nodes[1], 4)
	waitKnown(master, 4)
	masterID := do(t, nodes[0].Addr, "CLUSTER", "MYID")
	out = runCLI(t, "--cluster", "add-node", replica.Addr, nodes[0].Addr, "--cluster-slave", "--cluster-master-id", masterID)
	if !strings.Contains(out, "[OK] New node added correctly.") {
		t.Fatalf("add-node --cluster-slave:\n%s", out)
	}
	for _, n := range nodes {
		waitKnown(n, 5)
	}
	if got := do(t, replica.Addr, "CLUSTER", "MYSHARDID"); got != masterID {
		t.Fatalf("the added replica's shard: %s, want %s", got, masterID)
	}
	if got := do(t, nodes[1].Addr, "CLUSTER", "REPLICAS", masterID); !strings.Contains(got, replica.Addr) {
		t.Fatalf("CLUSTER REPLICAS %s: %q", masterID, got)
	}
	out = runCLI(t, "--cluster", "check", nodes[1].Addr)
	if strings.Contains(out, "[ERR]") || !strings.Contains(out, "[OK] All 16384 slots covered.") {
		t.Fatalf("check after add-node:\n%s", out)
	}

	for _, gone := range []*servertest.Instance{replica, master} {
		id := do(t, gone.Addr, "CLUSTER", "MYID")
		out = runCLI(t, "--cluster", "del-node", nodes[2].Addr, id)
		if strings.Contains(out, "ERR") {
			t.Fatalf("del-node %s:\n%s", id, out)
		}
		waitKnown(gone, 1)
		// FORGET of an id the cluster just forgot succeeds anywhere,
		// as redis-cli sends it to every node.
		if got := do(t, nodes[2].Addr, "CLUSTER", "FORGET", id); got != "OK" {
			t.Fatalf("second FORGET: %s", got)
		}
	}
	for _, n := range nodes[:3] {
		waitKnown(n, 3)
	}
	out = runCLI(t, "--cluster", "check", nodes[2].Addr)
	if strings.Contains(out, "[ERR]") || !strings.Contains(out, "[OK] All 16384 slots covered.") {
		t.Fatalf("check after del-node:\n%s", out)
	}
}

// TestClusterFailoverOfLeader kills the first node, the one the others
// joined (so the Raft leader unless an election moved it): Raft elects
// another leader, which promotes the dead master's replica.
func TestClusterFailoverOfLeader(t *testing.T) {
	nodes := createCluster(t)
	victim := nodes[0]
	id := do(t, victim.Addr, "CLUSTER", "MYID")
	var heir *servertest.Instance
	for _, n := range nodes {
		if do(t, n.Addr, "CLUSTER", "MYSHARDID") == id && n != victim {
			heir = n
		}
	}
	if heir == nil {
		t.Fatalf("no replica of %s:\n%s", id, do(t, victim.Addr, "CLUSTER", "NODES"))
	}
	key := "k"
	for i := 0; do(t, victim.Addr, "SET", key, "before") != "OK"; i++ {
		key = "k" + strconv.Itoa(i)
	}
	t.Logf("promotion after the leader died took %v (cluster-node-timeout 2000)", killAndTimePromotion(t, victim, heir, key))
	// The others apply the promotion moments later.
	deadline := time.Now().Add(10 * time.Second)
	for _, n := range nodes[1:] {
		for !strings.Contains(do(t, n.Addr, "CLUSTER", "INFO"), "cluster_state:ok") {
			if time.Now().After(deadline) {
				t.Fatalf("%s after the failover:\n%s", n.Addr, do(t, n.Addr, "CLUSTER", "INFO"))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestClusterResetHard checks that RESET HARD gives the node a new id
// and zero epochs, and frees its slots; the new id survives a restart.
func TestClusterResetHard(t *testing.T) {
	dir := t.TempDir()
	bus := strconv.Itoa(busPort(t))
	n := servertest.Start(t, "--cluster-enabled", "yes", "--cluster-port", bus, "--dir", dir)
	old := do(t, n.Addr, "CLUSTER", "MYID")
	for _, args := range [][]any{{"CLUSTER", "ADDSLOTSRANGE", "0", "100"}, {"CLUSTER", "SET-CONFIG-EPOCH", "7"}} {
		if got := do(t, n.Addr, args...); got != "OK" {
			t.Fatalf("%v: %s", args, got)
		}
	}
	if got := do(t, n.Addr, "CLUSTER", "RESET", "HARD"); got != "OK" {
		t.Fatalf("RESET HARD: %s", got)
	}
	id := do(t, n.Addr, "CLUSTER", "MYID")
	info := do(t, n.Addr, "CLUSTER", "INFO")
	if id == old || len(id) != 40 || !strings.Contains(info, "cluster_slots_assigned:0\r\n") || !strings.Contains(info, "cluster_my_epoch:0\r\n") {
		t.Fatalf("after RESET HARD: id %s (was %s)\n%s", id, old, info)
	}
	n.Srv.Close()
	n2 := servertest.Start(t, "--cluster-enabled", "yes", "--cluster-port", bus, "--dir", dir)
	if got := do(t, n2.Addr, "CLUSTER", "MYID"); got != id {
		t.Fatalf("id after restart: %s, want %s", got, id)
	}
}

// killAndTimePromotion stops victim, a master, once heir, its replica,
// holds the same keys, and returns how long heir took to accept a write
// of key.
func killAndTimePromotion(t *testing.T, victim, heir *servertest.Instance, key string) time.Duration {
	t.Helper()
	waitSameKeys(t, heir.Addr, victim.Addr)
	victim.Srv.Close()
	start := time.Now()
	for {
		got := do(t, heir.Addr, "SET", key, "after")
		if got == "OK" {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("replica still refuses writes 30s after its master died: %s", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start).Round(time.Millisecond)
}
