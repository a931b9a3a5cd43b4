package tests

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/oracle"
)

// The cluster scenarios run every step against respd and against real
// redis-server cluster nodes with the same code, so that a failure on
// respd can be told apart from a wrong expectation: what passes on Redis
// is what redis-cli and cluster clients rely on.

// clusterNodeTimeout is the cluster-node-timeout every node runs with;
// the scenarios' deadlines are multiples of it.
const clusterNodeTimeout = 2 * time.Second

// clusterKinds are the servers each scenario runs against.
var clusterKinds = []string{"respd", "redis"}

// eachClusterKind runs fn as one subtest per server kind.
func eachClusterKind(t *testing.T, fn func(t *testing.T, kind string)) {
	for _, kind := range clusterKinds {
		t.Run(kind, func(t *testing.T) { fn(t, kind) })
	}
}

// clusterBinary is the server binary of kind; the redis variant is
// skipped without redis-server, or fails when CI=true (CI installs it).
func clusterBinary(t *testing.T, kind string) string {
	t.Helper()
	if kind == "respd" {
		return buildRespd(t)
	}
	return toolPath(t, "redis-server")
}

// toolPath finds one of the Redis tools on PATH, as oracle does for
// redis-server.
func toolPath(t *testing.T, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found on PATH; CI needs it for the cluster tests", name)
		}
		t.Skipf("%s not found on PATH", name)
	}
	return bin
}

// clusterNode is one server process of a test cluster.
type clusterNode struct {
	kind, bin string
	ns        string // network namespace it runs in; "" for the host's
	ip        string
	port      int
	dir, log  string
	cmd       *exec.Cmd
	done      chan error
}

func (n *clusterNode) addr() string { return net.JoinHostPort(n.ip, strconv.Itoa(n.port)) }

