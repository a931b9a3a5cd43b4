// Package dict is a string-keyed hash table whose SCAN cursor stays valid
// while the table grows or shrinks between calls.
//
// Buckets are chains and an element lives in bucket hash&mask, so when the
// table doubles an element of bucket i moves to i or i+size, and when it
// halves to i&(size/2-1). The cursor walks bucket indexes with their bits
// reversed (incrementing the high bits first), which visits every "family"
// of buckets once across any resize: an element present for the whole scan
// is returned at least once, as Redis's SCAN promises.
//
// Memory: a big collection is one of these with millions of elements, so
// the layout is dense. Elements live in a slab of fixed-size chunks (an
// element never moves while the table grows, and growing never copies the
// elements), chains link them by 32-bit slab index, and a bucket is one
// 32-bit chain head. An element costs its key bytes, its value, a pointer,
// a word holding the key's length and the link and 4 bytes of hash tag
// (padded to 8), plus 4 to 8 bytes of bucket, instead of a slice header
// per bucket and an array per chain. Freed slots are reused first; the
// slab is compacted when the table shrinks or when most of it is free.
package dict

import (
	"hash/maphash"
	"math"
	"math/bits"
	"unsafe"
)

// entry holds its key as a pointer and a 32-bit length rather than a
// string header, so the length and the chain link share one word: 8 bytes
// less per element than a string and a link. Keys and fields are far below
// 4 GB (proto-max-bulk-len caps what a client can send).
type entry[V any] struct {
	kptr *byte
	klen uint32
	// next is the slab index+1 of the next element of the chain (0 ends
	// it); on a free slot, of the next free slot.
	next uint32
	// tag is the high half of the key's hash: a search loads a key's
	// bytes only when its tag matches, so the other elements of a chain
	// cost one load each (keys of a big collection often share a length).
	tag uint32
	val V
}

// tagOf is the tag of hash h.
func tagOf(h uint64) uint32 { return uint32(h >> 32) }

func (e *entry[V]) key() string { return unsafe.String(e.kptr, e.klen) }

func (e *entry[V]) setKey(k string) {
	if uint64(len(k)) > math.MaxUint32 {
		panic("dict: key longer than 4 GB")
	}
	e.kptr, e.klen = unsafe.StringData(k), uint32(len(k))
}

