package resp

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// The expected outcomes below were checked against redis-server 7.0.15
// over a raw socket: which requests run, and which error (if any) is
// replied before the connection closes. "incomplete" means Redis waits.
var parseCases = []struct {
	name string
	in   string
	max  int64 // MaxBulk; 0 is the default
	want [][]string
	err  error // after the requests in want; nil means all input was used
	rest int   // bytes left unparsed when err is ErrIncomplete
}{
	// multibulk
	{name: "ping", in: "*1\r\n$4\r\nPING\r\n", want: [][]string{{"PING"}}},
	{name: "args", in: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", want: [][]string{{"SET", "k", "hello"}}},
	{name: "binary", in: "*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\x00\xffz\r\n", want: [][]string{{"ECHO", "a\r\n\x00\xffz"}}},
	{name: "empty arg", in: "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", want: [][]string{{"ECHO", ""}}},
	{name: "pipeline", in: "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\nPING\r\n", want: [][]string{{"PING"}, {"ECHO", "x"}, {"PING"}}},
	{name: "pipeline tail", in: "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI", want: [][]string{{"PING"}}, err: ErrIncomplete, rest: 10},
	{name: "bytes after bulk unchecked", in: "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", want: [][]string{{"PING"}, {"PING"}}},
	{name: "byte after header cr unchecked", in: "*1\rX$4\rYPING\r\n", want: [][]string{{"PING"}}},
	{name: "max bulk exactly", in: "*1\r\n$536870912\r\n", err: ErrIncomplete, rest: 16},
	{name: "max multibulk", in: "*2147483647\r\n", err: ErrIncomplete, rest: 13},

	// empty requests
	{name: "*0", in: "*0\r\nPING\r\n", want: [][]string{{}, {"PING"}}},
	{name: "*-1", in: "*-1\r\nPING\r\n", want: [][]string{{}, {"PING"}}},
	{name: "*-5", in: "*-5\r\n", want: [][]string{{}}},
	{name: "blank lines", in: "\r\n\n   \n\t\x0b\x0c\r\nPING\n", want: [][]string{{}, {}, {}, {}, {"PING"}}},

	// incomplete
	{name: "empty", in: "", err: ErrIncomplete},
	{name: "star", in: "*", err: ErrIncomplete, rest: 1},
	{name: "lf header waits for cr", in: "*1\n", err: ErrIncomplete, rest: 3},
	{name: "cr without next byte", in: "*1\r", err: ErrIncomplete, rest: 3},
	{name: "no bulk header yet", in: "*1\r\n", err: ErrIncomplete, rest: 4},
	{name: "bulk header no cr", in: "*1\r\n$4\n", err: ErrIncomplete, rest: 7},
	{name: "non-dollar waits for cr", in: "*1\r\nx\n", err: ErrIncomplete, rest: 6},
	{name: "bulk data short", in: "*1\r\n$3\r\nfoo", err: ErrIncomplete, rest: 11},
	{name: "bulk crlf missing", in: "*1\r\n$0\r\n", err: ErrIncomplete, rest: 8},
	{name: "inline no newline", in: "PING", err: ErrIncomplete, rest: 4},
	{name: "nul hides header cr", in: "*1\x00\r\n", err: ErrIncomplete, rest: 5},
	{name: "nul hides inline newline", in: "PING\x00\r\nPING\r\n", err: ErrIncomplete, rest: 13},
	{name: "nul hides quoted newline", in: "ECHO \"a\"\x00\r\n", err: ErrIncomplete, rest: 11},
	{name: "nul in bulk data is data", in: "*1\r\n$4\r\n\x00ING\r\n", want: [][]string{{"\x00ING"}}},

	// multibulk count errors
	{name: "lf header then cr", in: "*1\n$4\r\nPING\r\n", err: ErrInvalidMultibulk},
	{name: "count too big", in: "*3000000000\r\n", err: ErrInvalidMultibulk},
	{name: "count int max+1", in: "*2147483648\r\n", err: ErrInvalidMultibulk},
	{name: "count overflow", in: "*99999999999999999999\r\n", err: ErrInvalidMultibulk},
	{name: "count leading zero", in: "*01\r\n", err: ErrInvalidMultibulk},
	{name: "count space", in: "* 1\r\n", err: ErrInvalidMultibulk},
	{name: "count trailing space", in: "*1 \r\n", err: ErrInvalidMultibulk},
	{name: "count plus", in: "*+1\r\n", err: ErrInvalidMultibulk},
	{name: "count empty", in: "*\r\n", err: ErrInvalidMultibulk},
	{name: "count minus", in: "*-\r\n", err: ErrInvalidMultibulk},
	{name: "count minus zero", in: "*-0\r\n", err: ErrInvalidMultibulk},
	{name: "count letters", in: "*abc\r\n", err: ErrInvalidMultibulk},
	{name: "error after good", in: "*1\r\n$4\r\nPING\r\n*x\r\n", want: [][]string{{"PING"}}, err: ErrInvalidMultibulk},

	// bulk length errors
	{name: "lf bulk header then cr", in: "*1\r\n$4\nPING\r\n", err: ErrInvalidBulk},
	{name: "bulk negative", in: "*1\r\n$-1\r\n", err: ErrInvalidBulk},
	{name: "bulk minus zero", in: "*1\r\n$-0\r\n", err: ErrInvalidBulk},
	{name: "bulk empty", in: "*1\r\n$\r\n", err: ErrInvalidBulk},
	{name: "bulk leading zero", in: "*1\r\n$04\r\nPING\r\n", err: ErrInvalidBulk},
	{name: "bulk over max", in: "*1\r\n$536870913\r\n", err: ErrInvalidBulk},
	{name: "bulk over int64", in: "*1\r\n$9999999999999999999\r\n", err: ErrInvalidBulk},
	{name: "bulk long digits", in: "*1\r\n$" + strings.Repeat("1", 100) + "\r\n", err: ErrInvalidBulk},
	{name: "bulk over configured max", in: "*1\r\n$1025\r\n", max: 1024, err: ErrInvalidBulk},
	{name: "bulk at configured max", in: "*1\r\n$1024\r\n", max: 1024, err: ErrIncomplete, rest: 11},
	{name: "second bulk bad", in: "*2\r\n$4\r\nECHO\r\n$x\r\n", err: ErrInvalidBulk},

	// expected '$'
	{name: "expected dollar", in: "*1\r\nxyz\r\n", err: expectedDollar['x']},
	{name: "expected dollar cr", in: "*1\r\n\r\n", err: expectedDollar['\r']},
	{name: "expected dollar high byte", in: "*1\r\n\xff\r\n", err: expectedDollar[0xff]},
	{name: "inline inside multibulk", in: "*1\r\nPING\r\n", err: expectedDollar['P']},
	{name: "second header not dollar", in: "*2\r\n$4\r\nECHO\r\n:1\r\n", err: expectedDollar[':']},

	// too big
	{name: "inline 64k", in: strings.Repeat("A", InlineMax), err: ErrIncomplete, rest: InlineMax},
	{name: "inline 64k+1", in: strings.Repeat("A", InlineMax+1), err: ErrTooBigInline},
	{name: "inline nul 64k", in: "PING\x00" + strings.Repeat("A", InlineMax) + "\n", err: ErrTooBigInline},
	{name: "inline long line ok", in: strings.Repeat("A", InlineMax+10) + "\n", want: [][]string{{strings.Repeat("A", InlineMax+10)}}},
	{name: "mbulk count 64k", in: "*" + strings.Repeat("1", InlineMax-1), err: ErrIncomplete, rest: InlineMax},
	{name: "mbulk count 64k+1", in: "*" + strings.Repeat("1", InlineMax), err: ErrTooBigMbulk},
	{name: "bulk count 64k+1", in: "*1\r\n$" + strings.Repeat("1", InlineMax), err: ErrTooBigBulk},
	{name: "bulk count garbage", in: "*1\r\n" + strings.Repeat("x", InlineMax+10), err: ErrTooBigBulk},
	{name: "bulk count nul", in: "*1\r\n$1\x00\r\n" + strings.Repeat("x", InlineMax), err: ErrTooBigBulk},

	// inline
	{name: "inline", in: "PING\r\n", want: [][]string{{"PING"}}},
	{name: "inline lf", in: "ECHO hi\nPING\n", want: [][]string{{"ECHO", "hi"}, {"PING"}}},
	{name: "inline spaces", in: "   PING   \r\n", want: [][]string{{"PING"}}},
	{name: "inline tab", in: "ECHO a\tb\r\n", want: [][]string{{"ECHO", "a", "b"}}},
	{name: "inline cr cr", in: "PING\r\r\n", want: [][]string{{"PING"}}},
	{name: "inline inner cr", in: "A\rB\r\n", want: [][]string{{"A", "B"}}},
	{name: "vtab inside word", in: "PI\x0bNG\r\n", want: [][]string{{"PI\x0bNG"}}},
	{name: "formfeed ends nothing", in: "ECHO\x0c a\r\n", want: [][]string{{"ECHO\x0c", "a"}}},
	{name: "leading vtab", in: "\x0bPING\r\n", want: [][]string{{"PING"}}},
	{name: "double quotes", in: "ECHO \"a b\"\n", want: [][]string{{"ECHO", "a b"}}},
	{name: "single quotes", in: "ECHO 'a b'\n", want: [][]string{{"ECHO", "a b"}}},
	{name: "escapes", in: "ECHO \"a\\x41\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n", want: [][]string{{"ECHO", "aA\n\r\t\b\a\\\"q"}}},
	{name: "hex both cases", in: "ECHO \"\\xfF\\x00\"\r\n", want: [][]string{{"ECHO", "\xff\x00"}}},
	{name: "short hex", in: "ECHO \"\\x4\"\r\n", want: [][]string{{"ECHO", "x4"}}},
	{name: "bad hex", in: "ECHO \"\\xZZ\"\r\n", want: [][]string{{"ECHO", "xZZ"}}},
	{name: "single quote escape", in: "ECHO 'a\\'b'\r\n", want: [][]string{{"ECHO", "a'b"}}},
	{name: "single quote other backslash", in: "ECHO 'a\\nb'\r\n", want: [][]string{{"ECHO", "a\\nb"}}},
	{name: "empty quotes", in: "ECHO \"\" ''\r\n", want: [][]string{{"ECHO", "", ""}}},
	{name: "quote mid word", in: "ECHO a\"b c\"\r\n", want: [][]string{{"ECHO", "ab c"}}},
	{name: "quote then vtab", in: "ECHO \"a\"\x0bb\r\n", want: [][]string{{"ECHO", "a", "b"}}},
	{name: "quote then tab", in: "ECHO \"a\"\tb\r\n", want: [][]string{{"ECHO", "a", "b"}}},
	{name: "quote then cr", in: "ECHO \"a\"\r\r\n", want: [][]string{{"ECHO", "a"}}},
	{name: "quoted pipeline", in: "ECHO \"x\"\nECHO 'y'\n", want: [][]string{{"ECHO", "x"}, {"ECHO", "y"}}},
	{name: "unbalanced double", in: "ECHO \"abc\r\n", err: ErrUnbalanced},
	{name: "unbalanced single", in: "ECHO 'abc\r\n", err: ErrUnbalanced},
	{name: "escaped closing quote", in: "ECHO \"a\\\"\r\n", err: ErrUnbalanced},
	{name: "closing quote then letter", in: "ECHO \"a\"b\r\n", err: ErrUnbalanced},
	{name: "closing quote then quote", in: "ECHO 'a'\"b\"\r\n", err: ErrUnbalanced},
	{name: "quote mid word then letter", in: "ECHO a\"b c\"d\r\n", err: ErrUnbalanced},
	{name: "unbalanced after good", in: "PING\nECHO \"a\n", want: [][]string{{"PING"}}, err: ErrUnbalanced},
}

// parseAll parses every request in data with one Parser, the way the
// server's loop does, and checks the invariants that hold for any input.
func parseAll(t testing.TB, p *Parser, data []byte) (reqs [][]string, rest int, err error) {
	t.Helper()
	pos := 0
	for {
		args, n, err := p.Parse(data[pos:], nil)
		if err != nil {
			if n != 0 || len(args) != 0 {
				t.Fatalf("error %v with n=%d and %d args", err, n, len(args))
			}
			return reqs, len(data) - pos, err
		}
		checkArgs(t, data[pos:], args, n)
		reqs = append(reqs, strs(args))
		pos += n
	}
}

// checkArgs checks one parsed request: progress was made, and the
// arguments fit in the bytes consumed (and, for multibulk, lie in them).
func checkArgs(t testing.TB, buf []byte, args [][]byte, n int) {
	t.Helper()
	if n <= 0 || n > len(buf) {
		t.Fatalf("consumed %d of %d bytes", n, len(buf))
	}
	total := 0
	for _, a := range args {
		total += len(a)
		if buf[0] == '*' && !within(buf[:n], a) {
			t.Fatalf("argument %q is not inside the request", a)
		}
	}
	if total > n {
		t.Fatalf("%d argument bytes from a %d-byte request", total, n)
	}
}

func strs(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			p := Parser{MaxBulk: tc.max}
			reqs, rest, err := parseAll(t, &p, []byte(tc.in))
			wantErr := tc.err
			if wantErr == nil {
				wantErr = ErrIncomplete
			}
			if !sameRequests(reqs, tc.want) {
				t.Errorf("requests %.200q, want %.200q", reqs, tc.want)
			}
			if err != wantErr {
				t.Errorf("error %v, want %v", err, wantErr)
			}
			if wantErr == ErrIncomplete && rest != tc.rest {
				t.Errorf("%d bytes left, want %d", rest, tc.rest)
			}
		})
	}
}

