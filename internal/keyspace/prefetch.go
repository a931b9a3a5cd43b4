package keyspace

import (
	"unsafe"

	"github.com/respd/respd/internal/prefetch"
)

// A lookup reads two places that are likely cache misses in a big
// keyspace: the key's bucket in the table's heads, then the first record
// of its chain. A pipeline's later commands can have both in flight
// while the earlier ones execute: PrefetchBucket for a command two
// ahead, PrefetchRecord (whose bucket is by then in the cache) for the
// next one. Both only hint the CPU; they change nothing.

// PrefetchBucket starts loading key's bucket and returns the key's hash
// for PrefetchRecord.
func (d *DB) PrefetchBucket(key []byte) uint64 {
	h := d.t.hash(key)
	prefetch.Line(unsafe.Pointer(&d.t.heads[h&d.t.mask]))
	return h
}

// PrefetchRecord starts loading the first record of the bucket of hash h.
func (d *DB) PrefetchRecord(h uint64) {
	if ref := d.t.heads[h&d.t.mask]; ref != 0 {
		prefetch.Line(unsafe.Pointer(unsafe.SliceData(d.t.a.bytes(ref))))
	}
}

// HeapValue returns the value of the heap object under key, or nil if
// the key is missing or packed, for a pipeline's lookahead to prefetch
// from. Unlike the lookups it changes nothing: it counts no access and
// leaves an expired key (whose value it may return) to them.
func (d *DB) HeapValue(key []byte) any {
	_, ref, _ := d.t.locate(key)
	if ref == 0 {
		return nil
	}
	if o := d.t.heapObject(ref); o != nil {
		return o.Val
	}
	return nil
}
