package tests

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestClusterPartition: each node runs in its own network namespace; one
// master's link is cut, leaving it alone in a minority. After the node
// timeout it must refuse keyed commands with CLUSTERDOWN while the
// majority promotes its replica and takes writes for its slots. Once the
// link is back the old master rejoins as a replica of the promoted one
// and the majority's write is the value everyone sees.
func TestClusterPartition(t *testing.T) {
	eachClusterKind(t, func(t *testing.T, kind string) {
		// The cluster first, so that a missing binary skips before any
		// namespace is made.
		c := newTestCluster(t, kind, nil)
		nn := newNetnsNet(t)
		c.net = nn
		c.create(t, 3, 1)
		const key = "partition:key"
		ml, reps := shardOf(t, c.nodes[0], key)
		if len(reps) != 1 {
			t.Fatalf("shard of %s has replicas %v, want one", key, reps)
		}
		m, r := c.byAddr(ml.addr), c.byAddr(reps[0].addr)
		var majority []*clusterNode
		for _, n := range c.nodes {
			if n != m {
				majority = append(majority, n)
			}
		}
		cc := c.clusterClient(time.Second, majority...)
		defer cc.Close()
		ctx := context.Background()
		if err := cc.Set(ctx, key, "before", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := m.do("WAIT", 1, 10000); err != nil || n != int64(1) {
			t.Fatalf("WAIT 1 on the master: %v %v", n, err)
		}

		nn.cut(t, m.ns)
		start := time.Now()
		healed := false
		defer func() {
			if !healed {
				nn.heal(t, m.ns)
			}
		}()
		var last string
		refused := waitUntil(t, 10*clusterNodeTimeout, "the isolated master refusing writes", func() bool {
			last = cliIn(c.cli, m.ns, m.ip, m.port, "SET", key, "minority")
			return last == "CLUSTERDOWN The cluster is down"
		})
		if st := cliIn(c.cli, m.ns, m.ip, m.port, "CLUSTER", "INFO"); !strings.Contains(st, "cluster_state:fail") {
			t.Errorf("isolated master's CLUSTER INFO:\n%s", st)
		}
		if got := cliIn(c.cli, m.ns, m.ip, m.port, "GET", key); got != "CLUSTERDOWN The cluster is down" {
			t.Errorf("GET on the isolated master: %q, want CLUSTERDOWN", got)
		}
		waitUntil(t, 10*clusterNodeTimeout, "the majority promoting the isolated master's replica", func() bool {
			v, err := r.do("ROLE")
			a, ok := v.([]any)
			return err == nil && ok && len(a) > 0 && a[0] == "master"
		})
		promoted := time.Since(start)
		waitUntil(t, 10*clusterNodeTimeout, "a ClusterClient write to the shard on the majority side", func() bool {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			return cc.Set(wctx, key, "majority", 0).Err() == nil
		})
		t.Logf("%s: link cut; the isolated master refused writes after %v, the replica was promoted after %v, the first majority write succeeded after %v",
			kind, refused.Round(time.Millisecond), promoted.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

		nn.heal(t, m.ns)
		healed = true
		rid := r.text(t, "CLUSTER", "MYID")
		back := waitUntil(t, 15*clusterNodeTimeout, "the old master rejoining as a replica of the promoted one", func() bool {
			v, err := m.do("CLUSTER", "NODES")
			if err != nil {
				return false
			}
			for _, l := range parseClusterNodes(t, v.(string)) {
				if l.has("myself") {
					return l.has("slave") && l.master == rid
				}
			}
			return false
		})
		t.Logf("%s: healed; the old master became a replica after %v", kind, back.Round(time.Millisecond))
		c.waitHealthy(t, r, 60*time.Second)
		if got, err := cc.Get(ctx, key).Result(); err != nil || got != "majority" {
			t.Errorf("after healing GET %s = %q, %v; want the majority's write", key, got, err)
		}
	})
}
