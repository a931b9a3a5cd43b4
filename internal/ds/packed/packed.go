// Package packed stores a sequence of byte strings in one byte buffer, each
// prefixed by its length as a uvarint. It is the compact form of small
// hashes and sets: one allocation for the whole collection and one or two
// bytes of overhead per string, where a Go map or a table of string headers
// would cost tens of bytes per element.
//
// Every operation is a linear walk, so callers keep packed buffers small.
// The functions take and return the buffer and offsets into it; an offset
// is where an entry's length prefix starts.
package packed

import "encoding/binary"

// Header returns the length of the string whose entry starts at off and
// where that string starts.
func Header(b []byte, off int) (n, start int) {
	if c := b[off]; c < 0x80 {
		// Strings under 128 bytes, the common case, have a one-byte
		// prefix.
		return int(c), off + 1
	}
	u, w := binary.Uvarint(b[off:])
	return int(u), off + w
}

// Read returns the string whose entry starts at off and the offset of the
// entry after it. The string aliases b.
func Read(b []byte, off int) (s []byte, next int) {
	n, start := Header(b, off)
	end := start + n
	return b[start:end:end], end
}

// Skip returns the offset of the entry after the one starting at off.
func Skip(b []byte, off int) int {
	n, start := Header(b, off)
	return start + n
}

// Size is how many bytes s takes as an entry.
func Size(s []byte) int {
	return UvarintLen(uint64(len(s))) + len(s)
}

// UvarintLen is how many bytes x takes as an unsigned varint, the form
// entry lengths are written in.
func UvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// Append adds s as a new entry at the end of b.
func Append(b []byte, s []byte) []byte {
	b = Grow(b, Size(s))
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Replace rewrites the bytes [off, end) of b as the single entry s,
// moving what follows as needed.
func Replace(b []byte, off, end int, s []byte) []byte {
	size := Size(s)
	old := end - off
	if size > old {
		b = Grow(b, size-old)
	}
	tail := len(b) - end
	b = b[:off+size+tail]
	copy(b[off+size:], b[end:end+tail])
	w := binary.PutUvarint(b[off:], uint64(len(s)))
	copy(b[off+w:], s)
	return b
}

// Cut removes the bytes [off, end) of b, which must span whole entries.
func Cut(b []byte, off, end int) []byte {
	n := copy(b[off:], b[end:])
	return b[:off+n]
}

// Grow makes room for extra more bytes. Unlike append it grows by an
// eighth rather than doubling, rounded to the allocator's 16-byte classes:
// packed buffers live as long as their key, so slack is memory kept for
// good, while an insertion already costs a walk of the buffer.
func Grow(b []byte, extra int) []byte {
	need := len(b) + extra
	if need <= cap(b) {
		return b
	}
	c := need + need/8
	c = (c + 15) &^ 15
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

// Clone returns a copy of b with no spare capacity.
func Clone(b []byte) []byte {
	nb := make([]byte, len(b))
	copy(nb, b)
	return nb
}
