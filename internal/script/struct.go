package script

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The struct library (Roberto Ierusalimschy's, as Redis bundles it):
// pack, unpack and size of binary records described by a format string.

func structLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	return t
}

// structFormat walks a format string.
type structFormat struct {
	L        *lua.LState
	fn       string
	f        string
	i        int
	little   bool
	maxAlign int
}

const structMaxIntSize = 32

func newStructFormat(L *lua.LState, fn string, f string) *structFormat {
	return &structFormat{L: L, fn: fn, f: f, little: true, maxAlign: 1}
}

func (s *structFormat) num(def int) int {
	if s.i >= len(s.f) || s.f[s.i] < '0' || s.f[s.i] > '9' {
		return def
	}
	n := 0
	for s.i < len(s.f) && s.f[s.i] >= '0' && s.f[s.i] <= '9' {
		n = n*10 + int(s.f[s.i]-'0')
		s.i++
	}
	return n
}

// option reads the next option and returns it with its size; ok false
// at the end. Endianness and alignment options are applied here.
func (s *structFormat) option() (byte, int, bool) {
	for s.i < len(s.f) {
		opt := s.f[s.i]
		s.i++
		switch opt {
		case 'b', 'B':
			return opt, 1, true
		case 'h', 'H':
			return opt, 2, true
		case 'l', 'L', 'T':
			return opt, 8, true
		case 'f':
			return opt, 4, true
		case 'd':
			return opt, 8, true
		case 'x':
			return opt, 1, true
		case 'c':
			return opt, s.num(1), true
		case 's':
			return opt, 0, true
		case 'i', 'I':
			n := s.num(4)
			if n > structMaxIntSize {
				s.L.RaiseError("integral size %d is larger than limit of %d", n, structMaxIntSize)
			}
			return opt, n, true
		case ' ':
		case '>':
			s.little = false
		case '<', '=':
			s.little = true
		case '!':
			s.maxAlign = s.num(8)
		default:
			argError(s.L, 1, s.fn, "invalid format option '"+string(opt)+"'")
		}
	}
	return 0, 0, false
}

// gap is the padding before a field of size n at offset pos.
func (s *structFormat) gap(opt byte, size, pos int) int {
	if opt == 'c' || opt == 's' || opt == 'x' {
		return 0
	}
	a := size
	if a > s.maxAlign {
		a = s.maxAlign
	}
	if a <= 1 {
		return 0
	}
	if a&(a-1) != 0 {
		s.L.RaiseError("alignment %d is not a power of 2", a)
	}
	return (a - pos%a) % a
}

func putInt(b []byte, v uint64, little bool) {
	n := len(b)
	for i := 0; i < n; i++ {
		var byt byte
		if i < 8 {
			byt = byte(v >> (8 * i))
		} else if int64(v) < 0 {
			byt = 0xff
		}
		if little {
			b[i] = byt
		} else {
			b[n-1-i] = byt
		}
	}
}

func structPack(L *lua.LState) int {
	s := newStructFormat(L, "pack", L.CheckString(1))
	var out []byte
	arg := 2
	for {
		opt, size, ok := s.option()
		if !ok {
			break
		}
		out = append(out, make([]byte, s.gap(opt, size, len(out)))...)
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			f := structNumber(L, arg)
			arg++
			var v uint64
			if f < 0 {
				v = uint64(int64(f))
			} else {
				v = uint64(f)
			}
			b := make([]byte, size)
			putInt(b, v, s.little)
			out = append(out, b...)
		case 'x':
			out = append(out, 0)
		case 'f':
			f := float32(structNumber(L, arg))
			arg++
			b := make([]byte, 4)
			if s.little {
				binary.LittleEndian.PutUint32(b, math.Float32bits(f))
			} else {
				binary.BigEndian.PutUint32(b, math.Float32bits(f))
			}
			out = append(out, b...)
		case 'd':
			f := structNumber(L, arg)
			arg++
			b := make([]byte, 8)
			if s.little {
				binary.LittleEndian.PutUint64(b, math.Float64bits(f))
			} else {
				binary.BigEndian.PutUint64(b, math.Float64bits(f))
			}
			out = append(out, b...)
		case 'c', 's':
			str := L.CheckString(arg)
			arg++
			n := size
			if opt == 's' || size == 0 {
				n = len(str)
			}
			if n > len(str) {
				// Redis's struct reports the argument after it.
				argError(L, arg, "pack", "string too short")
			}
			out = append(out, str[:n]...)
			if opt == 's' {
				out = append(out, 0)
			}
		}
	}
	L.Push(lua.LString(out))
	return 1
}

