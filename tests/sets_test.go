package tests

import (
	"context"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// fillSet adds n members to key: the integers 0..n-1, or "m<i>" when
// prefix is set.
func fillSet(t *testing.T, rdb *redis.Client, key string, n int, prefix string) {
	t.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += 500 {
		var args []any
		for i := start; i < min(start+500, n); i++ {
			args = append(args, prefix+strconv.Itoa(i))
		}
		if err := rdb.SAdd(ctx, key, args...).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// setCases are sets of every encoding: a small and a big intset, small
// and big hashtables of strings.
var setCases = []struct {
	n      int
	prefix string
	enc    string
}{{5, "", "intset"}, {400, "", "intset"}, {5, "m", "hashtable"}, {100, "m", "hashtable"}, {1000, "m", "hashtable"}}

func isMember(m, prefix string, n int) bool {
	if len(m) < len(prefix) || m[:len(prefix)] != prefix {
		return false
	}
	i, err := strconv.Atoi(m[len(prefix):])
	return err == nil && i >= 0 && i < n && strconv.Itoa(i) == m[len(prefix):]
}

// TestSrandmemberProperties: a positive count gives distinct members (all
// of them once it reaches the size), a negative one exactly that many
// draws, each a member; the set is left alone.
func TestSrandmemberProperties(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	for _, tc := range setCases {
		key := tc.prefix + "s" + strconv.Itoa(tc.n)
		fillSet(t, rdb, key, tc.n, tc.prefix)
		if enc := rdb.ObjectEncoding(ctx, key).Val(); enc != tc.enc {
			t.Fatalf("%s: encoding %q, want %q", key, enc, tc.enc)
		}
		for _, count := range []int{1, 2, tc.n / 3, tc.n/3 + 1, tc.n - 1, tc.n, tc.n + 3} {
			ms, err := rdb.SRandMemberN(ctx, key, int64(count)).Result()
			if err != nil {
				t.Fatal(err)
			}
			if want := min(count, tc.n); len(ms) != want {
				t.Fatalf("%s SRANDMEMBER %d: %d members, want %d", key, count, len(ms), want)
			}
			seen := map[string]bool{}
			for _, m := range ms {
				if !isMember(m, tc.prefix, tc.n) || seen[m] {
					t.Fatalf("%s SRANDMEMBER %d: %q is not a member or came twice", key, count, m)
				}
				seen[m] = true
			}
		}
		draws := 50 * tc.n
		ms, err := rdb.SRandMemberN(ctx, key, int64(-draws)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != draws {
			t.Fatalf("%s SRANDMEMBER -%d: %d members", key, draws, len(ms))
		}
		seen := map[string]bool{}
		for _, m := range ms {
			if !isMember(m, tc.prefix, tc.n) {
				t.Fatalf("%s: %q is not a member", key, m)
			}
			seen[m] = true
		}
		if len(seen) != tc.n {
			t.Fatalf("%s: %d draws hit %d of %d members", key, draws, len(seen), tc.n)
		}
		if got := rdb.SCard(ctx, key).Val(); got != int64(tc.n) {
			t.Fatalf("%s: SRANDMEMBER changed the set: SCARD %d", key, got)
		}
	}
}

// TestSpopProperties pops with counts that take each of Redis's paths
// (one at a time, rebuilding from the few that stay, everything): popped
// members are distinct members, they are gone, and the rest stays.
func TestSpopProperties(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	for _, tc := range setCases {
		for _, frac := range []int{1, 50, 90, 100} {
			key := tc.prefix + "p" + strconv.Itoa(tc.n)
			rdb.Del(ctx, key)
			fillSet(t, rdb, key, tc.n, tc.prefix)
			count := max(tc.n*frac/100, 1)
			popped, err := rdb.SPopN(ctx, key, int64(count)).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(popped) != count {
				t.Fatalf("%s SPOP %d: %d members", key, count, len(popped))
			}
			gone := map[string]bool{}
			for _, m := range popped {
				if !isMember(m, tc.prefix, tc.n) || gone[m] {
					t.Fatalf("%s SPOP %d: %q is not a member or came twice", key, count, m)
				}
				gone[m] = true
			}
			rest, err := rdb.SMembers(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(rest)+count != tc.n {
				t.Fatalf("%s SPOP %d: %d left of %d", key, count, len(rest), tc.n)
			}
			for _, m := range rest {
				if gone[m] || !isMember(m, tc.prefix, tc.n) {
					t.Fatalf("%s SPOP %d: %q popped yet still there, or never added", key, count, m)
				}
			}
			if count == tc.n && rdb.Exists(ctx, key).Val() != 0 {
				t.Fatalf("%s: popping everything left the key", key)
			}
		}
	}
	// Single pops empty the set one member at a time, each member once.
	fillSet(t, rdb, "one", 50, "m")
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		m, err := rdb.SPop(ctx, "one").Result()
		if err != nil || seen[m] || !isMember(m, "m", 50) {
			t.Fatalf("SPOP %d: %q, %v", i, m, err)
		}
		seen[m] = true
	}
	if _, err := rdb.SPop(ctx, "one").Result(); err != redis.Nil {
		t.Fatalf("SPOP of the emptied set: %v, want nil", err)
	}
}

// TestSscanMutated scans a big set while members come and go: every
// member present throughout must be returned at least once.
func TestSscanMutated(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	const stable = 2000
	fillSet(t, rdb, "s", stable, "m")
	seen := map[string]bool{}
	var cursor uint64
	calls := 0
	for {
		ms, next, err := rdb.SScan(ctx, "s", cursor, "", 20).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m[0] != 'm' && m[0] != 't' {
				t.Fatalf("SSCAN returned %q, never added", m)
			}
			seen[m] = true
		}
		cursor = next
		calls++
		if cursor == 0 {
			break
		}
		switch {
		case calls <= 40:
			var args []any
			for j := 0; j < 200; j++ {
				args = append(args, "t"+strconv.Itoa(calls)+"_"+strconv.Itoa(j))
			}
			rdb.SAdd(ctx, "s", args...)
		case calls <= 80:
			var args []any
			for j := 0; j < 200; j++ {
				args = append(args, "t"+strconv.Itoa(calls-40)+"_"+strconv.Itoa(j))
			}
			rdb.SRem(ctx, "s", args...)
		}
	}
	if calls <= 80 {
		t.Fatalf("the scan ended after %d calls, before the set grew and shrank; the test proves nothing", calls)
	}
	for i := 0; i < stable; i++ {
		if !seen["m"+strconv.Itoa(i)] {
			t.Fatalf("m%d was never returned", i)
		}
	}
	// An intset is returned whole, sorted, in one call.
	fillSet(t, rdb, "ints", 300, "")
	ms, next, err := rdb.SScan(ctx, "ints", 0, "", 10).Result()
	if err != nil || next != 0 || len(ms) != 300 {
		t.Fatalf("SSCAN of an intset: %d members, cursor %d, %v", len(ms), next, err)
	}
	for i, m := range ms {
		if m != strconv.Itoa(i) {
			t.Fatalf("SSCAN of an intset: member %d is %q", i, m)
		}
	}
}

// TestSetCopyIndependent checks that COPY duplicates a set deeply in each
// encoding.
func TestSetCopyIndependent(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	for _, tc := range setCases {
		src := tc.prefix + "src" + strconv.Itoa(tc.n)
		fillSet(t, rdb, src, tc.n, tc.prefix)
		if err := rdb.Copy(ctx, src, "dst", 0, true).Err(); err != nil {
			t.Fatal(err)
		}
		rdb.SRem(ctx, "dst", tc.prefix+"0")
		rdb.SAdd(ctx, "dst", "extra")
		if !rdb.SIsMember(ctx, src, tc.prefix+"0").Val() || rdb.SIsMember(ctx, src, "extra").Val() {
			t.Fatalf("%s: COPY shared the members", src)
		}
		if got := rdb.SCard(ctx, src).Val(); got != int64(tc.n) {
			t.Fatalf("%s: SCARD %d after changing the copy", src, got)
		}
	}
}
