package tests

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// TestScanAcrossResize checks SCAN's guarantee: a key present for the
// whole iteration is returned at least once, even while the table doubles
// several times and then halves several times between calls.
func TestScanAcrossResize(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()

	const stable = 300
	setKeys(t, rdb, "stable:", 0, stable)

	const growSteps, batch = 30, 1000
	seen := map[string]bool{}
	var cursor uint64
	step := 0
	for {
		keys, next, err := rdb.Scan(ctx, cursor, "", 20).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, "stable:") && !strings.HasPrefix(k, "churn:") {
				t.Fatalf("SCAN returned %q, which was never set", k)
			}
			seen[k] = true
		}
		cursor = next
		if cursor == 0 {
			break
		}
		// Grow to 30,300 keys (the table doubles about seven times), then
		// delete the churn keys again (it halves about as often).
		switch {
		case step < growSteps:
			setKeys(t, rdb, "churn:", step*batch, (step+1)*batch)
		case step < 2*growSteps:
			delKeys(t, rdb, "churn:", (step-growSteps)*batch, (step-growSteps+1)*batch)
		}
		step++
	}
	if step < 2*growSteps {
		t.Fatalf("the scan ended after %d calls, before the table had grown and shrunk; the test proves nothing", step)
	}
	if n := rdb.DBSize(ctx).Val(); n != stable {
		t.Fatalf("DBSIZE = %d after the churn, want %d", n, stable)
	}
	for i := 0; i < stable; i++ {
		if k := "stable:" + strconv.Itoa(i); !seen[k] {
			t.Errorf("SCAN never returned %s, present throughout", k)
		}
	}
}

// TestScanReturnsEveryKeyOnce checks a full iteration on a stable table
// returns each key exactly once (no resize, so no duplicates either).
func TestScanReturnsEveryKeyOnce(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	setKeys(t, rdb, "k:", 0, 1000)
	count := map[string]int{}
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, "k:1*", 7).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			count[k]++
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	// k:1, k:10-k:19, k:100-k:199.
	if len(count) != 111 {
		t.Errorf("SCAN MATCH k:1* found %d keys, want 111", len(count))
	}
	for k, n := range count {
		if !strings.HasPrefix(k, "k:1") || n != 1 {
			t.Errorf("%s returned %d times", k, n)
		}
	}
}

// TestActiveExpiry checks the cron reclaims expired keys nobody reads:
// DBSIZE counts expired-but-present keys, so it only drops when the
// server deletes them on its own.
func TestActiveExpiry(t *testing.T) {
	in := servertest.StartFake(t)
	rdb := in.Client(t)
	ctx := context.Background()

	pipe := rdb.Pipeline()
	for i := 0; i < 1000; i++ {
		pipe.Set(ctx, "ttl:"+strconv.Itoa(i), "v", 100*time.Millisecond)
	}
	pipe.Do(ctx, "SELECT", 1)
	for i := 0; i < 10; i++ {
		pipe.Set(ctx, "keep:"+strconv.Itoa(i), "v", 0)
	}
	pipe.Do(ctx, "SELECT", 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// The fake clock has not moved, so nothing can have expired yet.
	if n := rdb.DBSize(ctx).Val(); n != 1000 {
		t.Fatalf("DBSIZE = %d before the clock moved, want 1000", n)
	}
	in.Clock.Advance(time.Second)

	deadline := time.Now().Add(10 * time.Second)
	for rdb.DBSize(ctx).Val() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE still %d after 10s: active expiry did not reclaim the keys", rdb.DBSize(ctx).Val())
		}
		time.Sleep(20 * time.Millisecond)
	}
	info := rdb.Info(ctx, "stats").Val()
	if !strings.Contains(info, "expired_keys:1000\r\n") {
		t.Errorf("INFO stats does not count 1000 expired keys:\n%s", info)
	}
	// Keys without a TTL, in another database, are untouched.
	conn := rdb.Conn()
	defer conn.Close()
	conn.Select(ctx, 1)
	if n := conn.DBSize(ctx).Val(); n != 10 {
		t.Errorf("db 1 DBSIZE = %d, want 10", n)
	}
}

