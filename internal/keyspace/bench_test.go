package keyspace

import (
	"fmt"
	"runtime"
	"testing"
)

// benchKeys fills db 0 with n keys of 16-byte names and values, the shape
// of the memory measurements, and returns the names.
func benchKeys(b *testing.B, n int) (*DB, [][]byte) {
	ks, _ := newTest()
	d := ks.DBs[0]
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%012d", i)
		d.SetString(keys[i], fmt.Appendf(nil, "val:%012d", i), false)
	}
	return d, keys
}

// BenchmarkLookup reads random keys of a 1M-key db: the GET path.
func BenchmarkLookup(b *testing.B) {
	d, keys := benchKeys(b, 1<<20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d.Lookup(keys[(i*7919)&(1<<20-1)]) == nil {
			b.Fatal("missing key")
		}
	}
}

// BenchmarkSetString overwrites random keys of a 1M-key db: the SET path.
func BenchmarkSetString(b *testing.B) {
	d, keys := benchKeys(b, 1<<20)
	val := []byte("value:0123456789")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.SetString(keys[(i*7919)&(1<<20-1)], val, false)
	}
}

// BenchmarkInsert adds new keys to a db: the load path.
func BenchmarkInsert(b *testing.B) {
	ks, _ := newTest()
	d := ks.DBs[0]
	key := make([]byte, 0, 16)
	val := []byte("value:0123456789")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		key = fmt.Appendf(key[:0], "key:%012d", i)
		d.SetString(key, val, false)
	}
}

// BenchmarkGC times a full collection with 1M string keys live: the
// collector's mark work grows with the keyspace's objects and pointers.
func BenchmarkGC(b *testing.B) {
	d, _ := benchKeys(b, 1<<20)
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
	}
	b.StopTimer()
	runtime.KeepAlive(d)
}
