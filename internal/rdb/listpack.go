package rdb

import (
	"encoding/binary"
	"errors"

	"github.com/respd/respd/internal/resp"
)

// A listpack (hash, zset and quicklist-node payloads since RDB 10, and
// stream nodes) is
//
//	<total bytes u32> <count u16> <entry>... <0xFF>
//
// little-endian; count is 65535 when the number of entries did not fit.
// Each entry is <encoding+data> <backlen>, where backlen is the size of
// <encoding+data> written so it can be read right to left: seven bits per
// byte, most significant group first, every byte but the first (leftmost)
// with the high bit set. The encodings:
//
//	0xxxxxxx                      7-bit unsigned integer
//	10llllll                      string, 6-bit length
//	110xxxxx xxxxxxxx             13-bit signed integer (big-endian bits)
//	1110llll llllllll             string, 12-bit length
//	0xF0 + u32                    string, 32-bit length
//	0xF1 / 0xF2 / 0xF3 / 0xF4     int16 / int24 / int32 / int64, little-endian
//
// Validation follows what Redis checks when it sanitizes a payload: sizes,
// terminator, each entry and its backlen inside the buffer, backlen
// agreeing with the entry, and the count.

const (
	lpHeaderSize   = 6
	lpEnd          = 0xFF
	lpCountUnknown = 0xFFFF
)

var (
	errLPHeader  = errors.New("listpack: bad header")
	errLPEntry   = errors.New("listpack: entry reaches past the end")
	errLPEncode  = errors.New("listpack: invalid entry encoding")
	errLPBacklen = errors.New("listpack: backlen does not match the entry")
	errLPCount   = errors.New("listpack: entry count does not match the header")
)

// listpackEntries validates a listpack and returns its entries in order.
// String entries alias b; integers are rendered in decimal into one shared
// buffer.
func listpackEntries(b []byte) ([][]byte, error) {
	if len(b) < lpHeaderSize+1 || uint64(binary.LittleEndian.Uint32(b)) != uint64(len(b)) ||
		b[len(b)-1] != lpEnd {
		return nil, errLPHeader
	}
	last := len(b) - 1
	header := int(binary.LittleEndian.Uint16(b[4:]))
	// An entry takes at least two bytes, which bounds the allocation
	// whatever the header claims; an unknown count (at least 65535 in a
	// listpack Redis wrote) grows from there.
	hint := min(header, (last-lpHeaderSize)/2)
	entries := make([][]byte, 0, hint)
	var nums []byte

	p := lpHeaderSize
	for b[p] != lpEnd {
		enc := b[p]
		var hdr int     // encoding bytes before the data
		var size uint64 // data bytes
		isStr := false
		switch {
		case enc < 0x80:
			hdr = 1
		case enc&0xC0 == 0x80:
			hdr, size, isStr = 1, uint64(enc&0x3f), true
		case enc&0xE0 == 0xC0:
			hdr, size = 1, 1
		case enc&0xF0 == 0xE0:
			if last-p < 2 {
				return nil, errLPEntry
			}
			hdr, size, isStr = 2, uint64(enc&0x0f)<<8|uint64(b[p+1]), true
		case enc == 0xF0:
			if last-p < 5 {
				return nil, errLPEntry
			}
			hdr, size, isStr = 5, uint64(binary.LittleEndian.Uint32(b[p+1:])), true
		case enc == 0xF1:
			hdr, size = 1, 2
		case enc == 0xF2:
			hdr, size = 1, 3
		case enc == 0xF3:
			hdr, size = 1, 4
		case enc == 0xF4:
			hdr, size = 1, 8
		default:
			return nil, errLPEncode
		}
		entryLen := uint64(hdr) + size
		next := uint64(p) + entryLen + uint64(lpBacklenSize(entryLen))
		if next > uint64(last) {
			return nil, errLPEntry
		}
		if lpDecodeBacklen(b, int(next)-1) != entryLen {
			return nil, errLPBacklen
		}
		data := p + hdr
		end := data + int(size)
		if isStr {
			entries = append(entries, b[data:end:end])
		} else {
			var v int64
			d := b[data:end]
			switch {
			case enc < 0x80:
				v = int64(enc)
			case enc&0xE0 == 0xC0:
				v = int64(enc&0x1f)<<8 | int64(d[0])
				if v >= 1<<12 {
					v -= 1 << 13
				}
			case enc == 0xF1:
				v = int64(int16(binary.LittleEndian.Uint16(d)))
			case enc == 0xF2:
				v = int64(int32(uint32(d[0])<<8|uint32(d[1])<<16|uint32(d[2])<<24)) >> 8
			case enc == 0xF3:
				v = int64(int32(binary.LittleEndian.Uint32(d)))
			default:
				v = int64(binary.LittleEndian.Uint64(d))
			}
			entries, nums = appendIntEntry(entries, nums, v)
		}
		p = int(next)
	}
	if p != last {
		return nil, errLPEntry
	}
	if header != lpCountUnknown && header != len(entries) {
		return nil, errLPCount
	}
	return entries, nil
}

