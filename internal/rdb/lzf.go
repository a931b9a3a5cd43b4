package rdb

import (
	"errors"
	"sync"
)

// LZF as stored in RDB strings (encoding 0xC3): a stream of chunks, each
// starting with a control byte c.
//
//   - c < 32: a literal run; the next c+1 bytes are copied to the output.
//   - otherwise a back reference: length field l = c>>5 (when 7, the next
//     byte is added), then one more byte; the copy is l+2 bytes long and
//     starts ((c&31)<<8 | that byte) + 1 bytes behind the output position.
//     Copies may overlap their own output (distance < length), which
//     repeats the last distance bytes.
//
// A stream is valid only if it is consumed exactly and produces exactly
// the length the RDB string declared; Redis rejects anything else as
// "Invalid LZF compressed string".

const (
	lzfMaxLiteral = 32          // longest literal run one control byte can announce
	lzfMaxOffset  = 1 << 13     // farthest a back reference can reach
	lzfMaxMatch   = 7 + 255 + 2 // longest back reference
	lzfMinMatch   = 3           // shorter matches cost more than literals

	// lzfMaxRatio bounds expansion: a 3-byte back reference yields at most
	// lzfMaxMatch bytes, and nothing yields more per input byte. A declared
	// length above this ratio is corrupt and is refused before allocating.
	lzfMaxRatio = lzfMaxMatch / 3

	lzfHashLog = 14
)

var (
	errLZFLength   = errors.New("lzf: declared length does not fit the compressed data")
	errLZFTruncate = errors.New("lzf: compressed data truncated")
	errLZFOverrun  = errors.New("lzf: data expands beyond the declared length")
	errLZFBackRef  = errors.New("lzf: back reference before the start of the output")
	errLZFShort    = errors.New("lzf: data expands to less than the declared length")
)

// lzfDecompress expands in, which must produce exactly outLen bytes. The
// output is allocated once; outLen comes from the file, so it is checked
// against what in could possibly expand to first.
func lzfDecompress(in []byte, outLen int) ([]byte, error) {
	if outLen < 0 || uint64(outLen) > uint64(len(in))*lzfMaxRatio {
		return nil, errLZFLength
	}
	out := make([]byte, outLen)
	op, ip := 0, 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < lzfMaxLiteral {
			n := ctrl + 1
			if n > len(in)-ip {
				return nil, errLZFTruncate
			}
			if n > outLen-op {
				return nil, errLZFOverrun
			}
			op += copy(out[op:], in[ip:ip+n])
			ip += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(in) {
				return nil, errLZFTruncate
			}
			n += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return nil, errLZFTruncate
		}
		ref := op - (ctrl&0x1f)<<8 - int(in[ip]) - 1
		ip++
		n += 2
		if n > outLen-op {
			return nil, errLZFOverrun
		}
		if ref < 0 {
			return nil, errLZFBackRef
		}
		if dist := op - ref; dist >= n {
			copy(out[op:op+n], out[ref:ref+n])
		} else {
			// The source overlaps the bytes being written: the result
			// repeats out[ref:op] with period dist. Copy one period, then
			// double what is done, which stays a whole number of periods.
			done := copy(out[op:op+dist], out[ref:op])
			for done < n {
				done += copy(out[op+done:op+n], out[op:op+done])
			}
		}
		op += n
	}
	if op != outLen {
		return nil, errLZFShort
	}
	return out, nil
}

// lzfTablePool recycles the match-finder's hash table between calls, so
// saving many strings does not allocate (or zero) 64 KiB each time.
var lzfTablePool = sync.Pool{New: func() any { return new([1 << lzfHashLog]int32) }}

// lzfCompress compresses in for an RDB string, or returns nil when the
// result would not save at least 4 bytes (the same threshold Redis uses
// before it stores a string compressed rather than raw). Any valid LZF
// stream is accepted by Redis's decoder, so only the format, not Redis's
// exact choice of matches, is reproduced: greedy matching over a hash of
// the next three bytes.
func lzfCompress(in []byte) []byte {
	n := len(in)
	if n <= 4 {
		return nil
	}
	limit := n - 4
	out := make([]byte, 0, limit)

	// Only the slots a string this short can hash into need clearing.
	hlog := uint(lzfHashLog)
	for hlog > 8 && 1<<(hlog-1) >= n {
		hlog--
	}
	table := lzfTablePool.Get().(*[1 << lzfHashLog]int32)
	defer lzfTablePool.Put(table)
	slots := table[:1<<hlog]
	clear(slots)
	hash := func(i int) uint32 {
		v := uint32(in[i])<<16 | uint32(in[i+1])<<8 | uint32(in[i+2])
		return v * 2654435761 >> (32 - hlog)
	}

	lit := 0 // start of the literal bytes not yet written
	i := 0
	for i+lzfMinMatch <= n {
		h := hash(i)
		cand := int(slots[h])
		slots[h] = int32(i)
		if cand >= i || i-cand > lzfMaxOffset ||
			in[cand] != in[i] || in[cand+1] != in[i+1] || in[cand+2] != in[i+2] {
			i++
			continue
		}
		maxLen := min(n-i, lzfMaxMatch)
		l := lzfMinMatch
		for l < maxLen && in[cand+l] == in[i+l] {
			l++
		}
		var ok bool
		if out, ok = lzfLiterals(out, in[lit:i], limit); !ok {
			return nil
		}
		if len(out)+3 > limit {
			return nil
		}
		off := i - cand - 1
		if code := l - 2; code < 7 {
			out = append(out, byte(code<<5|off>>8), byte(off))
		} else {
			out = append(out, byte(7<<5|off>>8), byte(code-7), byte(off))
		}
		// Index the positions inside the match so later repeats of them
		// are found too.
		for j := i + 1; j < i+l && j+lzfMinMatch <= n; j++ {
			slots[hash(j)] = int32(j)
		}
		i += l
		lit = i
	}
	out, ok := lzfLiterals(out, in[lit:], limit)
	if !ok {
		return nil
	}
	return out
}

// lzfLiterals appends lit as literal runs, reporting false instead when
// the output would pass limit.
func lzfLiterals(out, lit []byte, limit int) ([]byte, bool) {
	runs := (len(lit) + lzfMaxLiteral - 1) / lzfMaxLiteral
	if len(out)+len(lit)+runs > limit {
		return out, false
	}
	for len(lit) > 0 {
		k := min(len(lit), lzfMaxLiteral)
		out = append(out, byte(k-1))
		out = append(out, lit[:k]...)
		lit = lit[k:]
	}
	return out, true
}