func sameRequests(a, b [][]string) bool {
	return slices.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

// TestParseSplit feeds every case in two pieces split at every point, and
// byte by byte, and expects what the one-shot parse gave.
func TestParseSplit(t *testing.T) {
	for _, tc := range parseCases {
		if len(tc.in) > 4096 {
			continue // the 64 KB cases: covered by TestParseSlowLimits
		}
		t.Run(tc.name, func(t *testing.T) { checkIncremental(t, []byte(tc.in), tc.max) })
	}
}

// TestParseSlowLimits checks that the InlineMax limits trip when a line
// arrives in small pieces, as they do in Redis, which checks after every
// read.
func TestParseSlowLimits(t *testing.T) {
	for _, tc := range []struct {
		in  string
		err error
	}{
		{strings.Repeat("A", InlineMax+5000) + "\n", ErrTooBigInline},
		{"*" + strings.Repeat("1", InlineMax+5000) + "\r\n", ErrTooBigMbulk},
		{"*1\r\n$" + strings.Repeat("1", InlineMax+5000) + "\r\n", ErrTooBigBulk},
	} {
		got := feed(t, []byte(tc.in), 0, chunks(len(tc.in), 1000))
		if got.err != tc.err || len(got.reqs) != 0 {
			t.Errorf("%.10q...: %v after %d requests, want %v", tc.in, got.err, len(got.reqs), tc.err)
		}
	}
}

func TestParseNeed(t *testing.T) {
	var p Parser
	in := []byte("*2\r\n$4\r\nECHO\r\n$100\r\nab")
	if _, _, err := p.Parse(in, nil); err != ErrIncomplete {
		t.Fatalf("err %v", err)
	}
	if !p.Pending() || p.Need() != 14+6+100+2 {
		t.Fatalf("pending %v need %d, want 122", p.Pending(), p.Need())
	}
	// The caller may move its buffer; the parser keeps offsets.
	full := append(bytes.Clone(in), bytes.Repeat([]byte("c"), 98)...)
	full = append(full, "\r\n"...)
	args, n, err := p.Parse(full, nil)
	if err != nil || n != len(full) || len(args) != 2 || len(args[1]) != 100 {
		t.Fatalf("args %q n %d err %v", args, n, err)
	}
	if p.Pending() || p.Need() != 0 {
		t.Fatalf("still pending after a whole request")
	}
	// A bulk length near MaxInt64 (proto-max-bulk-len allows it) does
	// not overflow.
	huge := Parser{MaxBulk: math.MaxInt64}
	if _, _, err := huge.Parse([]byte("*1\r\n$9223372036854775807\r\nab"), nil); err != ErrIncomplete || huge.Need() != math.MaxInt {
		t.Fatalf("huge bulk: %v, need %d", err, huge.Need())
	}
	// Need is unknown while a header is being read.
	p.Parse([]byte("*2\r\n$4\r\nECHO\r\n$1"), nil)
	if p.Need() != 0 {
		t.Fatalf("need %d while reading a header", p.Need())
	}
}

// TestParseBigBulk: a 5 MB argument between two small ones, arriving in
// 64 KB reads into a buffer that grows (so it moves) as the server's does.
func TestParseBigBulk(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 5<<16)
	req := encodeMultibulk([][]byte{[]byte("SET"), big, []byte("x")})
	var p Parser
	var buf []byte
	for i := 0; i < len(req); i += 64 << 10 {
		buf = append(buf, req[i:min(i+64<<10, len(req))]...)
		args, n, err := p.Parse(buf, nil)
		if len(buf) < len(req) {
			if err != ErrIncomplete {
				t.Fatalf("at %d bytes: %v", len(buf), err)
			}
			if len(buf) > 32 && p.Need() != 14+9+len(big)+2 {
				t.Fatalf("at %d bytes: need %d", len(buf), p.Need())
			}
			continue
		}
		if err != nil || n != len(req) || len(args) != 3 || !bytes.Equal(args[1], big) || string(args[2]) != "x" {
			t.Fatalf("n %d of %d, %d args, err %v", n, len(req), len(args), err)
		}
		return
	}
	t.Fatal("never complete")
}

