package zset

import (
	"bytes"
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/respd/respd/internal/ds/packed"
)

// The small (listpack) form is one byte buffer: a 2-byte little-endian
// entry count, then the entries in order, each a member (package packed:
// a uvarint length and the bytes) followed by its score. A whole-number
// score that a float64 holds exactly is a uvarint of its zigzag encoding
// shifted left once (low bit 0), so integer scores up to ±67 million
// take one to four bytes; any other score is the byte 1 and the 8 bytes
// of its IEEE bits. An integer has no negative zero, which is how Redis's
// listpack loses the sign of -0 too.
//
// Every operation is a walk from the start, as in a listpack; the form
// only holds up to zset-max-listpack-entries members. A count that does
// not fit the header (a configuration allowing more than 65534 entries)
// is stored as smallCountCap and found by walking, as Redis's listpack
// does past its 16-bit count.
const (
	smallHeader = 2
	floatTag    = 1
	// maxExactInt bounds the scores stored as integers: every whole
	// number of smaller magnitude is exactly a float64.
	maxExactInt = 1 << 53
)

// smallCountCap is the header value meaning "count by walking". It is a
// variable so a test can reach that case without 65535 entries.
var smallCountCap = 0xFFFF

func smallCount(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	if n := int(binary.LittleEndian.Uint16(b)); n < smallCountCap {
		return n
	}
	n := 0
	for off := smallHeader; off < len(b); n++ {
		_, end := memberAt(b, off)
		off = skipScore(b, end)
	}
	return n
}

func setSmallCount(b []byte, n int) { binary.LittleEndian.PutUint16(b, uint16(min(n, smallCountCap))) }

// exactInt returns s as an integer when it is a whole number of
// magnitude below maxExactInt. The conversion comes first: it is cheap,
// and whatever it gives for NaN, infinities or huge values fails the
// range or round-trip check.
func exactInt(s float64) (int64, bool) {
	i := int64(s)
	return i, i > -maxExactInt && i < maxExactInt && float64(i) == s
}

// appendScore encodes s at the end of b.
func appendScore(b []byte, s float64) []byte {
	if i, ok := exactInt(s); ok {
		return binary.AppendUvarint(b, uint64((i<<1)^(i>>63))<<1)
	}
	b = append(b, floatTag)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(s))
}

// scoreSize is how many bytes appendScore would write for s.
func scoreSize(s float64) int {
	if i, ok := exactInt(s); ok {
		return packed.UvarintLen(uint64((i<<1)^(i>>63)) << 1)
	}
	return 9
}

// entrySize is how many bytes an entry of a member of n bytes and score
// s takes.
func entrySize(n int, s float64) int { return packed.UvarintLen(uint64(n)) + n + scoreSize(s) }

// readScore decodes the score at off and returns the offset after it.
// One-byte integers, the common case, are decoded without a further call.
func readScore(b []byte, off int) (float64, int) {
	if c := b[off]; c < 0x80 && c != floatTag {
		x := int64(c >> 1)
		return float64((x >> 1) ^ -(x & 1)), off + 1
	}
	return readLongScore(b, off)
}

func readLongScore(b []byte, off int) (float64, int) {
	if b[off] == floatTag {
		return math.Float64frombits(binary.LittleEndian.Uint64(b[off+1:])), off + 9
	}
	u, w := binary.Uvarint(b[off:])
	x := int64(u >> 1)
	return float64((x >> 1) ^ -(x & 1)), off + w
}

// skipScore returns the offset after the score at off.
func skipScore(b []byte, off int) int {
	if b[off] == floatTag {
		return off + 9
	}
	for b[off] >= 0x80 {
		off++
	}
	return off + 1
}

// memberAt returns where the member of the entry at off starts and ends,
// decoding the common one-byte length inline.
func memberAt(b []byte, off int) (start, end int) {
	if c := b[off]; c < 0x80 {
		return off + 1, off + 1 + int(c)
	}
	n, start := packed.Header(b, off)
	return start, start + n
}

// smallAt decodes the entry at off: its member (aliasing b), its score
// and the offset of the next entry.
func smallAt(b []byte, off int) (member []byte, score float64, next int) {
	start, end := memberAt(b, off)
	score, next = readScore(b, end)
	return b[start:end:end], score, next
}

// str views bytes of the buffer as a string without copying: it is valid
// until the buffer next changes in place.
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// smallFind returns the offset of m's entry and its score, or -1.
func (z *ZSet) smallFind(m []byte) (int, float64) {
	b := z.lp
	for off := smallHeader; off < len(b); {
		// The common one-byte length and integer score are decoded
		// here rather than in calls: this loop is ZSCORE's and ZADD's.
		var start, end int
		if c := b[off]; c < 0x80 {
			start, end = off+1, off+1+int(c)
		} else {
			start, end = memberAt(b, off)
		}
		// Members often share a prefix: the last byte rejects most
		// before a full comparison.
		if end-start == len(m) && (len(m) == 0 || b[end-1] == m[len(m)-1]) && string(b[start:end]) == string(m) {
			s, _ := readScore(b, end)
			return off, s
		}
		if c := b[end]; c < 0x80 && c != floatTag {
			off = end + 1
		} else {
			off = skipScore(b, end)
		}
	}
	return -1, 0
}

