package tests

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestClusterFailover: a master is killed (SIGKILL); its replica must be
// promoted and a ClusterClient write to the shard must succeed within
// ten node timeouts, with every write the replica had acknowledged
// (WAIT) still there. The measured times are logged: the issue asks for
// the time to promote. Restarted, the old master rejoins as a replica of
// the promoted one and the cluster is clean again.
func TestClusterFailover(t *testing.T) {
	eachClusterKind(t, func(t *testing.T, kind string) {
		c := newTestCluster(t, kind, nil)
		c.create(t, 3, 1)
		n0 := c.nodes[0]
		const key = "failover:key"
		ml, reps := shardOf(t, n0, key)
		if len(reps) != 1 {
			t.Fatalf("shard of %s has replicas %v, want one", key, reps)
		}
		m, r := c.byAddr(ml.addr), c.byAddr(reps[0].addr)
		cc := c.clusterClient(time.Second)
		defer cc.Close()
		ctx := context.Background()
		written := map[string]string{}
		for i := range 300 {
			k, v := fmt.Sprintf("failover:%d", i), fmt.Sprint("v", i)
			if err := cc.Set(ctx, k, v, 0).Err(); err != nil {
				t.Fatal(err)
			}
			written[k] = v
		}
		if n, err := m.do("WAIT", 1, 10000); err != nil || n != int64(1) {
			t.Fatalf("WAIT 1 on the master: %v %v", n, err)
		}

		start := time.Now()
		m.kill()
		promoted := make(chan time.Duration, 1)
		go func() {
			for time.Since(start) < 10*clusterNodeTimeout {
				v, err := r.do("ROLE")
				if a, ok := v.([]any); err == nil && ok && len(a) > 0 && a[0] == "master" {
					promoted <- time.Since(start)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			promoted <- -1
		}()
		var writeErr error
		wrote := waitUntil(t, 10*clusterNodeTimeout, "a ClusterClient write to the killed master's shard", func() bool {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			writeErr = cc.Set(wctx, key, "after", 0).Err()
			return writeErr == nil
		})
		p := <-promoted
		if p < 0 {
			t.Fatalf("replica %s not promoted (ROLE) within %v", r.addr(), 10*clusterNodeTimeout)
		}
		t.Logf("%s: master killed; replica promoted (ROLE master) after %v, first ClusterClient write to the shard succeeded after %v (cluster-node-timeout %v)",
			kind, p.Round(time.Millisecond), wrote.Round(time.Millisecond), clusterNodeTimeout)

		me := myself(t, r)
		if !me.has("master") || !ownsSlot(me, mustSlot(t, n0, key)) {
			t.Errorf("promoted replica's CLUSTER NODES line: %+v", me)
		}
		for k, v := range written {
			if got, err := cc.Get(ctx, k).Result(); err != nil || got != v {
				t.Errorf("after failover GET %s = %q, %v; want %q", k, got, err, v)
			}
		}
		if got, err := cc.Get(ctx, key).Result(); err != nil || got != "after" {
			t.Errorf("GET %s = %q, %v; want the write made after the failover", key, got, err)
		}

		// The old master comes back with its nodes.conf and must follow
		// the promoted replica.
		m.start(t)
		rid := r.text(t, "CLUSTER", "MYID")
		waitUntil(t, 15*clusterNodeTimeout, "the old master rejoining as a replica of the promoted one", func() bool {
			me := myself(t, m)
			return me.has("slave") && me.master == rid
		})
		c.waitHealthy(t, r, 60*time.Second)
		waitUntil(t, 30*time.Second, "the old master syncing the shard's data", func() bool {
			a, _ := m.do("DBSIZE")
			b, _ := r.do("DBSIZE")
			return a == b
		})
	})
}

// mustSlot is CLUSTER KEYSLOT key on n.
func mustSlot(t *testing.T, n *clusterNode, key string) int {
	t.Helper()
	v, err := n.do("CLUSTER", "KEYSLOT", key)
	if err != nil {
		t.Fatal(err)
	}
	return int(v.(int64))
}