// TestParseForgottenReset: a caller passing a shorter, unrelated buffer
// after an incomplete request is not fed stale state.
func TestParseForgottenReset(t *testing.T) {
	var p Parser
	if _, _, err := p.Parse([]byte("*2\r\n$4\r\nECHO\r\n$3\r\nab"), nil); err != ErrIncomplete {
		t.Fatal(err)
	}
	args, _, err := p.Parse([]byte("PING\r\n"), nil)
	if err != nil || len(args) != 1 || string(args[0]) != "PING" {
		t.Fatalf("%q %v", args, err)
	}
	if _, _, err := p.Parse([]byte("PING\x00"), nil); err != ErrIncomplete {
		t.Fatal(err)
	}
	p.Reset()
	args, _, err = p.Parse([]byte("*1\r\n$4\r\nPING\r\n"), nil)
	if err != nil || len(args) != 1 {
		t.Fatalf("%q %v", args, err)
	}
}

func TestParseInt(t *testing.T) {
	good := map[string]int64{
		"0": 0, "1": 1, "-1": -1, "10": 10, "9223372036854775807": 1<<63 - 1,
		"-9223372036854775808": -1 << 63, "18446744": 18446744,
	}
	for s, want := range good {
		if v, ok := ParseInt([]byte(s)); !ok || v != want {
			t.Errorf("ParseInt(%q) = %d, %v", s, v, ok)
		}
	}
	for _, s := range []string{"", "-", "+1", "01", "-0", "00", " 1", "1 ", "1a", "9223372036854775808",
		"-9223372036854775809", "18446744073709551615", "18446744073709551616", "99999999999999999999",
		"100000000000000000000", "0x10", "1.0", "1e3"} {
		if v, ok := ParseInt([]byte(s)); ok {
			t.Errorf("ParseInt(%q) = %d, want failure", s, v)
		}
	}
}

