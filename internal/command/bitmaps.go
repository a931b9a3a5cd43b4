package command

import (
	"math/bits"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

var bitmapCommands = []*Command{
	{Name: "setbit", Fn: setbitCommand, Arity: 4, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatWrite | CatBitmap | CatSlow, Group: "bitmap", Since: "2.2.0", Summary: "Sets or clears the bit at offset in the string value stored at key"},
	{Name: "getbit", Fn: getbitCommand, Arity: 3, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatBitmap | CatFast, Group: "bitmap", Since: "2.2.0", Summary: "Returns the bit value at offset in the string value stored at key"},
	{Name: "bitcount", Fn: bitcountCommand, Arity: -2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatBitmap | CatSlow, Group: "bitmap", Since: "2.6.0", Summary: "Count set bits in a string"},
	{Name: "bitpos", Fn: bitposCommand, Arity: -3, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatBitmap | CatSlow, Group: "bitmap", Since: "2.8.7", Summary: "Find first bit set or clear in a string"},
	{Name: "bitop", Fn: bitopCommand, Arity: -4, Flags: Write | DenyOOM, Keys: keys(2, -1, 1), ACL: CatWrite | CatBitmap | CatSlow, Group: "bitmap", Since: "2.6.0", Summary: "Perform bitwise operations between strings"},
	{Name: "bitfield", Fn: bitfieldCommand, Arity: -2, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatWrite | CatBitmap | CatSlow, Group: "bitmap", Since: "3.2.0", Summary: "Perform arbitrary bitfield integer operations on strings"},
	{Name: "bitfield_ro", Fn: bitfieldROCommand, Arity: -2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatBitmap | CatFast, Group: "bitmap", Since: "6.0.0", Summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD"},
}

// Errors of the bitmap commands, with Redis's texts.
var (
	errBitOffset = resp.Error("ERR bit offset is not an integer or out of range")
	errBitValue  = resp.Error("ERR bit is not an integer or out of range")
	errBitArg    = resp.Error("ERR The bit argument must be 1 or 0.")
	errBitopNot  = resp.Error("ERR BITOP NOT must be called with a single source key.")
)

// bitOffset parses a bit offset argument. With hashBits > 0 (BITFIELD) a
// leading '#' counts in fields of that width; the product wraps as in
// Redis. Offsets addressing a byte at or past proto-max-bulk-len are
// refused, so a bitmap can never outgrow the largest string.
func bitOffset(c *Ctx, arg []byte, hashBits int64) (uint64, bool) {
	hash := hashBits > 0 && len(arg) > 0 && arg[0] == '#'
	if hash {
		arg = arg[1:]
	}
	n, ok := resp.ParseInt(arg)
	if ok && hash {
		n *= hashBits
	}
	if !ok || n < 0 || n>>3 >= protoMaxBulk(c) {
		c.Error(errBitOffset)
		return 0, false
	}
	return uint64(n), true
}

// bitmapForWrite returns key's string, created or zero-padded so bit
// maxBit exists, for a command about to change bits. grown reports
// whether the key was created or lengthened. A nil object means a
// WRONGTYPE reply was sent.
func bitmapForWrite(c *Ctx, key []byte, maxBit uint64) (o *keyspace.Object, grown bool) {
	size := int(maxBit>>3) + 1
	o = c.DB.LookupWrite(key)
	if o == nil {
		o = &keyspace.Object{Type: keyspace.TypeString, Enc: keyspace.EncRaw, Str: make([]byte, size)}
		c.DB.Set(key, o, false)
		return o, true
	}
	if o.Type != keyspace.TypeString {
		c.Error(ErrWrongType)
		return nil, false
	}
	// Changing a value in place makes it a raw string, as Redis unshares
	// it first.
	o.Enc = keyspace.EncRaw
	if size > len(o.Str) {
		o.Str = append(o.Str, make([]byte, size-len(o.Str))...)
		grown = true
	}
	return o, grown
}

func setbitCommand(c *Ctx) {
	key := c.Args[1]
	offset, ok := bitOffset(c, c.Args[2], 0)
	if !ok {
		return
	}
	on, ok := resp.ParseInt(c.Args[3])
	if !ok || on&^1 != 0 {
		c.Error(errBitValue)
		return
	}
	o, grown := bitmapForWrite(c, key, offset)
	if o == nil {
		return
	}
	n, mask := offset>>3, byte(1)<<(7-offset&7)
	old := o.Str[n]&mask != 0
	if grown || old != (on == 1) {
		if on == 1 {
			o.Str[n] |= mask
		} else {
			o.Str[n] &^= mask
		}
		c.DB.Touch(key)
		c.Notify(NotifyString, "setbit", key)
	}
	if old {
		c.Int(1)
	} else {
		c.Int(0)
	}
}

func getbitCommand(c *Ctx) {
	offset, ok := bitOffset(c, c.Args[2], 0)
	if !ok {
		return
	}
	o, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if o != nil {
		if n := offset >> 3; n < uint64(len(o.Str)) && o.Str[n]&(1<<(7-offset&7)) != 0 {
			c.Int(1)
			return
		}
	}
	c.Int(0)
}

// bitRange turns a BITCOUNT/BITPOS range into bit positions first..last
// of a string of size bytes: negative indexes count from the end, both
// are clamped into the string, and BYTE units cover whole bytes. An empty
// range has first > last.
func bitRange(start, end, size int64, isBit bool) (first, last int64) {
	total := size
	if isBit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start = max(start, 0)
	end = max(end, 0)
	if end >= total {
		end = total - 1
	}
	if start > end {
		return 1, 0 // before converting: a far start would overflow
	}
	if !isBit {
		return start << 3, end<<3 | 7
	}
	return start, end
}

// rangeUnit parses BYTE|BIT; false after a syntax error reply.
func rangeUnit(c *Ctx, arg []byte) (isBit, ok bool) {
	switch {
	case optIs(arg, "bit"):
		return true, true
	case optIs(arg, "byte"):
		return false, true
	}
	c.Error(ErrSyntax)
	return false, false
}

func bitcountCommand(c *Ctx) {
	o := c.DB.Lookup(c.Args[1])
	if o == nil {
		c.Int(0)
		return
	}
	if o.Type != keyspace.TypeString {
		c.Error(ErrWrongType)
		return
	}
	s := o.Str
	switch len(c.Args) {
	case 2:
		c.Int(popcount(s))
	case 4, 5:
		start, ok := resp.ParseInt(c.Args[2])
		if !ok {
			c.Error(ErrNotInt)
			return
		}
		end, ok := resp.ParseInt(c.Args[3])
		if !ok {
			c.Error(ErrNotInt)
			return
		}
		// Both ends counted from the end with the start after the end is
		// empty before clamping could make it look otherwise, and Redis
		// answers so before it reads the unit.
		if start < 0 && end < 0 && start > end {
			c.Int(0)
			return
		}
		isBit := false
		if len(c.Args) == 5 {
			if isBit, ok = rangeUnit(c, c.Args[4]); !ok {
				return
			}
		}
		first, last := bitRange(start, end, int64(len(s)), isBit)
		if first > last {
			c.Int(0)
			return
		}
		c.Int(countBits(s, first, last))
	default:
		c.Error(ErrSyntax)
	}
}

// popcount counts the set bits of s.
func popcount(s []byte) int64 {
	n := 0
	for len(s) >= 8 {
		n += bits.OnesCount64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
		s = s[8:]
	}
	for _, b := range s {
		n += bits.OnesCount8(b)
	}
	return int64(n)
}

// countBits counts the set bits of s from bit first to bit last
// (inclusive, most significant bit of each byte first).
func countBits(s []byte, first, last int64) int64 {
	fb, lb := first>>3, last>>3
	n := popcount(s[fb : lb+1])
	// Take off the bits of the end bytes outside the range.
	n -= int64(bits.OnesCount8(s[fb] &^ (0xff >> (first & 7))))
	n -= int64(bits.OnesCount8(s[lb] & (0x7f >> (last & 7))))
	return n
}

func bitposCommand(c *Ctx) {
	bit, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if bit != 0 && bit != 1 {
		c.Error(errBitArg)
		return
	}
	// A missing key is an endless run of clear bits.
	o := c.DB.Lookup(c.Args[1])
	if o == nil {
		if bit == 1 {
			c.Int(-1)
		} else {
			c.Int(0)
		}
		return
	}
	if o.Type != keyspace.TypeString {
		c.Error(ErrWrongType)
		return
	}
	s := o.Str
	size := int64(len(s))
	first, last := int64(0), size*8-1
	endGiven := false
	switch n := len(c.Args); n {
	case 3:
	case 4, 5, 6:
		start, ok := resp.ParseInt(c.Args[3])
		if !ok {
			c.Error(ErrNotInt)
			return
		}
		isBit := false
		if n == 6 {
			if isBit, ok = rangeUnit(c, c.Args[5]); !ok {
				return
			}
		}
		end := size - 1
		if isBit {
			end = size*8 - 1
		}
		if n >= 5 {
			if end, ok = resp.ParseInt(c.Args[4]); !ok {
				c.Error(ErrNotInt)
				return
			}
			endGiven = true
		}
		first, last = bitRange(start, end, size, isBit)
	default:
		c.Error(ErrSyntax)
		return
	}
	if first > last {
		c.Int(-1)
		return
	}
	if pos := findBit(s, first, last, bit == 1); pos >= 0 {
		c.Int(pos)
		return
	}
	// Looking for a clear bit without an explicit end treats the string
	// as padded with zeros on the right.
	if bit == 0 && !endGiven {
		c.Int(last + 1)
		return
	}
	c.Int(-1)
}

// findBit returns the position of the first bit equal to want between bit
// first and bit last of s (inclusive), or -1.
func findBit(s []byte, first, last int64, want bool) int64 {
	var skip byte // a byte that holds no wanted bit
	if !want {
		skip = 0xff
	}
	for pos := first; pos <= last; {
		n := pos >> 3
		if pos&7 == 0 && pos+7 <= last && s[n] == skip {
			pos += 8
			continue
		}
		if (s[n]&(0x80>>(pos&7)) != 0) == want {
			return pos
		}
		pos++
	}
	return -1
}

// Bit operations of BITOP.
const (
	bitAnd = iota
	bitOr
	bitXor
	bitNot
)

func bitopCommand(c *Ctx) {
	var op int
	switch name := c.Args[1]; {
	case optIs(name, "and"):
		op = bitAnd
	case optIs(name, "or"):
		op = bitOr
	case optIs(name, "xor"):
		op = bitXor
	case optIs(name, "not"):
		op = bitNot
	default:
		c.Error(ErrSyntax)
		return
	}
	if op == bitNot && len(c.Args) != 4 {
		c.Error(errBitopNot)
		return
	}
	srcKeys := c.Args[3:]
	srcs := make([][]byte, len(srcKeys))
	maxLen := 0
	for i, key := range srcKeys {
		o := c.DB.Lookup(key)
		if o == nil {
			continue
		}
		if o.Type != keyspace.TypeString {
			c.Error(ErrWrongType)
			return
		}
		srcs[i] = o.Str
		maxLen = max(maxLen, len(o.Str))
	}
	dst := c.Args[2]
	if maxLen == 0 {
		if c.DB.Delete(dst) {
			c.Notify(NotifyGeneric, "del", dst)
		}
		c.Int(0)
		return
	}
	// Shorter inputs read as zero-padded to the longest.
	res := make([]byte, maxLen)
	copy(res, srcs[0])
	switch op {
	case bitNot:
		for i := range res {
			res[i] = ^res[i]
		}
	case bitAnd:
		for _, s := range srcs[1:] {
			for i := range res {
				if i < len(s) {
					res[i] &= s[i]
				} else {
					res[i] = 0
				}
			}
		}
	case bitOr:
		for _, s := range srcs[1:] {
			for i, b := range s {
				res[i] |= b
			}
		}
	case bitXor:
		for _, s := range srcs[1:] {
			for i, b := range s {
				res[i] ^= b
			}
		}
	}
	c.DB.Set(dst, &keyspace.Object{Type: keyspace.TypeString, Enc: keyspace.EncRaw, Str: res}, false)
	c.Notify(NotifyString, "set", dst)
	c.Int(int64(maxLen))
}