// smallRank returns the rank of the entry at off.
func (z *ZSet) smallRank(at int) int {
	b, r := z.lp, 0
	for off := smallHeader; off < at; r++ {
		_, end := memberAt(b, off)
		off = skipScore(b, end)
	}
	return r
}

// smallOffset returns the offset of the entry of rank r (len(lp) for
// r == Len()).
func (z *ZSet) smallOffset(r int) int {
	b, off := z.lp, smallHeader
	for ; r > 0; r-- {
		_, end := memberAt(b, off)
		off = skipScore(b, end)
	}
	return off
}

// smallPos returns the offset where (score, member) belongs among the
// entries in [from, to), which the caller knows to hold that place.
func (z *ZSet) smallPos(score float64, member []byte, from, to int) int {
	b := z.lp
	off := from
	for off < to {
		var start, end, next int
		if c := b[off]; c < 0x80 {
			start, end = off+1, off+1+int(c)
		} else {
			start, end = memberAt(b, off)
		}
		var s float64
		if c := b[end]; c < 0x80 && c != floatTag {
			x := int64(c >> 1)
			s, next = float64((x>>1)^-(x&1)), end+1
		} else {
			s, next = readLongScore(b, end)
		}
		if s > score || (s == score && bytes.Compare(b[start:end], member) >= 0) {
			break
		}
		off = next
	}
	return off
}

// smallInsert adds (member, score), which must be absent, in order.
// member must not alias the buffer.
func (z *ZSet) smallInsert(member []byte, score float64) {
	score = lpScore(score)
	if len(z.lp) == 0 {
		z.lp = make([]byte, smallHeader, smallHeader+entrySize(len(member), score))
	}
	off := z.smallPos(score, member, smallHeader, len(z.lp))
	size := entrySize(len(member), score)
	b := packed.Grow(z.lp, size)
	b = b[:len(b)+size]
	copy(b[off+size:], b[off:len(b)-size])
	e := binary.AppendUvarint(b[off:off], uint64(len(member)))
	e = append(e, member...)
	appendScore(e, score)
	if h := int(binary.LittleEndian.Uint16(b)); h < smallCountCap {
		setSmallCount(b, h+1)
	}
	z.lp = b
}

// smallRemove cuts the entries in [off, end), n of them.
func (z *ZSet) smallRemove(off, end, n int) {
	h := int(binary.LittleEndian.Uint16(z.lp))
	z.lp = packed.Cut(z.lp, off, end)
	if h < smallCountCap {
		setSmallCount(z.lp, h-n)
	} else {
		setSmallCount(z.lp, smallCount(z.lp)) // walked: the header held no count
	}
}

// smallSetScore moves the entry at off from score old to score, which
// differs, in one walk and one pass of moves, without allocating for
// members up to 62 bytes.
func (z *ZSet) smallSetScore(off int, old, score float64) {
	score = lpScore(score)
	b := z.lp
	var ms, me int
	if c := b[off]; c < 0x80 {
		ms, me = off+1, off+1+int(c)
	} else {
		ms, me = memberAt(b, off)
	}
	end := skipScore(b, me)
	var tmp [64]byte
	head := append(tmp[:0], b[off:me]...) // the length prefix and member
	member := head[ms-off:]
	n := len(head) + scoreSize(score)
	d := n - (end - off)
	// p is where the entry goes among the others: before the entry at
	// p, or at the end. A higher score only moves it later, a lower one
	// earlier, so only that side is walked.
	var p int
	if score > old {
		p = z.smallPos(score, member, end, len(b))
	} else if p = z.smallPos(score, member, smallHeader, off); p == off {
		p = end // it stays where it is
	}
	size := len(b)
	if d > 0 {
		b = packed.Grow(b, d)
		b = b[:size+d]
	}
	var at int
	if p < off {
		// Earlier: the tail shifts by d, then [p, off) moves up past
		// the new entry.
		copy(b[end+d:], b[end:size])
		copy(b[p+n:], b[p:off])
		at = p
	} else {
		// Later (or in place): [end, p) moves down over the old entry,
		// then the tail from p shifts by d.
		copy(b[off:], b[end:p])
		at = off + p - end
		copy(b[at+n:], b[p:size])
	}
	b = b[:size+d]
	copy(b[at:], head)
	appendScore(b[at+len(head):at+len(head)], score)
	z.lp = b
}

// smallEntry makes an Entry of the entry at off, whose member aliases the
// buffer.
func smallEntry(b []byte, off int) (Entry, int) {
	m, s, next := smallAt(b, off)
	return Entry{Member: str(m), Score: s}, next
}

// buildSmall packs entries, sorted and with distinct members, with no
// spare capacity.
func buildSmall(entries []Entry) []byte {
	size := smallHeader
	for i := range entries {
		size += entrySize(len(entries[i].Member), entries[i].Score)
	}
	b := make([]byte, smallHeader, size)
	for i := range entries {
		b = binary.AppendUvarint(b, uint64(len(entries[i].Member)))
		b = append(b, entries[i].Member...)
		b = appendScore(b, entries[i].Score)
	}
	setSmallCount(b, len(entries))
	return b
}
