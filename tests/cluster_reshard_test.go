package tests

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterLoad runs SET, GET and INCR from several goroutines through one
// ClusterClient. Each worker owns its keys, so it knows the value every
// key must hold: a GET or INCR reply that disagrees with the last
// acknowledged write is a lost or stale write, and finish checks every
// key once more at the end.
type clusterLoad struct {
	stop    chan struct{}
	wg      sync.WaitGroup
	ops     atomic.Int64
	mu      sync.Mutex
	errs    []string
	workers []*loadWorker
}

// loadWorker is one goroutine's keys: values last acknowledged, and the
// keys whose last write failed (unknown value, not checked).
type loadWorker struct {
	sets, ctrs map[string]int64
	unsure     map[string]bool
}

func startClusterLoad(cc *redis.ClusterClient, workers, keys int) *clusterLoad {
	l := &clusterLoad{stop: make(chan struct{})}
	for w := range workers {
		lw := &loadWorker{sets: map[string]int64{}, ctrs: map[string]int64{}, unsure: map[string]bool{}}
		l.workers = append(l.workers, lw)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for seq := int64(1); ; seq++ {
				select {
				case <-l.stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				l.step(ctx, cc, lw, w, rng.IntN(keys), seq)
				cancel()
				l.ops.Add(1)
			}
		}()
	}
	return l
}

// step does one operation of worker w on its key i.
func (l *clusterLoad) step(ctx context.Context, cc *redis.ClusterClient, lw *loadWorker, w, i int, seq int64) {
	k := fmt.Sprintf("load:%d:%d", w, i)
	switch seq % 4 {
	case 0, 1:
		if err := cc.Set(ctx, k, seq, 0).Err(); err != nil {
			lw.unsure[k] = true
			l.fail("SET %s: %v", k, err)
			return
		}
		lw.sets[k], lw.unsure[k] = seq, false
	case 2:
		v, err := cc.Get(ctx, k).Int64()
		if lw.unsure[k] {
			return
		}
		want, ok := lw.sets[k]
		switch {
		case errors.Is(err, redis.Nil) && !ok:
		case err != nil:
			l.fail("GET %s: %v (last write %d)", k, err, want)
		case !ok || v != want:
			l.fail("GET %s = %d, last acknowledged write %d (written: %v)", k, v, want, ok)
		}
	case 3:
		c := fmt.Sprintf("ctr:%d:%d", w, i%10)
		v, err := cc.Incr(ctx, c).Result()
		if err != nil {
			lw.unsure[c] = true
			l.fail("INCR %s: %v", c, err)
			return
		}
		if !lw.unsure[c] && v != lw.ctrs[c]+1 {
			l.fail("INCR %s = %d after %d acknowledged increments", c, v, lw.ctrs[c])
		}
		lw.ctrs[c], lw.unsure[c] = v, false
	}
}

func (l *clusterLoad) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
}

// errors is how many operations failed so far, and the first few.
func (l *clusterLoad) errors() (int, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.errs), strings.Join(l.errs[:min(len(l.errs), 10)], "\n")
}

