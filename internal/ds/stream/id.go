package stream

import (
	"math"
	"strconv"

	"github.com/respd/respd/internal/resp"
)

// ID is a stream entry ID: milliseconds and a sequence number, ordered as
// one 128-bit number with Ms as the high half.
type ID struct{ Ms, Seq uint64 }

// MaxID is the largest ID ("+" in ranges).
var MaxID = ID{math.MaxUint64, math.MaxUint64}

// Compare returns -1, 0 or 1 as a is less than, equal to or greater than b.
func (a ID) Compare(b ID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// Less reports whether a sorts before b.
func (a ID) Less(b ID) bool { return a.Ms < b.Ms || (a.Ms == b.Ms && a.Seq < b.Seq) }

// IsZero reports whether id is 0-0.
func (id ID) IsZero() bool { return id.Ms == 0 && id.Seq == 0 }

// Incr returns the next ID, carrying the sequence into the milliseconds;
// false when id is MaxID.
func (id ID) Incr() (ID, bool) {
	switch {
	case id.Seq < math.MaxUint64:
		return ID{id.Ms, id.Seq + 1}, true
	case id.Ms < math.MaxUint64:
		return ID{id.Ms + 1, 0}, true
	}
	return id, false
}

// Decr returns the previous ID; false when id is 0-0.
func (id ID) Decr() (ID, bool) {
	switch {
	case id.Seq > 0:
		return ID{id.Ms, id.Seq - 1}, true
	case id.Ms > 0:
		return ID{id.Ms - 1, math.MaxUint64}, true
	}
	return id, false
}

// Append appends the "ms-seq" form of id to b.
func (id ID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, id.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, id.Seq, 10)
}

// String is the "ms-seq" form of id.
func (id ID) String() string { return string(id.Append(nil)) }

// key is id as 16 big-endian bytes: the order of IDs is the order of keys,
// which is what a radix tree keyed like Redis's sees.
func (id ID) key() (k [16]byte) {
	for i := 0; i < 8; i++ {
		k[i] = byte(id.Ms >> (56 - 8*i))
		k[8+i] = byte(id.Seq >> (56 - 8*i))
	}
	return k
}

// maxIDArgLen is the longest ID argument Redis accepts: it copies the
// argument into a 128-byte buffer and rejects what does not fit.
const maxIDArgLen = 127

// ParseUint reads a decimal unsigned 64-bit number the way Redis's
// string2ull does: a canonical integer is taken as is (negative ones are
// rejected); anything else goes through C's strtoull, which skips leading
// white space, takes an optional sign (a '-' negates modulo 2^64) and
// fails on overflow or trailing bytes.
func ParseUint(b []byte) (uint64, bool) {
	if v, ok := resp.ParseInt(b); ok {
		return uint64(v), v >= 0
	}
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(d))/10 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	if neg {
		v = -v
	}
	return v, true
}

func isCSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

// ParseID reads an ID argument of the form <ms>[-<seq>]; a missing
// sequence is missingSeq. When autoSeq is set, "<ms>-*" is accepted too and
// reported by auto (its Seq is 0). The special forms "-", "+", "$", ">" and
// "(" prefixes are the callers' business.
func ParseID(b []byte, missingSeq uint64, autoSeq bool) (id ID, auto, ok bool) {
	if len(b) > maxIDArgLen {
		return ID{}, false, false
	}
	// C strings end at a NUL byte.
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	msPart, seqPart, hasSeq := cut(b, '-')
	ms, okMs := ParseUint(msPart)
	if !okMs {
		return ID{}, false, false
	}
	if !hasSeq {
		return ID{ms, missingSeq}, false, true
	}
	if autoSeq && len(seqPart) == 1 && seqPart[0] == '*' {
		return ID{ms, 0}, true, true
	}
	seq, okSeq := ParseUint(seqPart)
	if !okSeq {
		return ID{}, false, false
	}
	return ID{ms, seq}, false, true
}

func cut(b []byte, sep byte) ([]byte, []byte, bool) {
	for i, c := range b {
		if c == sep {
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}
