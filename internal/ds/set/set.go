// Package set is the value of a Redis set: distinct binary strings.
//
// A set has Redis 7.0's encodings: intset while every member is an integer
// (as Redis's string2ll reads one) and there are at most maxIntset of
// them, members then kept sorted, which is the order replies list them in;
// hashtable, for good, once either condition fails, after which replies
// may list members in any order. A hashtable set still stays packed in one
// buffer (package packed) while it is small (compactMax members,
// compactBytes bytes) and only then moves to a dict, so small sets of
// strings are as cheap as small sets of integers.
package set

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"unsafe"

	"github.com/respd/respd/internal/ds/dict"
	"github.com/respd/respd/internal/ds/packed"
	"github.com/respd/respd/internal/resp"
)

// Thresholds past which a hashtable-encoded set leaves the packed form.
const (
	compactMax   = 128
	compactBytes = 8 << 10
)

// strHeader is the prefix of a packed set of strings: a zero byte (an
// intset starts with its width instead) and a little-endian uint32 count.
const strHeader = 5

// Set is one set value. The zero value is not usable; call New.
type Set struct {
	// b is an intset (see intset.go) or a packed set of strings; nil once
	// d holds the members.
	b []byte
	d *dict.Dict[struct{}]
}

// New returns an empty intset-encoded set.
func New() *Set {
	return &Set{b: append(make([]byte, 0, 16), 2)}
}

func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Len returns the number of members.
func (s *Set) Len() int {
	switch {
	case s.d != nil:
		return s.d.Len()
	case isIntset(s.b):
		return intsetLen(s.b)
	}
	return int(binary.LittleEndian.Uint32(s.b[1:]))
}

// Intset reports whether the set has Redis's intset encoding (else it has
// the hashtable encoding).
func (s *Set) Intset() bool { return s.d == nil && isIntset(s.b) }

func (s *Set) addCount(delta int) {
	binary.LittleEndian.PutUint32(s.b[1:], uint32(s.Len()+delta))
}

// findPacked returns the offset of m's entry in a packed set, or -1.
func (s *Set) findPacked(m []byte) int {
	b := s.b
	for off := strHeader; off < len(b); {
		n, start := packed.Header(b, off)
		next := start + n
		if n == len(m) && string(b[start:next]) == string(m) {
			return off
		}
		off = next
	}
	return -1
}

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	switch {
	case s.d != nil:
		_, ok := s.d.Get(m)
		return ok
	case isIntset(s.b):
		v, ok := resp.ParseInt(m)
		if !ok {
			return false
		}
		_, found := intsetSearch(s.b, v)
		return found
	}
	return s.findPacked(m) >= 0
}

// Add adds m (copied) and reports whether it was new. An intset converts
// to the hashtable encoding when m is not an integer or when it grows past
// maxIntset members.
func (s *Set) Add(m []byte, maxIntset int64) bool {
	if s.Intset() {
		if v, ok := resp.ParseInt(m); ok {
			if _, found := intsetSearch(s.b, v); found {
				return false
			}
			s.b = intsetAdd(s.b, v)
			if int64(intsetLen(s.b)) > maxIntset {
				s.toStrings()
			}
			return true
		}
		s.toStrings()
	}
	if s.d != nil {
		return s.d.Set(m, struct{}{})
	}
	if s.findPacked(m) >= 0 {
		return false
	}
	s.b = packed.Append(s.b, m)
	s.addCount(1)
	if s.Len() > compactMax || len(s.b) > compactBytes {
		s.toDict()
	}
	return true
}

// toStrings converts an intset to a (packed) set of strings.
func (s *Set) toStrings() {
	old := s.b
	n := intsetLen(old)
	b := make([]byte, strHeader, strHeader+n*4)
	var buf [20]byte
	for i := 0; i < n; i++ {
		b = packed.Append(b, strconv.AppendInt(buf[:0], intsetAt(old, i), 10))
	}
	binary.LittleEndian.PutUint32(b[1:], uint32(n))
	s.b = b
	if n > compactMax || len(b) > compactBytes {
		s.toDict()
	}
}

// toDict moves the members of a packed set of strings to a dict.
func (s *Set) toDict() {
	d := dict.New[struct{}]()
	s.Range(func(m []byte) bool {
		d.Set(m, struct{}{})
		return true
	})
	s.b, s.d = nil, d
}

// Remove removes m and reports whether it was a member.
func (s *Set) Remove(m []byte) bool {
	switch {
	case s.d != nil:
		return s.d.Delete(m)
	case isIntset(s.b):
		v, ok := resp.ParseInt(m)
		if !ok {
			return false
		}
		i, found := intsetSearch(s.b, v)
		if found {
			s.b = intsetRemoveAt(s.b, i)
		}
		return found
	}
	off := s.findPacked(m)
	if off < 0 {
		return false
	}
	s.b = packed.Cut(s.b, off, packed.Skip(s.b, off))
	s.addCount(-1)
	return true
}

