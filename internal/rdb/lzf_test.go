package rdb

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// lzfSamples are inputs meant to exercise every part of the format: short
// and long back references, overlapping copies (runs), the longest match,
// offsets at the 8 KiB limit and just past it, long literal runs and
// binary data.
func lzfSamples() map[string][]byte {
	rng := rand.New(rand.NewPCG(7, 7))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	s := map[string][]byte{
		"abc*1000":     bytes.Repeat([]byte("abc"), 1000),
		"run 'a' 2MB":  bytes.Repeat([]byte("a"), 2<<20),
		"zeros 300":    make([]byte, 300),
		"text":         []byte(strings.Repeat("the quick brown fox jumps over the lazy dog; ", 200)),
		"min compress": []byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	}
	// A 200-byte random block repeated, over a compressible filler, at
	// exactly the farthest distance a back reference reaches, and one
	// byte beyond it.
	blk := random(200)
	for _, dist := range []int{8192, 8193} {
		b := append([]byte(nil), blk...)
		for len(b) < dist {
			b = append(b, "0123456789"[len(b)%10])
		}
		b = append(b, blk...)
		s[fmt.Sprintf("repeat at %d", dist)] = b
	}
	// Random text over a small alphabet: many short matches, mixed with
	// literal runs longer than 32 bytes.
	var mixed []byte
	for len(mixed) < 100000 {
		if rng.IntN(3) == 0 {
			mixed = append(mixed, random(40+rng.IntN(60))...)
		} else {
			for range 50 {
				mixed = append(mixed, "abcd"[rng.IntN(4)])
			}
		}
	}
	s["mixed 100KB"] = mixed
	// A match longer than the maximum (264) that must be split.
	long := random(300)
	s["300 random twice"] = append(append([]byte(nil), long...), long...)
	return s
}

type lzfHand struct {
	name   string
	stream []byte
	out    []byte // what stream expands to; nil when it is invalid
}

// lzfHandBuilt returns streams written by hand at the format's limits,
// with their expansion worked out independently of the decoder.
func lzfHandBuilt() []lzfHand {
	rng := rand.New(rand.NewPCG(9, 9))
	lits := func(n int) (stream, out []byte) {
		for len(out) < n {
			k := min(32, n-len(out))
			stream = append(stream, byte(k-1))
			for range k {
				c := byte(rng.IntN(256))
				stream = append(stream, c)
				out = append(out, c)
			}
		}
		return stream, out
	}
	var hs []lzfHand
	// 8192 literal bytes, then a 3-byte copy from 8192 bytes back: the
	// largest offset field (0x1FFF) reaching the very first byte.
	st, out := lits(8192)
	hs = append(hs, lzfHand{"farthest offset", append(st, 0x20|0x1F, 0xFF), append(out, out[:3]...)})
	// The same reference after only 8191 bytes points before the start.
	st, _ = lits(8191)
	hs = append(hs, lzfHand{"offset before start", append(st, 0x20|0x1F, 0xFF), nil})
	// One literal, then the longest copy (7+255+2 = 264 bytes) from one
	// byte back: an overlapping copy that repeats the byte.
	hs = append(hs, lzfHand{"longest copy", []byte{0, 'x', 0xE0, 0xFF, 0x00}, bytes.Repeat([]byte("x"), 265)})
	// Two literals, then a 9-byte copy from two bytes back (overlapping,
	// period 2), then a 3-byte copy of the first three bytes from eleven
	// bytes back.
	hs = append(hs, lzfHand{"periodic copy", []byte{1, 'a', 'b', 0xE0, 0x00, 0x01, 0x20, 0x0A}, []byte("ab" + "ababababa" + "aba")})
	return hs
}

func TestLZFRoundTrip(t *testing.T) {
	for name, in := range lzfSamples() {
		c := lzfCompress(in)
		if c == nil {
			t.Fatalf("%s: not compressed", name)
		}
		if len(c) > len(in)-4 {
			t.Fatalf("%s: %d bytes compressed to %d, above len-4", name, len(in), len(c))
		}
		out, err := lzfDecompress(c, len(in))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("%s: round trip failed: %v", name, err)
		}
	}
	// The block repeated exactly 8192 bytes back is within reach and must
	// be matched; one byte further it cannot be.
	s := lzfSamples()
	if near, far := len(lzfCompress(s["repeat at 8192"])), len(lzfCompress(s["repeat at 8193"])); near+150 > far {
		t.Fatalf("repeat at the farthest distance not matched: %d vs %d bytes", near, far)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		n := rng.IntN(600)
		in := make([]byte, n)
		alpha := 1 + rng.IntN(255)
		for i := range in {
			in[i] = byte(rng.IntN(alpha))
		}
		c := lzfCompress(in)
		if c == nil {
			continue
		}
		out, err := lzfDecompress(c, n)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("round trip of %q failed: %v", in, err)
		}
	}
}

