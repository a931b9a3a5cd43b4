package server_test

import (
	"context"
	"os"
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
		args := append([]string{"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(oracle.FreePort(t)),
			"--cluster-node-timeout", "2000"}, extra...)
		out = append(out, servertest.Start(t, args...))
	}
	return out
}

func redisCLI(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-cli not found on PATH")
		}
		t.Skip("redis-cli not found on PATH")
	}
	return bin
}

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, redisCLI(t), args...).CombinedOutput()
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
	}
	return ""
}

// TestClusterCreate builds a 3-master/3-replica cluster of respd nodes
// with redis-cli --cluster create, checks it with --cluster check, and
// uses it through go-redis's ClusterClient.
func TestClusterCreate(t *testing.T) {
	redisCLI(t)
	nodes := startClusterNodes(t, 6)
	args := []string{"--cluster", "create"}
	for _, n := range nodes {
		args = append(args, n.Addr)
	}
	out := runCLI(t, append(args, "--cluster-replicas", "1", "--cluster-yes")...)
	if !strings.Contains(out, "[OK] All nodes agree about slots configuration.") || !strings.Contains(out, "[OK] All 16384 slots covered.") {
		t.Fatalf("create:\n%s", out)
	}
	out = runCLI(t, "--cluster", "check", nodes[0].Addr)
	if !strings.Contains(out, "[OK] All 16384 slots covered.") || strings.Contains(out, "[ERR]") || strings.Contains(out, "[WARNING]") {
		t.Fatalf("check:\n%s", out)
	}
	for _, n := range nodes {
		if got := do(t, n.Addr, "CLUSTER", "INFO"); !strings.Contains(got, "cluster_state:ok") || !strings.Contains(got, "cluster_known_nodes:6") || !strings.Contains(got, "cluster_size:3") {
			t.Fatalf("%s CLUSTER INFO:\n%s", n.Addr, got)
		}
	}

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
