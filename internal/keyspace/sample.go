package keyspace

import "math/rand/v2"

// Sample calls fn for up to n keys drawn at random, with their value and
// expiry (-1 for none): from every key, or with volatile from the keys
// with a TTL only. Keys may repeat. Eviction uses it to pick victims the
// way Redis does, by sampling.
func (d *DB) Sample(n int, volatile bool, fn func(key string, o *Object, expireAt int64)) {
	for range n {
		if volatile {
			k, at, ok := d.expires.Random(rand.Uint64)
			if !ok {
				return
			}
			if o, ok := d.keys.GetString(k); ok {
				fn(k, o, at)
			}
			continue
		}
		k, o, ok := d.keys.Random(rand.Uint64)
		if !ok {
			return
		}
		at, has := d.expires.GetString(k)
		if !has {
			at = -1
		}
		fn(k, o, at)
	}
}

// Candidate returns key's stored value if it is still there (and, with
// volatile, still has a TTL), or nil: eviction checks that a key sampled
// earlier can still be evicted. Like Sample, it neither expires nor
// touches anything.
func (d *DB) Candidate(key []byte, volatile bool) *Object {
	if volatile {
		if _, ok := d.expires.Get(key); !ok {
			return nil
		}
	}
	o, _ := d.keys.Get(key)
	return o
}
