package tests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/servertest"
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

// hitWorkload is the access sequence TestEvictionHitRatio replays against
// each server: GET, then SET with a TTL on a miss. Most requests go to a
// hot set that fits in the cache; the rest go to cold keys drawn from a
// population so large that each is in effect used once, and that only
// push hot keys out. Where recency or frequency is tracked, hot keys
// survive the cold traffic; random eviction loses them at the rate it
// evicts. Everything is drawn once from a fixed seed, so every server and
// policy sees the very same requests.
type hitWorkload struct {
	warmup, measure []int32
	value           string
}

// Shape and sizes of the workload: the cache holds hitCapacity keys,
// hitHot of which are the hot set, requested hitHotShare of the time.
const (
	hitCapacity  = 2000
	hitHot       = 1000
	hitHotShare  = 0.7
	hitCold      = 1 << 20
	hitWarmup    = 20000
	hitMeasure   = 40000
	hitBatch     = 50
	hitValueSize = 512
	// hitPinned keys without TTL are written before the workload and
	// never read again: volatile policies must keep them all, LRU must
	// evict them.
	hitPinned = 100
	// hitTTLMin and hitTTLSpan bound the workload keys' TTLs, which are
	// long enough never to expire during the test; volatile-ttl orders
	// by them.
	hitTTLMin, hitTTLSpan = 3600, 3600
)

func newHitWorkload() *hitWorkload {
	r := rand.New(rand.NewPCG(7, 11))
	draw := func(n int) []int32 {
		s := make([]int32, n)
		for i := range s {
			if r.Float64() < hitHotShare {
				s[i] = int32(r.IntN(hitHot))
			} else {
				s[i] = int32(hitHot + r.IntN(hitCold))
			}
		}
		return s
	}
	return &hitWorkload{warmup: draw(hitWarmup), measure: draw(hitMeasure), value: strings.Repeat("x", hitValueSize)}
}

func hitKey(i int32) string { return fmt.Sprintf("key:%07d", i) }

// hitTTL spreads the keys' TTLs over the range, unrelated to hotness.
func hitTTL(i int32) int64 { return hitTTLMin + int64(uint32(i)*2654435761%hitTTLSpan) }

// replay runs seq against c in pipelined batches: GETs, then a SET for
// every key the batch missed. It returns how many SETs were refused with
// OOM.
func (w *hitWorkload) replay(t *testing.T, c *redis.Client, seq []int32) int {
	t.Helper()
	ctx := context.Background()
	oom := 0
	gets := make([]*redis.StringCmd, 0, hitBatch)
	missed := map[int32]bool{}
	for i := 0; i < len(seq); i += hitBatch {
		batch := seq[i:min(i+hitBatch, len(seq))]
		p := c.Pipeline()
		gets = gets[:0]
		for _, k := range batch {
			gets = append(gets, p.Get(ctx, hitKey(k)))
		}
		if _, err := p.Exec(ctx); err != nil && err != redis.Nil {
			t.Fatalf("GET batch: %v", err)
		}
		clear(missed)
		p = c.Pipeline()
		for j, g := range gets {
			if k := batch[j]; g.Err() == redis.Nil && !missed[k] {
				missed[k] = true
				p.Set(ctx, hitKey(k), w.value, time.Duration(hitTTL(k))*time.Second)
			}
		}
		if len(missed) == 0 {
			continue
		}
		cmds, _ := p.Exec(ctx)
		for _, cmd := range cmds {
			if err := cmd.Err(); err != nil {
				if !strings.HasPrefix(err.Error(), "OOM ") {
					t.Fatalf("SET: %v", err)
				}
				oom++
			}
		}
	}
	return oom
}

// hitResult is what one server did under one policy.
type hitResult struct {
	ratio float64
	// keys is DBSIZE after the measured phase, headroom the maxmemory
	// above the empty server's used_memory that gave it.
	keys, headroom int64
	// pinned is how many of the hitPinned keys without TTL are left.
	pinned int64
	// hot is how many hot keys are cached at the end.
	hot int
	// longTTL is the share of the surviving workload keys whose TTL is in
	// the upper half of the range.
	longTTL float64
	oom     int
}

