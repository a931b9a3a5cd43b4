package tests

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// TestStringsSetGet is the course's first storage stage: a value set is
// read back, overwritten, and a missing key reads as nil.
func TestStringsSetGet(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()

	if err := rdb.Set(ctx, "fruit", "banana", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := rdb.Get(ctx, "fruit").Result(); err != nil || got != "banana" {
		t.Fatalf("GET fruit = %q, %v; want banana", got, err)
	}
	if err := rdb.Set(ctx, "fruit", "mango", 0).Err(); err != nil {
		t.Fatalf("SET overwrite: %v", err)
	}
	if got, err := rdb.Get(ctx, "fruit").Result(); err != nil || got != "mango" {
		t.Fatalf("GET after overwrite = %q, %v; want mango", got, err)
	}
	if _, err := rdb.Get(ctx, "nosuchkey").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET missing key: err = %v, want redis.Nil", err)
	}
	// Values are binary safe.
	bin := "a\x00b\r\nc"
	if err := rdb.Set(ctx, "bin", bin, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, _ := rdb.Get(ctx, "bin").Result(); got != bin {
		t.Fatalf("GET bin = %q, want %q", got, bin)
	}
}

// TestStringsExpiry is the expiry stage: SET with PX makes the key vanish
// once its time has passed, checked with a fake clock instead of sleeping.
func TestStringsExpiry(t *testing.T) {
	in := servertest.StartFake(t)
	rdb := in.Client(t)
	ctx := context.Background()

	if err := rdb.Set(ctx, "k", "v", 100*time.Millisecond).Err(); err != nil {
		t.Fatalf("SET PX: %v", err)
	}
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET before expiry = %q, %v; want v", got, err)
	}
	in.Clock.Advance(99 * time.Millisecond)
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET 1ms before expiry = %q, %v; want v", got, err)
	}
	in.Clock.Advance(1 * time.Millisecond)
	if got, err := rdb.Get(ctx, "k").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET at expiry = %q, %v; want redis.Nil", got, err)
	}

	// EX counts in seconds; a plain SET drops the TTL, KEEPTTL keeps it.
	rdb.Set(ctx, "ex", "v", 2*time.Second)
	rdb.Set(ctx, "plain", "v", time.Second)
	rdb.Set(ctx, "plain", "v2", 0)
	rdb.Set(ctx, "kept", "v", time.Second)
	if err := rdb.SetArgs(ctx, "kept", "v2", redis.SetArgs{KeepTTL: true}).Err(); err != nil {
		t.Fatalf("SET KEEPTTL: %v", err)
	}
	in.Clock.Advance(1500 * time.Millisecond)
	if got, _ := rdb.Get(ctx, "ex").Result(); got != "v" {
		t.Fatalf("EX 2 key gone after 1.5s (got %q)", got)
	}
	if got, _ := rdb.Get(ctx, "plain").Result(); got != "v2" {
		t.Fatalf("SET without options kept the old TTL (got %q)", got)
	}
	if _, err := rdb.Get(ctx, "kept").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("SET KEEPTTL lost the TTL: err = %v", err)
	}
	in.Clock.Advance(time.Second)
	if _, err := rdb.Get(ctx, "ex").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("EX 2 key still there after 2.5s: err = %v", err)
	}
}

// TestStringsExpiryRaw checks the exact bytes of the reply for an expired
// key: the RESP2 null bulk string.
func TestStringsExpiryRaw(t *testing.T) {
	in := servertest.StartFake(t)
	conn := in.Raw(t)
	if got := conn.Do("SET", "k", "v", "PX", "100"); got != "+OK\r\n" {
		t.Fatalf("SET PX = %q", got)
	}
	if got := conn.Do("GET", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("GET before expiry = %q", got)
	}
	in.Clock.Advance(150 * time.Millisecond)
	if got := conn.Do("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("GET after expiry = %q, want $-1\\r\\n", got)
	}
}

// TestStringsGetexTTL checks GETEX's TTL changes with the fake clock.
func TestStringsGetexTTL(t *testing.T) {
	in := servertest.StartFake(t)
	conn := in.Raw(t)
	conn.Do("SET", "a", "1")
	conn.Do("SET", "b", "2", "PX", "100")
	if got := conn.Do("GETEX", "a", "PX", "100"); got != "$1\r\n1\r\n" {
		t.Fatalf("GETEX PX = %q", got)
	}
	if got := conn.Do("GETEX", "b", "PERSIST"); got != "$1\r\n2\r\n" {
		t.Fatalf("GETEX PERSIST = %q", got)
	}
	in.Clock.Advance(200 * time.Millisecond)
	if got := conn.Do("GET", "a"); got != "$-1\r\n" {
		t.Fatalf("GETEX PX did not set a TTL: GET = %q", got)
	}
	if got := conn.Do("GET", "b"); got != "$1\r\n2\r\n" {
		t.Fatalf("GETEX PERSIST did not clear the TTL: GET = %q", got)
	}
}

// TestStringsMaxBulkDifferential runs the size-limit script against both
// servers started with a 1mb proto-max-bulk-len, so SETRANGE, APPEND and
// LCS reach their limits without allocating 512mb.
func TestStringsMaxBulkDifferential(t *testing.T) {
	oracle := servertest.RedisServer(t, "--proto-max-bulk-len", "1048576")
	in := servertest.Start(t, "--proto-max-bulk-len", "1048576")
	servertest.Diff(t, in.Addr, oracle, "testdata/maxbulk/*.txt")
}
