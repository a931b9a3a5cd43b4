package tests

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// populateSmall writes listpack-encoded sorted sets and hashes whose
// listpacks exercise every entry encoding: scores that are integers of
// every width, floats, infinities, -0, members and values that look like
// integers, empty strings, long entries, and the largest sizes the
// default thresholds allow.
func populateSmall(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	p := c.Pipeline()
	do := func(args ...any) { p.Do(ctx, args...) }
	scores := []string{"0", "-0", "1", "-1", "127", "128", "-4096", "4095", "32767", "-32768", "8388607",
		"-8388608", "2147483647", "-2147483648", "1234567890123", "4611686018427387904",
		"4611686018427387905", "-4611686018427387904", "9007199254740993", "1e20", "0.1", "2.5",
		"-1e-300", "1e300", "inf", "-inf", "4.9406564584124654e-324"}
	args := []any{"ZADD", "z:shapes"}
	for i, s := range scores {
		args = append(args, s, fmt.Sprint("m", i))
	}
	do(args...)
	do("ZADD", "z:intmembers", 1, "12", 2, "-7", 3, "", 4, "9223372036854775807", 5, "007")
	args = []any{"ZADD", "z:full"}
	for i := range 128 {
		args = append(args, i*1000003, fmt.Sprintf("member:%08d", i))
	}
	do(args...)
	do("ZADD", "z:longest", 1, strings.Repeat("m", 64), 2, strings.Repeat("n", 63))
	args = []any{"HSET", "h:full"}
	for i := range 512 {
		args = append(args, fmt.Sprint("field:", i), fmt.Sprintf("value:%08d", i))
	}
	do(args...)
	do("HSET", "h:ints", "1", "-1", "12345", "4611686018427387904", "", "", "x", "007", "big", "123456789012345678901")
	do("HSET", "h:longest", strings.Repeat("f", 64), strings.Repeat("v", 64), "short", strings.Repeat("w", 40))
	do("HSET", "h:ordered", "z", "1", "a", "2", "m", "3")
	if _, err := p.Exec(ctx); err != nil {
		t.Fatalf("populateSmall: %v", err)
	}
}

// hashOrders is each hash's HGETALL reply in the server's order: a
// listpack hash replies in insertion order, which a file must keep.
func hashOrders(t *testing.T, addr string) map[string]string {
	t.Helper()
	ctx := context.Background()
	c := servertest.Client(t, addr)
	out := map[string]string{}
	for _, k := range []string{"h:full", "h:ints", "h:longest", "h:ordered"} {
		v, err := c.Do(ctx, "HGETALL", k).Result()
		if err != nil {
			t.Fatalf("HGETALL %s: %v", k, err)
		}
		out[k] = fmt.Sprint(v)
	}
	return out
}

// TestSmallCollectionsRDB moves listpack sorted sets and hashes between
// respd and real redis-server through RDB files, both ways, with and
// without compression: respd writes them as Redis's listpack types, and
// each side must load the same values, orders and encodings.
func TestSmallCollectionsRDB(t *testing.T) {
	for _, compress := range []string{"yes", "no"} {
		t.Run("to-redis/rdbcompression="+compress, func(t *testing.T) {
			dir := t.TempDir()
			in := servertest.Start(t, "--dir", dir, "--rdbcompression", compress)
			populateSmall(t, in.Addr)
			save(t, in.Addr)
			want, wantOrder := servertest.Dataset(t, in.Addr), hashOrders(t, in.Addr)
			if !strings.Contains(want["0/z:shapes"], "listpack") || !strings.Contains(want["0/h:full"], "listpack") {
				t.Fatalf("respd did not keep the small collections as listpacks: %.80s / %.80s", want["0/z:shapes"], want["0/h:full"])
			}
			redisAddr := servertest.RedisServer(t, "--dir", dir)
			if d := servertest.DiffDatasets(want, servertest.Dataset(t, redisAddr)); d != "" {
				t.Fatalf("Redis loaded a different dataset from respd's file:\n%s", d)
			}
			if got := hashOrders(t, redisAddr); fmt.Sprint(got) != fmt.Sprint(wantOrder) {
				t.Fatalf("hash orders after Redis loaded respd's file:\n%v\nwant\n%v", got, wantOrder)
			}
		})
		t.Run("from-redis/rdbcompression="+compress, func(t *testing.T) {
			src := t.TempDir()
			redisAddr := servertest.RedisServer(t, "--dir", src, "--rdbcompression", compress)
			populateSmall(t, redisAddr)
			save(t, redisAddr)
			want, wantOrder := servertest.Dataset(t, redisAddr), hashOrders(t, redisAddr)
			dir := t.TempDir()
			copyFile(t, filepath.Join(src, "dump.rdb"), filepath.Join(dir, "dump.rdb"))
			in := servertest.Start(t, "--dir", dir)
			if d := servertest.DiffDatasets(want, servertest.Dataset(t, in.Addr)); d != "" {
				t.Fatalf("respd loaded a different dataset from Redis's file:\n%s", d)
			}
			if got := hashOrders(t, in.Addr); fmt.Sprint(got) != fmt.Sprint(wantOrder) {
				t.Fatalf("hash orders after respd loaded Redis's file:\n%v\nwant\n%v", got, wantOrder)
			}
		})
	}
}

// TestSmallCollectionsDump restores respd's DUMP payloads of listpack
// sorted sets and hashes (LZF-compressed when long) into real Redis and
// Redis's into respd.
func TestSmallCollectionsDump(t *testing.T) {
	ctx := context.Background()
	in := servertest.Start(t)
	redisAddr := servertest.RedisServer(t)
	populateSmall(t, in.Addr)
	populateSmall(t, redisAddr)
	r, o := servertest.Client(t, in.Addr), servertest.Client(t, redisAddr)
	for _, k := range []string{"z:shapes", "z:intmembers", "z:full", "z:longest", "h:full", "h:ints", "h:longest", "h:ordered"} {
		for _, dir := range []struct {
			name     string
			from, to *redis.Client
		}{{"respd->redis", r, o}, {"redis->respd", o, r}} {
			payload, err := dir.from.Dump(ctx, k).Result()
			if err != nil {
				t.Fatalf("%s: DUMP %s: %v", dir.name, k, err)
			}
			if err := dir.to.Restore(ctx, k+":restored", 0, payload).Err(); err != nil {
				t.Fatalf("%s: RESTORE %s: %v", dir.name, k, err)
			}
		}
	}
	want, got := servertest.Dataset(t, redisAddr), servertest.Dataset(t, in.Addr)
	if d := servertest.DiffDatasets(want, got); d != "" {
		t.Fatalf("datasets differ after restoring each other's payloads:\n%s", d)
	}
	if w, g := hashOrders(t, redisAddr), hashOrders(t, in.Addr); fmt.Sprint(w) != fmt.Sprint(g) {
		t.Fatalf("hash orders differ: redis %v, respd %v", w, g)
	}
}