// Range calls fn for each member until it returns false: in ascending
// numeric order for an intset, in no particular order otherwise. m
// aliases the set or a scratch buffer, valid only during the call; fn must
// not change the set.
func (s *Set) Range(fn func(m []byte) bool) {
	switch {
	case s.d != nil:
		s.d.Range(func(k string, _ struct{}) bool { return fn(bytesOf(k)) })
	case isIntset(s.b):
		var buf [20]byte
		for i, n := 0, intsetLen(s.b); i < n; i++ {
			if !fn(strconv.AppendInt(buf[:0], intsetAt(s.b, i), 10)) {
				return
			}
		}
	default:
		b := s.b
		for off := strHeader; off < len(b); {
			e, next := packed.Read(b, off)
			if !fn(e) {
				return
			}
			off = next
		}
	}
}

// ScanStep visits one step of a SCAN over the set and returns the next
// cursor (0 when done): an intset or packed set whole, as Redis does for
// its compact encodings, a dict one bucket at a time with package dict's
// resize-stable cursor.
func (s *Set) ScanStep(cursor uint64, fn func(m []byte)) uint64 {
	if s.d != nil {
		return s.d.Scan(cursor, func(k string, _ struct{}) { fn(bytesOf(k)) })
	}
	s.Range(func(m []byte) bool {
		fn(m)
		return true
	})
	return 0
}

// at returns member i of an intset or packed set, formatting integers
// into buf. Packed sets are walked, so callers sampling many members use
// offsets instead.
func (s *Set) at(i int, buf []byte) []byte {
	if isIntset(s.b) {
		return strconv.AppendInt(buf[:0], intsetAt(s.b, i), 10)
	}
	off := strHeader
	for ; i > 0; i-- {
		off = packed.Skip(s.b, off)
	}
	m, _ := packed.Read(s.b, off)
	return m
}

// Random returns a random member (formatted into buf when the set is an
// intset, else aliasing the set); the set must not be empty.
func (s *Set) Random(buf []byte) []byte {
	if s.d != nil {
		k, _, _ := s.d.Random(rand.Uint64)
		return bytesOf(k)
	}
	return s.at(rand.IntN(s.Len()), buf)
}

// Pop removes a random member and returns it (a fresh copy); the set must
// not be empty.
func (s *Set) Pop() []byte {
	var buf [20]byte
	m := append([]byte(nil), s.Random(buf[:0])...)
	s.Remove(m)
	return m
}

// Sample calls fn for count random members: with repetition when distinct
// is false, else count different members (count must then be below Len).
// m is valid only during the call; fn must not change the set.
func (s *Set) Sample(count int, distinct bool, fn func(m []byte)) {
	var buf [20]byte
	if s.d == nil {
		var offs []int
		if !isIntset(s.b) {
			offs = make([]int, 0, s.Len())
			for off := strHeader; off < len(s.b); off = packed.Skip(s.b, off) {
				offs = append(offs, off)
			}
		}
		get := func(i int) []byte {
			if offs == nil {
				return strconv.AppendInt(buf[:0], intsetAt(s.b, i), 10)
			}
			m, _ := packed.Read(s.b, offs[i])
			return m
		}
		n := s.Len()
		if !distinct {
			for ; count > 0; count-- {
				fn(get(rand.IntN(n)))
			}
			return
		}
		need, left := count, n
		for i := 0; i < n && need > 0; i++ {
			if rand.IntN(left) < need {
				fn(get(i))
				need--
			}
			left--
		}
		return
	}
	if !distinct {
		for ; count > 0; count-- {
			fn(s.Random(buf[:0]))
		}
		return
	}
	if count*3 > s.d.Len() {
		// Many of the members are wanted: list them all and drop random
		// ones until count remain.
		ks := make([]string, 0, s.d.Len())
		s.d.Range(func(k string, _ struct{}) bool {
			ks = append(ks, k)
			return true
		})
		for len(ks) > count {
			i := rand.IntN(len(ks))
			ks[i] = ks[len(ks)-1]
			ks = ks[:len(ks)-1]
		}
		for _, k := range ks {
			fn(bytesOf(k))
		}
		return
	}
	seen := make(map[string]struct{}, count)
	for len(seen) < count {
		k, _, _ := s.d.Random(rand.Uint64)
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		fn(bytesOf(k))
	}
}

// Clone returns a deep copy of the set (keyspace.Cloner, for COPY).
func (s *Set) Clone() any {
	if s.d == nil {
		return &Set{b: packed.Clone(s.b)}
	}
	d := dict.New[struct{}]()
	s.d.Range(func(k string, _ struct{}) bool {
		d.SetString(k, struct{}{})
		return true
	})
	return &Set{d: d}
}

// Prober returns the dict holding the members, for a pipeline's
// lookahead to prefetch from; nil while the set is packed.
func (s *Set) Prober() dict.Prober {
	if s.d == nil {
		return nil
	}
	return s.d
}
