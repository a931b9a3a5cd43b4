package tests

import (
	"context"
	"regexp"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// TestDifferentialDebug runs the DEBUG scripts against both servers
// started with the DEBUG command enabled.
func TestDifferentialDebug(t *testing.T) {
	oracle := servertest.RedisServer(t, "--enable-debug-command", "yes")
	in := servertest.Start(t, "--enable-debug-command", "yes")
	servertest.Diff(t, in.Addr, oracle, "testdata/diff/introspect_debug/*.txt")
}

func TestSlowlogDebugSleep(t *testing.T) {
	ctx := context.Background()
	in := servertest.Start(t, "--enable-debug-command", "yes")
	c := in.Client(t)
	must(t, c.ConfigSet(ctx, "slowlog-log-slower-than", "100000").Err())
	must(t, c.SlowLogReset(ctx).Err())
	must(t, c.Set(ctx, "fast", "x", 0).Err())
	must(t, c.Do(ctx, "CLIENT", "SETNAME", "sleeper").Err())
	must(t, c.Do(ctx, "DEBUG", "SLEEP", "0.2").Err())
	entries, err := c.SlowLogGet(ctx, -1).Result()
	must(t, err)
	if len(entries) != 1 {
		t.Fatalf("want only DEBUG SLEEP logged, got %+v", entries)
	}
	e := entries[0]
	if strings.Join(e.Args, " ") != "DEBUG SLEEP 0.2" {
		t.Errorf("args %q", e.Args)
	}
	if e.Duration < 200*time.Millisecond || e.Duration > 2*time.Second {
		t.Errorf("duration %v, want about 200ms", e.Duration)
	}
	if e.ClientName != "sleeper" || e.ClientAddr == "" {
		t.Errorf("client %q %q", e.ClientAddr, e.ClientName)
	}
	if d := time.Since(e.Time); d < 0 || d > time.Minute {
		t.Errorf("time %v", e.Time)
	}
	if n, _ := c.Do(ctx, "SLOWLOG", "LEN").Int64(); n != 1 {
		t.Errorf("LEN %d", n)
	}
}

func TestSlowlogTruncation(t *testing.T) {
	ctx := context.Background()
	in := servertest.Start(t)
	c := in.Client(t)
	must(t, c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err())
	long := strings.Repeat("x", 200)
	must(t, c.Set(ctx, "k", long, 0).Err())
	args := []any{"SADD", "set"}
	for i := 0; i < 40; i++ {
		args = append(args, strconv.Itoa(i))
	}
	must(t, c.Do(ctx, args...).Err())
	must(t, c.Do(ctx, "CONFIG", "SET", "masterauth", "secret").Err())
	entries, err := c.SlowLogGet(ctx, 3).Result()
	must(t, err)
	if len(entries) != 3 {
		t.Fatalf("got %d entries", len(entries))
	}
	if got := entries[0].Args; strings.Join(got, " ") != "CONFIG SET masterauth (redacted)" {
		t.Errorf("redaction: %q", got)
	}
	sadd := entries[1].Args
	if len(sadd) != 32 || sadd[31] != "... (11 more arguments)" || sadd[30] != "28" {
		t.Errorf("argument limit: %d args, last %q", len(sadd), sadd[len(sadd)-1])
	}
	set := entries[2].Args
	if len(set) != 3 || set[2] != strings.Repeat("x", 128)+"... (72 more bytes)" {
		t.Errorf("string limit: %q", set)
	}
	if entries[0].ID != entries[1].ID+1 || entries[1].ID != entries[2].ID+1 {
		t.Errorf("ids not consecutive newest first: %d %d %d", entries[0].ID, entries[1].ID, entries[2].ID)
	}
}

func TestSlowlogGetCountAndMaxLen(t *testing.T) {
	ctx := context.Background()
	in := servertest.Start(t)
	c := in.Client(t)
	must(t, c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err())
	for i := 0; i < 20; i++ {
		must(t, c.Ping(ctx).Err())
	}
	// CONFIG SET and the PINGs make 21 entries; each GET is logged after
	// it replies, so the fifth GET sees the four before it too.
	for _, tc := range []struct{ count, want int64 }{{-1, 21}, {0, 0}, {1, 1}, {5, 5}, {100, 25}} {
		got, err := c.SlowLogGet(ctx, tc.count).Result()
		must(t, err)
		if int64(len(got)) != tc.want {
			t.Errorf("GET %d: %d entries, want %d", tc.count, len(got), tc.want)
		}
	}
	def, err := c.Do(ctx, "SLOWLOG", "GET").Slice()
	must(t, err)
	if len(def) != 10 {
		t.Errorf("GET without count: %d entries, want 10", len(def))
	}
	must(t, c.ConfigSet(ctx, "slowlog-max-len", "4").Err())
	if n, _ := c.Do(ctx, "SLOWLOG", "LEN").Int64(); n != 4 {
		t.Errorf("LEN after max-len 4: %d", n)
	}
}

func TestLatencyAfterDebugSleep(t *testing.T) {
	ctx := context.Background()
	in := servertest.Start(t, "--enable-debug-command", "yes")
	c := in.Client(t)
	latest, err := c.Do(ctx, "LATENCY", "LATEST").Slice()
	must(t, err)
	if len(latest) != 0 {
		t.Fatalf("events before any threshold: %v", latest)
	}
	must(t, c.ConfigSet(ctx, "latency-monitor-threshold", "50").Err())
	must(t, c.Do(ctx, "DEBUG", "SLEEP", "0.1").Err())
	must(t, c.Ping(ctx).Err())
	latest, err = c.Do(ctx, "LATENCY", "LATEST").Slice()
	must(t, err)
	if len(latest) != 1 {
		t.Fatalf("LATEST: %v", latest)
	}
	ev := latest[0].([]any)
	if ev[0] != "command" || ev[2].(int64) < 100 || ev[3].(int64) < ev[2].(int64) {
		t.Errorf("LATEST entry %v", ev)
	}
	if d := time.Now().Unix() - ev[1].(int64); d < 0 || d > 60 {
		t.Errorf("sample time %v", ev[1])
	}
	hist, err := c.Do(ctx, "LATENCY", "HISTORY", "command").Slice()
	must(t, err)
	if len(hist) != 1 {
		t.Errorf("HISTORY: %v", hist)
	}
	doc, err := c.Do(ctx, "LATENCY", "DOCTOR").Text()
	must(t, err)
	if !strings.Contains(doc, "1. command: 1 latency spikes") {
		t.Errorf("DOCTOR: %q", doc)
	}
	graph, err := c.Do(ctx, "LATENCY", "GRAPH", "command").Text()
	must(t, err)
	if !strings.HasPrefix(graph, "command - high ") {
		t.Errorf("GRAPH: %q", graph)
	}
	if n, _ := c.Do(ctx, "LATENCY", "RESET", "command", "nosuch").Int64(); n != 1 {
		t.Errorf("RESET: %d", n)
	}
	if latest, _ = c.Do(ctx, "LATENCY", "LATEST").Slice(); len(latest) != 0 {
		t.Errorf("LATEST after RESET: %v", latest)
	}
}

func TestDebugSetActiveExpire(t *testing.T) {
	ctx := context.Background()
	in := servertest.Start(t, "--enable-debug-command", "yes", "--hz", "100")
	c := in.Client(t)
	must(t, c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err())
	for i := 0; i < 10; i++ {
		must(t, c.Set(ctx, "k"+strconv.Itoa(i), "v", 20*time.Millisecond).Err())
	}
	time.Sleep(300 * time.Millisecond) // many cron runs at hz 100
	if n, _ := c.DBSize(ctx).Result(); n != 10 {
		t.Fatalf("DBSIZE with active expiry off: %d, want 10", n)
	}
	if n, _ := c.Exists(ctx, "k0").Result(); n != 0 {
		t.Errorf("expired key still readable")
	}
	if n, _ := c.DBSize(ctx).Result(); n != 9 {
		t.Errorf("DBSIZE after reading one: %d, want 9", n)
	}
	must(t, c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "1").Err())
	deadline := time.Now().Add(3 * time.Second)
	for {
		n, _ := c.DBSize(ctx).Result()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE %d after re-enabling active expiry", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDebugObjectAndMemoryUsage(t *testing.T) {
	ctx := context.Background()
	in := servertest.Start(t, "--enable-debug-command", "yes")
	c := in.Client(t)
	must(t, c.Set(ctx, "s", "hello", 0).Err())
	must(t, c.Set(ctx, "n", "123", 0).Err())
	line := regexp.MustCompile(`^Value at:0x[0-9a-f]+ refcount:(\d+) encoding:(\w+) serializedlength:(\d+) lru:\d+ lru_seconds_idle:\d+$`)
	for _, tc := range []struct{ key, refcount, enc, serlen string }{
		{"s", "1", "embstr", "6"},
		{"n", "2147483647", "int", "2"},
	} {
		got, err := c.Do(ctx, "DEBUG", "OBJECT", tc.key).Text()
		must(t, err)
		m := line.FindStringSubmatch(got)
		if m == nil || m[1] != tc.refcount || m[2] != tc.enc || m[3] != tc.serlen {
			t.Errorf("DEBUG OBJECT %s: %q", tc.key, got)
		}
	}
	small, err := c.MemoryUsage(ctx, "s").Result()
	must(t, err)
	must(t, c.Set(ctx, "big", strings.Repeat("x", 10000), 0).Err())
	big, err := c.MemoryUsage(ctx, "big").Result()
	must(t, err)
	if small <= 5 || big < 10000 || big > 11000 {
		t.Errorf("MEMORY USAGE small %d big %d", small, big)
	}
	for i := 0; i < 100; i++ {
		must(t, c.SAdd(ctx, "set", strings.Repeat("m", 50)+strconv.Itoa(i)).Err())
	}
	all, err := c.MemoryUsage(ctx, "set", 0).Result()
	must(t, err)
	if all < 100*50 {
		t.Errorf("MEMORY USAGE of a 100-member set: %d", all)
	}
	stats, err := c.Do(ctx, "MEMORY", "STATS").Slice()
	must(t, err)
	names := map[string]bool{}
	for i := 0; i+1 < len(stats); i += 2 {
		names[stats[i].(string)] = true
	}
	for _, want := range []string{"peak.allocated", "total.allocated", "db.0", "keys.count", "dataset.bytes", "fragmentation"} {
		if !names[want] {
			t.Errorf("MEMORY STATS lacks %s", want)
		}
	}
}

// TestMemoryPurgeCollects checks that MEMORY PURGE, which Redis answers
// after its allocator has purged, runs a collection here (the runtime
// counts it as forced) before it replies OK.
func TestMemoryPurgeCollects(t *testing.T) {
	ctx := context.Background()
	c := servertest.Start(t).Client(t)
	forced := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	metrics.Read(forced)
	before := forced[0].Value.Uint64()
	if got, err := c.Do(ctx, "MEMORY", "PURGE").Text(); err != nil || got != "OK" {
		t.Fatalf("MEMORY PURGE: %q %v", got, err)
	}
	metrics.Read(forced)
	if after := forced[0].Value.Uint64(); after == before {
		t.Errorf("MEMORY PURGE forced no collection (%d forced before and after)", after)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
}
