// Package hash is the value of a Redis hash: a map from field to value,
// both binary strings.
//
// A hash starts in the listpack encoding, as Redis reports it: fields and
// values packed in one buffer (package packed) in insertion order, which
// is also the order replies list them in. It converts, for good, to the
// hashtable encoding once it holds more fields than Limits.MaxEntries or
// is given a field or value longer than Limits.MaxValue; from then on
// replies may list fields in any order. A hashtable hash still stays
// packed while it is small (compactMax fields, compactBytes bytes) and
// only then moves to a dict, so small hashes are cheap whatever Redis
// would call them.
package hash

import (
	"encoding/binary"
	"math/rand/v2"
	"unsafe"

	"github.com/respd/respd/internal/ds/dict"
	"github.com/respd/respd/internal/ds/packed"
)

// Thresholds past which a hashtable-encoded hash leaves the packed form.
const (
	compactMax   = 128
	compactBytes = 8 << 10
)

// header is the packed buffer's prefix: a little-endian uint32 holding the
// field count in its low 31 bits and the hashtable flag in the top bit.
const (
	header      = 4
	hashtableOn = 1 << 31
)

// Limits are the configured listpack thresholds
// (hash-max-listpack-entries and hash-max-listpack-value).
type Limits struct {
	MaxEntries, MaxValue int64
}

// Hash is one hash value. The zero value is not usable; call New.
type Hash struct {
	// b is the packed form: header, then field, value, field, value...
	// It is nil once d holds the fields.
	b []byte
	d *dict.Dict[string]
}

// Wrap makes h the hash whose packed form (see Packed) is b, read in
// place: for a caller that will not change it.
func (h *Hash) Wrap(b []byte) { *h = Hash{b: b} }

// Packed returns the hash's packed form, header and pairs in one buffer,
// and whether the hash has one (it has none once its fields moved to a
// dict).
func (h *Hash) Packed() ([]byte, bool) { return h.b, h.d == nil }

// Load makes h the hash whose packed form is b, copied into h's own
// buffer (reusing its capacity).
func (h *Hash) Load(b []byte) {
	h.b = append(h.b[:0], b...)
	h.d = nil
}

// Reset empties h into the listpack encoding, keeping its buffer.
func (h *Hash) Reset() {
	if cap(h.b) < header {
		h.b = make([]byte, header, 16)
	}
	h.b = h.b[:header]
	h.setWord(0)
	h.d = nil
}

// New returns an empty listpack-encoded hash.
func New() *Hash {
	return &Hash{b: make([]byte, header, 16)}
}

// NewFor returns an empty listpack-encoded hash about to receive pairs
// (field, value, field, value...): its buffer is sized for all of them
// when they fit the listpack encoding (see Reserve), in one allocation.
func NewFor(pairs [][]byte, lim Limits) *Hash {
	if extra, ok := reserveSize(0, pairs, lim); ok {
		return &Hash{b: make([]byte, header, header+extra)}
	}
	return New()
}

// reserveSize is the bytes pairs take in a listpack hash of n fields, if
// adding them all could keep it a listpack.
func reserveSize(n int, pairs [][]byte, lim Limits) (int, bool) {
	if int64(n+len(pairs)/2) > lim.MaxEntries {
		return 0, false
	}
	extra := 0
	for _, s := range pairs {
		if int64(len(s)) > lim.MaxValue {
			return 0, false
		}
		extra += packed.Size(s)
	}
	return extra, true
}

func (h *Hash) word() uint32 { return binary.LittleEndian.Uint32(h.b) }

func (h *Hash) setWord(w uint32) { binary.LittleEndian.PutUint32(h.b, w) }

// Len returns the number of fields.
func (h *Hash) Len() int {
	if h.d != nil {
		return h.d.Len()
	}
	return int(h.word() &^ hashtableOn)
}

// Listpack reports whether the hash has Redis's listpack encoding (else it
// has the hashtable encoding).
func (h *Hash) Listpack() bool { return h.d == nil && h.word()&hashtableOn == 0 }