// TestRenameKeepsTTLAndCopyIsDeep drives RENAME, COPY and MOVE through
// go-redis, checking what byte comparisons cannot: the TTL values moved
// and the copy's independence.
func TestRenameKeepsTTLAndCopyIsDeep(t *testing.T) {
	in := servertest.StartFake(t)
	rdb := in.Client(t)
	ctx := context.Background()

	rdb.Set(ctx, "a", "hello", time.Hour)
	if err := rdb.Rename(ctx, "a", "b").Err(); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, "b").Val(); ttl != time.Hour {
		t.Errorf("PTTL after RENAME = %v, want 1h (fake clock)", ttl)
	}
	if n := rdb.Copy(ctx, "b", "c", 0, false).Val(); n != 1 {
		t.Fatalf("COPY = %d", n)
	}
	if ttl := rdb.PTTL(ctx, "c").Val(); ttl != time.Hour {
		t.Errorf("PTTL of the copy = %v, want 1h", ttl)
	}
	rdb.Set(ctx, "c", "changed", redis.KeepTTL)
	if v := rdb.Get(ctx, "b").Val(); v != "hello" {
		t.Errorf("original became %q after the copy changed", v)
	}
	if !rdb.Move(ctx, "b", 3).Val() {
		t.Fatal("MOVE failed")
	}
	conn := rdb.Conn()
	defer conn.Close()
	conn.Select(ctx, 3)
	if ttl := conn.PTTL(ctx, "b").Val(); ttl != time.Hour {
		t.Errorf("PTTL after MOVE = %v, want 1h", ttl)
	}
	in.Clock.Advance(time.Hour)
	if n := conn.Exists(ctx, "b").Val(); n != 0 {
		t.Errorf("moved key outlived its TTL")
	}
}

func setKeys(t *testing.T, rdb *redis.Client, prefix string, from, to int) {
	t.Helper()
	ctx := context.Background()
	pipe := rdb.Pipeline()
	for i := from; i < to; i++ {
		pipe.Set(ctx, prefix+strconv.Itoa(i), "v", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func delKeys(t *testing.T, rdb *redis.Client, prefix string, from, to int) {
	t.Helper()
	keys := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		keys = append(keys, prefix+strconv.Itoa(i))
	}
	n, err := rdb.Del(context.Background(), keys...).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(keys)) {
		t.Fatalf("DEL removed %d of %d keys", n, len(keys))
	}
}

// TestIdleTime checks which commands count as an access: inspecting a
// key (TYPE, EXISTS, TTL, OBJECT) leaves OBJECT IDLETIME running, reading
// it (GET, TOUCH) resets it.
func TestIdleTime(t *testing.T) {
	in := servertest.StartFake(t)
	rdb := in.Client(t)
	ctx := context.Background()
	rdb.Set(ctx, "k", "v", 0)
	in.Clock.Advance(5 * time.Second)
	rdb.Type(ctx, "k")
	rdb.Exists(ctx, "k")
	rdb.TTL(ctx, "k")
	rdb.ObjectEncoding(ctx, "k")
	if idle := rdb.ObjectIdleTime(ctx, "k").Val(); idle != 5*time.Second {
		t.Errorf("IDLETIME after inspecting = %v, want 5s", idle)
	}
	rdb.Get(ctx, "k")
	if idle := rdb.ObjectIdleTime(ctx, "k").Val(); idle != 0 {
		t.Errorf("IDLETIME after GET = %v, want 0", idle)
	}
	in.Clock.Advance(3 * time.Second)
	if n := rdb.Touch(ctx, "k", "missing").Val(); n != 1 {
		t.Errorf("TOUCH = %d, want 1", n)
	}
	if idle := rdb.ObjectIdleTime(ctx, "k").Val(); idle != 0 {
		t.Errorf("IDLETIME after TOUCH = %v, want 0", idle)
	}
}
