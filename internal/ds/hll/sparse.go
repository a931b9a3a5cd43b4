package hll

import "strconv"

// Opcode kinds of the sparse encoding.
const (
	opZero = iota
	opXZero
	opVal
)

// at reads b[i], or 0 past the end: Redis's reads of a truncated XZERO
// run into the NUL that terminates every string it stores.
func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// opcode decodes the opcode at b[i]: its kind, its size in bytes, how
// many registers it covers and (for VAL) their value.
func opcode(b []byte, i int) (kind, size, run int, val uint8) {
	c := b[i]
	switch {
	case c&0x80 != 0:
		return opVal, 1, int(c&0x3) + 1, (c>>2)&0x1f + 1
	case c&0x40 != 0:
		return opXZero, 2, (int(c&0x3f)<<8 | int(at(b, i+1))) + 1, 0
	default:
		return opZero, 1, int(c&0x3f) + 1, 0
	}
}

func valOp(val uint8, run int) byte { return 0x80 | (val-1)<<2 | byte(run-1) }

func appendXZero(b []byte, run int) []byte {
	run--
	return append(b, 0x40|byte(run>>8), byte(run))
}

// appendZeros codes run zero registers with one opcode, as Redis does
// when it splits a run: ZERO up to 64, XZERO beyond.
func appendZeros(b []byte, run int) []byte {
	if run > zeroMaxLen {
		return appendXZero(b, run)
	}
	return append(b, byte(run-1))
}

// walk calls fn for each opcode of the sparse value h, in order.
func walk(h []byte, fn func(kind, run int, val uint8)) {
	for i := HeaderSize; i < len(h); {
		kind, size, run, val := opcode(h, i)
		fn(kind, run, val)
		i += size
	}
}

// sparseSet is Set for a sparse value. The opcode covering index is
// replaced by up to five (zeros or old value before, the new VAL, zeros
// or old value after), equal neighbouring VALs are then joined, and the
// value turns dense when the count does not fit a VAL or the value would
// outgrow sparseMax.
func sparseSet(h []byte, index int, count uint8, sparseMax int64) ([]byte, bool, error) {
	if count > valMaxValue {
		return promote(h, index, count)
	}
	// Find the opcode covering index, remembering the one before it.
	end := len(h)
	pos, prev, first := HeaderSize, -1, 0
	var kind, size, run int
	var old uint8
	for pos < end {
		kind, size, run, old = opcode(h, pos)
		if index <= first+run-1 {
			break
		}
		prev = pos
		pos += size
		first += run
	}
	if pos >= end {
		return h, false, ErrCorrupt
	}

	switch {
	case kind == opVal && old >= count:
		return h, false, nil
	case (kind == opVal || kind == opZero) && run == 1:
		h[pos] = valOp(count, 1)
	default:
		var seq [5]byte
		s := seq[:0]
		last := first + run - 1
		if kind == opVal {
			if index != first {
				s = append(s, valOp(old, index-first))
			}
			s = append(s, valOp(count, 1))
			if index != last {
				s = append(s, valOp(old, last-index))
			}
		} else {
			if index != first {
				s = appendZeros(s, index-first)
			}
			s = append(s, valOp(count, 1))
			if index != last {
				s = appendZeros(s, last-index)
			}
		}
		delta := len(s) - size
		if delta > 0 && int64(len(h)+delta) > sparseMax {
			return promote(h, index, count)
		}
		h = splice(h, pos, size, s)
	}
	h = joinVals(h, prev)
	Invalidate(h)
	return h, true, nil
}

// splice replaces the size-byte opcode at pos with seq. The new length is
// always the old one plus the difference in size, even for an XZERO cut
// short by the end of the value: Redis then drops the last byte of seq.
// (Redis leaves that byte just past the end of its string, where a later
// read of the short XZERO finds it; here such a read sees zero. Only
// hand-made values can end in a short XZERO.)
func splice(h []byte, pos, size int, seq []byte) []byte {
	tail := h[min(pos+size, len(h)):]
	newLen := len(h) + len(seq) - size
	n := pos + len(seq) + len(tail)
	var out []byte
	if n <= cap(h) {
		out = h[:n]
	} else {
		out = make([]byte, n, n+n/4)
		copy(out, h[:pos])
	}
	copy(out[pos+len(seq):], tail) // may overlap: copy moves like memmove
	copy(out[pos:], seq)
	return out[:newLen]
}

// joinVals merges adjacent VAL opcodes holding the same value while their
// runs fit one opcode, looking at up to five opcodes from the one before
// the change (from the first when the change was at the start).
func joinVals(h []byte, from int) []byte {
	p := from
	if p < 0 {
		p = HeaderSize
	}
	for budget := 5; p < len(h) && budget > 0; budget-- {
		c := h[p]
		switch {
		case c&0xc0 == 0x40:
			p += 2
			continue
		case c&0x80 == 0:
			p++
			continue
		}
		if p+1 < len(h) && h[p+1]&0x80 != 0 {
			_, _, r1, v1 := opcode(h, p)
			_, _, r2, v2 := opcode(h, p+1)
			if v1 == v2 && r1+r2 <= valMaxLen {
				h[p+1] = valOp(v1, r1+r2)
				copy(h[p:], h[p+1:])
				h = h[:len(h)-1]
				// Stay on p: the joined VAL may join the next one too.
				continue
			}
		}
		p++
	}
	return h
}

// promote turns h dense and sets the register there.
func promote(h []byte, index int, count uint8) ([]byte, bool, error) {
	d, err := ToDense(h)
	if err != nil {
		return h, false, err
	}
	return d, denseSet(d[HeaderSize:], index, count), nil
}

// ToDense returns the dense form of the valid value h (h itself when
// already dense). The header is copied as is, cache and unused bytes
// included. A sparse body that does not cover exactly the 16384
// registers is ErrCorrupt.
func ToDense(h []byte) ([]byte, error) {
	if h[encodingByte] == Dense {
		return h, nil
	}
	d := make([]byte, DenseSize)
	copy(d, h[:HeaderSize])
	d[encodingByte] = Dense
	regs := d[HeaderSize:]
	idx, ok := 0, true
	walk(h, func(kind, run int, val uint8) {
		if !ok || idx+run > Registers {
			ok = false
			return
		}
		if kind == opVal {
			for i := idx; i < idx+run; i++ {
				densePut(regs, i, val)
			}
		}
		idx += run
	})
	if !ok || idx != Registers {
		return h, ErrCorrupt
	}
	return d, nil
}

// Decode renders the sparse body of h as PFDEBUG DECODE does: "z:N" for
// ZERO, "Z:N" for XZERO, "v:VALUE,N" for VAL, separated by spaces.
func Decode(h []byte) string {
	var b []byte
	walk(h, func(kind, run int, val uint8) {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		switch kind {
		case opZero:
			b = append(b, "z:"...)
		case opXZero:
			b = append(b, "Z:"...)
		default:
			b = append(b, "v:"...)
			b = strconv.AppendInt(b, int64(val), 10)
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(run), 10)
	})
	return string(b)
}
