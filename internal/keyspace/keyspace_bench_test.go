package keyspace_test

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/respd/respd/internal/clock"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/slot"
)

// The keyspace benchmarks measure the operations under every string
// command, on a database of a million 16-byte keys (named as
// redis-benchmark -r names them) so that lookups miss the CPU caches as
// a loaded server's do. A million is not a power of two, so that one
// more key does not make the table resize inside the timed loop.

const benchKeys = 1_000_000

func benchKey(i int) []byte {
	s := strconv.Itoa(i)
	k := []byte("key:000000000000")
	copy(k[len(k)-len(s):], s)
	return k
}

// benchDB returns a database holding benchKeys keys with 16-byte values,
// and the keys.
func benchDB(b *testing.B) (*keyspace.DB, [][]byte) {
	b.Helper()
	_, db, keys := benchKeyspace(b)
	return db, keys
}

// benchKeyspace is benchDB with the keyspace around the database.
func benchKeyspace(b *testing.B) (*keyspace.Keyspace, *keyspace.DB, [][]byte) {
	b.Helper()
	ks := keyspace.New(1, clock.Real{})
	db := ks.DBs[0]
	keys := make([][]byte, benchKeys)
	val := []byte("xxxxxxxxxxxxxxxx")
	for i := range keys {
		keys[i] = benchKey(i)
		db.SetString(keys[i], val, false)
	}
	return ks, db, keys
}

func BenchmarkLookupHit(b *testing.B) {
	ks, db, keys := benchKeyspace(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%16 == 0 {
			// The server ticks once per batch of commands, which recycles
			// the objects lookups of packed strings hand out.
			ks.Tick()
		}
		if db.Lookup(keys[(i*7919)%benchKeys]) == nil {
			b.Fatal("miss")
		}
	}
}

func BenchmarkLookupMiss(b *testing.B) {
	db, _ := benchDB(b)
	missing := []byte("nokey:0000000000")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if db.Lookup(missing) != nil {
			b.Fatal("hit")
		}
	}
}

// BenchmarkSetStringOverwrite is SET on an existing key: it must reuse
// the value's buffer, so it allocates nothing.
func BenchmarkSetStringOverwrite(b *testing.B) {
	db, keys := benchDB(b)
	val := []byte("yyyyyyyyyyyyyyyy")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db.SetString(keys[(i*7919)%benchKeys], val, false)
	}
	b.StopTimer()
	if a := testing.AllocsPerRun(100, func() { db.SetString(keys[1], val, false) }); a != 0 {
		b.Fatalf("%v allocs per overwrite, want 0", a)
	}
}

// BenchmarkSetStringNew is SET of a new key: the key, the object and the
// value are stored (and the table grows now and then).
func BenchmarkSetStringNew(b *testing.B) {
	keys := make([][]byte, b.N)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	db := keyspace.New(1, clock.Real{}).DBs[0]
	val := []byte("xxxxxxxxxxxxxxxx")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db.SetString(keys[i], val, false)
	}
}

// BenchmarkSetDelete is a key's whole life: SET of a new key, then DEL.
func BenchmarkSetDelete(b *testing.B) {
	db, _ := benchDB(b)
	benchSetDelete(b, db)
}

func benchSetDelete(b *testing.B, db *keyspace.DB) {
	val := []byte("xxxxxxxxxxxxxxxx")
	k := []byte("tmp:000000000000")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db.SetString(k, val, false)
		db.Delete(k)
	}
}

// BenchmarkGC times a full collection with the million keys live: the
// collector's mark work grows with the keyspace's objects and pointers.
func BenchmarkGC(b *testing.B) {
	db, _ := benchDB(b)
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
	}
	b.StopTimer()
	runtime.KeepAlive(db)
}

// heapAfterGC is the live heap once the collector has run.
func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkSlotIndexMemory reports what the per-slot key index of
// cluster mode adds to a database of benchKeys keys, per key
// (index-B/key), and what the database costs without it (db-B/key).
func BenchmarkSlotIndexMemory(b *testing.B) {
	for range b.N {
		before := heapAfterGC()
		ks, db, _ := benchKeyspace(b)
		off := heapAfterGC()
		ks.EnableSlots()
		on := heapAfterGC()
		b.ReportMetric(float64(off-before)/benchKeys, "db-B/key")
		b.ReportMetric(float64(on-off)/benchKeys, "index-B/key")
		runtime.KeepAlive(db)
	}
}

// BenchmarkSetDeleteSlots is BenchmarkSetDelete with the slot index on.
func BenchmarkSetDeleteSlots(b *testing.B) {
	ks, db, _ := benchKeyspace(b)
	ks.EnableSlots()
	benchSetDelete(b, db)
}

// BenchmarkKeysInSlot is GETKEYSINSLOT slot 10 on a million keys (about
// 61 per slot).
func BenchmarkKeysInSlot(b *testing.B) {
	ks, db, _ := benchKeyspace(b)
	ks.EnableSlots()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(db.KeysInSlot(i&(slot.Count-1), 10)) != 10 {
			b.Fatal("short slot")
		}
	}
}
