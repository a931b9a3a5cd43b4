//go:build unix

package rdb_test

import (
	"strconv"
	"syscall"
	"testing"

	"github.com/respd/respd/internal/clock"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/rdb"
)

// BenchmarkSnapshotEncode measures what a background save does under the
// engine lock: snapshot steps over a million 16-byte keys with 16-byte
// values (as the benchmark's big keyspace), RDB-encoded into the
// encoder's buffer, taken a turn at a time. It reports the cost per key.
func BenchmarkSnapshotEncode(b *testing.B) {
	const keys = 1_000_000
	ks := keyspace.New(1, clock.Real{})
	db := ks.DBs[0]
	val := []byte("xxxxxxxxxxxxxxxx")
	for i := range keys {
		k := []byte("key:000000000000")
		s := strconv.Itoa(i)
		copy(k[len(k)-len(s):], s)
		db.SetString(k, val, false)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		enc := rdb.NewEncoder(nil, true)
		snap := ks.BeginSnapshot(func(_ int, key string, o *keyspace.Object, at int64) {
			enc.Key(key, o, at)
		})
		for snap.Step(512) {
			enc.Take()
		}
		enc.Take()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*keys), "ns/key")
	// The process's CPU time too: on a shared machine the wall time
	// counts the waits for a CPU.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N*keys), "cpu-ns/key")
}

// cpuTime is the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
