package script

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// The cjson library (lua-cjson 2.1.0 as Redis bundles it): encode and
// decode with its defaults (%.14g numbers, "/" escaped, sparse arrays
// refused past a ratio of 2 beyond index 10, nesting limited to 1000),
// and its error texts.

const jsonMaxDepth = 1000

// jsonNull is cjson.null, the light userdata decoded JSON nulls become.
var jsonNull = &lua.LUserData{}

// argError raises Lua 5.1's "bad argument #n to 'fn' (msg)".
func argError(L *lua.LState, n int, fn, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fn, msg)
}

func cjsonLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("encode", L.NewFunction(jsonEncode))
	t.RawSetString("decode", L.NewFunction(jsonDecode))
	t.RawSetString("null", jsonNull)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

func jsonEncode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "encode", "expected 1 argument")
	}
	var sb strings.Builder
	jsonValue(L, &sb, L.Get(1), 0)
	L.Push(lua.LString(sb.String()))
	return 1
}

// jsonNumber formats n as lua-cjson does ("%.14g").
func jsonNumber(n float64) string {
	return strconv.FormatFloat(n, 'g', 14, 64)
}

func jsonValue(L *lua.LState, sb *strings.Builder, v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LString:
		jsonString(sb, string(v))
	case lua.LNumber:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			L.RaiseError("Cannot serialise number: must not be NaN or Inf")
		}
		sb.WriteString(jsonNumber(f))
	case lua.LBool:
		if v {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case *lua.LNilType:
		sb.WriteString("null")
	case *lua.LUserData:
		if v == jsonNull {
			sb.WriteString("null")
			return
		}
		L.RaiseError("Cannot serialise userdata: type not supported")
	case *lua.LTable:
		depth++
		if depth > jsonMaxDepth {
			L.RaiseError("Cannot serialise, excessive nesting (%d)", depth)
		}
		n := jsonArrayLength(L, v)
		if n > 0 {
			sb.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					sb.WriteByte(',')
				}
				jsonValue(L, sb, v.RawGetInt(i), depth)
			}
			sb.WriteByte(']')
			return
		}
		sb.WriteByte('{')
		first := true
		v.ForEach(func(k, x lua.LValue) {
			if !first {
				sb.WriteByte(',')
			}
			first = false
			switch k := k.(type) {
			case lua.LString:
				jsonString(sb, string(k))
			case lua.LNumber:
				jsonString(sb, jsonNumber(float64(k)))
			default:
				L.RaiseError("Cannot serialise %s: table key must be a number or string", k.Type().String())
			}
			sb.WriteByte(':')
			jsonValue(L, sb, x, depth)
		})
		sb.WriteByte('}')
	default:
		L.RaiseError("Cannot serialise %s: type not supported", v.Type().String())
	}
}

// jsonArrayLength is the array size of t when every key is a positive
// integer (0 otherwise, encoded as an object), refusing excessively
// sparse arrays.
func jsonArrayLength(L *lua.LState, t *lua.LTable) int {
	maxIdx, items := 0, 0
	array := true
	t.ForEach(func(k, _ lua.LValue) {
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) != math.Floor(float64(n)) || n < 1 {
			array = false
			return
		}
		if int(n) > maxIdx {
			maxIdx = int(n)
		}
		items++
	})
	if !array {
		return 0
	}
	if maxIdx > items*2 && maxIdx > 10 {
		L.RaiseError("Cannot serialise table: excessively sparse array")
	}
	return maxIdx
}

func jsonString(sb *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '/':
			sb.WriteString(`\/`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				sb.WriteString(`\u00`)
				sb.WriteByte(hex[c>>4])
				sb.WriteByte(hex[c&15])
			} else {
				sb.WriteByte(c)
			}
		}
	}
	sb.WriteByte('"')
}

// JSON tokens, named as lua-cjson names them in errors.
type jtok int

const (
	tObjBegin jtok = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tError
)

var jtokNames = []string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_ERROR"}

type jtoken struct {
	typ   jtok
	index int
	val   lua.LValue
	err   string
}

type jdecoder struct {
	L     *lua.LState
	s     string
	pos   int
	depth int
}

func jsonDecode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "decode", "expected 1 argument")
	}
	s := L.CheckString(1)
	d := &jdecoder{L: L, s: s}
	tok := d.next()
	v := d.value(tok)
	tok = d.next()
	if tok.typ != tEnd {
		d.fail("the end", tok)
	}
	L.Push(v)
	return 1
}

func (d *jdecoder) fail(exp string, t jtoken) {
	found := t.err
	if t.typ != tError {
		found = jtokNames[t.typ]
	}
	d.L.RaiseError("Expected %s but found %s at character %d", exp, found, t.index+1)
}

func (d *jdecoder) next() jtoken {
	s := d.s
	for d.pos < len(s) && (s[d.pos] == ' ' || s[d.pos] == '\t' || s[d.pos] == '\n' || s[d.pos] == '\r') {
		d.pos++
	}
	t := jtoken{index: d.pos}
	if d.pos >= len(s) {
		t.typ = tEnd
		return t
	}
	c := s[d.pos]
	single := map[byte]jtok{'{': tObjBegin, '}': tObjEnd, '[': tArrBegin, ']': tArrEnd, ':': tColon, ',': tComma}
	if typ, ok := single[c]; ok {
		d.pos++
		t.typ = typ
		return t
	}
	switch {
	case c == '"':
		return d.str()
	case c == '-' || c >= '0' && c <= '9' || startsInfNaN(s[d.pos:]):
		n, used := strtod(s[d.pos:])
		if used == 0 {
			t.typ, t.err = tError, "invalid number"
			return t
		}
		d.pos += used
		t.typ, t.val = tNumber, lua.LNumber(n)
		return t
	case strings.HasPrefix(s[d.pos:], "true"):
		d.pos += 4
		t.typ, t.val = tBoolean, lua.LTrue
		return t
	case strings.HasPrefix(s[d.pos:], "false"):
		d.pos += 5
		t.typ, t.val = tBoolean, lua.LFalse
		return t
	case strings.HasPrefix(s[d.pos:], "null"):
		d.pos += 4
		t.typ, t.val = tNull, jsonNull
		return t
	}
	t.typ, t.err = tError, "invalid token"
	return t
}