var allocInputs = map[string]string{
	"multibulk": "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
	"inline":    "SET key value\r\n",
	"quoted":    "SET \"k e y\" 'va\\'lue' \"\\x41\"\r\n",
	"empty":     "*0\r\n",
}

func TestParseAllocs(t *testing.T) {
	for name, in := range allocInputs {
		buf := []byte(in)
		var p Parser
		args := make([][]byte, 0, 8)
		p.Parse(buf, args) // warm up scratch space
		if a := testing.AllocsPerRun(100, func() { args, _, _ = p.Parse(buf, args) }); a != 0 {
			t.Errorf("%s: %v allocs per parse", name, a)
		}
	}
	// Resuming a request that arrives in pieces does not allocate either.
	full := []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
	var p Parser
	args := make([][]byte, 0, 8)
	run := func() {
		for i := 1; i <= len(full); i += 7 {
			args, _, _ = p.Parse(full[:min(i, len(full))], args)
		}
		args, _, _ = p.Parse(full, args)
	}
	run()
	if a := testing.AllocsPerRun(100, run); a != 0 {
		t.Errorf("incremental: %v allocs", a)
	}
}

func TestQuickHeader(t *testing.T) {
	for _, c := range []struct {
		in string
		n  int64
		cr int
	}{
		{"$1\r\n", 1, 2},
		{"*3\r\n$3", 3, 2},
		{"$123456789012345678\r\n", 123456789012345678, 19}, // 18 digits
		{"$1\rx", 1, 2}, // the byte after '\r' is not looked at
		// Left to the general path:
		{"$1234567890123456789\r\n", 0, -1}, // 19 digits may overflow
		{"$0\r\n", 0, -1},
		{"$01\r\n", 0, -1},
		{"$-1\r\n", 0, -1},
		{"$\r\n", 0, -1},
		{"$12\r", 0, -1}, // the byte after '\r' has not arrived
		{"$12", 0, -1},
		{"$1x\r\n", 0, -1},
		{"$1\x00\r\n", 0, -1},
		{"$", 0, -1},
	} {
		b := []byte(c.in)
		n, cr := quickHeader(b, 0)
		if n != c.n || cr != c.cr {
			t.Errorf("quickHeader(%q) = %d, %d; want %d, %d", c.in, n, cr, c.n, c.cr)
		}
		checkQuickHeader(t, b)
	}
}