// bytesOf views a stored string as bytes; callers must not modify them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// find returns the offsets of field's entry and of its value's entry, or
// -1 when the field is missing.
func (h *Hash) find(field []byte) (off, voff int) {
	b := h.b
	for off = header; off < len(b); {
		n, start := packed.Header(b, off)
		next := start + n
		if n == len(field) && string(b[start:next]) == string(field) {
			return off, next
		}
		off = packed.Skip(b, next)
	}
	return -1, -1
}

// Get returns field's value, which aliases the hash: it is valid until the
// next change and must not be modified.
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.d != nil {
		v, ok := h.d.Get(field)
		return bytesOf(v), ok
	}
	_, voff := h.find(field)
	if voff < 0 {
		return nil, false
	}
	v, _ := packed.Read(h.b, voff)
	return v, true
}

// Has reports whether field is present.
func (h *Hash) Has(field []byte) bool {
	_, ok := h.Get(field)
	return ok
}

// Set stores value under field (both are copied) and reports whether the
// field is new, converting to the hashtable encoding first when either is
// longer than lim.MaxValue and afterwards when the hash has more than
// lim.MaxEntries fields (checked after an update too, as Redis does, so a
// lowered limit takes effect on the next write).
func (h *Hash) Set(field, value []byte, lim Limits) bool {
	if h.Listpack() && (int64(len(field)) > lim.MaxValue || int64(len(value)) > lim.MaxValue) {
		h.toHashtable()
	}
	var added bool
	if h.d != nil {
		var p *string
		_, p, added = h.d.Slot(field)
		// An equal value is left as it is, without a new copy.
		if added || *p != string(value) {
			*p = string(value)
		}
	} else {
		added = h.setPacked(field, value)
	}
	if h.Listpack() && int64(h.Len()) > lim.MaxEntries {
		h.toHashtable()
	}
	if h.d == nil && !h.Listpack() && (h.Len() > compactMax || len(h.b) > compactBytes) {
		h.toDict()
	}
	return added
}

// Reserve makes room in a listpack hash, in one allocation of the exact
// size, for the fields and values of pairs (field, value, field,
// value...) when all of them could be added without leaving the listpack
// encoding; it changes nothing otherwise. A bulk HSET then fills one
// buffer with no slack instead of regrowing it per field.
func (h *Hash) Reserve(pairs [][]byte, lim Limits) {
	if !h.Listpack() {
		return
	}
	extra, ok := reserveSize(h.Len(), pairs, lim)
	if ok && len(h.b)+extra > cap(h.b) {
		b := make([]byte, len(h.b), len(h.b)+extra)
		copy(b, h.b)
		h.b = b
	}
}

func (h *Hash) setPacked(field, value []byte) bool {
	off, voff := h.find(field)
	if off >= 0 {
		end := packed.Skip(h.b, voff)
		if old, _ := packed.Read(h.b, voff); len(old) == len(value) {
			copy(old[:len(value)], value)
		} else {
			h.b = packed.Replace(h.b, voff, end, value)
		}
		return false
	}
	h.b = packed.Grow(h.b, packed.Size(field)+packed.Size(value))
	h.b = packed.Append(h.b, field)
	h.b = packed.Append(h.b, value)
	h.setWord(h.word() + 1)
	return true
}

// toHashtable switches to the hashtable encoding, keeping the packed form
// while it is small.
func (h *Hash) toHashtable() {
	if h.d == nil {
		h.setWord(h.word() | hashtableOn)
	}
}

// toDict moves the fields from the packed buffer to a dict.
func (h *Hash) toDict() {
	d := dict.New[string]()
	h.Range(func(f, v []byte) bool {
		d.Set(f, string(v))
		return true
	})
	h.b, h.d = nil, d
}

// Delete removes field and reports whether it was present.
func (h *Hash) Delete(field []byte) bool {
	if h.d != nil {
		return h.d.Delete(field)
	}
	off, voff := h.find(field)
	if off < 0 {
		return false
	}
	h.b = packed.Cut(h.b, off, packed.Skip(h.b, voff))
	h.setWord(h.word() - 1)
	return true
}

