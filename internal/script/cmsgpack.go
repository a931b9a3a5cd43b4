package script

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The cmsgpack library (lua-cmsgpack as Redis bundles it): MessagePack
// encoding of Lua values and back.

const msgpackMaxNesting = 16

func cmsgpackLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(msgpackPack))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int { return msgpackUnpack(L, "unpack", 0, 2) }))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int { return msgpackUnpack(L, "unpack_one", 1, 2) }))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		return msgpackUnpack(L, "unpack_limit", L.CheckInt(2), 3)
	}))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	return t
}

func msgpackPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		L.RaiseError("bad argument #0 to 'pack' (MessagePack pack needs input.)")
	}
	var out []byte
	for i := 1; i <= n; i++ {
		out = msgpackValue(out, L.Get(i), 0)
	}
	L.Push(lua.LString(out))
	return 1
}

func msgpackValue(b []byte, v lua.LValue, depth int) []byte {
	switch v := v.(type) {
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LString:
		return msgpackString(b, string(v))
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && f >= -9.223372036854775808e18 && f < 9.223372036854775807e18 {
			return msgpackInt(b, int64(f))
		}
		if float64(float32(f)) == f || math.IsNaN(f) {
			b = append(b, 0xca)
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(f)))
		}
		b = append(b, 0xcb)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	case *lua.LTable:
		if depth >= msgpackMaxNesting {
			return append(b, 0xc0)
		}
		if n, ok := msgpackArrayLen(v); ok {
			b = msgpackHeader(b, n, 0x90, 16, 0xdc, 0xdd)
			for i := 1; i <= n; i++ {
				b = msgpackValue(b, v.RawGetInt(i), depth+1)
			}
			return b
		}
		n := 0
		v.ForEach(func(_, _ lua.LValue) { n++ })
		b = msgpackHeader(b, n, 0x80, 16, 0xde, 0xdf)
		v.ForEach(func(k, x lua.LValue) {
			b = msgpackValue(b, k, depth+1)
			b = msgpackValue(b, x, depth+1)
		})
		return b
	}
	return append(b, 0xc0)
}

// msgpackArrayLen reports whether t is an array: only positive integer
// keys, without holes.
func msgpackArrayLen(t *lua.LTable) (int, bool) {
	count, maxIdx := 0, 0
	ok := true
	t.ForEach(func(k, _ lua.LValue) {
		n, isNum := k.(lua.LNumber)
		if !isNum || n < 1 || float64(n) != math.Trunc(float64(n)) {
			ok = false
			return
		}
		count++
		if int(n) > maxIdx {
			maxIdx = int(n)
		}
	})
	return count, ok && count == maxIdx
}

func msgpackHeader(b []byte, n int, fix byte, fixMax int, op16, op32 byte) []byte {
	switch {
	case n < fixMax:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, op16), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, op32), uint32(n))
	}
}

func msgpackString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

func msgpackInt(b []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(b, byte(n))
		case n <= 0xff:
			return append(b, 0xcc, byte(n))
		case n <= 0xffff:
			return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
		case n <= 0xffffffff:
			return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
		default:
			return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
		}
	}
	switch {
	case n >= -32:
		return append(b, byte(n))
	case n >= -128:
		return append(b, 0xd0, byte(n))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
	}
}