func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"multibulk", "inline", "quoted"} {
		b.Run(name, func(b *testing.B) {
			one := allocInputs[name]
			buf := []byte(strings.Repeat(one, 64))
			var p Parser
			args := make([][]byte, 0, 8)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				for pos := 0; pos < len(buf); {
					var n int
					var err error
					args, n, err = p.Parse(buf[pos:], args)
					if err != nil {
						b.Fatal(err)
					}
					pos += n
				}
			}
		})
	}
}

func TestErrorTexts(t *testing.T) {
	// The texts the server replies with, as redis-server 7.0 sends them.
	for err, want := range map[error]string{
		ErrInvalidMultibulk:  "ERR Protocol error: invalid multibulk length",
		ErrInvalidBulk:       "ERR Protocol error: invalid bulk length",
		ErrTooBigInline:      "ERR Protocol error: too big inline request",
		ErrTooBigMbulk:       "ERR Protocol error: too big mbulk count string",
		ErrTooBigBulk:        "ERR Protocol error: too big bulk count string",
		ErrUnbalanced:        "ERR Protocol error: unbalanced quotes in request",
		expectedDollar['x']:  "ERR Protocol error: expected '$', got 'x'",
		expectedDollar[0xff]: "ERR Protocol error: expected '$', got '\xff'",
	} {
		var pe ProtocolError
		if !errors.As(err, &pe) || err.Error() != want {
			t.Errorf("%q, want %q", err, want)
		}
	}
	if got := AppendError(nil, string(expectedDollar['\r'])); string(got) != "-ERR Protocol error: expected '$', got ' '\r\n" {
		t.Errorf("reply %q", got)
	}
}