// start runs the process (again, after kill: same directory, so the same
// node ID and nodes.conf) and waits until it answers PING.
func (n *clusterNode) start(t *testing.T) {
	t.Helper()
	args := []string{"--port", strconv.Itoa(n.port), "--bind", n.ip,
		"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", strconv.Itoa(int(clusterNodeTimeout / time.Millisecond)),
		"--dir", n.dir, "--save", "", "--appendonly", "no", "--protected-mode", "no"}
	if n.kind == "redis" {
		args = append(args, "--daemonize", "no", "--logfile", "")
	}
	name := n.bin
	if n.ns != "" {
		// ip netns exec execs the server, so the process is the server.
		args = append([]string{"netns", "exec", n.ns, n.bin}, args...)
		name = "ip"
	}
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	n.cmd = exec.Command(name, args...)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(n.cmd, n.done)
	c := n.client()
	defer c.Close()
	deadline := time.Now().Add(15 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		select {
		case err := <-n.done:
			n.done <- err
			t.Fatalf("%s node %s exited (%v) before answering PING:\n%s", n.kind, n.addr(), err, n.tail(40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s node %s did not answer PING:\n%s", n.kind, n.addr(), n.tail(40))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the process at once, as a crash would; a no-op when it has
// already exited.
func (n *clusterNode) kill() {
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Signal(syscall.SIGKILL)
	err := <-n.done
	n.done <- err
}

// tail is the last lines of the node's log, for failure messages.
func (n *clusterNode) tail(lines int) string {
	b, _ := os.ReadFile(n.log)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// client is a plain (not cluster-aware) client of the node.
func (n *clusterNode) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: n.addr(), Protocol: 2, DisableIdentity: true,
		DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, MaxRetries: -1})
}

// do runs one command on the node; an error reply comes back as err.
func (n *clusterNode) do(args ...any) (any, error) {
	c := n.client()
	defer c.Close()
	return c.Do(context.Background(), args...).Result()
}

// text runs a command whose reply is a bulk string (CLUSTER INFO,
// CLUSTER NODES, CLUSTER MYID), failing the test on an error.
func (n *clusterNode) text(t *testing.T, args ...any) string {
	t.Helper()
	v, err := n.do(args...)
	if err != nil {
		t.Fatalf("%v on %s: %v", args, n.addr(), err)
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v on %s: %T reply %v, want a string", args, n.addr(), v, v)
	}
	return s
}

// infoField is one field of CLUSTER INFO ("" when absent or unreachable).
func (n *clusterNode) infoField(field string) string {
	v, err := n.do("CLUSTER", "INFO")
	s, _ := v.(string)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(s, "\r\n") {
		if val, ok := strings.CutPrefix(line, field+":"); ok {
			return val
		}
	}
	return ""
}

// testCluster is a set of nodes of one kind, on the loopback or each in
// a network namespace of a netnsNet.
type testCluster struct {
	kind, bin, cli string
	nodes          []*clusterNode
	used           map[int]bool
	net            *netnsNet // nil: every node on 127.0.0.1
	// size is how many nodes every member must list before the cluster
	// counts as healthy; tests change it around add-node and del-node.
	size int
}

func newTestCluster(t *testing.T, kind string, nn *netnsNet) *testCluster {
	t.Helper()
	return &testCluster{kind: kind, bin: clusterBinary(t, kind), cli: toolPath(t, "redis-cli"), used: map[int]bool{}, net: nn}
}

// clusterPort is a free loopback port whose bus port (port+10000) is free
// too, and not given to another node of the cluster.
func (c *testCluster) clusterPort(t *testing.T) int {
	t.Helper()
	for range 200 {
		p := oracle.FreePort(t)
		if p+10000 > 65535 || c.used[p] || c.used[p+10000] || c.used[p-10000] {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000))
		if err != nil {
			continue
		}
		ln.Close()
		c.used[p] = true
		return p
	}
	t.Fatal("no free port pair for a cluster node")
	return 0
}

// addNode starts one more node, not yet part of any cluster.
func (c *testCluster) addNode(t *testing.T) *clusterNode {
	t.Helper()
	dir := t.TempDir()
	n := &clusterNode{kind: c.kind, bin: c.bin, ip: "127.0.0.1", dir: dir, log: filepath.Join(dir, "log")}
	if c.net != nil {
		n.ns, n.ip = c.net.addHost(t)
		n.port = 7000 + len(c.nodes)
	} else {
		n.port = c.clusterPort(t)
	}
	c.nodes = append(c.nodes, n)
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			t.Logf("last lines of %s node %s's log:\n%s", n.kind, n.addr(), n.tail(60))
		}
	})
	n.start(t)
	return n
}

// run runs redis-cli with args (from the host's namespace), returning its
// combined output; it is killed after six minutes (a reshard of 1000
// slots takes seconds on Redis; respd commits every SETSLOT through
// Raft, which is much slower, and the test should measure that rather
// than cut it short).
func (c *testCluster) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.cli, args...).CombinedOutput()
	return string(out), err
}

// mustRun is run failing the test on a non-zero exit.
func (c *testCluster) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := c.run(args...)
	if err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// create starts masters*(1+replicas) nodes and joins them with
// redis-cli --cluster create, then waits until the cluster is healthy.
func (c *testCluster) create(t *testing.T, masters, replicas int) {
	t.Helper()
	args := []string{"--cluster", "create"}
	for range masters * (1 + replicas) {
		args = append(args, c.addNode(t).addr())
	}
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	c.mustRun(t, args...)
	c.size = len(c.nodes)
	c.waitHealthy(t, c.nodes[0], 60*time.Second)
	// A replica that has not finished its first sync cannot be promoted
	// (Redis delays that sync by repl-diskless-sync-delay), so scenarios
	// start once every replica's link is up.
	for _, n := range c.nodes {
		waitUntil(t, 60*time.Second, "replication link of "+n.addr(), func() bool {
			v, err := n.do("INFO", "replication")
			s, _ := v.(string)
			return err == nil && (strings.Contains(s, "role:master") || strings.Contains(s, "master_link_status:up"))
		})
	}
}