// run fills a fresh server under policy and measures its hit ratio.
//
// The two servers account memory differently (respd estimates from the Go
// heap, Redis counts its allocator's bytes), so the same maxmemory in
// bytes would not give them caches of the same size. What is matched is
// the cache size in keys: the headroom above the empty server's
// used_memory starts from a guess (bytes per key times hitCapacity) and
// is rescaled after each warm-up pass until the server holds hitCapacity
// keys within 5%; the measured phase then runs with that limit.
func (w *hitWorkload) run(t *testing.T, c *redis.Client, policy string, perKey int64) hitResult {
	t.Helper()
	ctx := context.Background()
	addr := c.Options().Addr
	if err := c.ConfigSet(ctx, "maxmemory-policy", policy).Err(); err != nil {
		t.Fatal(err)
	}
	base := infoInt(t, addr, "used_memory")
	res := hitResult{headroom: perKey * hitCapacity}
	if err := c.ConfigSet(ctx, "maxmemory", fmt.Sprint(base+res.headroom)).Err(); err != nil {
		t.Fatal(err)
	}
	for i := range hitPinned {
		c.Set(ctx, fmt.Sprint("pinned:", i), w.value, 0)
	}
	for pass := 0; ; pass++ {
		res.oom += w.replay(t, c, w.warmup)
		n := c.DBSize(ctx).Val()
		if n*100 >= hitCapacity*95 && n*100 <= hitCapacity*105 || pass == 5 || policy == "noeviction" {
			break
		}
		res.headroom = res.headroom * hitCapacity / max(n, 1)
		if err := c.ConfigSet(ctx, "maxmemory", fmt.Sprint(base+res.headroom)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	hits0, misses0 := infoInt(t, addr, "keyspace_hits"), infoInt(t, addr, "keyspace_misses")
	res.oom += w.replay(t, c, w.measure)
	hits, misses := infoInt(t, addr, "keyspace_hits")-hits0, infoInt(t, addr, "keyspace_misses")-misses0
	res.ratio = float64(hits) / float64(hits+misses)
	res.keys = c.DBSize(ctx).Val()
	// What is left, read without touching anything (SCAN, TTL).
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	long, kept := 0, 0
	for _, k := range keys {
		if strings.HasPrefix(k, "pinned:") {
			res.pinned++
			continue
		}
		var i int32
		fmt.Sscanf(k, "key:%d", &i)
		kept++
		if i < hitHot {
			res.hot++
		}
		if hitTTL(i) >= hitTTLMin+hitTTLSpan/2 {
			long++
		}
	}
	res.longTTL = float64(long) / float64(max(kept, 1))
	return res
}

// TestEvictionHitRatio replays one skewed GET/SET-on-miss workload against
// respd and the real redis-server under each maxmemory policy, with
// caches of the same size in keys, and compares the hit ratios of the
// measured phase (keyspace_hits and keyspace_misses of INFO).
func TestEvictionHitRatio(t *testing.T) {
	bin := buildRespd(t)
	w := newHitWorkload()
	policies := []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "noeviction"}
	type pair struct{ respd, redis hitResult }
	results := map[string]*pair{}
	// Bytes per key, refined by each run for the next.
	perKey := map[string]int64{"respd": hitValueSize + 200, "redis": hitValueSize + 200}
	for _, policy := range policies {
		r := &pair{}
		results[policy] = r
		t.Run(policy, func(t *testing.T) {
			for _, server := range []string{"redis", "respd"} {
				var c *redis.Client
				if server == "redis" {
					c = servertest.Client(t, oracle.RedisServer(t))
				} else {
					port := oracle.FreePort(t)
					_, c = runRespd(t, bin, port, "--port", fmt.Sprint(port), "--save", "")
				}
				res := w.run(t, c, policy, perKey[server])
				if policy != "noeviction" {
					perKey[server] = res.headroom / hitCapacity
				}
				if server == "redis" {
					r.redis = res
				} else {
					r.respd = res
				}
			}
		})
	}
	var tab strings.Builder
	fmt.Fprintf(&tab, "\n%-16s | %-15s | %-15s | keys respd/redis | headroom respd/redis | hot kept respd/redis | pinned kept respd/redis | long-TTL share respd/redis | OOM respd/redis\n", "policy", "respd hit ratio", "redis hit ratio")
	for _, policy := range policies {
		r := results[policy]
		fmt.Fprintf(&tab, "%-16s | %15.3f | %15.3f | %5d / %5d | %8d / %8d | %4d / %4d | %3d / %3d | %.2f / %.2f | %d / %d\n", policy,
			r.respd.ratio, r.redis.ratio, r.respd.keys, r.redis.keys, r.respd.headroom, r.redis.headroom,
			r.respd.hot, r.redis.hot, r.respd.pinned, r.redis.pinned, r.respd.longTTL, r.redis.longTTL, r.respd.oom, r.redis.oom)
	}
	t.Log(tab.String())

	// What must hold. Redis's LRU clock ticks once a second and this
	// workload turns the cache over in well under a second, so Redis's
	// own LRU rows come out close to random eviction here, while respd
	// stamps accesses in ms: its LRU is compared with its random
	// eviction, and with Redis only as a lower bound.
	for _, policy := range policies {
		r := results[policy]
		if policy != "noeviction" && (r.respd.keys < hitCapacity*75/100 || r.respd.keys > hitCapacity*125/100) {
			t.Errorf("%s: respd holds %d keys, not about %d: the comparison is void", policy, r.respd.keys, hitCapacity)
		}
		random := results["allkeys-random"].respd.ratio
		if strings.HasPrefix(policy, "volatile-") {
			random = results["volatile-random"].respd.ratio
			if r.respd.pinned != hitPinned {
				t.Errorf("%s evicted %d keys without TTL", policy, hitPinned-r.respd.pinned)
			}
		}
		if strings.HasSuffix(policy, "-lru") || strings.HasSuffix(policy, "-lfu") {
			if r.respd.ratio < random+0.05 {
				t.Errorf("%s: hit ratio %.3f is not clearly above random eviction's %.3f", policy, r.respd.ratio, random)
			}
			// LFU keeps the whole hot set in both servers (any miss there
			// is a hot key lost); LRU loses some, Redis's more. respd's
			// used memory counts the bytes written since the last GC as
			// used until that GC ends; on a starved machine (the whole
			// suite running on 2 cores) a late GC makes it evict a burst,
			// hot keys included: 0.648 against Redis's 0.695 was seen
			// once, 0.695 in every run alone.
			slack := 0.03
			if strings.HasSuffix(policy, "-lfu") {
				slack = 0.06
				if r.respd.hot < hitHot*99/100 {
					t.Errorf("%s kept %d of the %d hot keys", policy, r.respd.hot, hitHot)
				}
			}
			if r.respd.ratio < r.redis.ratio-slack {
				t.Errorf("%s: hit ratio %.3f is below Redis's %.3f", policy, r.respd.ratio, r.redis.ratio)
			}
		}
	}
	if r := results["allkeys-lru"].respd; r.pinned > hitPinned/10 {
		t.Errorf("allkeys-lru kept %d of %d keys never used again", r.pinned, hitPinned)
	}
	if r := results["volatile-ttl"].respd; r.longTTL < 0.75 {
		t.Errorf("volatile-ttl: only %.2f of the keys left have a TTL in the upper half", r.longTTL)
	}
	if r := results["noeviction"].respd; r.oom == 0 {
		t.Errorf("noeviction never refused a SET with OOM")
	}
}

// TestLFUCounter checks the counter's arithmetic where it is exact
// (lfu-log-factor 0 increments on every access; the decay follows a fake
// clock), and its growth at the default factor against real Redis: the
// mean counter of keys read 1000 times each must agree.
func TestLFUCounter(t *testing.T) {
	ctx := context.Background()
	t.Run("decay", func(t *testing.T) {
		in := servertest.StartFake(t, "--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0")
		c := in.Client(t)
		freq := func(want int64) {
			t.Helper()
			if got, err := c.ObjectFreq(ctx, "k").Result(); err != nil || got != want {
				t.Fatalf("OBJECT FREQ k = %d, %v; want %d", got, err, want)
			}
		}
		// The decay counts minute boundaries crossed, so start the fake
		// clock just after one: 3m1s later is then exactly 3 minutes on.
		in.Clock.Advance(time.Duration(60_000-in.Clock.NowMs()%60_000+500) * time.Millisecond)
		c.Set(ctx, "k", "v", 0)
		freq(5)
		for range 10 {
			c.Get(ctx, "k")
		}
		freq(15)
		in.Clock.Advance(3*time.Minute + time.Second)
		freq(12) // one per lfu-decay-time minute, not stored by OBJECT
		freq(12)
		c.ConfigSet(ctx, "lfu-decay-time", "2")
		freq(14)
		c.ConfigSet(ctx, "lfu-decay-time", "0")
		freq(15)
		c.ConfigSet(ctx, "lfu-decay-time", "1")
		c.Get(ctx, "k") // decays to 12, then counts the access
		freq(13)
		in.Clock.Advance(100 * time.Minute)
		freq(0)
		c.Get(ctx, "k")
		freq(1)
		// The minutes clock is 16 bits. Across its wrap Redis counts the
		// elapsed minutes as 65535-ldt+now, one short of the truth.
		m := in.Clock.NowMs() / 60000 & 0xffff
		in.Clock.Advance(time.Duration(65535-m) * time.Minute)
		c.Del(ctx, "k")
		c.Set(ctx, "k", "v", 0) // stamped at minute 65535
		for range 10 {
			c.Get(ctx, "k")
		}
		freq(15)
		in.Clock.Advance(3 * time.Minute) // minute 2
		freq(13)
	})
	t.Run("log-factor", func(t *testing.T) {
		const keys, reads = 50, 1000
		mean := func(addr string) float64 {
			c := servertest.Client(t, addr)
			if err := c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lfu").Err(); err != nil {
				t.Fatal(err)
			}
			var sum int64
			for k := range keys {
				key := fmt.Sprint("k", k)
				c.Set(ctx, key, "v", 0)
				p := c.Pipeline()
				for range reads {
					p.Get(ctx, key)
				}
				if _, err := p.Exec(ctx); err != nil {
					t.Fatal(err)
				}
				sum += c.ObjectFreq(ctx, key).Val()
			}
			return float64(sum) / keys
		}
		respd, redis := mean(servertest.Start(t).Addr), mean(oracle.RedisServer(t))
		t.Logf("mean counter after %d reads: respd %.2f, redis %.2f", reads, respd, redis)
		if respd < redis-2 || respd > redis+2 {
			t.Errorf("mean counter after %d reads: respd %.2f, redis %.2f", reads, respd, redis)
		}
	})
}

