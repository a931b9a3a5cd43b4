package tests

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// zsetBlocked reads INFO's blocked_clients.
func zsetBlocked(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	info, err := rdb.Info(context.Background(), "clients").Result()
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(info, "blocked_clients:")
	if i < 0 {
		t.Fatalf("INFO clients has no blocked_clients: %q", info)
	}
	v, _, _ := strings.Cut(info[i+len("blocked_clients:"):], "\r\n")
	return v
}

// zsetWaitBlocked waits until n clients are parked, so a test knows the
// order in which its clients blocked.
func zsetWaitBlocked(t *testing.T, rdb *redis.Client, n int) {
	t.Helper()
	want := fmt.Sprint(n)
	deadline := time.Now().Add(5 * time.Second)
	for zsetBlocked(t, rdb) != want {
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients never reached %s (now %s)", want, zsetBlocked(t, rdb))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type popResult struct {
	z   *redis.ZWithKey
	err error
}

// TestBZPopMinServesWaitersFIFO parks three clients on one key, one after
// the other, and adds three members in one command: the first to block
// gets the lowest score, and so on.
func TestBZPopMinServesWaitersFIFO(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Client(t)
	ctx := context.Background()
	var results []chan popResult
	for i := 0; i < 3; i++ {
		c := in.Client(t)
		ch := make(chan popResult, 1)
		go func() {
			z, err := c.BZPopMin(ctx, 0, "nokey", "z").Result()
			ch <- popResult{z, err}
		}()
		results = append(results, ch)
		zsetWaitBlocked(t, admin, i+1)
	}
	if err := admin.ZAdd(ctx, "z", redis.Z{Score: 3, Member: "c"}, redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}).Err(); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"a", "b", "c"} {
		select {
		case r := <-results[i]:
			if r.err != nil {
				t.Fatalf("waiter %d: %v", i, r.err)
			}
			if r.z.Key != "z" || r.z.Member != want || r.z.Score != float64(i+1) {
				t.Fatalf("waiter %d got %+v, want z/%s/%d", i, *r.z, want, i+1)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("waiter %d was never served", i)
		}
	}
	if n := admin.Exists(ctx, "z").Val(); n != 0 {
		t.Fatalf("the emptied set still exists")
	}
	zsetWaitBlocked(t, admin, 0)
}

// TestBZPopMaxFromTheKeyThatChanged blocks on two keys and serves from the
// one that received data.
func TestBZPopMaxFromTheKeyThatChanged(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Client(t)
	ctx := context.Background()
	c := in.Client(t)
	ch := make(chan popResult, 1)
	go func() {
		z, err := c.BZPopMax(ctx, 0, "k1", "k2").Result()
		ch <- popResult{z, err}
	}()
	zsetWaitBlocked(t, admin, 1)
	admin.ZAdd(ctx, "k2", redis.Z{Score: 1, Member: "low"}, redis.Z{Score: 9, Member: "high"})
	r := <-ch
	if r.err != nil || r.z.Key != "k2" || r.z.Member != "high" || r.z.Score != 9 {
		t.Fatalf("got %+v, %v", r.z, r.err)
	}
	if m := admin.ZRange(ctx, "k2", 0, -1).Val(); len(m) != 1 || m[0] != "low" {
		t.Fatalf("k2 left with %v", m)
	}
}