// check runs redis-cli --cluster check through n, returning its output
// and whether it reported the cluster clean: every slot covered, every
// node agreeing, no error or warning, no open slot.
func (c *testCluster) check(n *clusterNode) (string, bool) {
	out, err := c.run("--cluster", "check", n.addr())
	if err != nil {
		out = fmt.Sprintf("(redis-cli: %v)\n%s", err, out)
	}
	clean := err == nil && strings.Contains(out, "[OK] All nodes agree about slots configuration.") &&
		strings.Contains(out, "[OK] All 16384 slots covered.") &&
		!strings.Contains(out, "[ERR]") && !strings.Contains(out, "[WARNING]")
	return out, clean
}

// waitHealthy waits until --cluster check through n is clean and every
// live node it lists reports cluster_state:ok.
func (c *testCluster) waitHealthy(t *testing.T, n *clusterNode, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		out, clean := c.check(n)
		bad := c.disagreement(t, n)
		if clean && bad == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not healthy after %v (%s); --cluster check says:\n%s", within, bad, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// disagreement describes why the members of n's cluster do not yet
// agree ("" once they do): each must report cluster_state:ok and list
// the same c.size nodes with the same roles, masters and slots, none
// failing or disconnected. Redis spreads roles by gossip, so a replica may show
// as a master elsewhere for a while after --cluster create.
func (c *testCluster) disagreement(t *testing.T, n *clusterNode) string {
	t.Helper()
	var first string
	for _, m := range c.members(t, n) {
		if st := m.infoField("cluster_state"); st != "ok" {
			return fmt.Sprintf("%s reports cluster_state %q", m.addr(), st)
		}
		v, err := m.do("CLUSTER", "NODES")
		if err != nil {
			return fmt.Sprintf("CLUSTER NODES on %s: %v", m.addr(), err)
		}
		var view []string
		for _, l := range parseClusterNodes(t, v.(string)) {
			role := "master"
			if l.has("slave") {
				role = "slave"
			}
			if l.has("fail") || l.has("fail?") || l.has("handshake") || l.has("noaddr") || l.link != "connected" {
				return fmt.Sprintf("%s sees %s as %v, link %s", m.addr(), l.addr, l.flags, l.link)
			}
			view = append(view, strings.Join(append([]string{l.id, l.addr, role, l.master}, l.slots...), " "))
		}
		if len(view) != c.size {
			return fmt.Sprintf("%s knows %d nodes, want %d", m.addr(), len(view), c.size)
		}
		slices.Sort(view)
		s := strings.Join(view, "\n")
		if first == "" {
			first = s
		} else if s != first {
			return fmt.Sprintf("%s sees\n%s\nwhile %s sees\n%s", m.addr(), s, n.addr(), first)
		}
	}
	return ""
}

// members are the started nodes that n's CLUSTER NODES lists.
func (c *testCluster) members(t *testing.T, n *clusterNode) []*clusterNode {
	t.Helper()
	var out []*clusterNode
	for _, l := range parseClusterNodes(t, n.text(t, "CLUSTER", "NODES")) {
		if m := c.byAddr(l.addr); m != nil {
			out = append(out, m)
		}
	}
	return out
}

func (c *testCluster) byAddr(addr string) *clusterNode {
	for _, n := range c.nodes {
		if n.addr() == addr {
			return n
		}
	}
	return nil
}

// byID is the started node whose CLUSTER MYID is id.
func (c *testCluster) byID(t *testing.T, id string) *clusterNode {
	t.Helper()
	for _, n := range c.nodes {
		if v, err := n.do("CLUSTER", "MYID"); err == nil && v == id {
			return n
		}
	}
	t.Fatalf("no running node has ID %s", id)
	return nil
}

// clusterClient is a go-redis ClusterClient seeded with the given nodes
// (all when none), with room for the redirections of a resharding.
// reload is how often it reloads CLUSTER SLOTS on its own (0: go-redis's
// default, a minute): a dead master sends no MOVED, so after a failover
// the client only finds the promoted replica by reloading.
func (c *testCluster) clusterClient(reload time.Duration, seeds ...*clusterNode) *redis.ClusterClient {
	if len(seeds) == 0 {
		seeds = c.nodes
	}
	var addrs []string
	for _, n := range seeds {
		addrs = append(addrs, n.addr())
	}
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Protocol: 2, DisableIdentity: true,
		MaxRedirects: 16, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
		ClusterStateReloadInterval: reload})
}

