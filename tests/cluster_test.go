package tests

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestClusterCreate: redis-cli --cluster create makes 3 masters with a
// replica each; --cluster check is clean; CLUSTER INFO, NODES, SLOTS and
// SHARDS agree with each other on every node; redis-cli -c reads and
// writes keys of every master through any node, and a plain client gets
// MOVED to the owner CLUSTER NODES names.
func TestClusterCreate(t *testing.T) {
	eachClusterKind(t, func(t *testing.T, kind string) {
		c := newTestCluster(t, kind, nil)
		c.create(t, 3, 1)
		ids := map[string]string{} // addr -> id
		for _, n := range c.nodes {
			ids[n.addr()] = n.text(t, "CLUSTER", "MYID")
			if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(ids[n.addr()]) {
				t.Errorf("CLUSTER MYID of %s = %q", n.addr(), ids[n.addr()])
			}
		}
		// redis-cli -c follows MOVED: every key written through one
		// node reads back through another.
		for i := range 30 {
			k, v := fmt.Sprintf("create:%d", i), fmt.Sprintf("value %d", i)
			a, b := c.nodes[i%6], c.nodes[(i+3)%6]
			if out := c.mustRun(t, "-c", "-h", a.ip, "-p", strconv.Itoa(a.port), "SET", k, v); strings.TrimSpace(out) != "OK" {
				t.Errorf("redis-cli -c SET %s through %s: %q", k, a.addr(), out)
			}
			if out := c.mustRun(t, "-c", "-h", b.ip, "-p", strconv.Itoa(b.port), "GET", k); strings.TrimSpace(out) != v {
				t.Errorf("redis-cli -c GET %s through %s: %q, want %q", k, b.addr(), out, v)
			}
		}
		// A replica counts as online once it has replicated something
		// (Redis lists one with offset 0 as "loading" in SHARDS and
		// leaves it out of SLOTS), which the writes above ensure.
		for _, n := range c.nodes {
			waitUntil(t, 30*time.Second, "every replica online in CLUSTER SHARDS of "+n.addr(), func() bool {
				v, err := n.do("CLUSTER", "SHARDS")
				if err != nil {
					return false
				}
				for _, s := range v.([]any) {
					nodes, _ := pairs(s)["nodes"].([]any)
					for _, nd := range nodes {
						if pairs(nd)["health"] != "online" {
							return false
						}
					}
				}
				return true
			})
		}
		for _, n := range c.nodes {
			checkClusterInfo(t, n)
			checkClusterNodes(t, n, ids)
			checkClusterSlots(t, n, ids)
			checkClusterShards(t, n, ids)
		}
		if out, clean := c.check(c.nodes[5]); !clean {
			t.Errorf("redis-cli --cluster check through a replica:\n%s", out)
		}
		// Without -c, a node that does not own the slot answers MOVED
		// with the owner's address.
		moved := 0
		for i := range 30 {
			k := fmt.Sprintf("create:%d", i)
			m, _ := shardOf(t, c.nodes[0], k)
			slot, _ := c.nodes[0].do("CLUSTER", "KEYSLOT", k)
			for _, n := range c.nodes {
				if n.addr() == m.addr {
					continue
				}
				_, err := n.do("GET", k)
				want := fmt.Sprintf("MOVED %d %s", slot, m.addr)
				if err == nil || err.Error() != want {
					t.Errorf("GET %s on %s: %v, want %s", k, n.addr(), err, want)
				}
				moved++
			}
		}
		if moved == 0 {
			t.Fatal("no MOVED checked")
		}
		// CLUSTER COUNTKEYSINSLOT/GETKEYSINSLOT on the owner see them.
		k := "create:0"
		m, _ := shardOf(t, c.nodes[0], k)
		owner := c.byAddr(m.addr)
		slot, _ := owner.do("CLUSTER", "KEYSLOT", k)
		if n, err := owner.do("CLUSTER", "COUNTKEYSINSLOT", slot); err != nil || n.(int64) < 1 {
			t.Errorf("CLUSTER COUNTKEYSINSLOT %v on the owner: %v %v", slot, n, err)
		}
		if keys, err := owner.do("CLUSTER", "GETKEYSINSLOT", slot, 100); err != nil || !slices.Contains(keys.([]any), any(k)) {
			t.Errorf("CLUSTER GETKEYSINSLOT %v 100 on the owner: %v %v, want it to hold %s", slot, keys, err, k)
		}
	})
}

// checkClusterInfo: the fields of a healthy 3+3 cluster.
func checkClusterInfo(t *testing.T, n *clusterNode) {
	t.Helper()
	for field, want := range map[string]string{
		"cluster_state": "ok", "cluster_slots_assigned": "16384", "cluster_slots_ok": "16384",
		"cluster_slots_pfail": "0", "cluster_slots_fail": "0", "cluster_known_nodes": "6", "cluster_size": "3",
	} {
		if got := n.infoField(field); got != want {
			t.Errorf("CLUSTER INFO on %s: %s = %q, want %q", n.addr(), field, got, want)
		}
	}
	for _, field := range []string{"cluster_current_epoch", "cluster_my_epoch"} {
		if _, err := strconv.ParseInt(n.infoField(field), 10, 64); err != nil {
			t.Errorf("CLUSTER INFO on %s: %s = %q, want an integer", n.addr(), field, n.infoField(field))
		}
	}
}