func TestLZFIncompressible(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	rnd := make([]byte, 5000)
	for i := range rnd {
		rnd[i] = byte(rng.IntN(256))
	}
	for _, in := range [][]byte{nil, []byte("a"), []byte("aaaa"), rnd, []byte("abcdefghijklmnopqrstuvwxyz")} {
		if c := lzfCompress(in); c != nil {
			t.Fatalf("compress(%d bytes) = %d bytes, want nil", len(in), len(c))
		}
	}
}

func TestLZFDecompressMalformed(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		n    int
	}{
		{"literal truncated", []byte{4, 'a', 'b'}, 5},
		{"literal too long", []byte{2, 'a', 'b', 'c'}, 2},
		{"short output", []byte{2, 'a', 'b', 'c'}, 4},
		{"backref before start", []byte{0, 'a', 0x20, 0x01}, 4},
		{"backref no offset byte", []byte{0, 'a', 0x20}, 4},
		{"long backref no length byte", []byte{0, 'a', 0xE0}, 20},
		{"long backref no offset byte", []byte{0, 'a', 0xE0, 0x00}, 10},
		{"backref overruns", []byte{0, 'a', 0x20, 0x00}, 3},
		{"negative length", []byte{0, 'a'}, -1},
		{"impossible ratio", []byte{0, 'a', 0xE0, 0xFF, 0x00}, 1 << 40},
		{"nothing for something", nil, 1},
		{"something for nothing", []byte{0, 'a'}, 0},
	}
	for _, c := range cases {
		if out, err := lzfDecompress(c.in, c.n); err == nil {
			t.Errorf("%s: decoded %q, want an error", c.name, out)
		}
	}
	// A back reference that overlaps its own output repeats the pattern.
	out, err := lzfDecompress([]byte{1, 'a', 'b', 0xE0, 0x05, 0x01}, 16)
	if err != nil || string(out) != "abababababababab" {
		t.Fatalf("overlapping copy: %q %v", out, err)
	}
	if out, err := lzfDecompress(nil, 0); err != nil || len(out) != 0 {
		t.Fatalf("empty: %q %v", out, err)
	}
}

// TestLZFZeroLength pins a deliberate difference: Redis 7.0 loads any
// LZF data declared to expand to 0 bytes as an empty string, because
// lzf_decompress reports errors as 0. Redis never writes such a string (it
// compresses only strings over 20 bytes), so lzfDecompress keeps to its
// contract and rejects it.
func TestLZFZeroLength(t *testing.T) {
	c := cdcOracle(t)
	b := append(cdcLen(cdcLen([]byte{0xC3}, 2), 0), 0, 'a')
	if err := cdcRestore(c, "k", cdcPayload(cdcTypeString, b)); err != nil {
		t.Fatalf("Redis 7.0 changed: RESTORE now says %v", err)
	}
	if _, err := lzfDecompress([]byte{0, 'a'}, 0); err == nil {
		t.Fatal("lzfDecompress accepted data expanding past a zero length")
	}
}