// TestBZPopMinTimeout returns nil after the timeout, no sooner.
func TestBZPopMinTimeout(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	// go-redis rounds durations up to whole seconds, so the fractional
	// timeout is sent as text.
	start := time.Now()
	err := rdb.Do(ctx, "BZPOPMIN", "nokey", "0.15").Err()
	elapsed := time.Since(start)
	if !errors.Is(err, redis.Nil) {
		t.Fatalf("err = %v, want redis.Nil", err)
	}
	if elapsed < 140*time.Millisecond || elapsed > 3*time.Second {
		t.Fatalf("timed out after %v, want about 150ms", elapsed)
	}
	// The connection is usable afterwards.
	if err := rdb.ZAdd(ctx, "k", redis.Z{Score: 1, Member: "m"}).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestBZPopMinTimeoutByFakeClock times a waiter out by the keyspace clock.
func TestBZPopMinTimeoutByFakeClock(t *testing.T) {
	in := servertest.StartFake(t)
	admin := in.Client(t)
	c := in.Raw(t)
	c.Write(servertest.Encode("BZPOPMIN", "k", "1.5"))
	zsetWaitBlocked(t, admin, 1)
	in.Clock.Advance(1499 * time.Millisecond)
	if got, err := c.ReadErr(300 * time.Millisecond); err == nil {
		t.Fatalf("answered %q before the timeout", got)
	}
	in.Clock.Advance(time.Millisecond)
	if got, err := c.ReadErr(5 * time.Second); err != nil || got != "*-1\r\n" {
		t.Fatalf("got %q, %v; want a null array", got, err)
	}
}

// TestBZPopWaiterIgnoresOtherTypes keeps a waiter parked while its key
// holds a string, and serves it once the key holds a sorted set, as Redis
// 7.0 does.
func TestBZPopWaiterIgnoresOtherTypes(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Client(t)
	ctx := context.Background()
	c := in.Raw(t)
	c.Write(servertest.Encode("BZPOPMIN", "k", "0"))
	zsetWaitBlocked(t, admin, 1)
	admin.Set(ctx, "k", "string", 0)
	if got, err := c.ReadErr(100 * time.Millisecond); err == nil {
		t.Fatalf("the waiter was answered %q when the key became a string", got)
	}
	admin.Del(ctx, "k")
	admin.ZAdd(ctx, "k", redis.Z{Score: 5, Member: "m"})
	if got := c.Read(); got != "*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n5\r\n" {
		t.Fatalf("got %q", got)
	}
}

type mpopResult struct {
	key string
	zs  []redis.Z
	err error
}

// TestBZMPopFIFOWithCount parks two BZMPOP MIN COUNT 2 clients: one ZADD
// of five members serves the first the two lowest, the second the next
// two, and leaves one.
func TestBZMPopFIFOWithCount(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Client(t)
	ctx := context.Background()
	var results []chan mpopResult
	for i := 0; i < 2; i++ {
		c := in.Client(t)
		ch := make(chan mpopResult, 1)
		go func() {
			key, zs, err := c.BZMPop(ctx, 0, "min", 2, "other", "z").Result()
			ch <- mpopResult{key, zs, err}
		}()
		results = append(results, ch)
		zsetWaitBlocked(t, admin, i+1)
	}
	var members []redis.Z
	for i := 5; i >= 1; i-- {
		members = append(members, redis.Z{Score: float64(i), Member: fmt.Sprint("m", i)})
	}
	admin.ZAdd(ctx, "z", members...)
	for i, want := range [][]string{{"m1", "m2"}, {"m3", "m4"}} {
		r := <-results[i]
		if r.err != nil || r.key != "z" || len(r.zs) != 2 || r.zs[0].Member != want[0] || r.zs[1].Member != want[1] {
			t.Fatalf("waiter %d got %s %v %v, want %v", i, r.key, r.zs, r.err, want)
		}
	}
	if m := admin.ZRange(ctx, "z", 0, -1).Val(); len(m) != 1 || m[0] != "m5" {
		t.Fatalf("z left with %v", m)
	}
}

// TestBZMPopTimeoutAndImmediate covers the timeout (nil) and the case
// with data present (served at once, MAX order).
func TestBZMPopTimeoutAndImmediate(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	start := time.Now()
	if err := rdb.Do(ctx, "BZMPOP", "0.1", "2", "a", "b", "MAX").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("err = %v, want redis.Nil", err)
	}
	if elapsed := time.Since(start); elapsed < 90*time.Millisecond || elapsed > 3*time.Second {
		t.Fatalf("timed out after %v", elapsed)
	}
	rdb.ZAdd(ctx, "b", redis.Z{Score: 1, Member: "x"}, redis.Z{Score: 2, Member: "y"}, redis.Z{Score: 3, Member: "z"})
	key, zs, err := rdb.BZMPop(ctx, time.Second, "max", 2, "a", "b").Result()
	if err != nil || key != "b" || len(zs) != 2 || zs[0] != (redis.Z{Score: 3, Member: "z"}) || zs[1] != (redis.Z{Score: 2, Member: "y"}) {
		t.Fatalf("got %s %v %v", key, zs, err)
	}
}