// Range calls fn for each field and value, in insertion order while the
// hash is a listpack, until fn returns false. The slices alias the hash;
// fn must not change it.
func (h *Hash) Range(fn func(field, value []byte) bool) {
	if h.d != nil {
		h.d.Range(func(k, v string) bool { return fn(bytesOf(k), bytesOf(v)) })
		return
	}
	b := h.b
	for off := header; off < len(b); {
		f, next := packed.Read(b, off)
		v, after := packed.Read(b, next)
		if !fn(f, v) {
			return
		}
		off = after
	}
}

// ScanStep visits one step of a SCAN over the hash and returns the next
// cursor (0 when done). A packed hash is visited whole in one step, as
// Redis does for listpacks; a dict one bucket at a time with the
// resize-stable cursor of package dict.
func (h *Hash) ScanStep(cursor uint64, fn func(field, value []byte)) uint64 {
	if h.d != nil {
		return h.d.Scan(cursor, func(k, v string) { fn(bytesOf(k), bytesOf(v)) })
	}
	h.Range(func(f, v []byte) bool {
		fn(f, v)
		return true
	})
	return 0
}

// offsets returns the offset of every field entry of a packed hash.
func (h *Hash) offsets() []int {
	offs := make([]int, 0, h.Len())
	b := h.b
	for off := header; off < len(b); off = packed.Skip(b, packed.Skip(b, off)) {
		offs = append(offs, off)
	}
	return offs
}

func (h *Hash) pairAt(off int) (field, value []byte) {
	f, next := packed.Read(h.b, off)
	v, _ := packed.Read(h.b, next)
	return f, v
}

// Random returns a random field and its value (aliasing the hash); the
// hash must not be empty.
func (h *Hash) Random() (field, value []byte) {
	if h.d != nil {
		k, v, _ := h.d.Random(rand.Uint64)
		return bytesOf(k), bytesOf(v)
	}
	i := rand.IntN(h.Len())
	b := h.b
	off := header
	for ; i > 0; i-- {
		off = packed.Skip(b, packed.Skip(b, off))
	}
	return h.pairAt(off)
}

// Sample calls fn for count random fields: with repetition when distinct
// is false, else count different fields (count must then be below Len).
// The slices alias the hash; fn must not change it.
func (h *Hash) Sample(count int, distinct bool, fn func(field, value []byte)) {
	if h.d == nil {
		offs := h.offsets()
		if !distinct {
			for ; count > 0; count-- {
				fn(h.pairAt(offs[rand.IntN(len(offs))]))
			}
			return
		}
		// Selection sampling keeps the packed order, as Redis's listpack
		// sampling does.
		need, left := count, len(offs)
		for _, off := range offs {
			if rand.IntN(left) < need {
				fn(h.pairAt(off))
				need--
			}
			left--
		}
		return
	}
	if !distinct {
		for ; count > 0; count-- {
			fn(h.Random())
		}
		return
	}
	if count*3 > h.d.Len() {
		// Many of the fields are wanted: list them all and drop random
		// ones until count remain.
		var ks, vs []string
		h.d.Range(func(k, v string) bool {
			ks, vs = append(ks, k), append(vs, v)
			return true
		})
		for len(ks) > count {
			i := rand.IntN(len(ks))
			last := len(ks) - 1
			ks[i], vs[i] = ks[last], vs[last]
			ks, vs = ks[:last], vs[:last]
		}
		for i := range ks {
			fn(bytesOf(ks[i]), bytesOf(vs[i]))
		}
		return
	}
	seen := make(map[string]struct{}, count)
	for len(seen) < count {
		k, v, _ := h.d.Random(rand.Uint64)
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		fn(bytesOf(k), bytesOf(v))
	}
}

// Clone returns a deep copy of the hash (keyspace.Cloner, for COPY).
func (h *Hash) Clone() any {
	if h.d == nil {
		return &Hash{b: packed.Clone(h.b)}
	}
	d := dict.New[string]()
	h.d.Range(func(k, v string) bool {
		d.SetString(k, v)
		return true
	})
	return &Hash{d: d}
}

// Prober returns the dict holding the fields, for a pipeline's lookahead
// to prefetch from; nil while the hash is packed.
func (h *Hash) Prober() dict.Prober {
	if h.d == nil {
		return nil
	}
	return h.d
}