// TestLFURDB checks the FREQ and IDLE records both ways between respd and
// Redis: each writes the counter under an LFU policy and the idle time
// under an LRU one, and each applies what the policy it loads with uses.
func TestLFURDB(t *testing.T) {
	ctx := context.Background()
	// restored stores key with RESTORE and the given options.
	restored := func(c *redis.Client, key string, opts ...any) {
		t.Helper()
		c.Set(ctx, "tmp", "value", 0)
		payload := c.Dump(ctx, "tmp").Val()
		args := append([]any{"RESTORE", key, 0, payload}, opts...)
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("RESTORE %s: %v", key, err)
		}
		c.Del(ctx, "tmp")
	}
	freqs := func(addr string, keys ...string) []int64 {
		c := servertest.Client(t, addr)
		var out []int64
		for _, k := range keys {
			n, err := c.ObjectFreq(ctx, k).Result()
			if err != nil {
				t.Fatalf("%s: OBJECT FREQ %s: %v", addr, k, err)
			}
			out = append(out, n)
		}
		return out
	}
	t.Run("legacy-file", func(t *testing.T) {
		file := legacyV6File(6, false)
		want := freqs(servertest.RedisServer(t, "--dir", writeRDB(t, file), "--maxmemory-policy", "allkeys-lfu"), "s:freq", "s:idle", "s:plain")
		got := freqs(servertest.Start(t, "--dir", writeRDB(t, file), "--maxmemory-policy", "allkeys-lfu").Addr, "s:freq", "s:idle", "s:plain")
		if fmt.Sprint(got) != fmt.Sprint(want) || want[0] != 200 {
			t.Errorf("OBJECT FREQ of s:freq, s:idle, s:plain: respd %v, redis %v", got, want)
		}
	})
	t.Run("lfu", func(t *testing.T) {
		// respd -> Redis.
		dir := t.TempDir()
		in := servertest.Start(t, "--dir", dir, "--maxmemory-policy", "allkeys-lfu")
		c := in.Client(t)
		restored(c, "f77", "FREQ", 77)
		restored(c, "f0", "FREQ", 0)
		c.Set(ctx, "new", "v", 0)
		save(t, in.Addr)
		got := freqs(servertest.RedisServer(t, "--dir", dir, "--maxmemory-policy", "allkeys-lfu"), "f77", "f0", "new")
		if fmt.Sprint(got) != "[77 0 5]" {
			t.Errorf("Redis read counters %v from respd's file, want [77 0 5]", got)
		}
		// Redis -> respd.
		dir = t.TempDir()
		addr := servertest.RedisServer(t, "--dir", dir, "--maxmemory-policy", "allkeys-lfu")
		restored(servertest.Client(t, addr), "f99", "FREQ", 99)
		save(t, addr)
		if got := freqs(servertest.Start(t, "--dir", dir, "--maxmemory-policy", "volatile-lfu").Addr, "f99"); got[0] != 99 {
			t.Errorf("respd read counter %d from Redis's file, want 99", got[0])
		}
		// Under an LRU policy the FREQ record is ignored.
		in = servertest.Start(t, "--dir", dir, "--maxmemory-policy", "allkeys-lru")
		if idle := in.Client(t).ObjectIdleTime(ctx, "f99").Val(); idle > 5*time.Second {
			t.Errorf("a FREQ record gave an idle time of %v under allkeys-lru", idle)
		}
	})
	t.Run("lru", func(t *testing.T) {
		for _, policy := range []string{"allkeys-lru", "noeviction"} {
			dir := t.TempDir()
			in := servertest.Start(t, "--dir", dir, "--maxmemory-policy", policy)
			restored(in.Client(t), "idle", "IDLETIME", 5000)
			save(t, in.Addr)
			r := servertest.Client(t, servertest.RedisServer(t, "--dir", dir, "--maxmemory-policy", policy))
			idle := r.ObjectIdleTime(ctx, "idle").Val()
			// Redis 7.0 records idle times under LRU policies only.
			if want := policy == "allkeys-lru"; want != (idle >= 5000*time.Second && idle < 5010*time.Second) {
				t.Errorf("%s: Redis read an idle time of %v from respd's file", policy, idle)
			}
		}
	})
}
