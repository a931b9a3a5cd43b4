package stream

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/respd/respd/internal/resp"
)

// A block holds a run of consecutive entries encoded in one byte slice, so
// a stream costs a few bytes per entry instead of a Go object per entry.
// The first entry added to a block is its master: its ID is the block's
// key in the tree, and its field names are kept once in fields; every
// entry stores its ID as a delta from the master's, and an entry whose
// field names are the master's (the common case: a stream's entries tend
// to share a schema) stores only its values.
//
// Entry layout in data:
//
//	flags       1 byte: flagDeleted, flagSameFields
//	ms delta    uvarint, ms - master.Ms
//	seq         uvarint, seq - master.Seq when the ms delta is 0, else seq
//	[n]         uvarint field count, only without flagSameFields
//	[fields]    uvarint length + bytes for each field (or value) in order:
//	            values only with flagSameFields, else field, value, ...
//
// Deleting an entry only sets its flag, as in Redis: the block goes away
// when its last live entry does. Blocks are walked backwards by collecting
// the entries' offsets first; a block holds about a hundred entries.
type block struct {
	master ID
	// last is the ID of the last entry added, deleted or not.
	last    ID
	fields  []byte
	nfields int
	data    []byte
	live    int
	deleted int
	// lpFixed is the size Redis's listpack for the same entries would have,
	// less its live and deleted counters; Redis decides where a node ends
	// by that size, and matching its decisions keeps approximate trimming
	// and XINFO's node counts the same.
	lpFixed int
}

const (
	flagDeleted    = 1
	flagSameFields = 2
)

func newBlock(id ID, fv [][]byte) *block {
	b := &block{master: id, last: id, nfields: len(fv) / 2}
	size := 0
	for i := 0; i < len(fv); i += 2 {
		size += len(fv[i]) + 1
	}
	b.fields = make([]byte, 0, size)
	b.lpFixed = lpHeaderSize + lpIntSize(int64(b.nfields)) + lpIntSize(0)
	for i := 0; i < len(fv); i += 2 {
		b.fields = appendString(b.fields, fv[i])
		b.lpFixed += lpStringSize(fv[i])
	}
	return b
}

// lpBytes is the size of the listpack Redis would hold for this block.
func (b *block) lpBytes() int {
	return b.lpFixed + lpIntSize(int64(b.live)) + lpIntSize(int64(b.deleted))
}

