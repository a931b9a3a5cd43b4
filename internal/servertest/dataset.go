package servertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Dataset reads every key of every database of the server at addr through
// ordinary read commands (no DUMP) and renders each key as one canonical
// line: type, encoding, absolute expiry and contents, with set and hash
// members sorted. Two servers hold the same data when their Datasets are
// equal, whatever their internal layouts.
func Dataset(t testing.TB, addr string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for db := 0; db < 16; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2, DisableIdentity: true})
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			c.Close()
			t.Fatalf("KEYS in db %d of %s: %v", db, addr, err)
		}
		for _, k := range keys {
			out[fmt.Sprintf("%d/%s", db, k)] = describeKey(t, ctx, c, k)
		}
		c.Close()
	}
	return out
}

func describeKey(t testing.TB, ctx context.Context, c *redis.Client, k string) string {
	do := func(args ...any) any {
		v, err := c.Do(ctx, args...).Result()
		if err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
		return v
	}
	typ := do("TYPE", k).(string)
	var val any
	switch typ {
	case "string":
		val = do("GET", k)
	case "list":
		val = do("LRANGE", k, 0, -1)
	case "set":
		val = sortedStrings(do("SMEMBERS", k))
	case "zset":
		val = do("ZRANGE", k, 0, -1, "WITHSCORES")
	case "hash":
		pairs := do("HGETALL", k).([]any)
		var fv []string
		for i := 0; i+1 < len(pairs); i += 2 {
			fv = append(fv, fmt.Sprint(pairs[i], "=", pairs[i+1]))
		}
		slices.Sort(fv)
		val = fv
	case "stream":
		val = do("XINFO", "STREAM", k, "FULL")
	}
	return fmt.Sprintf("%s %v exp=%v %v", typ, do("OBJECT", "ENCODING", k), do("PEXPIRETIME", k), val)
}

func sortedStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, fmt.Sprint(x))
	}
	slices.Sort(out)
	return out
}

// DiffDatasets describes how two Datasets differ, "" when they are equal.
func DiffDatasets(a, b map[string]string) string {
	var sb strings.Builder
	for k, v := range a {
		if w, ok := b[k]; !ok {
			fmt.Fprintf(&sb, "%s only in the first: %.200s\n", k, v)
		} else if v != w {
			fmt.Fprintf(&sb, "%s differs:\n  %s\n  %s\n", k, firstDiff(v, w), firstDiff(w, v))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			fmt.Fprintf(&sb, "%s only in the second: %.200s\n", k, v)
		}
	}
	return sb.String()
}

// firstDiff is a's text around where it first differs from b.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from, to := max(0, i-120), min(len(a), i+180)
	return a[from:to]
}
