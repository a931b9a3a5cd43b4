package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/oracle"
)

// TestMaxmemory runs a respd process with a memory limit 16 MB above what
// it uses empty, writes about 64 MB, and checks each policy's effect.
func TestMaxmemory(t *testing.T) {
	bin := buildRespd(t)
	ctx := context.Background()
	value := strings.Repeat("v", 1000)
	start := func(t *testing.T, policy string) *redis.Client {
		port := oracle.FreePort(t)
		_, c := runRespd(t, bin, port, "--port", fmt.Sprint(port), "--save", "", "--maxmemory-policy", policy,
			"--notify-keyspace-events", "Ee")
		base := infoInt(t, c.Options().Addr, "used_memory")
		if err := c.ConfigSet(ctx, "maxmemory", fmt.Sprint(base+16<<20)).Err(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Run("noeviction", func(t *testing.T) {
		c := start(t, "noeviction")
		var oom error
		for i := 0; i < 64000 && oom == nil; i += 100 {
			p := c.Pipeline()
			for j := i; j < i+100; j++ {
				p.Set(ctx, fmt.Sprint("k", j), value, 0)
			}
			_, oom = p.Exec(ctx)
		}
		if oom == nil || oom.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
			t.Fatalf("64 MB written past a 16 MB headroom without OOM: %v", oom)
		}
		if err := c.Get(ctx, "k1").Err(); err != nil {
			t.Fatalf("reads still work under OOM: %v", err)
		}
		if err := c.Del(ctx, "k1", "k2", "k3").Err(); err != nil {
			t.Fatalf("DEL is not denyoom: %v", err)
		}
		if n := infoInt(t, c.Options().Addr, "evicted_keys"); n != 0 {
			t.Fatalf("noeviction evicted %d keys", n)
		}
	})
	t.Run("allkeys-lru", func(t *testing.T) {
		c := start(t, "allkeys-lru")
		sub := c.Subscribe(ctx, "__keyevent@0__:evicted")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		hot := []string{"hot1", "hot2", "hot3"}
		for _, k := range hot {
			c.Set(ctx, k, value, 0)
		}
		for i := 0; i < 64000; i += 100 {
			p := c.Pipeline()
			for j := i; j < i+100; j++ {
				p.Set(ctx, fmt.Sprint("k", j), value, 0)
			}
			if _, err := p.Exec(ctx); err != nil {
				t.Fatalf("writes %d.. under allkeys-lru: %v", i, err)
			}
			c.MGet(ctx, hot...) // recently used: LRU keeps them
		}
		evicted := infoInt(t, c.Options().Addr, "evicted_keys")
		keys := c.DBSize(ctx).Val()
		t.Logf("allkeys-lru: 64000 writes of 1 KB with 16 MB headroom: %d keys kept, %d evicted", keys, evicted)
		if evicted == 0 || keys >= 64000 {
			t.Fatalf("nothing was evicted (%d keys)", keys)
		}
		for _, k := range hot {
			if c.Exists(ctx, k).Val() != 1 {
				t.Errorf("hot key %s was evicted", k)
			}
		}
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil || !strings.HasPrefix(msg.Payload, "k") {
			t.Fatalf("evicted event: %v %v", msg, err)
		}
	})
	t.Run("volatile-ttl", func(t *testing.T) {
		c := start(t, "volatile-ttl")
		for i := 0; i < 2000; i++ {
			c.Set(ctx, fmt.Sprint("keep", i), value, 0)
		}
		var oom error
		for i := 0; i < 64000 && oom == nil; i += 100 {
			p := c.Pipeline()
			for j := i; j < i+100; j++ {
				p.Set(ctx, fmt.Sprint("t", j), value, 3600e9)
			}
			_, oom = p.Exec(ctx)
		}
		if oom != nil {
			t.Fatalf("volatile keys should make room for volatile writes: %v", oom)
		}
		for i := 0; i < 2000; i++ {
			if c.Exists(ctx, fmt.Sprint("keep", i)).Val() != 1 {
				t.Fatalf("keep%d has no TTL but was evicted", i)
			}
		}
	})
}