func (d *jdecoder) str() jtoken {
	s := d.s
	t := jtoken{index: d.pos}
	d.pos++
	var sb strings.Builder
	for {
		if d.pos >= len(s) {
			t.typ, t.err, t.index = tError, "unexpected end of string", d.pos
			return t
		}
		c := s[d.pos]
		if c == '"' {
			d.pos++
			break
		}
		if c != '\\' {
			sb.WriteByte(c)
			d.pos++
			continue
		}
		if d.pos+1 >= len(s) {
			t.typ, t.err, t.index = tError, "unexpected end of string", d.pos
			return t
		}
		e := s[d.pos+1]
		esc := map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}
		if r, ok := esc[e]; ok {
			sb.WriteByte(r)
			d.pos += 2
			continue
		}
		if e != 'u' {
			t.typ, t.err, t.index = tError, "invalid escape code", d.pos
			return t
		}
		r, used := jsonUnicode(s[d.pos:])
		if used == 0 {
			t.typ, t.err, t.index = tError, "invalid unicode escape code", d.pos
			return t
		}
		var buf [4]byte
		sb.Write(buf[:utf8.EncodeRune(buf[:], r)])
		d.pos += used
	}
	t.typ, t.val = tString, lua.LString(sb.String())
	return t
}

// jsonUnicode decodes \uXXXX (with a surrogate pair) at the start of s.
func jsonUnicode(s string) (rune, int) {
	hex4 := func(s string) (rune, bool) {
		if len(s) < 4 {
			return 0, false
		}
		n, err := strconv.ParseUint(s[:4], 16, 32)
		return rune(n), err == nil
	}
	if len(s) < 6 {
		return 0, 0
	}
	r, ok := hex4(s[2:])
	if !ok {
		return 0, 0
	}
	if r >= 0xDC00 && r <= 0xDFFF {
		return 0, 0
	}
	if r >= 0xD800 && r <= 0xDBFF {
		if len(s) < 12 || s[6] != '\\' || s[7] != 'u' {
			return 0, 0
		}
		lo, ok := hex4(s[8:])
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return 0, 0
		}
		return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12
	}
	return r, 6
}

// strtod parses the longest number prefix of s as C's strtod does
// (decimal, hex, inf, nan) and returns it and the bytes used.
func strtod(s string) (float64, int) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case strings.HasPrefix(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case strings.HasPrefix(rest, "nan"):
		return math.NaN(), i + 3
	case strings.HasPrefix(rest, "0x"):
		j := i + 2
		for j < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
			j++
		}
		if j == i+2 {
			return 0, i + 1
		}
		n, _ := strconv.ParseUint(s[i+2:j], 16, 64)
		return sign(float64(n)), j
	}
	j := i
	digits := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			j = k
		}
	}
	f, _ := strconv.ParseFloat(s[:j], 64)
	return f, j
}

func (d *jdecoder) value(t jtoken) lua.LValue {
	switch t.typ {
	case tString, tNumber, tBoolean, tNull:
		return t.val
	case tObjBegin:
		d.nest(t)
		tbl := d.L.NewTable()
		tok := d.next()
		if tok.typ == tObjEnd {
			d.depth--
			return tbl
		}
		for {
			if tok.typ != tString {
				d.fail("object key string", tok)
			}
			key := tok.val
			tok = d.next()
			if tok.typ != tColon {
				d.fail("colon", tok)
			}
			tbl.RawSet(key, d.value(d.next()))
			tok = d.next()
			if tok.typ == tObjEnd {
				d.depth--
				return tbl
			}
			if tok.typ != tComma {
				d.fail("comma or object end", tok)
			}
			tok = d.next()
		}
	case tArrBegin:
		d.nest(t)
		tbl := d.L.NewTable()
		tok := d.next()
		if tok.typ == tArrEnd {
			d.depth--
			return tbl
		}
		for i := 1; ; i++ {
			tbl.RawSetInt(i, d.value(tok))
			tok = d.next()
			if tok.typ == tArrEnd {
				d.depth--
				return tbl
			}
			if tok.typ != tComma {
				d.fail("comma or array end", tok)
			}
			tok = d.next()
		}
	}
	d.fail("value", t)
	return lua.LNil
}

func (d *jdecoder) nest(t jtoken) {
	d.depth++
	if d.depth > jsonMaxDepth {
		d.L.RaiseError("Found too many nested data structures (%d) at character %d", d.depth, t.index+1)
	}
}

func startsInfNaN(s string) bool {
	if len(s) < 3 {
		return false
	}
	l := strings.ToLower(s[:3])
	return l == "inf" || l == "nan"
}

// checkNumber is luaL_checknumber with Lua 5.1's error text.
func checkNumber(L *lua.LState, n int, fn string) float64 {
	if n > L.GetTop() {
		argError(L, n, fn, "number expected, got no value")
	}
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			return f
		}
	}
	argError(L, n, fn, "number expected, got "+L.Get(n).Type().String())
	return 0
}
