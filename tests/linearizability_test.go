package tests

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// Linearizability checks (model in linearizability_model_test.go): real
// concurrent clients record each command's call and return times and its
// reply, and porcupine searches for a sequential order that explains them.

// checkTimeout bounds each porcupine search. The histories below are
// sized (ops per client, keys) to check in well under a second; a search
// that still runs out of time fails the test rather than passing as
// Unknown.
const checkTimeout = 60 * time.Second

// history collects operations from concurrent clients; times are
// nanoseconds on the monotonic clock since base.
type history struct {
	base time.Time
	mu   sync.Mutex
	ops  []porcupine.Operation
}

func newHistory() *history { return &history{base: time.Now()} }

func (h *history) now() int64 { return int64(time.Since(h.base)) }

func (h *history) add(client int, in regInput, out regOutput, call, ret int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
}

// checkLinearizable fails the test unless porcupine finds the history
// linearizable within checkTimeout.
func checkLinearizable(t *testing.T, ops []porcupine.Operation) {
	t.Helper()
	start := time.Now()
	res := porcupine.CheckOperationsTimeout(registerModel, ops, checkTimeout)
	t.Logf("%d operations checked in %v: %s", len(ops), time.Since(start).Round(time.Millisecond), res)
	switch res {
	case porcupine.Ok:
	case porcupine.Illegal:
		var b strings.Builder
		for i, op := range ops {
			if i == 200 {
				b.WriteString("...\n")
				break
			}
			ret := fmt.Sprint(op.Return)
			if op.Return == unknownReturn {
				ret = "inf"
			}
			fmt.Fprintf(&b, "client %d [%d, %s] %s\n", op.ClientId, op.Call, ret, registerModel.DescribeOperation(op.Input, op.Output))
		}
		t.Fatalf("history is not linearizable:\n%s", b.String())
	default:
		t.Fatalf("linearizability check did not finish within %v (%d operations): make the history smaller", checkTimeout, len(ops))
	}
}

// noRetryClient is a client that never resends a command: a retried INCR
// would be a second increment the history does not show.
func noRetryClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1, PoolSize: 1})
}

// runCommand runs one register command and converts its reply.
func runCommand(ctx context.Context, c *redis.Client, in regInput) (regOutput, error) {
	switch in.op {
	case opGet:
		v, err := c.Get(ctx, in.key).Int64()
		if errors.Is(err, redis.Nil) {
			return regOutput{}, nil
		}
		return regOutput{val: v, exists: true}, err
	case opSet:
		return regOutput{}, c.Set(ctx, in.key, in.val, 0).Err()
	default:
		v, err := c.Incr(ctx, in.key).Result()
		return regOutput{val: v}, err
	}
}