// TestLZFAgainstRedis: real Redis's own LZF output (DUMP of long
// compressible strings) decompresses to the original, and strings
// compressed by lzfCompress are accepted by RESTORE and read back intact
// by GET.
func TestLZFAgainstRedis(t *testing.T) {
	c := cdcOracle(t, "--rdbcompression", "yes")
	for name, in := range lzfSamples() {
		key := "dump:" + name
		if err := c.Set(cdcCtx, key, in, 0).Err(); err != nil {
			t.Fatal(err)
		}
		typ, body := cdcDump(t, c, key)
		if typ != cdcTypeString || body[0] != 0xC3 {
			t.Fatalf("%s: Redis did not store it LZF-compressed (type %d, %#x)", name, typ, body[0])
		}
		got, lzf, rest := cdcReadString(t, body)
		if !lzf || len(rest) != 0 || !bytes.Equal(got, in) {
			t.Fatalf("%s: decompressing Redis's LZF gave %d bytes, want %d", name, len(got), len(in))
		}

		comp := lzfCompress(in)
		b := []byte{0xC3}
		b = cdcLen(b, uint64(len(comp)))
		b = cdcLen(b, uint64(len(in)))
		b = append(b, comp...)
		key = "restore:" + name
		if err := cdcRestore(c, key, cdcPayload(cdcTypeString, b)); err != nil {
			t.Fatalf("%s: RESTORE of our LZF: %v", name, err)
		}
		back, err := c.Get(cdcCtx, key).Bytes()
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("%s: GET after RESTORE differs (%d bytes, %v)", name, len(back), err)
		}
	}
	for _, h := range lzfHandBuilt() {
		n := len(h.out)
		if h.out == nil {
			n = 8194
		}
		b := []byte{0xC3}
		b = cdcLen(b, uint64(len(h.stream)))
		b = cdcLen(b, uint64(n))
		b = append(b, h.stream...)
		redisErr := cdcRestore(c, "hand", cdcPayload(cdcTypeString, b))
		got, ourErr := lzfDecompress(h.stream, n)
		if h.out == nil {
			if !cdcBadData(redisErr) || ourErr == nil {
				t.Fatalf("%s: Redis %v, lzfDecompress %v; both should reject", h.name, redisErr, ourErr)
			}
			continue
		}
		if redisErr != nil || ourErr != nil || !bytes.Equal(got, h.out) {
			t.Fatalf("%s: Redis %v, lzfDecompress %v (equal output %v)", h.name, redisErr, ourErr, bytes.Equal(got, h.out))
		}
		back, err := c.Get(cdcCtx, "hand").Bytes()
		if err != nil || !bytes.Equal(back, h.out) {
			t.Fatalf("%s: GET after RESTORE differs from the expected expansion", h.name)
		}
	}
}

// TestLZFAcceptanceMatchesRedis feeds corrupted LZF strings to RESTORE and
// to lzfDecompress: both must accept exactly the same ones, with the same
// result.
func TestLZFAcceptanceMatchesRedis(t *testing.T) {
	c := cdcOracle(t)
	rng := rand.New(rand.NewPCG(11, 12))
	type stream struct {
		comp []byte
		n    int
	}
	var valid []stream
	for _, in := range lzfSamples() {
		if len(in) < 20000 {
			valid = append(valid, stream{lzfCompress(in), len(in)})
		}
	}
	// Hand-built streams reach the format's limits, which the compressor
	// may not happen to produce.
	for _, h := range lzfHandBuilt() {
		valid = append(valid, stream{h.stream, len(h.out)})
	}
	accepted, rejected := 0, 0
	for i := range 3000 {
		v := valid[i%len(valid)]
		mut := cdcMutate(rng, v.comp, -1)
		n := v.n
		if rng.IntN(4) == 0 {
			n += rng.IntN(9) - 4
		}
		if n <= 0 {
			// Redis 7.0 accepts any data for a zero length (its decoder's
			// error return is also 0); see TestLZFZeroLength.
			continue
		}
		b := []byte{0xC3}
		b = cdcLen(b, uint64(len(mut)))
		b = cdcLen(b, uint64(n))
		b = append(b, mut...)
		redisErr := cdcRestore(c, "k", cdcPayload(cdcTypeString, b))
		out, ourErr := lzfDecompress(mut, n)
		if (redisErr == nil) != (ourErr == nil) || (redisErr != nil && !cdcBadData(redisErr)) {
			t.Fatalf("corrupt LZF %x (len %d): Redis %v, lzfDecompress %v", mut, n, redisErr, ourErr)
		}
		if redisErr != nil {
			rejected++
			continue
		}
		accepted++
		back, err := c.Get(cdcCtx, "k").Bytes()
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("corrupt LZF %x: Redis reads %q, we read %q", mut, back, out)
		}
	}
	t.Logf("corrupted LZF strings: %d accepted by both, %d rejected by both", accepted, rejected)
	if accepted == 0 || rejected == 0 {
		t.Fatalf("mutations not informative: %d accepted, %d rejected", accepted, rejected)
	}
}

func BenchmarkLZFDecompress(b *testing.B) {
	in := lzfSamples()["mixed 100KB"]
	c := lzfCompress(in)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := lzfDecompress(c, len(in)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLZFCompress(b *testing.B) {
	in := lzfSamples()["mixed 100KB"]
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		lzfCompress(in)
	}
}