func appendString(dst, s []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// readString returns the length-prefixed string at off and the offset
// after it.
func readString(b []byte, off int) ([]byte, int) {
	n, w := binary.Uvarint(b[off:])
	off += w
	return b[off : off+int(n)], off + int(n)
}

func skipString(b []byte, off int) int {
	n, w := binary.Uvarint(b[off:])
	return off + w + int(n)
}

// sameFields reports whether fv's field names are the master's.
func (b *block) sameFields(fv [][]byte) bool {
	if len(fv)/2 != b.nfields {
		return false
	}
	off := 0
	for i := 0; i < len(fv); i += 2 {
		var f []byte
		f, off = readString(b.fields, off)
		if !bytes.Equal(f, fv[i]) {
			return false
		}
	}
	return true
}

// add appends an entry; id must be greater than every ID in the block.
func (b *block) add(id ID, fv [][]byte) {
	same := b.sameFields(fv)
	flags := byte(0)
	if same {
		flags = flagSameFields
	}
	msDelta := id.Ms - b.master.Ms
	seq := id.Seq
	if msDelta == 0 {
		seq -= b.master.Seq
	}
	b.data = append(b.data, flags)
	b.data = binary.AppendUvarint(b.data, msDelta)
	b.data = binary.AppendUvarint(b.data, seq)
	n := len(fv) / 2
	lp := lpIntSize(int64(flags)) + lpIntSize(int64(msDelta)) + lpIntSize(int64(id.Seq-b.master.Seq))
	lpCount := 3 + n
	if same {
		for i := 1; i < len(fv); i += 2 {
			b.data = appendString(b.data, fv[i])
			lp += lpStringSize(fv[i])
		}
	} else {
		b.data = binary.AppendUvarint(b.data, uint64(n))
		lp += lpIntSize(int64(n))
		for _, s := range fv {
			b.data = appendString(b.data, s)
			lp += lpStringSize(s)
		}
		lpCount += n + 1
	}
	b.lpFixed += lp + lpIntSize(int64(lpCount))
	b.live++
	b.last = id
}

// entryAt decodes the entry header at off: its ID, flags and the offset
// of its fields.
func (b *block) entryAt(off int) (id ID, flags byte, body int) {
	flags = b.data[off]
	off++
	msDelta, w := binary.Uvarint(b.data[off:])
	off += w
	seq, w := binary.Uvarint(b.data[off:])
	off += w
	id.Ms = b.master.Ms + msDelta
	id.Seq = seq
	if msDelta == 0 {
		id.Seq += b.master.Seq
	}
	return id, flags, off
}

// skipBody returns the offset after the fields of an entry whose fields
// start at off.
func (b *block) skipBody(flags byte, off int) int {
	n := b.nfields
	if flags&flagSameFields == 0 {
		c, w := binary.Uvarint(b.data[off:])
		off += w
		n = 2 * int(c)
	}
	for i := 0; i < n; i++ {
		off = skipString(b.data, off)
	}
	return off
}

// readBody appends the entry's field, value pairs to fv, as slices into
// the block.
func (b *block) readBody(flags byte, off int, fv [][]byte) ([][]byte, int) {
	if flags&flagSameFields != 0 {
		moff := 0
		for i := 0; i < b.nfields; i++ {
			var f, v []byte
			f, moff = readString(b.fields, moff)
			v, off = readString(b.data, off)
			fv = append(fv, f, v)
		}
		return fv, off
	}
	c, w := binary.Uvarint(b.data[off:])
	off += w
	for i := 0; i < 2*int(c); i++ {
		var s []byte
		s, off = readString(b.data, off)
		fv = append(fv, s)
	}
	return fv, off
}

// offsets appends the offsets of every entry in the block, in order.
func (b *block) offsets(dst []int) []int {
	for off := 0; off < len(b.data); {
		dst = append(dst, off)
		_, flags, body := b.entryAt(off)
		off = b.skipBody(flags, body)
	}
	return dst
}

// find returns the offset of the entry with the given ID, or -1.
func (b *block) find(id ID) int {
	for off := 0; off < len(b.data); {
		eid, flags, body := b.entryAt(off)
		switch eid.Compare(id) {
		case 0:
			return off
		case 1:
			return -1
		}
		off = b.skipBody(flags, body)
	}
	return -1
}

// markDeleted flags the entry at off deleted; false if it already was.
func (b *block) markDeleted(off int) bool {
	if b.data[off]&flagDeleted != 0 {
		return false
	}
	b.data[off] |= flagDeleted
	b.live--
	b.deleted++
	return true
}

// seal trims spare capacity once no more entries will be added.
func (b *block) seal() {
	if cap(b.data)-len(b.data) > len(b.data)/16 {
		b.data = append(make([]byte, 0, len(b.data)), b.data...)
	}
}

func (b *block) clone() *block {
	c := *b
	c.fields = bytes.Clone(b.fields)
	c.data = bytes.Clone(b.data)
	return &c
}

// Redis's listpack sizes, for lpFixed: a 6-byte header and a 1-byte end
// mark; each element is an encoding byte or more, its data, and a
// back-length of 1 to 5 bytes. Strings that read as integers are stored
// as integers.
const lpHeaderSize = 7

func lpBacklen(n int) int {
	switch {
	case n <= 127:
		return 1
	case n < 16383:
		return 2
	case n < 2097151:
		return 3
	case n < 268435455:
		return 4
	}
	return 5
}

func lpIntSize(v int64) int {
	var n int
	switch {
	case v >= 0 && v <= 127:
		n = 1
	case v >= -4096 && v <= 4095:
		n = 2
	case v >= -32768 && v <= 32767:
		n = 3
	case v >= -8388608 && v <= 8388607:
		n = 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		n = 5
	default:
		n = 9
	}
	return n + lpBacklen(n)
}

func lpStringSize(s []byte) int {
	if v, ok := resp.ParseInt(s); ok {
		return lpIntSize(v)
	}
	n := len(s)
	switch {
	case n < 64:
		n++
	case n < 4096:
		n += 2
	default:
		n += 5
	}
	return n + lpBacklen(n)
}