// nodeLine is one line of CLUSTER NODES.
type nodeLine struct {
	id, addr, busAddr string
	flags             []string
	master            string // "-" for a master
	epoch             int64
	link              string
	slots             []string // ranges and [slot->-id] / [slot-<-id] entries
}

func (l nodeLine) has(flag string) bool { return slices.Contains(l.flags, flag) }

// ranges returns the node's slot ranges, leaving out the open-slot
// entries.
func (l nodeLine) ranges() [][2]int {
	var out [][2]int
	for _, r := range l.slots {
		if strings.HasPrefix(r, "[") {
			continue
		}
		lo, hi, ok := strings.Cut(r, "-")
		if !ok {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 == nil && err2 == nil {
			out = append(out, [2]int{a, b})
		}
	}
	return out
}

// slotCount is how many slots the node's ranges cover.
func (l nodeLine) slotCount() int {
	n := 0
	for _, r := range l.ranges() {
		n += r[1] - r[0] + 1
	}
	return n
}

// parseClusterNodes parses CLUSTER NODES, failing the test on a line that
// does not have the documented form.
func parseClusterNodes(t *testing.T, s string) []nodeLine {
	t.Helper()
	var out []nodeLine
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 8 || len(f[0]) != 40 {
			t.Fatalf("malformed CLUSTER NODES line %q", sc.Text())
		}
		l := nodeLine{id: f[0], flags: strings.Split(f[2], ","), master: f[3], link: f[7], slots: f[8:]}
		l.addr, l.busAddr, _ = strings.Cut(f[1], "@")
		l.busAddr, _, _ = strings.Cut(l.busAddr, ",")
		var err error
		if l.epoch, err = strconv.ParseInt(f[6], 10, 64); err != nil {
			t.Fatalf("CLUSTER NODES line %q: config epoch %q", sc.Text(), f[6])
		}
		out = append(out, l)
	}
	return out
}

// myself is n's own line of its CLUSTER NODES.
func myself(t *testing.T, n *clusterNode) nodeLine {
	t.Helper()
	for _, l := range parseClusterNodes(t, n.text(t, "CLUSTER", "NODES")) {
		if l.has("myself") {
			return l
		}
	}
	t.Fatalf("CLUSTER NODES of %s has no myself line", n.addr())
	return nodeLine{}
}

// shardOf returns the master serving key's slot according to n, and its
// replicas, as CLUSTER NODES lines.
func shardOf(t *testing.T, n *clusterNode, key string) (nodeLine, []nodeLine) {
	t.Helper()
	v, err := n.do("CLUSTER", "KEYSLOT", key)
	if err != nil {
		t.Fatal(err)
	}
	slot := int(v.(int64))
	lines := parseClusterNodes(t, n.text(t, "CLUSTER", "NODES"))
	for _, l := range lines {
		if !l.has("master") || !ownsSlot(l, slot) {
			continue
		}
		var reps []nodeLine
		for _, r := range lines {
			if r.master == l.id {
				reps = append(reps, r)
			}
		}
		return l, reps
	}
	t.Fatalf("no master owns slot %d of %q in:\n%s", slot, key, n.text(t, "CLUSTER", "NODES"))
	return nodeLine{}, nil
}

func ownsSlot(l nodeLine, slot int) bool {
	for _, r := range l.ranges() {
		if slot >= r[0] && slot <= r[1] {
			return true
		}
	}
	return false
}

// waitUntil polls cond every 50ms until it holds, returning how long
// that took, or fails the test naming what after within.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not reached within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// keyInSlotOf returns a key named prefix+N whose slot the master m owns.
func keyInSlotOf(t *testing.T, n *clusterNode, m nodeLine, prefix string) string {
	t.Helper()
	for i := range 10000 {
		k := prefix + strconv.Itoa(i)
		v, err := n.do("CLUSTER", "KEYSLOT", k)
		if err != nil {
			t.Fatal(err)
		}
		if ownsSlot(m, int(v.(int64))) {
			return k
		}
	}
	t.Fatalf("no key %sN in a slot of %s", prefix, m.id)
	return ""
}
