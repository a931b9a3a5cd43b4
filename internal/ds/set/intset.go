package set

import (
	"encoding/binary"

	"github.com/respd/respd/internal/ds/packed"
)

// An intset is a sorted array of distinct integers, all stored with one
// width (2, 4 or 8 bytes, little-endian), the smallest that fits every
// member; adding a member that does not fit widens them all. It is the
// buffer's first byte (the width) followed by the members.

// widthFor is the smallest width that holds v.
func widthFor(v int64) byte {
	switch {
	case v >= -1<<15 && v < 1<<15:
		return 2
	case v >= -1<<31 && v < 1<<31:
		return 4
	}
	return 8
}

func isIntset(b []byte) bool { return b[0] != 0 }

func intsetLen(b []byte) int { return (len(b) - 1) / int(b[0]) }

func intsetAt(b []byte, i int) int64 {
	w := int(b[0])
	p := b[1+i*w:]
	switch w {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(p)))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(p)))
	}
	return int64(binary.LittleEndian.Uint64(p))
}

func intsetPut(b []byte, i int, v int64) {
	w := int(b[0])
	p := b[1+i*w:]
	switch w {
	case 2:
		binary.LittleEndian.PutUint16(p, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(p, uint32(v))
	default:
		binary.LittleEndian.PutUint64(p, uint64(v))
	}
}

// intsetSearch returns v's index, or where it would be inserted, and
// whether it is present.
func intsetSearch(b []byte, v int64) (int, bool) {
	lo, hi := 0, intsetLen(b)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if intsetAt(b, m) < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < intsetLen(b) && intsetAt(b, lo) == v
}

// intsetAdd inserts v (absent from b) and returns the new buffer.
func intsetAdd(b []byte, v int64) []byte {
	if w := widthFor(v); w > b[0] {
		b = intsetWiden(b, w)
	}
	i, _ := intsetSearch(b, v)
	n := intsetLen(b)
	w := int(b[0])
	b = packed.Grow(b, w)
	b = b[:len(b)+w]
	copy(b[1+(i+1)*w:], b[1+i*w:1+n*w])
	intsetPut(b, i, v)
	return b
}

// intsetWiden re-encodes every member with width w.
func intsetWiden(b []byte, w byte) []byte {
	n := intsetLen(b)
	nb := make([]byte, 1+n*int(w), 1+(n+1)*int(w))
	nb[0] = w
	for i := 0; i < n; i++ {
		intsetPut(nb, i, intsetAt(b, i))
	}
	return nb
}

// intsetRemoveAt removes the member at index i.
func intsetRemoveAt(b []byte, i int) []byte {
	w := int(b[0])
	copy(b[1+i*w:], b[1+(i+1)*w:])
	return b[:len(b)-w]
}
