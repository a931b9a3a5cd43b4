package keyspace

import (
	"fmt"
	"testing"
)

// TestPrefetch checks that PrefetchBucket hashes a key as lookups do,
// and prefetches keys, stored or not, while the table grows: what it
// reads (heads, chunks) must stay in bounds.
func TestPrefetch(t *testing.T) {
	ks, _ := newTest()
	d := ks.DBs[0]
	for i := range 5000 {
		key := []byte(fmt.Sprintf("key:%d", i))
		if h := d.PrefetchBucket(key); h != d.t.hash(key) {
			t.Fatalf("PrefetchBucket(%q) = %x, want the table's hash %x", key, h, d.t.hash(key))
		}
		d.SetString(key, []byte("v"), false)
		for _, k := range [][]byte{key, []byte("absent"), nil} {
			d.PrefetchRecord(d.PrefetchBucket(k))
		}
	}
}
