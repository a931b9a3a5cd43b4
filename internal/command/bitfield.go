package command

import (
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// Errors of BITFIELD, with Redis's texts.
var (
	errBitfieldType = resp.Error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
	errOverflowType = resp.Error("ERR Invalid OVERFLOW type specified")
	errBitfieldRO   = resp.Error("ERR BITFIELD_RO only supports the GET subcommand")
)

// Overflow behaviours of BITFIELD SET and INCRBY.
const (
	overflowWrap = iota
	overflowSat
	overflowFail
)

// BITFIELD operations.
const (
	fieldGet = iota
	fieldSet
	fieldIncr
)

// fieldOp is one parsed BITFIELD operation.
type fieldOp struct {
	op       int
	overflow int
	signed   bool
	bits     uint64
	offset   uint64
	value    int64
}

func bitfieldCommand(c *Ctx)   { bitfieldGeneric(c, false) }
func bitfieldROCommand(c *Ctx) { bitfieldGeneric(c, true) }

// bitfieldGeneric parses every operation before touching the key, so a
// bad argument anywhere fails the whole command, then runs them in order
// against one string grown once to the furthest bit written.
func bitfieldGeneric(c *Ctx, readOnly bool) {
	var ops []fieldOp
	overflow := overflowWrap
	writes := false
	var highest uint64
	args := c.Args
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		var op int
		switch a := args[j]; {
		case optIs(a, "get") && left >= 2:
			op = fieldGet
		case optIs(a, "set") && left >= 3:
			op = fieldSet
		case optIs(a, "incrby") && left >= 3:
			op = fieldIncr
		case optIs(a, "overflow") && left >= 1:
			j++
			switch t := args[j]; {
			case optIs(t, "wrap"):
				overflow = overflowWrap
			case optIs(t, "sat"):
				overflow = overflowSat
			case optIs(t, "fail"):
				overflow = overflowFail
			default:
				c.Error(errOverflowType)
				return
			}
			continue
		default:
			c.Error(ErrSyntax)
			return
		}
		signed, width, ok := bitfieldType(args[j+1])
		if !ok {
			c.Error(errBitfieldType)
			return
		}
		offset, ok := bitOffset(c, args[j+2], int64(width))
		if !ok {
			return
		}
		f := fieldOp{op: op, overflow: overflow, signed: signed, bits: width, offset: offset}
		if op != fieldGet {
			writes = true
			highest = max(highest, offset+width-1)
			if f.value, ok = resp.ParseInt(args[j+3]); !ok {
				c.Error(ErrNotInt)
				return
			}
			j++
		}
		ops = append(ops, f)
		j += 2
	}

	var o *keyspace.Object
	var grown bool
	if !writes {
		if o = c.DB.Lookup(args[1]); o != nil && o.Type != keyspace.TypeString {
			c.Error(ErrWrongType)
			return
		}
	} else {
		if readOnly {
			c.Error(errBitfieldRO)
			return
		}
		if o, grown = bitmapForWrite(c, args[1], highest); o == nil {
			return
		}
	}

	// A write that stores the value already there changes nothing:
	// Redis then neither signals, notifies nor propagates, unless the
	// string was created or grew.
	changed := grown
	c.Array(len(ops))
	for _, f := range ops {
		if f.op == fieldGet {
			var s []byte
			if o != nil {
				s = o.Str
			}
			v := getField(s, f.offset, f.bits)
			if f.signed {
				c.Int(signExtend(v, f.bits))
			} else {
				c.Int(int64(v))
			}
			continue
		}
		old := getField(o.Str, f.offset, f.bits)
		var stored, reply uint64
		var over bool
		if f.signed {
			oldv := signExtend(old, f.bits)
			if f.op == fieldIncr {
				n, ov := signedOverflow(oldv, f.value, f.bits, f.overflow)
				stored, over = uint64(n), ov
				if !ov {
					stored = uint64(oldv + f.value)
				}
				reply = stored
			} else {
				n, ov := signedOverflow(f.value, 0, f.bits, f.overflow)
				stored, over = uint64(f.value), ov
				if ov {
					stored = uint64(n)
				}
				reply = uint64(oldv)
			}
		} else {
			if f.op == fieldIncr {
				n, ov := unsignedOverflow(old, f.value, f.bits, f.overflow)
				stored, over = old+uint64(f.value), ov
				if ov {
					stored = n
				}
				reply = stored
			} else {
				n, ov := unsignedOverflow(uint64(f.value), 0, f.bits, f.overflow)
				stored, over = uint64(f.value), ov
				if ov {
					stored = n
				}
				reply = old
			}
		}
		if over && f.overflow == overflowFail {
			c.Null()
			continue
		}
		c.Int(int64(reply))
		setField(o.Str, f.offset, f.bits, stored)
		changed = changed || getField(o.Str, f.offset, f.bits) != old
	}
	if changed {
		// Only writes that happened count: Redis skips FAIL overflows.
		c.DB.Touch(args[1])
		c.Notify(NotifyString, "setbit", args[1])
	}
}