// TestZRankWithScore covers Redis 7.2's WITHSCORE, which the 7.0 oracle
// does not have.
func TestZRankWithScore(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	rdb.ZAdd(ctx, "z", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: 2.5, Member: "b"}, redis.Z{Score: 3.5, Member: "c"})
	rs, err := rdb.ZRankWithScore(ctx, "z", "b").Result()
	if err != nil || rs.Rank != 1 || rs.Score != 2.5 {
		t.Fatalf("ZRANK WITHSCORE = %+v, %v", rs, err)
	}
	rs, err = rdb.ZRevRankWithScore(ctx, "z", "a").Result()
	if err != nil || rs.Rank != 2 || rs.Score != 1.5 {
		t.Fatalf("ZREVRANK WITHSCORE = %+v, %v", rs, err)
	}
	if _, err := rdb.ZRankWithScore(ctx, "z", "nope").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("missing member: %v", err)
	}
	if _, err := rdb.ZRankWithScore(ctx, "nokey", "a").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("missing key: %v", err)
	}
	raw := in.Raw(t)
	for _, tc := range []struct{ args []string }{
		{[]string{"ZRANK", "z", "a", "WITHSCORES"}},
		{[]string{"ZRANK", "z", "a", "WITHSCORE", "x"}},
	} {
		if got := raw.Do(tc.args...); !strings.HasPrefix(got, "-ERR") {
			t.Fatalf("%v = %q, want an error", tc.args, got)
		}
	}
	if got := raw.Do("ZRANK", "nokey", "a", "WITHSCORE"); got != "*-1\r\n" {
		t.Fatalf("missing key WITHSCORE = %q, want a null array", got)
	}
	if got := raw.Do("ZREVRANK", "z", "c", "withscore"); got != "*2\r\n:0\r\n$3\r\n3.5\r\n" {
		t.Fatalf("ZREVRANK WITHSCORE = %q", got)
	}
}

// TestZRandMemberProperties checks ZRANDMEMBER's contract on a small
// (listpack) and a large (skiplist) set: counts, distinctness for positive
// counts, repetition allowed for negative ones, scores that match, and
// every member reachable.
func TestZRandMemberProperties(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	for _, size := range []int{10, 300} {
		key := fmt.Sprint("z", size)
		scores := map[string]float64{}
		var zs []redis.Z
		for i := 0; i < size; i++ {
			m := fmt.Sprint("m", i)
			scores[m] = float64(i) / 4
			zs = append(zs, redis.Z{Score: scores[m], Member: m})
		}
		rdb.ZAdd(ctx, key, zs...)
		for _, count := range []int{1, 3, size / 2, size - 1, size, size + 5} {
			got, err := rdb.ZRandMember(ctx, key, count).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != min(count, size) {
				t.Fatalf("size %d count %d: %d members", size, count, len(got))
			}
			seen := map[string]bool{}
			for _, m := range got {
				if _, ok := scores[m]; !ok || seen[m] {
					t.Fatalf("size %d count %d: unexpected or repeated member %q", size, count, m)
				}
				seen[m] = true
			}
		}
		// Negative counts draw with replacement: exactly |count| members,
		// repeats expected when drawing far more than the set holds.
		got, err := rdb.ZRandMember(ctx, key, -5*size).Result()
		if err != nil || len(got) != 5*size {
			t.Fatalf("negative count: %d members, %v", len(got), err)
		}
		counts := map[string]int{}
		for _, m := range got {
			if _, ok := scores[m]; !ok {
				t.Fatalf("unexpected member %q", m)
			}
			counts[m]++
		}
		if len(counts) == len(got) {
			t.Fatalf("no repetition in %d draws from %d members", len(got), size)
		}
		withScores, err := rdb.ZRandMemberWithScores(ctx, key, -50).Result()
		if err != nil || len(withScores) != 50 {
			t.Fatalf("WITHSCORES: %d, %v", len(withScores), err)
		}
		for _, z := range withScores {
			if scores[z.Member.(string)] != z.Score {
				t.Fatalf("member %v came with score %v", z.Member, z.Score)
			}
		}
		// Every member turns up over enough single draws, each about as
		// often as the others.
		hits := map[string]int{}
		draws := 40 * size
		for i := 0; i < draws/200; i++ {
			for _, m := range rdb.ZRandMember(ctx, key, -200).Val() {
				hits[m]++
			}
		}
		if len(hits) != size {
			t.Fatalf("size %d: only %d members drawn in %d draws", size, len(hits), draws)
		}
		for m, n := range hits {
			if n < 5 || n > 120 {
				t.Fatalf("size %d: member %s drawn %d times in %d draws (expected about 40)", size, m, n, draws)
			}
		}
		one, err := rdb.ZRandMember(ctx, key, 1).Result()
		if err != nil || len(one) != 1 {
			t.Fatal(one, err)
		}
		if _, ok := scores[one[0]]; !ok {
			t.Fatalf("unexpected member %q", one[0])
		}
	}
}

