package command

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
)

// The small-collection benchmarks measure the common commands on the
// 10-field hashes and sorted sets of bench/run.sh's small section (same
// field, member and value shapes), and the live heap each such key costs.

// smallHashArgs is the HSET that bench/run.sh sends for key i.
func smallHashArgs(i int) [][]byte {
	args := argv("HSET", fmt.Sprintf("hash:%08d", i))
	for f := range 10 {
		args = append(args, []byte(fmt.Sprintf("field:%d", f)), []byte(fmt.Sprintf("value:%08d", i+f)))
	}
	return args
}

// smallZSetArgs is the ZADD that bench/run.sh sends for key i.
func smallZSetArgs(i int) [][]byte {
	args := argv("ZADD", fmt.Sprintf("zset:%08d", i))
	for f := range 10 {
		args = append(args, []byte(strconv.Itoa(i+f)), []byte(fmt.Sprintf("member:%08d", i+f)))
	}
	return args
}

// benchToggle runs fn alternately with args a and b, so a write really
// changes the value each time, and reports allocations per call.
func benchToggle(bm *testing.B, c *Ctx, fn func(*Ctx), a, b [][]byte) {
	c.Args = a
	fn(c)
	bm.ReportAllocs()
	bm.ResetTimer()
	for i := 0; i < bm.N; i++ {
		c.B = c.B[:0]
		if i&1 == 0 {
			c.Args = b
		} else {
			c.Args = a
		}
		fn(c)
	}
}

func smallHashCtx() *Ctx {
	c := benchCtx()
	c.Args = smallHashArgs(1)
	hsetCommand(c)
	c.B = c.B[:0]
	return c
}

func smallZSetCtx() *Ctx {
	c := benchCtx()
	c.Args = smallZSetArgs(1)
	zaddCommand(c)
	c.B = c.B[:0]
	return c
}

func BenchmarkSmallHsetUpdate(b *testing.B) {
	benchToggle(b, smallHashCtx(), hsetCommand,
		argv("HSET", "hash:00000001", "field:5", "value:00000006"),
		argv("HSET", "hash:00000001", "field:5", "value:99999999"))
}

func BenchmarkSmallHget(b *testing.B) {
	c := smallHashCtx()
	benchRun(b, c, hgetCommand, argv("HGET", "hash:00000001", "field:9"))
	if string(c.B) != "$14\r\nvalue:00000010\r\n" {
		b.Fatalf("HGET replied %q", c.B)
	}
}

func BenchmarkSmallZaddUpdate(b *testing.B) {
	benchToggle(b, smallZSetCtx(), zaddCommand,
		argv("ZADD", "zset:00000001", "6", "member:00000006"),
		argv("ZADD", "zset:00000001", "100", "member:00000006"))
}

func BenchmarkSmallZscore(b *testing.B) {
	c := smallZSetCtx()
	benchRun(b, c, zscoreCommand, argv("ZSCORE", "zset:00000001", "member:00000009"))
	if string(c.B) != "$1\r\n9\r\n" {
		b.Fatalf("ZSCORE replied %q", c.B)
	}
}

func BenchmarkSmallZrange(b *testing.B) {
	c := smallZSetCtx()
	args := argv("ZRANGE", "zset:00000001", "0", "-1", "WITHSCORES")
	benchToggle(b, c, zrangeCommand, args, args)
	if len(c.B) < 10 || string(c.B[:4]) != "*20\r" {
		b.Fatalf("ZRANGE replied %q", c.B)
	}
}

// heapPerKey loads n keys with gen and reports the live heap they hold
// per key after a collection.
func heapPerKey(b *testing.B, fn func(*Ctx), gen func(int) [][]byte) {
	const n = 20000
	for b.Loop() {
		c := benchCtx()
		var before, after runtime.MemStats
		args := make([][][]byte, n)
		for i := range args {
			args[i] = gen(i)
		}
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range n {
			c.Args = args[i]
			fn(c)
			c.B = c.B[:0]
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if c.DB.Len() != n {
			b.Fatalf("%d keys, want %d", c.DB.Len(), n)
		}
		b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/n, "heapB/key")
		// What was allocated beyond what stayed live is garbage the
		// collector lets the heap (and RSS) grow by while loading.
		b.ReportMetric((float64(after.TotalAlloc)-float64(before.TotalAlloc))/n, "allocB/key")
		runtime.KeepAlive(c)
		runtime.KeepAlive(args)
	}
}

func BenchmarkSmallHashHeap(b *testing.B) { heapPerKey(b, hsetCommand, smallHashArgs) }

func BenchmarkSmallZSetHeap(b *testing.B) { heapPerKey(b, zaddCommand, smallZSetArgs) }
