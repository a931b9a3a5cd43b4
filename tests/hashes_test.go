package tests

import (
	"context"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// fillHash gives key n fields f<i> with values v<i>, i from 0.
func fillHash(t *testing.T, rdb *redis.Client, key string, n int) {
	t.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += 500 {
		var args []any
		for i := start; i < min(start+500, n); i++ {
			args = append(args, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
		}
		if err := rdb.HSet(ctx, key, args...).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHrandfieldProperties checks what HRANDFIELD promises, on a listpack
// and on a hashtable hash: a positive count gives distinct existing fields
// (all of them once it reaches the size), a negative one exactly that many
// draws, with values that belong to their fields.
func TestHrandfieldProperties(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	for _, tc := range []struct {
		n   int
		enc string
	}{{5, "listpack"}, {100, "listpack"}, {1000, "hashtable"}} {
		key := "h" + strconv.Itoa(tc.n)
		fillHash(t, rdb, key, tc.n)
		if enc := rdb.ObjectEncoding(ctx, key).Val(); enc != tc.enc {
			t.Fatalf("%s: encoding %q, want %q", key, enc, tc.enc)
		}
		for _, count := range []int{1, 2, tc.n / 3, tc.n/3 + 1, tc.n - 1, tc.n, tc.n + 7} {
			fields, err := rdb.HRandField(ctx, key, count).Result()
			if err != nil {
				t.Fatal(err)
			}
			if want := min(count, tc.n); len(fields) != want {
				t.Fatalf("%s HRANDFIELD %d: %d fields, want %d", key, count, len(fields), want)
			}
			seen := map[string]bool{}
			for _, f := range fields {
				i, err := strconv.Atoi(f[1:])
				if f[0] != 'f' || err != nil || i >= tc.n {
					t.Fatalf("%s HRANDFIELD %d: %q is not a field", key, count, f)
				}
				if seen[f] {
					t.Fatalf("%s HRANDFIELD %d: %q twice", key, count, f)
				}
				seen[f] = true
			}
			pairs, err := rdb.HRandFieldWithValues(ctx, key, count).Result()
			if err != nil {
				t.Fatal(err)
			}
			if want := min(count, tc.n); len(pairs) != want {
				t.Fatalf("%s HRANDFIELD %d WITHVALUES: %d pairs, want %d", key, count, len(pairs), want)
			}
			seen = map[string]bool{}
			for _, p := range pairs {
				if "v"+p.Key[1:] != p.Value || seen[p.Key] {
					t.Fatalf("%s HRANDFIELD %d WITHVALUES: bad or repeated pair %q=%q", key, count, p.Key, p.Value)
				}
				seen[p.Key] = true
			}
		}
		// Negative counts: exactly |count| draws, repeats allowed; with
		// far more draws than fields every field shows up.
		draws := 50 * tc.n
		fields, err := rdb.HRandField(ctx, key, -draws).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(fields) != draws {
			t.Fatalf("%s HRANDFIELD -%d: %d fields", key, draws, len(fields))
		}
		seen := map[string]bool{}
		for _, f := range fields {
			seen[f] = true
		}
		if len(seen) != tc.n {
			t.Fatalf("%s: %d draws hit %d of %d fields", key, draws, len(seen), tc.n)
		}
		pairs, err := rdb.HRandFieldWithValues(ctx, key, -30).Result()
		if err != nil || len(pairs) != 30 {
			t.Fatalf("%s HRANDFIELD -30 WITHVALUES: %d pairs, %v", key, len(pairs), err)
		}
		for _, p := range pairs {
			if "v"+p.Key[1:] != p.Value {
				t.Fatalf("%s: pair %q=%q", key, p.Key, p.Value)
			}
		}
		// Without a count: one field, and over many calls more than one.
		seen = map[string]bool{}
		for i := 0; i < 200; i++ {
			f, err := rdb.Do(ctx, "HRANDFIELD", key).Text()
			if err != nil {
				t.Fatal(err)
			}
			seen[f] = true
		}
		if len(seen) < 2 {
			t.Fatalf("%s: 200 HRANDFIELD calls always gave %v", key, seen)
		}
	}
}

// TestHscanMutated scans a hashtable hash while fields are added and
// removed between calls: every field present throughout must come back
// at least once with its value, and nothing that never existed may.
func TestHscanMutated(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	const stable = 2000
	fillHash(t, rdb, "h", stable)
	seen := map[string]bool{}
	var cursor uint64
	calls := 0
	for {
		kv, next, err := rdb.HScan(ctx, "h", cursor, "", 20).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(kv)%2 != 0 {
			t.Fatalf("HSCAN returned an odd number of elements: %d", len(kv))
		}
		for i := 0; i < len(kv); i += 2 {
			f, v := kv[i], kv[i+1]
			switch f[0] {
			case 'f':
				if "v"+f[1:] != v {
					t.Fatalf("field %q has value %q", f, v)
				}
			case 't':
				if v != "tmp" {
					t.Fatalf("field %q has value %q", f, v)
				}
			default:
				t.Fatalf("HSCAN returned %q, never set", f)
			}
			seen[f] = true
		}
		cursor = next
		calls++
		if cursor == 0 {
			break
		}
		// Grow the table a lot, then take it back down.
		switch {
		case calls <= 40:
			var args []any
			for j := 0; j < 200; j++ {
				args = append(args, "t"+strconv.Itoa(calls)+"_"+strconv.Itoa(j), "tmp")
			}
			rdb.HSet(ctx, "h", args...)
		case calls <= 80:
			var fs []string
			for j := 0; j < 200; j++ {
				fs = append(fs, "t"+strconv.Itoa(calls-40)+"_"+strconv.Itoa(j))
			}
			rdb.HDel(ctx, "h", fs...)
		}
	}
	if calls <= 80 {
		t.Fatalf("the scan ended after %d calls, before the hash grew and shrank; the test proves nothing", calls)
	}
	for i := 0; i < stable; i++ {
		if !seen["f"+strconv.Itoa(i)] {
			t.Fatalf("f%d was never returned", i)
		}
	}
	if n := rdb.HLen(ctx, "h").Val(); n != stable {
		t.Fatalf("HLEN = %d after the churn, want %d", n, stable)
	}
	// MATCH filters what a full iteration returns.
	got := map[string]bool{}
	cursor = 0
	for {
		kv, next, err := rdb.HScan(ctx, "h", cursor, "f1*", 50).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i][:2] != "f1" {
				t.Fatalf("MATCH f1* returned %q", kv[i])
			}
			got[kv[i]] = true
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	// f1, f10-f19, f100-f199, f1000-f1999
	if len(got) != 1+10+100+1000 {
		t.Fatalf("MATCH f1* found %d fields, want 1111", len(got))
	}
}

// TestHashCopyIndependent checks that COPY duplicates a hash deeply in
// both encodings.
func TestHashCopyIndependent(t *testing.T) {
	in := servertest.Start(t)
	rdb := in.Client(t)
	ctx := context.Background()
	for _, n := range []int{3, 1000} {
		src := "src" + strconv.Itoa(n)
		fillHash(t, rdb, src, n)
		if err := rdb.Copy(ctx, src, "dst", 0, true).Err(); err != nil {
			t.Fatal(err)
		}
		rdb.HSet(ctx, "dst", "f0", "changed", "extra", "x")
		rdb.HDel(ctx, "dst", "f1")
		if v := rdb.HGet(ctx, src, "f0").Val(); v != "v0" {
			t.Fatalf("n=%d: COPY shared the value: f0 = %q", n, v)
		}
		if rdb.HExists(ctx, src, "extra").Val() || !rdb.HExists(ctx, src, "f1").Val() {
			t.Fatalf("n=%d: COPY shared the fields", n)
		}
		if got := rdb.HLen(ctx, "dst").Val(); got != int64(n) {
			t.Fatalf("n=%d: copy has %d fields", n, got)
		}
	}
}