// bitfieldType parses a field type: i1..i64 or u1..u63 (a u64 could not
// be replied as a signed 64-bit integer). The letter is lower case only
// and the width is read up to a NUL byte, as Redis reads it.
func bitfieldType(a []byte) (signed bool, width uint64, ok bool) {
	if len(a) == 0 || (a[0] != 'i' && a[0] != 'u') {
		return false, 0, false
	}
	signed = a[0] == 'i'
	digits := a[1:]
	for i, b := range digits {
		if b == 0 {
			digits = digits[:i]
			break
		}
	}
	n, ok := resp.ParseInt(digits)
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, uint64(n), true
}

// getField reads the bits-wide unsigned field at bit offset of s, most
// significant bit first; bits past the end of s read as zero.
func getField(s []byte, offset, bits uint64) uint64 {
	var v uint64
	for i := uint64(0); i < bits; i++ {
		pos := offset + i
		bit := uint64(0)
		if n := pos >> 3; n < uint64(len(s)) {
			bit = uint64(s[n]>>(7-pos&7)) & 1
		}
		v = v<<1 | bit
	}
	return v
}

// setField writes the low bits of v at bit offset of s, which is long
// enough.
func setField(s []byte, offset, bits, v uint64) {
	for i := uint64(0); i < bits; i++ {
		pos := offset + i
		mask := byte(1) << (7 - pos&7)
		if v>>(bits-1-i)&1 != 0 {
			s[pos>>3] |= mask
		} else {
			s[pos>>3] &^= mask
		}
	}
}

// signExtend reads the low bits of v as a two's complement number.
func signExtend(v, bits uint64) int64 {
	if bits < 64 {
		if v&(1<<(bits-1)) != 0 {
			v |= ^uint64(0) << bits
		} else {
			v &^= ^uint64(0) << bits
		}
	}
	return int64(v)
}

// unsignedOverflow reports whether value+incr leaves the range of a
// bits-wide unsigned field and returns what to store instead under the
// given policy (the result wrapped to the width, or the limit it ran
// into). As in Redis, a SET value (incr 0) above the maximum counts as an
// overflow upwards even when it came from a negative argument, so SAT
// stores the maximum for it.
func unsignedOverflow(value uint64, incr int64, bits uint64, policy int) (uint64, bool) {
	maxv := uint64(1)<<bits - 1
	up := value > maxv || (incr > 0 && incr > int64(maxv-value))
	down := !up && incr < 0 && incr < -int64(value)
	if !up && !down {
		return 0, false
	}
	switch policy {
	case overflowWrap:
		return (value + uint64(incr)) & maxv, true
	case overflowSat:
		if up {
			return maxv, true
		}
		return 0, true
	}
	return 0, true
}

// signedOverflow is unsignedOverflow for a bits-wide two's complement
// field. The headroom left above and below value is computed with 64-bit
// wrap-around, exactly as Redis computes it, so a SET of a value far
// below the minimum can count as an overflow upwards (and saturate to
// the maximum) just as it does there.
func signedOverflow(value, incr int64, bits uint64, policy int) (int64, bool) {
	maxv := int64(uint64(1)<<(bits-1) - 1)
	minv := -maxv - 1
	upRoom := int64(uint64(maxv) - uint64(value))
	downRoom := minv - value
	up := value > maxv || (bits != 64 && incr > upRoom) || (value >= 0 && incr > 0 && incr > upRoom)
	down := !up && (value < minv || (bits != 64 && incr < downRoom) || (value < 0 && incr < 0 && incr < downRoom))
	if !up && !down {
		return 0, false
	}
	switch policy {
	case overflowWrap:
		return signExtend(uint64(value)+uint64(incr), bits), true
	case overflowSat:
		if up {
			return maxv, true
		}
		return minv, true
	}
	return 0, true
}
