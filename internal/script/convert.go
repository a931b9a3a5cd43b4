package script

import (
	"bytes"
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
)

// maxDepth is the nesting at which Redis's conversion of a Lua table
// runs out of Lua stack (LUAI_MAXCSTACK, 4 slots a level, after those the
// call itself uses): that element becomes an error.
const maxDepth = 7995

// writeValue converts a script's Lua value to a reply, with Redis's
// rules: strings are bulk strings, numbers integers (truncated), true 1
// (a RESP3 boolean after redis.setresp(3)), false and nil null, tables
// with an err, ok, double, big_number, map, set or verbatim_string field
// those replies, and other tables arrays up to their first nil.
func writeValue(c *command.Ctx, w *resp.Writer, v lua.LValue, proto, depth int) {
	if depth >= maxDepth {
		w.Errorf("ERR reached lua stack limit")
		return
	}
	switch v := v.(type) {
	case lua.LString:
		w.BulkString(string(v))
	case lua.LBool:
		if proto == 2 {
			if v {
				w.Int(1)
			} else {
				w.Null()
			}
			return
		}
		w.Bool(bool(v))
	case lua.LNumber:
		w.Int(luaToInt(float64(v)))
	case *lua.LTable:
		if s, ok := v.RawGetString("err").(lua.LString); ok {
			w.Errorf(string(s))
			return
		}
		if s, ok := v.RawGetString("ok").(lua.LString); ok {
			w.Simple(string(s))
			return
		}
		if n, ok := v.RawGetString("double").(lua.LNumber); ok {
			w.Double(float64(n))
			return
		}
		if s, ok := v.RawGetString("big_number").(lua.LString); ok {
			if w.Proto >= 3 {
				w.B = append(w.B, '(')
				w.B = append(w.B, s...)
				w.B = append(w.B, '\r', '\n')
			} else {
				w.BulkString(string(s))
			}
			return
		}
		if m, ok := v.RawGetString("map").(*lua.LTable); ok {
			var ks, vs []lua.LValue
			m.ForEach(func(k, x lua.LValue) { ks, vs = append(ks, k), append(vs, x) })
			w.Map(len(ks))
			for i := range ks {
				writeValue(c, w, ks[i], proto, depth+1)
				writeValue(c, w, vs[i], proto, depth+1)
			}
			return
		}
		if m, ok := v.RawGetString("set").(*lua.LTable); ok {
			var ks []lua.LValue
			m.ForEach(func(k, _ lua.LValue) { ks = append(ks, k) })
			w.Set(len(ks))
			for _, k := range ks {
				writeValue(c, w, k, proto, depth+1)
			}
			return
		}
		if m, ok := v.RawGetString("verbatim_string").(*lua.LTable); ok {
			s, ok1 := m.RawGetString("string").(lua.LString)
			f, ok2 := m.RawGetString("format").(lua.LString)
			if ok1 && ok2 {
				w.Verbatim(string(f), string(s))
				return
			}
		}
		n := 0
		for v.RawGetInt(n+1) != lua.LNil {
			n++
		}
		w.Array(n)
		for i := 1; i <= n; i++ {
			writeValue(c, w, v.RawGetInt(i), proto, depth+1)
		}
	default:
		w.Null()
	}
}

// luaToInt truncates a Lua number as C's (long long) cast does on the
// platforms Redis runs on (out of range: the minimum).
func luaToInt(f float64) int64 {
	if math.IsNaN(f) || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return math.MinInt64
	}
	return int64(f)
}

// replyToLua converts the RESP reply b to a Lua value: integers numbers,
// bulk strings strings, null false (RESP2) or nil (RESP3), status replies
// {ok=...}, errors {err=...}, arrays tables, and the RESP3 types the
// tables Redis builds. It returns the value and the bytes used.
func replyToLua(L *lua.LState, b []byte, depth int) (lua.LValue, int) {
	if len(b) < 3 {
		return lua.LNil, len(b)
	}
	nl := bytes.Index(b, []byte("\r\n"))
	if nl < 0 {
		return lua.LNil, len(b)
	}
	line := b[1:nl]
	next := nl + 2
	switch b[0] {
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return lua.LNumber(n), next
	case '+':
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(line))
		return t, next
	case '-':
		t := L.CreateTable(0, 1)
		t.RawSetString("err", lua.LString(line))
		return t, next
	case '$', '=':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, next
		}
		s := b[next : next+n]
		if b[0] == '=' {
			t := L.CreateTable(0, 1)
			vt := L.CreateTable(0, 2)
			if len(s) >= 4 {
				vt.RawSetString("format", lua.LString(s[:3]))
				vt.RawSetString("string", lua.LString(s[4:]))
			}
			t.RawSetString("verbatim_string", vt)
			return t, next + n + 2
		}
		return lua.LString(s), next + n + 2
	case '*', '>':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, next
		}
		t := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			v, used := replyToLua(L, b[next:], depth+1)
			next += used
			t.RawSetInt(i, v)
		}
		return t, next
	case '%', '~':
		n, _ := strconv.Atoi(string(line))
		inner := L.NewTable()
		for i := 0; i < n; i++ {
			k, used := replyToLua(L, b[next:], depth+1)
			next += used
			if b[0] == '~' {
				inner.RawSet(k, lua.LTrue)
				continue
			}
			v, used := replyToLua(L, b[next:], depth+1)
			next += used
			inner.RawSet(k, v)
		}
		t := L.CreateTable(0, 1)
		if b[0] == '~' {
			t.RawSetString("set", inner)
		} else {
			t.RawSetString("map", inner)
		}
		return t, next
	case '_':
		return lua.LNil, next
	case '#':
		return lua.LBool(len(line) > 0 && line[0] == 't'), next
	case ',':
		f, _ := strconv.ParseFloat(string(line), 64)
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(f))
		return t, next
	case '(':
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(line))
		return t, next
	}
	return lua.LNil, len(b)
}