// TestZScanLargeSetReturnsEveryMember walks a skiplist-encoded set with a
// cursor while it grows: every member present throughout is returned,
// with its score.
func TestZScanLargeSetReturnsEveryMember(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	const n = 1000
	var zs []redis.Z
	for i := 0; i < n; i++ {
		zs = append(zs, redis.Z{Score: float64(i) + 0.5, Member: fmt.Sprint("m", i)})
	}
	rdb.ZAdd(ctx, "z", zs...)
	if enc := rdb.ObjectEncoding(ctx, "z").Val(); enc != "skiplist" {
		t.Fatalf("encoding %s", enc)
	}
	seen := map[string]string{}
	var cursor uint64
	calls := 0
	for {
		kv, next, err := rdb.ZScan(ctx, "z", cursor, "", 20).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(kv)%2 != 0 {
			t.Fatalf("odd reply length %d", len(kv))
		}
		for i := 0; i < len(kv); i += 2 {
			seen[kv[i]] = kv[i+1]
		}
		calls++
		// Grow the set between calls.
		rdb.ZAdd(ctx, "z", redis.Z{Score: -1, Member: fmt.Sprint("new", calls)})
		if cursor = next; cursor == 0 {
			break
		}
	}
	if calls < 10 {
		t.Fatalf("the scan took only %d calls; COUNT is not honoured", calls)
	}
	for i := 0; i < n; i++ {
		m := fmt.Sprint("m", i)
		if seen[m] != fmt.Sprint(float64(i)+0.5) {
			t.Fatalf("member %s: scanned score %q", m, seen[m])
		}
	}
}

// TestGeoThroughGoRedis reads GEO data back through the client library's
// typed replies.
func TestGeoThroughGoRedis(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	rdb.GeoAdd(ctx, "Sicily",
		&redis.GeoLocation{Name: "Palermo", Longitude: 13.361389, Latitude: 38.115556},
		&redis.GeoLocation{Name: "Catania", Longitude: 15.087269, Latitude: 37.502669})
	d, err := rdb.GeoDist(ctx, "Sicily", "Palermo", "Catania", "km").Result()
	if err != nil || d != 166.2742 {
		t.Fatalf("GEODIST = %v, %v", d, err)
	}
	locs, err := rdb.GeoSearchLocation(ctx, "Sicily", &redis.GeoSearchLocationQuery{
		GeoSearchQuery: redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 200, RadiusUnit: "km", Sort: "ASC"},
		WithCoord:      true, WithDist: true,
	}).Result()
	if err != nil || len(locs) != 2 || locs[0].Name != "Catania" || locs[0].Dist != 56.4413 || locs[1].Name != "Palermo" {
		t.Fatalf("GEOSEARCH = %+v, %v", locs, err)
	}
	if s := rdb.ZScore(ctx, "Sicily", "Palermo").Val(); s != 3479099956230698 {
		t.Fatalf("Palermo's score %v", s)
	}
}
