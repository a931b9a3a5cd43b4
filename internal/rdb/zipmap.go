package rdb

import (
	"encoding/binary"
	"errors"
)

// A zipmap is the hash encoding of RDB files written before Redis 2.6
// (RDB type 9):
//
//	<count u8> (<len> <field> <len> <free u8> <value> <free bytes>)... <0xFF>
//
// count is the number of pairs, or 254 when it did not fit. A length is
// one byte when below 254, otherwise a marker byte followed by a u32
// (little-endian, as every machine that wrote these files was). free is
// unused space after the value, skipped.
//
// Validation follows Redis's deep check of a loaded zipmap: every length
// and its data inside the buffer, at least one pair, and the count. Like
// Redis, the walk stops at the first field position holding 0xFF, and only
// the last byte of the buffer has to be 0xFF. A short length written in
// the long form is refused: Redis never writes one, and Redis 7.0 rejects
// such a map when it converts it.

const (
	zmBigLen = 254
	zmEnd    = 0xFF
)

var (
	errZMHeader = errors.New("zipmap: bad header or terminator")
	errZMEntry  = errors.New("zipmap: entry reaches past the end")
	errZMEmpty  = errors.New("zipmap: no pairs")
	errZMCount  = errors.New("zipmap: pair count does not match the header")
)

// zipmapPairs validates a zipmap and returns field, value, field, value...
// aliasing b.
func zipmapPairs(b []byte) ([][]byte, error) {
	if len(b) < 2 || b[len(b)-1] != zmEnd {
		return nil, errZMHeader
	}
	last := len(b) - 1
	// The smallest pair (empty field and value) takes three bytes, which
	// bounds the allocation whatever the count byte claims.
	hint := 2 * min(int(b[0]), (last-1)/3)
	pairs := make([][]byte, 0, hint)

	p := 1
	for b[p] != zmEnd {
		field, next, ok := zmString(b, p, false)
		if !ok {
			return nil, errZMEntry
		}
		value, next, ok := zmString(b, next, true)
		if !ok {
			return nil, errZMEntry
		}
		pairs = append(pairs, field, value)
		p = next
	}
	if len(pairs) == 0 {
		return nil, errZMEmpty
	}
	if b[0] != zmBigLen && int(b[0]) != len(pairs)/2 {
		return nil, errZMCount
	}
	return pairs, nil
}

// zmString reads the length-prefixed string at p; a value is followed by
// its free byte and that many unused bytes. It returns the string, the
// position after it, and false when anything reaches the terminator.
func zmString(b []byte, p int, value bool) ([]byte, int, bool) {
	last := len(b) - 1
	// Any marker from 254 up means a 4-byte length, as in Redis (255 only
	// ends the map where a field would start, which the caller checks).
	lenSize := 1
	if b[p] >= zmBigLen {
		lenSize = 5
	}
	if last-p < lenSize {
		return nil, 0, false
	}
	l := uint64(b[p])
	if lenSize == 5 {
		l = uint64(binary.LittleEndian.Uint32(b[p+1:]))
		if l < zmBigLen {
			// Redis validates such a length by its marker but then walks
			// the map sizing it by its value, misreading everything after;
			// it ends up refusing the map, and so does this.
			return nil, 0, false
		}
	}
	start := uint64(p + lenSize)
	var free uint64
	if value {
		free = uint64(b[start])
		start++
	}
	end := start + l
	if end+free > uint64(last) {
		return nil, 0, false
	}
	return b[start:end:end], int(end + free), true
}