// lpBacklenSize is how many bytes the backlen of an entry of size l takes.
func lpBacklenSize(l uint64) int {
	switch {
	case l < 1<<7:
		return 1
	case l < 1<<14:
		return 2
	case l < 1<<21:
		return 3
	case l < 1<<28:
		return 4
	}
	return 5
}

// lpDecodeBacklen reads the backlen ending at b[i], right to left, the way
// Redis does: it stops at the first byte without the high bit and gives
// up (returning an impossible size) after five bytes.
func lpDecodeBacklen(b []byte, i int) uint64 {
	var v uint64
	for shift := uint(0); i >= 0; shift += 7 {
		v |= uint64(b[i]&127) << shift
		if b[i]&128 == 0 {
			return v
		}
		if shift == 28 {
			break
		}
		i--
	}
	return ^uint64(0)
}

// lpWriter builds a listpack entry by entry, encoding each value exactly as
// Redis's lpAppend would, so the bytes match a DUMP of the same data. The
// zero value is an empty listpack.
type lpWriter struct {
	buf   []byte // header placeholder, entries, and the terminator once finished
	count int
	done  bool // buf ends with the terminator (bytes was called)
}

// reset empties the writer for a new listpack, keeping its buffer.
func (w *lpWriter) reset() {
	if w.buf != nil {
		w.buf = w.buf[:lpHeaderSize]
	}
	w.count, w.done = 0, false
}

// reopen readies buf for another entry, dropping the terminator that bytes
// added.
func (w *lpWriter) reopen() {
	if w.buf == nil {
		w.buf = make([]byte, lpHeaderSize, 64)
	}
	if w.done {
		w.buf = w.buf[:len(w.buf)-1]
		w.done = false
	}
}

// appendString adds s, stored as an integer when it is the canonical
// decimal form of an int64 (what Redis's string2ll accepts), as Redis does.
func (w *lpWriter) appendString(s []byte) {
	if v, ok := resp.ParseInt(s); ok {
		w.appendInt(v)
		return
	}
	w.reopen()
	start := len(w.buf)
	switch l := len(s); {
	case l < 1<<6:
		w.buf = append(w.buf, 0x80|byte(l))
	case l < 1<<12:
		w.buf = append(w.buf, 0xE0|byte(l>>8), byte(l))
	default:
		w.buf = append(w.buf, 0xF0)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(l))
	}
	w.buf = append(w.buf, s...)
	w.finishEntry(start)
}

// appendInt adds v in the smallest integer encoding that holds it.
func (w *lpWriter) appendInt(v int64) {
	w.reopen()
	start := len(w.buf)
	switch {
	case v >= 0 && v <= 127:
		w.buf = append(w.buf, byte(v))
	case v >= -1<<12 && v < 1<<12:
		u := uint16(v) & 0x1fff
		w.buf = append(w.buf, 0xC0|byte(u>>8), byte(u))
	case v >= -1<<15 && v < 1<<15:
		w.buf = append(w.buf, 0xF1)
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(v))
	case v >= -1<<23 && v < 1<<23:
		w.buf = append(w.buf, 0xF2, byte(v), byte(v>>8), byte(v>>16))
	case v >= -1<<31 && v < 1<<31:
		w.buf = append(w.buf, 0xF3)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(v))
	default:
		w.buf = append(w.buf, 0xF4)
		w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(v))
	}
	w.finishEntry(start)
}

// finishEntry appends the backlen of the entry written since start.
func (w *lpWriter) finishEntry(start int) {
	w.buf = lpAppendBacklen(w.buf, uint64(len(w.buf)-start))
	w.count++
}

// lpAppendBacklen appends the backlen for an entry of size l: its 7-bit
// groups, most significant first, with the high bit set on all but the
// first so a reader coming from the right knows where it ends.
func lpAppendBacklen(dst []byte, l uint64) []byte {
	n := lpBacklenSize(l)
	for i := n - 1; i >= 0; i-- {
		c := byte(l>>(7*uint(i))) & 127
		if i != n-1 {
			c |= 128
		}
		dst = append(dst, c)
	}
	return dst
}

// bytes finishes the listpack and returns it. The result shares the
// writer's buffer: appending more entries afterwards reuses it, so copy the
// result first if both are needed.
func (w *lpWriter) bytes() []byte {
	w.reopen()
	w.buf = append(w.buf, lpEnd)
	w.done = true
	binary.LittleEndian.PutUint32(w.buf, uint32(len(w.buf)))
	binary.LittleEndian.PutUint16(w.buf[4:], uint16(min(w.count, lpCountUnknown)))
	return w.buf
}