// chunkBits sizes the slab's chunks: 1024 elements. The first chunk
// starts small and grows to that size, so small dicts stay small.
const (
	chunkBits = 10
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

// Dict maps strings to V. The zero value is not usable; call New.
type Dict[V any] struct {
	seed maphash.Seed
	// heads holds each bucket's first element as slab index+1, 0 if empty.
	heads  []uint32
	chunks [][]entry[V]
	// used is how many slab slots were ever handed out (the free list
	// recycles those below it); free heads the free list (index+1);
	// nfree counts it.
	used  uint32
	free  uint32
	nfree int
	mask  uint64
	n     int
}

const minSize = 4

// New returns an empty dict.
func New[V any]() *Dict[V] {
	return &Dict[V]{seed: maphash.MakeSeed(), heads: make([]uint32, minSize), mask: minSize - 1}
}

// Len returns the number of elements.
func (d *Dict[V]) Len() int { return d.n }

func (d *Dict[V]) hashBytes(k []byte) uint64 { return maphash.Bytes(d.seed, k) }

func (d *Dict[V]) hashString(k string) uint64 { return maphash.String(d.seed, k) }

// at returns the slot of slab index+1 ref.
func (d *Dict[V]) at(ref uint32) *entry[V] {
	i := ref - 1
	return &d.chunks[i>>chunkBits][i&chunkMask]
}

// find returns the element with key k in the bucket of hash h, or nil.
func (d *Dict[V]) find(h uint64, k string) *entry[V] {
	tag := tagOf(h)
	for ref := d.heads[h&d.mask]; ref != 0; {
		e := d.at(ref)
		if e.tag == tag && e.klen == uint32(len(k)) && e.key() == k {
			return e
		}
		ref = e.next
	}
	return nil
}

// Get returns the value stored under k.
func (d *Dict[V]) Get(k []byte) (V, bool) {
	if e := d.find(d.hashBytes(k), unsafeString(k)); e != nil {
		return e.val, true
	}
	var zero V
	return zero, false
}

// GetString is Get for a string key.
func (d *Dict[V]) GetString(k string) (V, bool) {
	if e := d.find(d.hashString(k), k); e != nil {
		return e.val, true
	}
	var zero V
	return zero, false
}

// Entry returns the stored copy of key k and a pointer to its value, or
// nil; the pointer is valid until the next insertion or deletion.
func (d *Dict[V]) Entry(k []byte) (string, *V) {
	if e := d.find(d.hashBytes(k), unsafeString(k)); e != nil {
		return e.key(), &e.val
	}
	return "", nil
}

// Slot is Entry that adds k (copied) with the zero value when it is
// absent, and reports whether it did: one search for a caller whose new
// value depends on the old one.
func (d *Dict[V]) Slot(k []byte) (string, *V, bool) {
	h := d.hashBytes(k)
	if e := d.find(h, unsafeString(k)); e != nil {
		return e.key(), &e.val, false
	}
	var zero V
	e := d.at(d.insert(h, string(k), zero))
	return e.key(), &e.val, true
}

// Set stores v under k (copying k if it is new) and reports whether k is new.
func (d *Dict[V]) Set(k []byte, v V) bool {
	h := d.hashBytes(k)
	if e := d.find(h, unsafeString(k)); e != nil {
		e.val = v
		return false
	}
	d.insert(h, string(k), v)
	return true
}

// SetString is Set for a key that is already a string (not copied).
func (d *Dict[V]) SetString(k string, v V) bool {
	h := d.hashString(k)
	if e := d.find(h, k); e != nil {
		e.val = v
		return false
	}
	d.insert(h, k, v)
	return true
}

// insert adds a new element, k not being in the dict, and returns its
// slot (index+1), which growing the table does not move.
func (d *Dict[V]) insert(h uint64, k string, v V) uint32 {
	ref := d.alloc()
	e := d.at(ref)
	b := h & d.mask
	e.setKey(k)
	e.tag, e.val, e.next = tagOf(h), v, d.heads[b]
	d.heads[b] = ref
	d.n++
	if uint64(d.n) > d.mask+1 {
		d.rehash(int(d.mask+1)*2, false)
	}
	return ref
}

// alloc returns a free slab slot (index+1), reusing freed ones first.
func (d *Dict[V]) alloc() uint32 {
	if d.free != 0 {
		ref := d.free
		d.free = d.at(ref).next
		d.nfree--
		return ref
	}
	i := d.used
	c := int(i >> chunkBits)
	if c == len(d.chunks) {
		// The first chunk grows by doubling up to chunkSize; later ones
		// are made full-size at once.
		if c == 0 {
			d.chunks = append(d.chunks, make([]entry[V], 0, minSize))
		} else {
			d.chunks = append(d.chunks, make([]entry[V], 0, chunkSize))
		}
	}
	d.chunks[c] = append(d.chunks[c], entry[V]{})
	d.used++
	return i + 1
}

// Delete removes k and reports whether it was present.
func (d *Dict[V]) Delete(k []byte) bool {
	return d.DeleteString(unsafeString(k))
}

// DeleteString removes k and reports whether it was present.
func (d *Dict[V]) DeleteString(k string) bool {
	h := d.hashString(k)
	tag := tagOf(h)
	p := &d.heads[h&d.mask]
	for ref := *p; ref != 0; ref = *p {
		e := d.at(ref)
		if e.tag != tag || e.klen != uint32(len(k)) || e.key() != k {
			p = &e.next
			continue
		}
		*p = e.next
		*e = entry[V]{next: d.free}
		d.free = ref
		d.nfree++
		d.n--
		if size := int(d.mask + 1); size > minSize && d.n < size/8 {
			d.rehash(size/2, true)
		} else if d.nfree >= chunkSize && d.nfree > d.n {
			d.rehash(size, true)
		}
		return true
	}
	return false
}

// rehash rebuilds the buckets at size; with compact it also moves the
// elements into a fresh slab without free slots.
func (d *Dict[V]) rehash(size int, compact bool) {
	heads := make([]uint32, size)
	mask := uint64(size - 1)
	if !compact {
		// Relink in place: elements keep their slots.
		for _, ref := range d.heads {
			for ref != 0 {
				e := d.at(ref)
				next := e.next
				b := d.hashString(e.key()) & mask
				e.next = heads[b]
				heads[b] = ref
				ref = next
			}
		}
		d.heads, d.mask = heads, mask
		return
	}
	old := d.heads
	oldChunks := d.chunks
	d.chunks, d.used, d.free, d.nfree = nil, 0, 0, 0
	d.heads, d.mask = heads, mask
	for _, ref := range old {
		for ref != 0 {
			i := ref - 1
			e := &oldChunks[i>>chunkBits][i&chunkMask]
			nr := d.alloc()
			ne := d.at(nr)
			b := d.hashString(e.key()) & mask
			ne.kptr, ne.klen, ne.tag, ne.val, ne.next = e.kptr, e.klen, e.tag, e.val, heads[b]
			heads[b] = nr
			ref = e.next
		}
	}
}

// Clear removes every element.
func (d *Dict[V]) Clear() {
	d.heads = make([]uint32, minSize)
	d.mask = minSize - 1
	d.chunks, d.used, d.free, d.nfree = nil, 0, 0, 0
	d.n = 0
}

// Range calls fn for every element until it returns false. fn must not
// change the dict.
func (d *Dict[V]) Range(fn func(k string, v V) bool) {
	for _, ref := range d.heads {
		for ref != 0 {
			e := d.at(ref)
			if !fn(e.key(), e.val) {
				return
			}
			ref = e.next
		}
	}
}

// Scan visits the elements of the bucket at cursor (and, when the table is
// larger than at the cursor's time, nothing is lost: see the package doc),
// calling fn for each, and returns the next cursor; 0 means done. fn may
// not change the dict.
func (d *Dict[V]) Scan(cursor uint64, fn func(k string, v V)) uint64 {
	m := d.mask
	for ref := d.heads[cursor&m]; ref != 0; {
		e := d.at(ref)
		fn(e.key(), e.val)
		ref = e.next
	}
	// Set the unmasked bits so the reversed increment carries into the
	// masked ones, then increment the reversed cursor.
	cursor |= ^m
	cursor = bits.Reverse64(cursor)
	cursor++
	return bits.Reverse64(cursor)
}

// Random returns an element chosen by r, a random number; ok is false
// when the dict is empty. Elements in long chains are slightly less likely,
// as in Redis.
func (d *Dict[V]) Random(r func() uint64) (string, V, bool) {
	var zero V
	if d.n == 0 {
		return "", zero, false
	}
	for {
		head := d.heads[r()&d.mask]
		if head == 0 {
			continue
		}
		n := uint64(0)
		for ref := head; ref != 0; ref = d.at(ref).next {
			n++
		}
		ref := head
		for i := r() % n; i > 0; i-- {
			ref = d.at(ref).next
		}
		e := d.at(ref)
		return e.key(), e.val, true
	}
}
