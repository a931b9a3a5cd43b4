package rdb

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// A ziplist (RDB types 10, 12, 13 and the nodes of type 14) is
//
//	<zlbytes u32> <zltail u32> <zllen u16> <entry>... <0xFF>
//
// all little-endian. zltail is the offset of the last entry; zllen is the
// entry count, or 0xFFFF when it did not fit. Each entry is
//
//	<prevlen> <encoding> <data>
//
// prevlen is the previous entry's total size: one byte when below 254,
// else 0xFE and a u32 (Redis sometimes keeps the long form for small sizes
// to avoid cascading rewrites, so either form is accepted). The encoding:
//
//	00llllll                      string, 6-bit length
//	01llllll llllllll             string, 14-bit big-endian length
//	10xxxxxx + 4 bytes            string, 32-bit big-endian length
//	0xC0 / 0xD0 / 0xE0            int16 / int32 / int64
//	0xF0 / 0xFE                   int24 / int8
//	0xF1 .. 0xFD                  immediate 0 .. 12 (low nibble - 1)
//
// The checks are the ones Redis makes when sanitizing a payload: size and
// terminator, every entry inside the buffer, each prevlen equal to the
// previous entry's size, zltail pointing at the last entry, and the count.

const (
	zlHeaderSize = 10
	zlEnd        = 0xFF
	zlBigPrevlen = 0xFE
	zlCountMax   = 0xFFFF
)

var (
	errZLHeader  = errors.New("ziplist: bad header")
	errZLEntry   = errors.New("ziplist: entry reaches past the end")
	errZLEncode  = errors.New("ziplist: invalid entry encoding")
	errZLPrevlen = errors.New("ziplist: prevlen does not match the previous entry")
	errZLTail    = errors.New("ziplist: tail offset does not point at the last entry")
	errZLCount   = errors.New("ziplist: entry count does not match the header")
)

// ziplistEntries validates a ziplist and returns its entries in order.
// String entries alias b; integers are rendered in decimal into one shared
// buffer.
func ziplistEntries(b []byte) ([][]byte, error) {
	if len(b) < zlHeaderSize+1 || uint64(binary.LittleEndian.Uint32(b)) != uint64(len(b)) ||
		b[len(b)-1] != zlEnd {
		return nil, errZLHeader
	}
	last := len(b) - 1 // index of the terminator; no entry byte may reach it
	tail := uint64(binary.LittleEndian.Uint32(b[4:]))
	if tail > uint64(last) {
		return nil, errZLHeader
	}
	header := int(binary.LittleEndian.Uint16(b[8:]))

	// The smallest entry takes two bytes, which bounds the allocation
	// whatever the header claims; an unknown count (0xFFFF) grows from
	// there.
	hint := min(header, (last-zlHeaderSize)/2)
	entries := make([][]byte, 0, hint)
	var nums []byte

	p, prevSize, prevStart := zlHeaderSize, 0, -1
	for b[p] != zlEnd {
		start := p
		var prevlen uint64
		if b[p] < zlBigPrevlen {
			prevlen = uint64(b[p])
			p++
		} else {
			if last-p < 5 {
				return nil, errZLEntry
			}
			prevlen = uint64(binary.LittleEndian.Uint32(b[p+1:]))
			p += 5
		}
		if p >= last {
			return nil, errZLEntry
		}
		enc := b[p]
		var hdr int     // encoding bytes
		var size uint64 // data bytes
		isStr := true
		switch enc >> 6 {
		case 0:
			hdr, size = 1, uint64(enc&0x3f)
		case 1:
			if last-p < 2 {
				return nil, errZLEntry
			}
			hdr, size = 2, uint64(enc&0x3f)<<8|uint64(b[p+1])
		case 2:
			// The low six bits are ignored, as Redis does.
			if last-p < 5 {
				return nil, errZLEntry
			}
			hdr, size = 5, uint64(binary.BigEndian.Uint32(b[p+1:]))
		default:
			isStr = false
			hdr = 1
			switch enc {
			case 0xFE:
				size = 1
			case 0xC0:
				size = 2
			case 0xF0:
				size = 3
			case 0xD0:
				size = 4
			case 0xE0:
				size = 8
			default:
				if enc < 0xF1 || enc > 0xFD {
					return nil, errZLEncode
				}
			}
		}
		data := p + hdr
		if uint64(data)+size > uint64(last) {
			return nil, errZLEntry
		}
		end := data + int(size)
		if prevlen != uint64(prevSize) {
			return nil, errZLPrevlen
		}
		if isStr {
			entries = append(entries, b[data:end:end])
		} else {
			var v int64
			d := b[data:end]
			switch enc {
			case 0xFE:
				v = int64(int8(d[0]))
			case 0xC0:
				v = int64(int16(binary.LittleEndian.Uint16(d)))
			case 0xF0:
				v = int64(int32(uint32(d[0])<<8|uint32(d[1])<<16|uint32(d[2])<<24)) >> 8
			case 0xD0:
				v = int64(int32(binary.LittleEndian.Uint32(d)))
			case 0xE0:
				v = int64(binary.LittleEndian.Uint64(d))
			default:
				v = int64(enc&0x0f) - 1
			}
			entries, nums = appendIntEntry(entries, nums, v)
		}
		prevSize, prevStart = end-start, start
		p = end
	}
	if p != last {
		return nil, errZLEntry
	}
	if prevStart >= 0 && uint64(prevStart) != tail {
		return nil, errZLTail
	}
	if header != zlCountMax && header != len(entries) {
		return nil, errZLCount
	}
	return entries, nil
}

// appendIntEntry renders v in decimal at the end of nums and appends that
// slice to entries. Slices handed out earlier stay valid when nums grows
// (they keep the old array); capping each one keeps a caller's append from
// overwriting its neighbour.
func appendIntEntry(entries [][]byte, nums []byte, v int64) ([][]byte, []byte) {
	if cap(nums)-len(nums) < 20 {
		nums = make([]byte, 0, max(256, 2*cap(nums)))
	}
	n := len(nums)
	nums = strconv.AppendInt(nums, v, 10)
	return append(entries, nums[n:len(nums):len(nums)]), nums
}
