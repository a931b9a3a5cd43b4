package rdb

import (
	"fmt"
	"testing"

	"github.com/respd/respd/internal/ds/hash"
	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/keyspace"
)

// benchEncode encodes o as one key per iteration, taking the bytes now
// and then as a snapshot does, with and without rdbcompression.
func benchEncode(b *testing.B, o *keyspace.Object) {
	for _, compress := range []bool{true, false} {
		b.Run(fmt.Sprint("compress=", compress), func(b *testing.B) {
			e := NewEncoder(nil, compress)
			b.ReportAllocs()
			for b.Loop() {
				e.Key("key:00000001", o, -1)
				if e.Len() > 1<<20 {
					e.Take()
				}
			}
		})
	}
}

// smallObjects are a 10-field hash and a 10-member sorted set shaped like
// bench/run.sh's small collections.
func smallObjects() (h, z *keyspace.Object) {
	hv := hash.New()
	zv := zset.New()
	for f := range 10 {
		hv.Set([]byte(fmt.Sprintf("field:%d", f)), []byte(fmt.Sprintf("value:%08d", 1+f)), hash.Limits{MaxEntries: 512, MaxValue: 64})
		zv.Add([]byte(fmt.Sprintf("member:%08d", 1+f)), float64(1+f), zset.Limits{MaxEntries: 128, MaxValue: 64})
	}
	return &keyspace.Object{Type: keyspace.TypeHash, Val: hv}, &keyspace.Object{Type: keyspace.TypeZSet, Val: zv}
}

func BenchmarkEncodeSmallHash(b *testing.B) {
	h, _ := smallObjects()
	benchEncode(b, h)
}

func BenchmarkEncodeSmallZSet(b *testing.B) {
	_, z := smallObjects()
	benchEncode(b, z)
}
