// Package dict is a string-keyed hash table whose SCAN cursor stays valid
// while the table grows or shrinks between calls.
//
// Buckets are chains and an element lives in bucket hash&mask, so when the
// table doubles an element of bucket i moves to i or i+size, and when it
// halves to i&(size/2-1). The cursor walks bucket indexes with their bits
// reversed (incrementing the high bits first), which visits every "family"
// of buckets once across any resize: an element present for the whole scan
// is returned at least once, as Redis's SCAN promises.
package dict

import (
	"hash/maphash"
	"math/bits"
)

type entry[V any] struct {
	key string
	val V
}

// Dict maps strings to V. The zero value is not usable; call New.
type Dict[V any] struct {
	seed    maphash.Seed
	buckets [][]entry[V]
	mask    uint64
	n       int
}

const minSize = 4

// New returns an empty dict.
func New[V any]() *Dict[V] {
	return &Dict[V]{seed: maphash.MakeSeed(), buckets: make([][]entry[V], minSize), mask: minSize - 1}
}

// Len returns the number of elements.
func (d *Dict[V]) Len() int { return d.n }

func (d *Dict[V]) hashBytes(k []byte) uint64 { return maphash.Bytes(d.seed, k) }

func (d *Dict[V]) hashString(k string) uint64 { return maphash.String(d.seed, k) }

// Get returns the value stored under k.
func (d *Dict[V]) Get(k []byte) (V, bool) {
	b := d.buckets[d.hashBytes(k)&d.mask]
	for i := range b {
		if b[i].key == string(k) {
			return b[i].val, true
		}
	}
	var zero V
	return zero, false
}

// GetString is Get for a string key.
func (d *Dict[V]) GetString(k string) (V, bool) {
	b := d.buckets[d.hashString(k)&d.mask]
	for i := range b {
		if b[i].key == k {
			return b[i].val, true
		}
	}
	var zero V
	return zero, false
}

// Ptr returns a pointer to the value stored under k, or nil. The pointer is
// valid until the next insertion or deletion.
func (d *Dict[V]) Ptr(k []byte) *V {
	b := d.buckets[d.hashBytes(k)&d.mask]
	for i := range b {
		if b[i].key == string(k) {
			return &b[i].val
		}
	}
	return nil
}

// Set stores v under k (copying k if it is new) and reports whether k is new.
func (d *Dict[V]) Set(k []byte, v V) bool {
	h := d.hashBytes(k)
	bi := h & d.mask
	b := d.buckets[bi]
	for i := range b {
		if b[i].key == string(k) {
			b[i].val = v
			return false
		}
	}
	d.buckets[bi] = append(b, entry[V]{key: string(k), val: v})
	d.n++
	if uint64(d.n) > d.mask+1 {
		d.resize(int(d.mask+1) * 2)
	}
	return true
}

// SetString is Set for a key that is already a string (not copied).
func (d *Dict[V]) SetString(k string, v V) bool {
	h := d.hashString(k)
	bi := h & d.mask
	b := d.buckets[bi]
	for i := range b {
		if b[i].key == k {
			b[i].val = v
			return false
		}
	}
	d.buckets[bi] = append(b, entry[V]{key: k, val: v})
	d.n++
	if uint64(d.n) > d.mask+1 {
		d.resize(int(d.mask+1) * 2)
	}
	return true
}

// Delete removes k and reports whether it was present.
func (d *Dict[V]) Delete(k []byte) bool {
	return d.DeleteString(unsafeString(k))
}

// DeleteString removes k and reports whether it was present.
func (d *Dict[V]) DeleteString(k string) bool {
	bi := d.hashString(k) & d.mask
	b := d.buckets[bi]
	for i := range b {
		if b[i].key == k {
			last := len(b) - 1
			b[i] = b[last]
			b[last] = entry[V]{}
			if last == 0 {
				d.buckets[bi] = nil
			} else {
				d.buckets[bi] = b[:last]
			}
			d.n--
			if size := int(d.mask + 1); size > minSize && d.n < size/8 {
				d.resize(size / 2)
			}
			return true
		}
	}
	return false
}

func (d *Dict[V]) resize(size int) {
	nb := make([][]entry[V], size)
	mask := uint64(size - 1)
	for _, b := range d.buckets {
		for _, e := range b {
			i := d.hashString(e.key) & mask
			nb[i] = append(nb[i], e)
		}
	}
	d.buckets, d.mask = nb, mask
}

// Clear removes every element.
func (d *Dict[V]) Clear() {
	d.buckets = make([][]entry[V], minSize)
	d.mask = minSize - 1
	d.n = 0
}

// Range calls fn for every element until it returns false. fn must not
// change the dict.
func (d *Dict[V]) Range(fn func(k string, v V) bool) {
	for _, b := range d.buckets {
		for _, e := range b {
			if !fn(e.key, e.val) {
				return
			}
		}
	}
}

// Scan visits the elements of the bucket at cursor (and, when the table is
// larger than at the cursor's time, nothing is lost: see the package doc),
// calling fn for each, and returns the next cursor; 0 means done.
func (d *Dict[V]) Scan(cursor uint64, fn func(k string, v V)) uint64 {
	m := d.mask
	for _, e := range d.buckets[cursor&m] {
		fn(e.key, e.val)
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
		b := d.buckets[r()&d.mask]
		if len(b) > 0 {
			e := b[r()%uint64(len(b))]
			return e.key, e.val, true
		}
	}
}
