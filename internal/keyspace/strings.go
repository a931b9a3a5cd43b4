package keyspace

import "unsafe"

// Memory layout of new string keys. Most keys of a big keyspace are
// short strings, and each would otherwise cost three heap objects: the
// Object, the value's buffer and the key table's copy of the name. A
// short one is instead a single allocation: the Object followed by an
// array holding the name and then the value, sized to the next Go size
// class. One object instead of three means less for the collector to
// mark and fewer allocations on insert, and one rounding to a size class
// instead of three usually saves bytes.
//
// The name keeps the whole allocation alive for as long as the key
// exists, even if the key later gets another object or the value moves to
// a bigger buffer, so only small strings are laid out this way: the waste
// stays bounded by the largest of these layouts. The value's slice starts
// after the name, so writing into it, or appending within its capacity,
// never touches the name.

// The layouts; with a 56-byte Object they fill the 64-, 80-, 96-, 112- and
// 128-byte size classes.
type (
	string8 struct {
		Object
		b [8]byte
	}
	string24 struct {
		Object
		b [24]byte
	}
	string40 struct {
		Object
		b [40]byte
	}
	string56 struct {
		Object
		b [56]byte
	}
	string72 struct {
		Object
		b [72]byte
	}
)

// sharedBufMax is the longest value that, when the name and value do not
// fit the Object's own layouts, still shares one buffer with the name.
const sharedBufMax = 64

// newString returns a new string object holding val and the name the key
// table may keep for key (empty when it must copy key itself).
func newString(key, val []byte) (*Object, string) {
	n := len(key) + len(val)
	var o *Object
	var buf []byte
	switch {
	case n <= 8:
		s := new(string8)
		o, buf = &s.Object, s.b[:]
	case n <= 24:
		s := new(string24)
		o, buf = &s.Object, s.b[:]
	case n <= 40:
		s := new(string40)
		o, buf = &s.Object, s.b[:]
	case n <= 56:
		s := new(string56)
		o, buf = &s.Object, s.b[:]
	case n <= 72:
		s := new(string72)
		o, buf = &s.Object, s.b[:]
	case len(val) <= sharedBufMax:
		o, buf = new(Object), make([]byte, n)
	default:
		return &Object{Type: TypeString, Enc: StringEncoding(val), Str: append([]byte(nil), val...)}, ""
	}
	copy(buf, key)
	copy(buf[len(key):], val)
	o.Type, o.Enc = TypeString, StringEncoding(val)
	// The value may grow in place into the rest of the array.
	o.Str = buf[len(key):n]
	return o, unsafe.String(unsafe.SliceData(buf), len(key))
}
