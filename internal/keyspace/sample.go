package keyspace

import "math/rand/v2"

// Sample calls fn for up to n keys drawn at random, with their value and
// expiry (-1 for none): from every key, or with volatile from the keys
// with a TTL only. Keys may repeat. Eviction uses it to pick victims the
// way Redis does, by sampling. The key and the object stay valid until
// the database next changes.
func (d *DB) Sample(n int, volatile bool, fn func(key string, o *Object, expireAt int64)) {
	for range n {
		var ref uint32
		if volatile {
			if len(d.t.vol) == 0 {
				return
			}
			ref = d.t.vol[rand.IntN(len(d.t.vol))]
		} else if ref = d.t.random(rand.Uint64); ref == 0 {
			return
		}
		r := d.t.rec(ref)
		at := int64(-1)
		if r.hasExpire() {
			at = r.at()
		}
		fn(unsafeString(r.key), d.object(ref), at)
	}
}

// Candidate returns key's stored value if it is still there (and, with
// volatile, still has a TTL), or nil: eviction checks that a key sampled
// earlier can still be evicted. Like Sample, it neither expires nor
// touches anything.
func (d *DB) Candidate(key []byte, volatile bool) *Object {
	_, ref, _ := d.t.locate(key)
	if ref == 0 || volatile && !d.t.rec(ref).hasExpire() {
		return nil
	}
	return d.object(ref)
}