// finish stops the workers, fails the test on any error they saw, and
// reads every key back: each must hold its last acknowledged value.
func (l *clusterLoad) finish(t *testing.T, cc *redis.ClusterClient) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	if n, first := l.errors(); n > 0 {
		t.Errorf("the ClusterClient saw %d errors; first ones:\n%s", n, first)
	}
	if l.ops.Load() < 200 {
		t.Errorf("only %d operations ran", l.ops.Load())
	}
	checked := 0
	ctx := context.Background()
	for _, lw := range l.workers {
		for _, m := range []map[string]int64{lw.sets, lw.ctrs} {
			for k, want := range m {
				if lw.unsure[k] {
					continue
				}
				got, err := cc.Get(ctx, k).Int64()
				if err != nil || got != want {
					t.Errorf("after the load: GET %s = %d, %v; last acknowledged %d", k, got, err, want)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Error("no key written by the load")
	}
	t.Logf("load: %d operations, %d keys checked afterwards", l.ops.Load(), checked)
}

// slotsOf maps each master's id to its slot count, as n sees them.
func slotsOf(t *testing.T, n *clusterNode) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, l := range parseClusterNodes(t, n.text(t, "CLUSTER", "NODES")) {
		if l.has("master") {
			m[l.id] = l.slotCount()
		}
	}
	return m
}

// TestClusterReshard: a ClusterClient keeps writing and reading from
// eight goroutines while redis-cli moves slots live: reshard of 1000
// slots between two masters, rebalance, add-node of a master and of a
// replica, reshard of 500 slots from all masters onto the new one,
// rebalance with a zero weight to empty it again, del-node of both. The client must see no error (it
// follows MOVED and ASK itself), every key keeps its last acknowledged
// value, and --cluster check is clean after every step.
func TestClusterReshard(t *testing.T) {
	eachClusterKind(t, func(t *testing.T, kind string) {
		c := newTestCluster(t, kind, nil)
		c.create(t, 3, 1)
		n0 := c.nodes[0]
		cc := c.clusterClient(0)
		defer cc.Close()
		load := startClusterLoad(cc, 8, 500)
		defer func() {
			if load != nil {
				close(load.stop)
				load.wg.Wait()
			}
		}()
		// Let the load touch every slot range before moving any.
		waitUntil(t, 30*time.Second, "load running", func() bool { return load.ops.Load() > 2000 })
		step := func(what string, args ...string) {
			t.Helper()
			start := time.Now()
			out := c.mustRun(t, append([]string{"--cluster"}, args...)...)
			c.waitHealthy(t, n0, 60*time.Second)
			n, first := load.errors()
			t.Logf("%s: %v, %d load operations so far, %d errors", what, time.Since(start).Round(time.Millisecond), load.ops.Load(), n)
			if n > 0 {
				t.Fatalf("during %s the ClusterClient saw errors:\n%s\nredis-cli said:\n%s", what, first, out)
			}
		}

		before := slotsOf(t, n0)
		var from, to string
		for id := range before {
			if from == "" {
				from = id
			} else if to == "" {
				to = id
			}
		}
		step("reshard 1000 slots", "reshard", n0.addr(), "--cluster-from", from, "--cluster-to", to,
			"--cluster-slots", "1000", "--cluster-yes")
		after := slotsOf(t, n0)
		if after[from] != before[from]-1000 || after[to] != before[to]+1000 {
			t.Fatalf("after reshard: slots %v, before %v; want 1000 moved from %s to %s", after, before, from, to)
		}

		step("rebalance", "rebalance", n0.addr())
		for id, k := range slotsOf(t, n0) {
			if k < 5300 || k > 5600 {
				t.Errorf("after rebalance master %s has %d slots", id, k)
			}
		}

		m := c.addNode(t)
		c.size++
		step("add-node (master)", "add-node", m.addr(), n0.addr())
		mid := m.text(t, "CLUSTER", "MYID")
		r := c.addNode(t)
		c.size++
		step("add-node (replica)", "add-node", r.addr(), n0.addr(), "--cluster-slave", "--cluster-master-id", mid)
		waitUntil(t, 30*time.Second, "new replica following the new master", func() bool {
			me := myself(t, r)
			return me.has("slave") && me.master == mid
		})
		if got := len(parseClusterNodes(t, n0.text(t, "CLUSTER", "NODES"))); got != 8 {
			t.Fatalf("after add-node: %d nodes known, want 8", got)
		}

		step("reshard 500 slots from all onto the added master", "reshard", n0.addr(), "--cluster-from", "all",
			"--cluster-to", mid, "--cluster-slots", "500", "--cluster-yes")
		// redis-cli splits the 500 among the sources rounding down.
		if k := slotsOf(t, n0)[mid]; k < 495 || k > 500 {
			t.Fatalf("the added master got %d slots, want about 500", k)
		}

		step("rebalance the added master empty", "rebalance", n0.addr(), "--cluster-weight", mid+"=0")
		if k := slotsOf(t, n0)[mid]; k != 0 {
			t.Fatalf("the added master still has %d slots after weight 0", k)
		}

		rid := r.text(t, "CLUSTER", "MYID")
		c.size--
		step("del-node (replica)", "del-node", n0.addr(), rid)
		c.size--
		step("del-node (master)", "del-node", n0.addr(), mid)
		lines := parseClusterNodes(t, n0.text(t, "CLUSTER", "NODES"))
		if len(lines) != 6 {
			t.Fatalf("after del-node: %d nodes known, want 6", len(lines))
		}
		for _, l := range lines {
			if l.id == mid || l.id == rid {
				t.Fatalf("deleted node %s still listed", l.id)
			}
		}
		l := load
		load = nil
		l.finish(t, cc)
	})
}
