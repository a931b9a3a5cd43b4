package command

import (
	"math"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

var (
	errLCSType    = resp.Error("ERR The specified keys must contain string values")
	errLCSLenIdx  = resp.Error("ERR If you want both the length and indexes, please just use IDX.")
	errLCSTooLong = resp.Error("ERR String too long for LCS")
	errLCSMemory  = resp.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
)

// lcsRange is one run of consecutive matching bytes, as inclusive
// positions in each string.
type lcsRange struct{ aStart, aEnd, bStart, bEnd int }

func lcsCommand(c *Ctx) {
	oa, ob := c.DB.Lookup(c.Args[1]), c.DB.Lookup(c.Args[2])
	if (oa != nil && oa.Type != keyspace.TypeString) || (ob != nil && ob.Type != keyspace.TypeString) {
		c.Error(errLCSType)
		return
	}
	var a, b []byte
	if oa != nil {
		a = oa.Str
	}
	if ob != nil {
		b = ob.Str
	}

	var wantLen, wantIdx, withMatchLen bool
	var minMatch int64
	for j := 3; j < len(c.Args); j++ {
		switch {
		case optIs(c.Args[j], "idx"):
			wantIdx = true
		case optIs(c.Args[j], "len"):
			wantLen = true
		case optIs(c.Args[j], "withmatchlen"):
			withMatchLen = true
		case optIs(c.Args[j], "minmatchlen") && j+1 < len(c.Args):
			n, ok := resp.ParseInt(c.Args[j+1])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			minMatch = max(n, 0)
			j++
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if wantIdx && wantLen {
		c.Error(errLCSLenIdx)
		return
	}
	if uint64(len(a)) >= math.MaxUint32-1 || uint64(len(b)) >= math.MaxUint32-1 {
		c.Error(errLCSTooLong)
		return
	}
	// The table of prefix LCS lengths is the transient memory; it is
	// bounded like any string the server would build.
	cells := uint64(len(a)+1) * uint64(len(b)+1)
	if cells*4 > uint64(protoMaxBulk(c)) {
		c.Error(errLCSMemory)
		return
	}

	// t[i*w+j] is the LCS length of a[:i] and b[:j].
	w := len(b) + 1
	t := make([]uint32, cells)
	for i := 1; i <= len(a); i++ {
		row, prev := t[i*w:(i+1)*w], t[(i-1)*w:i*w]
		for j := 1; j <= len(b); j++ {
			switch {
			case a[i-1] == b[j-1]:
				row[j] = prev[j-1] + 1
			case prev[j] > row[j-1]:
				row[j] = prev[j]
			default:
				row[j] = row[j-1]
			}
		}
	}
	total := t[len(a)*w+len(b)]
	if wantLen {
		c.Int(int64(total))
		return
	}

	// Walk back from the end, collecting the common subsequence and the
	// runs of adjacent matches (reported from the end of the strings
	// towards their start).
	seq := make([]byte, total)
	k := len(seq)
	var ranges []lcsRange
	var cur lcsRange
	inRun := false
	i, j := len(a), len(b)
	for i > 0 && j > 0 {
		closeRun := false
		if a[i-1] == b[j-1] {
			k--
			seq[k] = a[i-1]
			switch {
			case !inRun:
				cur = lcsRange{i - 1, i - 1, j - 1, j - 1}
				inRun = true
			case cur.aStart == i && cur.bStart == j:
				cur.aStart--
				cur.bStart--
			default:
				closeRun = true
			}
			// A run touching the start of either string cannot grow.
			if cur.aStart == 0 || cur.bStart == 0 {
				closeRun = true
			}
			i--
			j--
		} else {
			if t[(i-1)*w+j] > t[i*w+j-1] {
				i--
			} else {
				j--
			}
			closeRun = inRun
		}
		if closeRun {
			if n := int64(cur.aEnd - cur.aStart + 1); minMatch == 0 || n >= minMatch {
				ranges = append(ranges, cur)
			}
			inRun = false
		}
	}

	if !wantIdx {
		c.Bulk(seq)
		return
	}
	c.Map(2)
	c.BulkString("matches")
	c.Array(len(ranges))
	for _, r := range ranges {
		if withMatchLen {
			c.Array(3)
		} else {
			c.Array(2)
		}
		c.Array(2)
		c.Int(int64(r.aStart))
		c.Int(int64(r.aEnd))
		c.Array(2)
		c.Int(int64(r.bStart))
		c.Int(int64(r.bEnd))
		if withMatchLen {
			c.Int(int64(r.aEnd - r.aStart + 1))
		}
	}
	c.BulkString("len")
	c.Int(int64(total))
}
