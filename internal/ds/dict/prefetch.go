package dict

import (
	"unsafe"

	"github.com/respd/respd/internal/prefetch"
)

// A search in a big dict waits for three cache misses in a row: the
// key's bucket in heads, the chain's first element in the slab, then that
// element's key bytes. A pipeline of commands on one big collection can
// have them in flight while the commands before run: PrefetchBucket for
// a search three commands ahead, PrefetchElement (the bucket being in
// the cache by then) two ahead, PrefetchKey (the element too) for the
// next one. They only hint the CPU and change nothing.

// Prober is what a pipeline's lookahead uses of a dict, whatever its
// value type.
type Prober interface {
	// Len returns the number of elements.
	Len() int
	// Hash returns k's hash, for the prefetches.
	Hash(k []byte) uint64
	// PrefetchBucket starts loading the bucket of hash h.
	PrefetchBucket(h uint64)
	// PrefetchElement starts loading the first element of h's chain.
	PrefetchElement(h uint64)
	// PrefetchKey starts loading the key bytes of the first element of
	// h's chain, if its tag is h's.
	PrefetchKey(h uint64)
}

// Hash returns k's hash, as a search for k computes it.
func (d *Dict[V]) Hash(k []byte) uint64 { return d.hashBytes(k) }

// PrefetchBucket starts loading the bucket of hash h.
func (d *Dict[V]) PrefetchBucket(h uint64) {
	prefetch.Line(unsafe.Pointer(&d.heads[h&d.mask]))
}

// PrefetchElement starts loading the first element of the chain of hash h.
func (d *Dict[V]) PrefetchElement(h uint64) {
	if ref := d.heads[h&d.mask]; ref != 0 {
		prefetch.Line(unsafe.Pointer(d.at(ref)))
	}
}

// PrefetchKey starts loading the key bytes of the first element of the
// chain of hash h when its tag is h's. It reads no further along the
// chain: the next element would be a miss of its own.
func (d *Dict[V]) PrefetchKey(h uint64) {
	if ref := d.heads[h&d.mask]; ref != 0 {
		if e := d.at(ref); e.tag == tagOf(h) {
			prefetch.Line(unsafe.Pointer(e.kptr))
		}
	}
}
