package script

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// bitLib is the LuaBitOp library Redis bundles: 32-bit operations on
// numbers, results as signed 32-bit integers.
func bitLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	fold := func(fn string, op func(a, b int32) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			r := toBit(L, 1, fn)
			for i := 2; i <= L.GetTop(); i++ {
				r = op(r, toBit(L, i, fn))
			}
			L.Push(lua.LNumber(r))
			return 1
		}
	}
	shift := func(fn string, op func(a int32, n uint) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			a := toBit(L, 1, fn)
			n := uint(toBit(L, 2, fn)) & 31
			L.Push(lua.LNumber(op(a, n)))
			return 1
		}
	}
	fns := map[string]lua.LGFunction{
		"tobit":   func(L *lua.LState) int { L.Push(lua.LNumber(toBit(L, 1, "tobit"))); return 1 },
		"bnot":    func(L *lua.LState) int { L.Push(lua.LNumber(^toBit(L, 1, "bnot"))); return 1 },
		"band":    fold("band", func(a, b int32) int32 { return a & b }),
		"bor":     fold("bor", func(a, b int32) int32 { return a | b }),
		"bxor":    fold("bxor", func(a, b int32) int32 { return a ^ b }),
		"lshift":  shift("lshift", func(a int32, n uint) int32 { return int32(uint32(a) << n) }),
		"rshift":  shift("rshift", func(a int32, n uint) int32 { return int32(uint32(a) >> n) }),
		"arshift": shift("arshift", func(a int32, n uint) int32 { return a >> n }),
		"rol": shift("rol", func(a int32, n uint) int32 {
			u := uint32(a)
			return int32(u<<n | u>>((32-n)&31))
		}),
		"ror": shift("ror", func(a int32, n uint) int32 {
			u := uint32(a)
			return int32(u>>n | u<<((32-n)&31))
		}),
		"bswap": func(L *lua.LState) int {
			u := uint32(toBit(L, 1, "bswap"))
			L.Push(lua.LNumber(int32(u>>24 | (u>>8)&0xff00 | (u<<8)&0xff0000 | u<<24)))
			return 1
		},
		"tohex": func(L *lua.LState) int {
			b := uint32(toBit(L, 1, "tohex"))
			n := int32(8)
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				n = toBit(L, 2, "tohex")
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n = -n
				digits = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			buf := make([]byte, n)
			for i := n - 1; i >= 0; i-- {
				buf[i] = digits[b&15]
				b >>= 4
			}
			L.Push(lua.LString(buf))
			return 1
		},
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}

// toBit normalises argument i to a 32-bit integer as LuaBitOp does:
// rounded to the nearest integer (ties to even), modulo 2^32.
func toBit(L *lua.LState, i int, fn string) int32 {
	f := checkNumber(L, i, fn)
	f = math.RoundToEven(f)
	f = math.Mod(f, 4294967296)
	if f < 0 {
		f += 4294967296
	}
	return int32(uint32(f))
}