// msgpackUnpack decodes up to limit objects (0: all) from argument 1,
// starting at the offset in argument offArg. With a limit it returns
// the offset after them first (-1 at the end of the input).
func msgpackUnpack(L *lua.LState, fn string, limit, offArg int) int {
	s := L.CheckString(1)
	off := 0
	if limit > 0 {
		off = L.OptInt(offArg, 0)
		if off < 0 || off > len(s) {
			L.RaiseError("Start offset %d greater than input length %d.", off, len(s))
		}
	}
	d := &mpDecoder{L: L, b: []byte(s), pos: off}
	var vals []lua.LValue
	for d.pos < len(d.b) && (limit == 0 || len(vals) < limit) {
		v, ok := d.value()
		if !ok {
			if d.short {
				L.RaiseError("Missing bytes in input.")
			}
			L.RaiseError("Bad data format in input.")
		}
		vals = append(vals, v)
	}
	if limit > 0 {
		next := d.pos
		if next >= len(d.b) {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range vals {
		L.Push(v)
	}
	if limit > 0 {
		return len(vals) + 1
	}
	return len(vals)
}

type mpDecoder struct {
	L   *lua.LState
	b   []byte
	pos int
	// short is set when the input ended inside a value (as opposed to
	// holding a type lua-cmsgpack does not know).
	short bool
}

func (d *mpDecoder) take(n int) ([]byte, bool) {
	if n < 0 || d.pos+n > len(d.b) {
		d.short = true
		return nil, false
	}
	p := d.b[d.pos : d.pos+n]
	d.pos += n
	return p, true
}

func (d *mpDecoder) uint(n int) (uint64, bool) {
	p, ok := d.take(n)
	if !ok {
		return 0, false
	}
	var v uint64
	for _, c := range p {
		v = v<<8 | uint64(c)
	}
	return v, true
}

func (d *mpDecoder) value() (lua.LValue, bool) {
	p, ok := d.take(1)
	if !ok {
		return nil, false
	}
	c := p[0]
	switch {
	case c <= 0x7f:
		return lua.LNumber(c), true
	case c >= 0xe0:
		return lua.LNumber(int8(c)), true
	case c&0xe0 == 0xa0:
		return d.str(int(c & 0x1f))
	case c&0xf0 == 0x90:
		return d.array(int(c & 0x0f))
	case c&0xf0 == 0x80:
		return d.mapv(int(c & 0x0f))
	}
	switch c {
	case 0xc0:
		return lua.LNil, true
	case 0xc2:
		return lua.LFalse, true
	case 0xc3:
		return lua.LTrue, true
	case 0xca:
		u, ok := d.uint(4)
		return lua.LNumber(math.Float32frombits(uint32(u))), ok
	case 0xcb:
		u, ok := d.uint(8)
		return lua.LNumber(math.Float64frombits(u)), ok
	case 0xcc, 0xcd, 0xce, 0xcf:
		u, ok := d.uint(1 << (c - 0xcc))
		return lua.LNumber(u), ok
	case 0xd0:
		u, ok := d.uint(1)
		return lua.LNumber(int8(u)), ok
	case 0xd1:
		u, ok := d.uint(2)
		return lua.LNumber(int16(u)), ok
	case 0xd2:
		u, ok := d.uint(4)
		return lua.LNumber(int32(u)), ok
	case 0xd3:
		u, ok := d.uint(8)
		return lua.LNumber(int64(u)), ok
	case 0xd9:
		n, ok := d.uint(1)
		if !ok {
			return nil, false
		}
		return d.str(int(n))
	case 0xda:
		n, ok := d.uint(2)
		if !ok {
			return nil, false
		}
		return d.str(int(n))
	case 0xdb:
		n, ok := d.uint(4)
		if !ok {
			return nil, false
		}
		return d.str(int(n))
	case 0xdc:
		n, ok := d.uint(2)
		if !ok {
			return nil, false
		}
		return d.array(int(n))
	case 0xdd:
		n, ok := d.uint(4)
		if !ok {
			return nil, false
		}
		return d.array(int(n))
	case 0xde:
		n, ok := d.uint(2)
		if !ok {
			return nil, false
		}
		return d.mapv(int(n))
	case 0xdf:
		n, ok := d.uint(4)
		if !ok {
			return nil, false
		}
		return d.mapv(int(n))
	}
	return nil, false
}

func (d *mpDecoder) str(n int) (lua.LValue, bool) {
	p, ok := d.take(n)
	if !ok {
		return nil, false
	}
	return lua.LString(p), true
}

func (d *mpDecoder) array(n int) (lua.LValue, bool) {
	if n > len(d.b)-d.pos {
		d.short = true
		return nil, false
	}
	t := d.L.CreateTable(n, 0)
	for i := 1; i <= n; i++ {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		t.RawSetInt(i, v)
	}
	return t, true
}

func (d *mpDecoder) mapv(n int) (lua.LValue, bool) {
	if n > len(d.b)-d.pos {
		d.short = true
		return nil, false
	}
	t := d.L.NewTable()
	for i := 0; i < n; i++ {
		k, ok := d.value()
		if !ok {
			return nil, false
		}
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		if k != lua.LNil {
			t.RawSet(k, v)
		}
	}
	return t, true
}
