package tests

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// TestScriptEffectsReachReplicas runs scripts with random and
// time-dependent effects on a master that has a respd replica and a real
// Redis replica: each gets the script's writes, not the script, so both
// end with the master's exact data.
func TestScriptEffectsReachReplicas(t *testing.T) {
	ctx := context.Background()
	master := servertest.Start(t)
	hostPort := strings.Replace(master.Addr, ":", " ", 1)
	replica := servertest.Start(t, "--replicaof", hostPort)
	redisReplica := servertest.RedisServer(t, "--replicaof", strings.Split(master.Addr, ":")[0], strings.Split(master.Addr, ":")[1])
	c := master.Client(t)
	c.SAdd(ctx, "pool", "a", "b", "c", "d", "e", "f")
	for _, script := range []string{
		// SPOP picks at random: the replica must get the SREM of what was picked.
		"return redis.call('spop', KEYS[1])",
		// A TTL relative to now: replicated as an absolute time.
		"redis.call('set', KEYS[2], 'v', 'EX', 100); return redis.call('incr', KEYS[3])",
		// Several writes: one MULTI/EXEC unit.
		"for i = 1, 5 do redis.call('rpush', KEYS[2] .. ':list', i) end; return redis.call('srandmember', KEYS[1])",
	} {
		if err := c.Eval(ctx, script, []string{"pool", "k", "n"}).Err(); err != nil {
			t.Fatalf("%s: %v", script, err)
		}
	}
	if err := c.FunctionLoad(ctx, "#!lua name=lib\nredis.register_function('popper', function(keys) return redis.call('spop', keys[1]) end)").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.FCall(ctx, "popper", []string{"pool"}).Err(); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, 10*time.Second, master.Addr, replica.Addr, redisReplica)
	want := servertest.Dataset(t, master.Addr)
	for name, addr := range map[string]string{"respd replica": replica.Addr, "Redis replica": redisReplica} {
		if d := servertest.DiffDatasets(want, servertest.Dataset(t, addr)); d != "" {
			t.Errorf("%s differs from the master after scripts:\n%s", name, d)
		}
	}
	if libs := servertest.Client(t, replica.Addr).FunctionList(ctx, redis.FunctionListQuery{}).Val(); len(libs) != 1 {
		t.Errorf("the function library did not reach the respd replica: %v", libs)
	}
}