// checkClusterNodes: six connected nodes, one myself, three masters
// covering every slot once, three replicas of distinct masters.
func checkClusterNodes(t *testing.T, n *clusterNode, ids map[string]string) {
	t.Helper()
	lines := parseClusterNodes(t, n.text(t, "CLUSTER", "NODES"))
	if len(lines) != 6 {
		t.Fatalf("CLUSTER NODES on %s has %d lines, want 6", n.addr(), len(lines))
	}
	covered := make([]int, 16384)
	masters, selves := map[string]bool{}, 0
	for _, l := range lines {
		if ids[l.addr] != l.id {
			t.Errorf("CLUSTER NODES on %s: %s has id %s, its CLUSTER MYID says %s", n.addr(), l.addr, l.id, ids[l.addr])
		}
		if l.has("myself") {
			selves++
			if l.addr != n.addr() {
				t.Errorf("CLUSTER NODES on %s: myself is %s", n.addr(), l.addr)
			}
		}
		if l.link != "connected" {
			t.Errorf("CLUSTER NODES on %s: %s link %s", n.addr(), l.addr, l.link)
		}
		if l.has("fail") || l.has("fail?") {
			t.Errorf("CLUSTER NODES on %s: %s flags %v", n.addr(), l.addr, l.flags)
		}
		if l.has("master") {
			masters[l.id] = true
			if l.master != "-" {
				t.Errorf("CLUSTER NODES on %s: master %s has master %s", n.addr(), l.addr, l.master)
			}
			for s := range 16384 {
				if ownsSlot(l, s) {
					covered[s]++
				}
			}
		}
	}
	for _, l := range lines {
		if l.has("slave") && (!masters[l.master] || len(l.slots) != 0) {
			t.Errorf("CLUSTER NODES on %s: replica %s of %s, slots %v", n.addr(), l.addr, l.master, l.slots)
		}
	}
	if selves != 1 || len(masters) != 3 {
		t.Errorf("CLUSTER NODES on %s: %d myself, %d masters", n.addr(), selves, len(masters))
	}
	for s, k := range covered {
		if k != 1 {
			t.Fatalf("CLUSTER NODES on %s: slot %d owned by %d masters", n.addr(), s, k)
		}
	}
}

// checkClusterSlots: ranges cover every slot; each names its master
// (as CLUSTER NODES does) first, then its replica, as [ip, port, id].
func checkClusterSlots(t *testing.T, n *clusterNode, ids map[string]string) {
	t.Helper()
	v, err := n.do("CLUSTER", "SLOTS")
	if err != nil {
		t.Fatal(err)
	}
	lines := parseClusterNodes(t, n.text(t, "CLUSTER", "NODES"))
	byID := map[string]nodeLine{}
	for _, l := range lines {
		byID[l.id] = l
	}
	total := 0
	for _, r := range v.([]any) {
		e := r.([]any)
		if len(e) != 4 {
			t.Errorf("CLUSTER SLOTS on %s: range %v has %d entries, want 2 bounds + master + replica", n.addr(), e, len(e))
			continue
		}
		lo, hi := int(e[0].(int64)), int(e[1].(int64))
		total += hi - lo + 1
		for i, nd := range e[2:] {
			f := nd.([]any)
			addr := fmt.Sprintf("%v:%v", f[0], f[1])
			id, _ := f[2].(string)
			if ids[addr] != id {
				t.Errorf("CLUSTER SLOTS on %s: %s listed with id %s", n.addr(), addr, id)
			}
			l := byID[id]
			if i == 0 && (!l.has("master") || !ownsSlot(l, lo) || !ownsSlot(l, hi)) {
				t.Errorf("CLUSTER SLOTS on %s: %d-%d served by %s, which CLUSTER NODES does not give them", n.addr(), lo, hi, addr)
			}
			if i == 1 && !l.has("slave") {
				t.Errorf("CLUSTER SLOTS on %s: %d-%d replica %s is not a replica in CLUSTER NODES", n.addr(), lo, hi, addr)
			}
		}
	}
	if total != 16384 {
		t.Errorf("CLUSTER SLOTS on %s covers %d slots", n.addr(), total)
	}
}

// checkClusterShards: three shards, each with its slot ranges, one
// master and one replica, all online with their ids and ports.
func checkClusterShards(t *testing.T, n *clusterNode, ids map[string]string) {
	t.Helper()
	v, err := n.do("CLUSTER", "SHARDS")
	if err != nil {
		t.Fatal(err)
	}
	shards := v.([]any)
	if len(shards) != 3 {
		t.Fatalf("CLUSTER SHARDS on %s: %d shards, want 3", n.addr(), len(shards))
	}
	total := 0
	for _, s := range shards {
		m := pairs(s)
		slots, _ := m["slots"].([]any)
		for i := 0; i+1 < len(slots); i += 2 {
			total += int(slots[i+1].(int64)-slots[i].(int64)) + 1
		}
		nodes, _ := m["nodes"].([]any)
		roles := map[string]int{}
		for _, nd := range nodes {
			f := pairs(nd)
			roles[fmt.Sprint(f["role"])]++
			addr := fmt.Sprintf("%v:%v", f["ip"], f["port"])
			if ids[addr] != f["id"] || f["health"] != "online" {
				t.Errorf("CLUSTER SHARDS on %s: node %v", n.addr(), f)
			}
		}
		if roles["master"] != 1 || roles["replica"] != 1 {
			t.Errorf("CLUSTER SHARDS on %s: shard roles %v", n.addr(), roles)
		}
	}
	if total != 16384 {
		t.Errorf("CLUSTER SHARDS on %s covers %d slots", n.addr(), total)
	}
}

// pairs turns a RESP2 flat name/value array into a map.
func pairs(v any) map[string]any {
	a, _ := v.([]any)
	m := map[string]any{}
	for i := 0; i+1 < len(a); i += 2 {
		m[fmt.Sprint(a[i])] = a[i+1]
	}
	return m
}
