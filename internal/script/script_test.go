package script

import (
	"math"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
)

func TestLuaToInt(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want int64
	}{{3.99, 3}, {-3.99, -3}, {0, 0}, {1e30, math.MinInt64}, {-1e30, math.MinInt64}, {math.NaN(), math.MinInt64}, {9007199254740993, 9007199254740992}} {
		if got := luaToInt(c.in); got != c.want {
			t.Errorf("luaToInt(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestFormatNumbers(t *testing.T) {
	for _, c := range []struct {
		in         float64
		arg, tostr string
	}{{1.5, "1.5", "1.5"}, {0.1, "0.10000000000000001", "0.1"}, {1e20, "1e+20", "1e+20"}, {-7, "-7", "-7"},
		{1e15, "1000000000000000", "1e+15"}, {10.0 / 3, "3.3333333333333335", "3.3333333333333"}} {
		if got := string(formatNumber(c.in)); got != c.arg {
			t.Errorf("formatNumber(%v) = %q, want %q", c.in, got, c.arg)
		}
		if got := numberString(c.in); got != c.tostr {
			t.Errorf("numberString(%v) = %q, want %q", c.in, got, c.tostr)
		}
	}
	if numberString(math.Inf(-1)) != "-inf" || numberString(math.Copysign(math.NaN(), -1)) != "-nan" {
		t.Error("inf/nan formatting")
	}
}

func TestStrtod(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		used int
	}{{"12abc", 12, 2}, {"-1.5e3]", -1500, 6}, {"0x1F,", 31, 4}, {"1e", 1, 1}, {"-", 0, 0}, {".5", 0.5, 2}, {"inf", math.Inf(1), 3}} {
		got, used := strtod(c.in)
		if got != c.want || used != c.used {
			t.Errorf("strtod(%q) = %v, %d; want %v, %d", c.in, got, used, c.want, c.used)
		}
	}
}

// TestReplyRoundTrip converts RESP replies to Lua and back.
func TestReplyRoundTrip(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	for _, raw := range []string{":5\r\n", "$3\r\nabc\r\n", "+OK\r\n", "-ERR x\r\n", "*2\r\n:1\r\n$1\r\na\r\n", "*0\r\n"} {
		v, used := replyToLua(L, []byte(raw), 0)
		if used != len(raw) {
			t.Errorf("%q: used %d of %d bytes", raw, used, len(raw))
		}
		c := testCtx()
		writeValue(c, &c.Writer, v, 2, 0)
		if string(c.B) != raw {
			t.Errorf("round trip of %q gave %q", raw, c.B)
		}
	}
	if v, _ := replyToLua(L, []byte("$-1\r\n"), 0); v != lua.LFalse {
		t.Errorf("null bulk: %v", v)
	}
	if v, _ := replyToLua(L, []byte("_\r\n"), 0); v != lua.LNil {
		t.Errorf("RESP3 null: %v", v)
	}
}

func TestMsgpackRoundTrip(t *testing.T) {
	var b []byte
	for _, n := range []int64{0, 127, 128, -32, -33, 65536, -2147483649, math.MaxInt64} {
		b = msgpackInt(b[:0], n)
		d := &mpDecoder{b: b}
		v, ok := d.value()
		if !ok || v != lua.LNumber(float64(n)) || d.pos != len(b) {
			t.Errorf("%d: decoded %v, %v after %d of %d bytes", n, v, ok, d.pos, len(b))
		}
	}
	d := &mpDecoder{b: []byte{0xdc, 0xff, 0xff}}
	if _, ok := d.value(); ok {
		t.Error("array header longer than the input decoded")
	}
}

func TestShebang(t *testing.T) {
	if f, body, err := evalShebang("#!lua flags=no-writes,allow-oom\nreturn 1"); err != "" || f != FlagNoWrites|FlagAllowOOM || body != "\nreturn 1" {
		t.Errorf("got %d %q %q", f, body, err)
	}
	if f, _, err := evalShebang("return 1"); err != "" || f != FlagCompat {
		t.Errorf("no shebang: %d %q", f, err)
	}
	if _, _, err := libShebang("#!lua name=a-b\n"); !strings.Contains(err, "Library names") {
		t.Errorf("bad library name: %q", err)
	}
}

func testCtx() *command.Ctx { return &command.Ctx{Writer: resp.Writer{Proto: 2}} }

// TestStateBuiltOnFirstCompile: an engine that never compiled a script
// holds no interpreter (the collector would scan it every cycle); the
// first SCRIPT LOAD builds it, and the script loads.
func TestStateBuiltOnFirstCompile(t *testing.T) {
	e := New("7.2.4")
	if e.L != nil {
		t.Fatal("a new engine built its interpreter")
	}
	sha, errText := e.Load([]byte("return 1"))
	if errText != "" || !e.Exists(sha) {
		t.Fatalf("Load: %q %q", sha, errText)
	}
	if e.L == nil {
		t.Fatal("compiling a script built no interpreter")
	}
}
