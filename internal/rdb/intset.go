package rdb

import (
	"encoding/binary"
	"errors"
)

// An intset (RDB type 11) is
//
//	<encoding u32> <count u32> <member>...
//
// little-endian, each member a signed integer of encoding bytes (2, 4 or
// 8), sorted ascending without duplicates. Redis rejects an intset that is
// empty, whose size is not exactly header plus count members, or (when
// sanitizing) whose members are out of order; so does this decoder.

var (
	errISHeader = errors.New("intset: bad encoding or size")
	errISEmpty  = errors.New("intset: no members")
	errISOrder  = errors.New("intset: members not strictly ascending")
)

// intsetMembers validates an intset and returns its members in order.
func intsetMembers(b []byte) ([]int64, error) {
	if len(b) < 8 {
		return nil, errISHeader
	}
	enc := binary.LittleEndian.Uint32(b)
	if enc != 2 && enc != 4 && enc != 8 {
		return nil, errISHeader
	}
	n := binary.LittleEndian.Uint32(b[4:])
	if 8+uint64(n)*uint64(enc) != uint64(len(b)) {
		return nil, errISHeader
	}
	if n == 0 {
		return nil, errISEmpty
	}
	out := make([]int64, n)
	d := b[8:]
	switch enc {
	case 2:
		for i := range out {
			out[i] = int64(int16(binary.LittleEndian.Uint16(d[2*i:])))
		}
	case 4:
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(d[4*i:])))
		}
	default:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(d[8*i:]))
		}
	}
	for i := 1; i < len(out); i++ {
		if out[i] <= out[i-1] {
			return nil, errISOrder
		}
	}
	return out, nil
}