// TestLinearizabilityModel: the model accepts legal histories and
// reports illegal ones, so the checks below can fail.
func TestLinearizabilityModel(t *testing.T) {
	op := func(client int, in regInput, out regOutput, call, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret}
	}
	get := regInput{op: opGet, key: "k"}
	incr := regInput{op: opIncr, key: "k"}
	set := func(v int64) regInput { return regInput{op: opSet, key: "k", val: v} }
	val := func(v int64) regOutput { return regOutput{val: v, exists: true} }
	cases := []struct {
		name string
		ops  []porcupine.Operation
		want porcupine.CheckResult
	}{
		{"stale read", []porcupine.Operation{
			op(0, set(1), regOutput{}, 0, 10),
			op(0, set(2), regOutput{}, 20, 30),
			op(1, get, val(1), 40, 50),
		}, porcupine.Illegal},
		{"concurrent read may see either", []porcupine.Operation{
			op(0, set(1), regOutput{}, 0, 10),
			op(0, set(2), regOutput{}, 20, 30),
			op(1, get, val(1), 25, 50),
		}, porcupine.Ok},
		{"lost increment", []porcupine.Operation{
			op(0, incr, val(1), 0, 10),
			op(1, incr, val(1), 20, 30),
		}, porcupine.Illegal},
		{"concurrent increments", []porcupine.Operation{
			op(0, incr, val(2), 0, 10),
			op(1, incr, val(1), 5, 30),
			op(2, get, val(2), 40, 50),
		}, porcupine.Ok},
		{"read of a value never written", []porcupine.Operation{
			op(0, set(1), regOutput{}, 0, 10),
			op(1, get, val(3), 20, 30),
		}, porcupine.Illegal},
		{"acknowledged write lost", []porcupine.Operation{
			op(0, set(7), regOutput{}, 0, 10),
			op(1, get, regOutput{}, 20, 30),
		}, porcupine.Illegal},
		{"unknown write may take effect late", []porcupine.Operation{
			op(0, set(5), regOutput{unknown: true}, 0, unknownReturn),
			op(1, get, regOutput{}, 10, 20),
			op(1, get, val(5), 30, 40),
		}, porcupine.Ok},
		{"unknown write may never take effect", []porcupine.Operation{
			op(0, incr, regOutput{unknown: true}, 0, unknownReturn),
			op(1, get, regOutput{}, 10, 20),
		}, porcupine.Ok},
		{"unknown write cannot be undone", []porcupine.Operation{
			op(0, set(5), regOutput{unknown: true}, 0, unknownReturn),
			op(1, get, val(5), 10, 20),
			op(1, get, regOutput{}, 30, 40),
		}, porcupine.Illegal},
	}
	for _, tc := range cases {
		if got := porcupine.CheckOperationsTimeout(registerModel, tc.ops, 10*time.Second); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestLinearizableSingleMaster: GET, SET and INCR from concurrent clients
// on a few keys of one server form a linearizable history.
func TestLinearizableSingleMaster(t *testing.T) {
	m := servertest.Start(t)
	const (
		clients   = 8
		keys      = 4
		maxOps    = 2500 // per client, which bounds the check's work
		runFor    = 3 * time.Second
		valueBase = 1_000_000 // SET values are unique per client and op
	)
	h := newHistory()
	deadline := time.Now().Add(runFor)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for id := 0; id < clients; id++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			c := noRetryClient(m.Addr)
			defer c.Close()
			rng := rand.New(rand.NewSource(int64(id)))
			for i := 0; i < maxOps && time.Now().Before(deadline); i++ {
				in := regInput{op: rng.Intn(3), key: fmt.Sprint("lin:", rng.Intn(keys))}
				if in.op == opSet {
					in.val = int64(id*valueBase + i)
				}
				call := h.now()
				out, err := runCommand(ctx, c, in)
				ret := h.now()
				if err != nil {
					errs <- fmt.Errorf("client %d: %v: %v", id, in, err)
					return
				}
				h.add(id, in, out, call, ret)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(h.ops) < clients*20 {
		t.Fatalf("only %d operations recorded", len(h.ops))
	}
	checkLinearizable(t, h.ops)
}

// TestWaitAcknowledgedWritesSurviveFailover: writes that WAIT reported
// as replicated to at least one replica survive the master's death and
// the promotion of the most up-to-date replica, and the acknowledged
// writes together with reads on the new master are linearizable. Writes
// without an acknowledgement (WAIT timed out, or the master died during
// the command or the WAIT) may or may not survive, which the model allows.
func TestWaitAcknowledgedWritesSurviveFailover(t *testing.T) {
	m := servertest.Start(t)
	replicaOf := strings.Replace(m.Addr, ":", " ", 1)
	r1 := servertest.Start(t, "--replicaof", replicaOf)
	r2 := servertest.Start(t, "--replicaof", replicaOf)
	waitSynced(t, 30*time.Second, m.Addr, r1.Addr, r2.Addr)

	const (
		clients   = 6
		maxOps    = 5000 // per client, more than run before the kill
		killAfter = 1000 // acknowledged writes
		valueBase = 1_000_000
	)
	// ctr:* only ever get INCR, so an acknowledged INCR's result is a
	// lower bound of their final value; reg:* mix SET and INCR.
	keyNames := []string{"ctr:0", "ctr:1", "reg:0", "reg:1"}
	h := newHistory()
	var (
		mu       sync.Mutex
		acked    int
		unknown  int
		maxAcked = map[string]int64{}
	)
	var wg sync.WaitGroup
	for id := 0; id < clients; id++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			c := noRetryClient(m.Addr)
			defer c.Close()
			rng := rand.New(rand.NewSource(int64(id)))
			for i := 0; i < maxOps; i++ {
				key := keyNames[rng.Intn(len(keyNames))]
				in := regInput{op: opIncr, key: key}
				if strings.HasPrefix(key, "reg:") && rng.Intn(2) == 0 {
					in = regInput{op: opSet, key: key, val: int64(id*valueBase + i)}
				}
				call := h.now()
				out, err := runCommand(ctx, c, in)
				var n int64
				if err == nil {
					n, err = c.Do(ctx, "WAIT", 1, 2000).Int64()
				}
				ret := h.now()
				if err != nil || n < 1 {
					mu.Lock()
					unknown++
					mu.Unlock()
					h.add(id, in, regOutput{unknown: true}, call, unknownReturn)
					if err != nil {
						return // the master is gone
					}
					continue
				}
				h.add(id, in, out, call, ret)
				mu.Lock()
				acked++
				if in.op == opIncr && strings.HasPrefix(key, "ctr:") && out.val > maxAcked[key] {
					maxAcked[key] = out.val
				}
				mu.Unlock()
			}
		}()
	}
	// The master dies with commands and WAITs in flight, once enough
	// writes were acknowledged (or after a while on a slow machine).
	killBy := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := acked
		mu.Unlock()
		if n >= killAfter || time.Now().After(killBy) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	m.Srv.Close()
	wg.Wait()
	if acked < clients*5 {
		t.Fatalf("only %d writes were acknowledged before the master died", acked)
	}
	t.Logf("%d acknowledged writes, %d with an unknown outcome", acked, unknown)

	// Promote the replica that applied the most of the stream; the other
	// follows it.
	newM, other := r1, r2
	if infoInt(t, r2.Addr, "slave_repl_offset") > infoInt(t, r1.Addr, "slave_repl_offset") {
		newM, other = r2, r1
	}
	if v := do(t, newM.Addr, "REPLICAOF", "NO", "ONE"); v != "OK" {
		t.Fatal(v)
	}
	host, port := hostPort(t, newM.Addr)
	if v := do(t, other.Addr, "REPLICAOF", host, port); v != "OK" {
		t.Fatal(v)
	}

	// Reads on the new master, from concurrent clients.
	ctx := context.Background()
	var rwg sync.WaitGroup
	readErrs := make(chan error, len(keyNames)*2)
	for i := 0; i < 2; i++ {
		for _, k := range keyNames {
			rwg.Add(1)
			go func() {
				defer rwg.Done()
				c := noRetryClient(newM.Addr)
				defer c.Close()
				in := regInput{op: opGet, key: k}
				call := h.now()
				out, err := runCommand(ctx, c, in)
				ret := h.now()
				if err != nil {
					readErrs <- fmt.Errorf("GET %s on the new master: %v", k, err)
					return
				}
				h.add(clients+i, in, out, call, ret)
			}()
		}
	}
	rwg.Wait()
	close(readErrs)
	for err := range readErrs {
		t.Fatal(err)
	}
	c := noRetryClient(newM.Addr)
	defer c.Close()
	for k, want := range maxAcked {
		got, err := c.Get(ctx, k).Int64()
		if err != nil || got < want {
			t.Errorf("%s on the new master: %d (%v), but an INCR returning %d was acknowledged", k, got, err, want)
		}
	}
	checkLinearizable(t, h.ops)

	waitSynced(t, 30*time.Second, newM.Addr, other.Addr)
	sameData(t, newM.Addr, other.Addr)
}
