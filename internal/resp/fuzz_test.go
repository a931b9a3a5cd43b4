package resp

import (
	"bytes"
	"slices"
	"testing"
	"unsafe"
)

// outcome is what parsing a byte stream amounts to: the requests run, then
// the error that stopped parsing (ErrIncomplete when input ran out) and how
// many bytes were left.
type outcome struct {
	reqs [][]string
	err  error
	rest int
}

func (o outcome) equal(p outcome) bool {
	return sameRequests(o.reqs, p.reqs) && o.err == p.err && o.rest == p.rest
}

// feed parses data as it would arrive at the server in pieces ending at
// ends (ascending, the last one len(data)). After each piece it parses
// every complete request, as the server's read loop does. Each piece comes
// with a fresh copy of the unparsed bytes, as when the server compacts or
// grows its buffer, so a parser relying on the buffer's address rather
// than on offsets would fail.
func feed(t testing.TB, data []byte, maxBulk int64, ends []int) outcome {
	t.Helper()
	p := Parser{MaxBulk: maxBulk}
	var out outcome
	start := 0
	for _, end := range ends {
		buf := bytes.Clone(data[start:end])
		for pos := 0; ; {
			args, n, err := p.Parse(buf[pos:], nil)
			if err == ErrIncomplete {
				break
			}
			if err != nil {
				return outcome{out.reqs, err, len(data) - start}
			}
			checkArgs(t, buf[pos:], args, n)
			out.reqs = append(out.reqs, strs(args))
			start += n
			pos += n
		}
	}
	return outcome{out.reqs, ErrIncomplete, len(data) - start}
}

// chunks returns the ends of pieces of size step covering n bytes.
func chunks(n, step int) []int {
	var ends []int
	for e := step; e < n; e += step {
		ends = append(ends, e)
	}
	return append(ends, n)
}

// checkIncremental checks that parsing data as it arrives, split in two at
// every point and byte by byte, gives what parsing it at once gives. That
// only holds up to InlineMax bytes: beyond, a line that arrives slowly
// trips the "too big" limits where the whole of it would not, in Redis
// too (TestParseSlowLimits).
func checkIncremental(t testing.TB, data []byte, maxBulk int64) {
	t.Helper()
	p := Parser{MaxBulk: maxBulk}
	reqs, rest, err := parseAll(t, &p, data)
	want := outcome{reqs, err, rest}
	if len(data) > InlineMax {
		return
	}
	// Every point for small inputs; bigger ones get 64 points, enough to
	// land inside each header and bulk of a typical request.
	step := 1
	if len(data) > 512 {
		step = len(data) / 64
	}
	for k := 0; k < len(data); k += step {
		if got := feed(t, data, maxBulk, []int{k, len(data)}); !got.equal(want) {
			t.Fatalf("split at %d of %q:\n got  %q %v rest %d\n want %q %v rest %d",
				k, data, got.reqs, got.err, got.rest, want.reqs, want.err, want.rest)
		}
	}
	if got := feed(t, data, maxBulk, chunks(len(data), step)); !got.equal(want) {
		t.Fatalf("%d-byte pieces of %q:\n got  %q %v rest %d\n want %q %v rest %d",
			step, data, got.reqs, got.err, got.rest, want.reqs, want.err, want.rest)
	}
}

// within reports whether a lies inside buf's memory.
func within(buf, a []byte) bool {
	if len(a) == 0 {
		return true
	}
	b0 := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	a0 := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	return a0 >= b0 && a0+uintptr(len(a)) <= b0+uintptr(len(buf))
}

// encodeMultibulk renders args as a multibulk request.
func encodeMultibulk(args [][]byte) []byte {
	b := AppendHeader(nil, '*', len(args))
	for _, a := range args {
		b = AppendBulk(b, a)
	}
	return b
}

// encodeInline renders args as an inline request with every byte
// hex-escaped inside double quotes, as redis-cli can.
func encodeInline(args [][]byte) []byte {
	const hexdigits = "0123456789abcdef"
	var b []byte
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, '"')
		for _, c := range a {
			b = append(b, '\\', 'x', hexdigits[c>>4], hexdigits[c&15])
		}
		b = append(b, '"')
	}
	return append(b, '\r', '\n')
}

// checkRoundTrip encodes args both ways and expects them back whole.
func checkRoundTrip(t testing.TB, args [][]byte) {
	t.Helper()
	for _, enc := range [][]byte{encodeMultibulk(args), encodeInline(args)} {
		var p Parser
		got, n, err := p.Parse(enc, nil)
		if err != nil || n != len(enc) {
			t.Fatalf("%q: n=%d of %d, err %v", enc, n, len(enc), err)
		}
		if !slices.EqualFunc(got, args, bytes.Equal) {
			t.Fatalf("%q parsed as %q, want %q", enc, got, args)
		}
	}
}

// FuzzParse parses arbitrary bytes at once and as they would trickle in,
// expecting the same requests and error either way, arguments that stay
// inside the input, and no panic. It also round-trips the input, cut into
// arguments at spaces, through both request encodings. The seed corpus is
// in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		checkIncremental(t, data, 0)
		// Also with a small proto-max-bulk-len, for the length checks.
		if len(data) <= 1024 {
			checkIncremental(t, data, 16)
		}
		checkRoundTrip(t, bytes.Split(data, []byte{' '}))
		checkRoundTrip(t, [][]byte{data})
		checkQuickHeader(t, data)
	})
}

// checkQuickHeader checks that a header quickHeader accepts reads the
// same through the general path. Its callers have seen the type byte.
func checkQuickHeader(t *testing.T, b []byte) {
	if len(b) == 0 || (b[0] != '*' && b[0] != '$') {
		return
	}
	n, cr := quickHeader(b, 0)
	if cr < 0 {
		return
	}
	if want := shortLine(b, 0); cr != want {
		t.Fatalf("quickHeader(%q) ends at %d, shortLine at %d", b, cr, want)
	}
	if want, ok := ParseInt(b[1:cr]); !ok || n != want {
		t.Fatalf("quickHeader(%q) = %d, ParseInt %d %v", b, n, want, ok)
	}
}

func TestRoundTrip(t *testing.T) {
	checkRoundTrip(t, [][]byte{[]byte("SET"), []byte("k"), {}, []byte("a\r\n\x00\"'\\ b")})
	checkRoundTrip(t, [][]byte{bytes.Repeat([]byte{'x'}, 100000)})
}