func structUnpack(L *lua.LState) int {
	s := newStructFormat(L, "unpack", L.CheckString(1))
	data := L.CheckString(2)
	pos := L.OptInt(3, 1) - 1
	if pos < 0 {
		argError(L, 3, "unpack", "offset must be 1 or greater")
	}
	n := 0
	last := 0.0
	for {
		opt, size, ok := s.option()
		if !ok {
			break
		}
		pos += s.gap(opt, size, pos)
		if pos+size > len(data) {
			argError(L, 2, "unpack", "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			var v uint64
			for i := 0; i < size && i < 8; i++ {
				var byt byte
				if s.little {
					byt = data[pos+i]
				} else {
					byt = data[pos+size-1-i]
				}
				v |= uint64(byt) << (8 * i)
			}
			var f float64
			signed := opt == 'b' || opt == 'h' || opt == 'l' || opt == 'i'
			if signed && size < 8 {
				shift := uint(64 - 8*size)
				f = float64(int64(v<<shift) >> shift)
			} else if signed {
				f = float64(int64(v))
			} else {
				f = float64(v)
			}
			last = f
			L.Push(lua.LNumber(f))
			n++
			pos += size
		case 'x':
			pos++
		case 'f':
			var u uint32
			if s.little {
				u = binary.LittleEndian.Uint32([]byte(data[pos : pos+4]))
			} else {
				u = binary.BigEndian.Uint32([]byte(data[pos : pos+4]))
			}
			L.Push(lua.LNumber(math.Float32frombits(u)))
			n++
			pos += 4
		case 'd':
			var u uint64
			if s.little {
				u = binary.LittleEndian.Uint64([]byte(data[pos : pos+8]))
			} else {
				u = binary.BigEndian.Uint64([]byte(data[pos : pos+8]))
			}
			L.Push(lua.LNumber(math.Float64frombits(u)))
			n++
			pos += 8
		case 'c':
			if size == 0 {
				if n == 0 {
					L.RaiseError("format 'c0' needs a previous size")
				}
				size = int(last)
				L.Pop(1)
				n--
				if pos+size > len(data) {
					argError(L, 2, "unpack", "data string too short")
				}
			}
			L.Push(lua.LString(data[pos : pos+size]))
			n++
			pos += size
		case 's':
			end := strings.IndexByte(data[pos:], 0)
			if end < 0 {
				L.RaiseError("unfinished string in data")
			}
			L.Push(lua.LString(data[pos : pos+end]))
			n++
			pos += end + 1
		}
	}
	L.Push(lua.LNumber(pos + 1))
	return n + 1
}

func structSize(L *lua.LState) int {
	s := newStructFormat(L, "size", L.CheckString(1))
	pos := 0
	for {
		opt, size, ok := s.option()
		if !ok {
			break
		}
		if opt == 's' {
			argError(L, 1, "size", "option 's' has no fixed size")
		}
		if opt == 'c' && size == 0 {
			argError(L, 1, "size", "option 'c0' has no fixed size")
		}
		pos += s.gap(opt, size, pos) + size
	}
	L.Push(lua.LNumber(pos))
	return 1
}

// structNumber is luaL_checknumber as struct.pack sees it: its buffer
// occupies the stack, so a missing argument reads as nil.
func structNumber(L *lua.LState, n int) float64 {
	if n > L.GetTop() {
		argError(L, n, "pack", "number expected, got nil")
	}
	return checkNumber(L, n, "pack")
}
