package tests

import (
	"context"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// pfaddRange adds elements "<prefix><from>".."<prefix><to-1>" to key.
func pfaddRange(t *testing.T, rdb *redis.Client, key, prefix string, from, to int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i < to; i += 500 {
		var els []any
		for j := i; j < min(to, i+500); j++ {
			els = append(els, prefix+strconv.Itoa(j))
		}
		if err := rdb.PFAdd(ctx, key, els...).Err(); err != nil {
			t.Fatalf("PFADD %s: %v", key, err)
		}
	}
}

// TestHLLInterchange moves HyperLogLog values between the real
// redis-server and respd with GET and SET, sparse and dense, in both
// directions: the receiving server must count them the same, keep
// updating them to the same bytes, and (for PFCOUNT's cache) write the
// same header.
func TestHLLInterchange(t *testing.T) {
	oracle := servertest.Client(t, servertest.RedisServer(t))
	ours := servertest.Start(t).Client(t)
	ctx := context.Background()
	servers := map[string]*redis.Client{"redis": oracle, "respd": ours}

	for _, n := range []int{0, 1, 200, 1500, 5000, 50000} {
		for _, from := range []string{"redis", "respd"} {
			to := "respd"
			if from == "respd" {
				to = "redis"
			}
			src, dst := servers[from], servers[to]
			key := "hll:" + strconv.Itoa(n)
			src.Del(ctx, key)
			dst.Del(ctx, key)
			src.PFAdd(ctx, key)
			pfaddRange(t, src, key, "x", 0, n)
			val, err := src.Get(ctx, key).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if err := dst.Set(ctx, key, val, 0).Err(); err != nil {
				t.Fatal(err)
			}
			want, err1 := src.PFCount(ctx, key).Result()
			got, err2 := dst.PFCount(ctx, key).Result()
			if err1 != nil || err2 != nil || got != want {
				t.Fatalf("n=%d, %s to %s: PFCOUNT %d (%v), source says %d (%v)", n, from, to, got, err2, want, err1)
			}
			if n >= 200 && (want < int64(n)*9/10 || want > int64(n)*11/10) {
				t.Errorf("n=%d: estimate %d is off by more than 10%%", n, want)
			}
			// The count cached by PFCOUNT leaves identical bytes.
			a, _ := src.Get(ctx, key).Bytes()
			b, _ := dst.Get(ctx, key).Bytes()
			if string(a) != string(b) {
				t.Fatalf("n=%d, %s to %s: values differ after PFCOUNT", n, from, to)
			}
			// Both keep changing the value the same way.
			for _, c := range []*redis.Client{src, dst} {
				pfaddRange(t, c, key, "y", 0, 300)
			}
			a, _ = src.Get(ctx, key).Bytes()
			b, _ = dst.Get(ctx, key).Bytes()
			if string(a) != string(b) {
				t.Fatalf("n=%d, %s to %s: values differ after more PFADDs (%d vs %d bytes)", n, from, to, len(a), len(b))
			}
			if x, y := src.PFCount(ctx, key).Val(), dst.PFCount(ctx, key).Val(); x != y {
				t.Fatalf("n=%d, %s to %s: PFCOUNT %d vs %d after more PFADDs", n, from, to, x, y)
			}
		}
	}

	// A value merged in one server and copied to the other counts the same
	// there, alone and together with the other server's own values.
	pfaddRange(t, oracle, "m1", "m", 0, 3000)
	pfaddRange(t, ours, "m2", "m", 2000, 4000)
	if err := oracle.PFMerge(ctx, "merged", "m1").Err(); err != nil {
		t.Fatal(err)
	}
	val, _ := oracle.Get(ctx, "merged").Bytes()
	ours.Set(ctx, "merged", val, 0)
	m2, _ := ours.Get(ctx, "m2").Bytes()
	oracle.Set(ctx, "m2", m2, 0)
	for _, keys := range [][]string{{"merged"}, {"merged", "m2"}, {"m2", "merged", "nokey"}} {
		want := oracle.PFCount(ctx, keys...).Val()
		if got := ours.PFCount(ctx, keys...).Val(); got != want || want == 0 {
			t.Errorf("PFCOUNT %v: respd %d, redis %d", keys, got, want)
		}
	}
	for _, c := range []*redis.Client{oracle, ours} {
		if err := c.PFMerge(ctx, "merged", "m2").Err(); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := oracle.Get(ctx, "merged").Bytes()
	b, _ := ours.Get(ctx, "merged").Bytes()
	if string(a) != string(b) {
		t.Fatal("PFMERGE of the copied values left different bytes")
	}
}

// TestPFSelfTest: respd's HyperLogLog self-test passes (redis-server's
// own is randomized and too flaky to serve as a differential oracle).
func TestPFSelfTest(t *testing.T) {
	in := servertest.Start(t)
	if r := in.Raw(t).Do("PFSELFTEST"); r != "+OK\r\n" {
		t.Fatalf("PFSELFTEST: %q", r)
	}
}
