package rdb

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// zlEnt is one entry for zlBuild: a string, or an integer written with
// the encoding byte enc (0 picks the smallest, as Redis does). bigPrev
// forces the 5-byte prevlen form.
type zlEnt struct {
	s       string
	v       int64
	isInt   bool
	enc     byte
	bigPrev bool
}

func zlStr(s string) zlEnt { return zlEnt{s: s} }
func zlInt(v int64) zlEnt  { return zlEnt{v: v, isInt: true} }

// want is the decimal or string form ziplistEntries should return.
func (e zlEnt) want() string {
	if e.isInt {
		return strconv.FormatInt(e.v, 10)
	}
	return e.s
}

func zlSmallestEnc(v int64) byte {
	switch {
	case v >= 0 && v <= 12:
		return 0xF1 + byte(v)
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return 0xFE
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 0xC0
	case v >= -1<<23 && v < 1<<23:
		return 0xF0
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 0xD0
	}
	return 0xE0
}

// zlBuild writes a ziplist following the format description, independent
// of the decoder.
func zlBuild(ents ...zlEnt) []byte {
	b := make([]byte, zlHeaderSize)
	prev, tail := 0, zlHeaderSize
	for _, e := range ents {
		start := len(b)
		if prev < 254 && !e.bigPrev {
			b = append(b, byte(prev))
		} else {
			b = binary.LittleEndian.AppendUint32(append(b, 0xFE), uint32(prev))
		}
		if e.isInt {
			enc := e.enc
			if enc == 0 {
				enc = zlSmallestEnc(e.v)
			}
			b = append(b, enc)
			switch enc {
			case 0xFE:
				b = append(b, byte(e.v))
			case 0xC0:
				b = binary.LittleEndian.AppendUint16(b, uint16(e.v))
			case 0xF0:
				b = append(b, byte(e.v), byte(e.v>>8), byte(e.v>>16))
			case 0xD0:
				b = binary.LittleEndian.AppendUint32(b, uint32(e.v))
			case 0xE0:
				b = binary.LittleEndian.AppendUint64(b, uint64(e.v))
			}
		} else {
			switch l := len(e.s); {
			case l < 1<<6:
				b = append(b, byte(l))
			case l < 1<<14:
				b = append(b, 0x40|byte(l>>8), byte(l))
			default:
				b = binary.BigEndian.AppendUint32(append(b, 0x80), uint32(l))
			}
			b = append(b, e.s...)
		}
		prev, tail = len(b)-start, start
	}
	b = append(b, zlEnd)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint32(b[4:], uint32(tail))
	binary.LittleEndian.PutUint16(b[8:], uint16(min(len(ents), zlCountMax)))
	return b
}

// zlSample has every encoding: immediates, each integer width at its
// limits and in a wider encoding than needed, strings of each length
// class, and prevlens in both forms (long entries, and the long form kept
// for a short one).
func zlSample() []zlEnt {
	var e []zlEnt
	for v := range int64(13) {
		e = append(e, zlInt(v))
	}
	for _, v := range []int64{-1, 13, math.MinInt8, math.MaxInt8, math.MinInt16, math.MaxInt16,
		-1 << 23, 1<<23 - 1, math.MinInt32, math.MaxInt32, math.MinInt64, math.MaxInt64} {
		e = append(e, zlInt(v))
	}
	e = append(e,
		zlEnt{v: 5, isInt: true, enc: 0xE0}, zlEnt{v: -7, isInt: true, enc: 0xF0},
		zlEnt{v: 100, isInt: true, enc: 0xD0}, zlEnt{v: -3, isInt: true, enc: 0xC0},
		zlStr(""), zlStr("a"), zlStr("-0"), zlStr("007"), zlStr(strings.Repeat("x", 63)),
		zlStr(strings.Repeat("y", 64)), zlStr(strings.Repeat("z", 300)), zlInt(42),
		zlEnt{s: "short after long form", bigPrev: true},
		zlStr(strings.Repeat("w", 16383)), zlStr(strings.Repeat("v", 16384)), zlStr("end"))
	return e
}

func zlWant(ents []zlEnt) []string {
	var w []string
	for _, e := range ents {
		w = append(w, e.want())
	}
	return w
}

func TestZiplistDecode(t *testing.T) {
	sample := zlSample()
	got, err := ziplistEntries(zlBuild(sample...))
	if err != nil {
		t.Fatal(err)
	}
	if !cdcEqual(got, zlWant(sample)) {
		t.Fatalf("got %s", cdcShow(got))
	}
	if got, err := ziplistEntries(zlBuild()); err != nil || len(got) != 0 {
		t.Fatalf("empty ziplist: %s %v", cdcShow(got), err)
	}
	// 0xFFFF means the count did not fit: any count is accepted.
	b := zlBuild(zlStr("a"), zlInt(1))
	b[8], b[9] = 0xFF, 0xFF
	if got, err := ziplistEntries(b); err != nil || !cdcEqual(got, []string{"a", "1"}) {
		t.Fatalf("unknown count: %s %v", cdcShow(got), err)
	}
}

// zlMalformed returns corrupt ziplists, each breaking one rule.
func zlMalformed() map[string][]byte {
	good := zlBuild(zlStr("abc"), zlInt(300), zlStr("z"))
	mod := func(f func(b []byte) []byte) []byte {
		b := f(append([]byte(nil), good...))
		binary.LittleEndian.PutUint32(b, uint32(len(b)))
		return b
	}
	return map[string][]byte{
		"too short":      {11, 0, 0, 0, 10, 0, 0, 0, 0},
		"size mismatch":  append(append([]byte(nil), good...), 0xFF),
		"no terminator":  mod(func(b []byte) []byte { b[len(b)-1] = 0; return b }),
		"count mismatch": mod(func(b []byte) []byte { b[8] = 2; return b }),
		"tail too far":   mod(func(b []byte) []byte { b[4] = byte(len(b)); return b }),
		"tail not last":  mod(func(b []byte) []byte { b[4] = zlHeaderSize; return b }),
		"first prevlen":  mod(func(b []byte) []byte { b[10] = 1; return b }),
		"bad prevlen":    mod(func(b []byte) []byte { b[15] = 9; return b }),
		"bad int enc":    mod(func(b []byte) []byte { b[16] = 0xC1; return b }),
		"end as enc":     mod(func(b []byte) []byte { b[16] = 0xFF; return b }),
		"string too long": mod(func(b []byte) []byte {
			b[11] = 60
			return b
		}),
		"14-bit header cut": mod(func(b []byte) []byte {
			return append(b[:len(b)-1], 3, 0x40, 0xFF)
		}),
		"32-bit length huge": mod(func(b []byte) []byte {
			return append(b[:len(b)-1], 3, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 'a', 0xFF)
		}),
		"long prevlen cut": mod(func(b []byte) []byte {
			return append(b[:len(b)-1], 0xFE, 3, 0, 0xFF)
		}),
		"terminator too early": mod(func(b []byte) []byte {
			return append(b[:len(b)-1], 0xFF, 3, 1, 'a', 0xFF)
		}),
	}
}

func TestZiplistMalformed(t *testing.T) {
	for name, b := range zlMalformed() {
		if e, err := ziplistEntries(b); err == nil {
			t.Errorf("%s: decoded %s, want an error", name, cdcShow(e))
		}
	}
}

// TestZiplistAgainstRedis RESTOREs hand-built ziplists as every RDB type
// that carries them and checks real Redis reads back what
// ziplistEntries decodes.
func TestZiplistAgainstRedis(t *testing.T) {
	c := cdcOracle(t)
	sample := zlSample()
	// check RESTOREs payload, whose ziplists hold want, and compares want
	// with both ziplistEntries and what Redis then replies to cmd.
	check := func(what string, payload string, cmd []any, want []string, zls ...[]byte) {
		t.Helper()
		var decoded [][]byte
		for _, zl := range zls {
			e, err := ziplistEntries(zl)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			decoded = append(decoded, e...)
		}
		if !cdcEqual(decoded, want) {
			t.Fatalf("%s: decoded %s, want %s", what, cdcShow(decoded), cdcShow(want))
		}
		if err := cdcRestore(c, "k", payload); err != nil {
			t.Fatalf("%s: RESTORE: %v", what, err)
		}
		if got := cdcStrings(t, c, cmd...); !cdcEqual(decoded, got) {
			t.Fatalf("%s: Redis has %s, want %s", what, cdcShow(got), cdcShow(want))
		}
	}
	lrange := []any{"LRANGE", "k", "0", "-1"}

	zl := zlBuild(sample...)
	want := zlWant(sample)
	check("list ziplist", cdcPayload(cdcTypeListZiplist, cdcString(nil, zl)), lrange, want, zl)

	// Unknown count (0xFFFF).
	unk := append([]byte(nil), zl...)
	unk[8], unk[9] = 0xFF, 0xFF
	check("list ziplist, count 0xFFFF", cdcPayload(cdcTypeListZiplist, cdcString(nil, unk)), lrange, want, unk)

	// Quicklist of two ziplist nodes.
	n1, n2 := zlBuild(sample[:20]...), zlBuild(sample[20:]...)
	body := cdcLen(nil, 2)
	body = cdcString(cdcString(body, n1), n2)
	check("quicklist of ziplists", cdcPayload(cdcTypeListQuick, body), lrange, want, n1, n2)

	// A hash: field, value pairs with distinct fields.
	var pairs []zlEnt
	for i, e := range sample {
		pairs = append(pairs, zlStr("f"+strconv.Itoa(i)), e)
	}
	hz := zlBuild(pairs...)
	check("hash ziplist", cdcPayload(cdcTypeHashZiplist, cdcString(nil, hz)), []any{"HGETALL", "k"}, zlWant(pairs), hz)

	// A zset: member, score pairs in score order; scores as Redis writes
	// them (integers when integral).
	zz := []zlEnt{zlStr("a"), zlInt(-5), zlStr("b"), zlStr("1.5"), zlInt(7), zlInt(2), zlStr("c"), zlInt(100000)}
	zzb := zlBuild(zz...)
	check("zset ziplist", cdcPayload(cdcTypeZsetZiplist, cdcString(nil, zzb)), []any{"ZRANGE", "k", "0", "-1", "WITHSCORES"}, zlWant(zz), zzb)

	// Every malformed case is refused by Redis too.
	for name, b := range zlMalformed() {
		if err := cdcRestore(c, "k", cdcPayload(cdcTypeListZiplist, cdcString(nil, b))); !cdcBadData(err) {
			t.Errorf("%s: Redis RESTORE says %v, want Bad data format", name, err)
		}
	}
}

// TestZiplistAcceptanceMatchesRedis RESTOREs corrupted ziplists as list
// ziplists and checks Redis accepts exactly those ziplistEntries accepts
// (Redis also refuses a list left empty), with the same elements.
func TestZiplistAcceptanceMatchesRedis(t *testing.T) {
	c := cdcOracle(t)
	rng := rand.New(rand.NewPCG(41, 42))
	sample := zlSample()
	accepted, rejected := 0, 0
	for i := range 4000 {
		var ents []zlEnt
		for range rng.IntN(6) {
			e := sample[rng.IntN(len(sample))]
			if len(e.s) > 300 {
				e.s = e.s[:rng.IntN(300)]
			}
			if rng.IntN(8) == 0 {
				e.bigPrev = true
			}
			ents = append(ents, e)
		}
		b := zlBuild(ents...)
		if i%5 != 0 {
			b = cdcMutate(rng, b, 0)
		}
		redisErr := cdcRestore(c, "k", cdcPayload(cdcTypeListZiplist, cdcString(nil, b)))
		entries, ourErr := ziplistEntries(b)
		ourOK := ourErr == nil && len(entries) > 0
		if (redisErr == nil) != ourOK || (redisErr != nil && !cdcBadData(redisErr)) {
			t.Fatalf("ziplist %x: Redis %v, ziplistEntries %s %v", b, redisErr, cdcShow(entries), ourErr)
		}
		if redisErr != nil {
			rejected++
			continue
		}
		accepted++
		if want := cdcStrings(t, c, "LRANGE", "k", "0", "-1"); !cdcEqual(entries, want) {
			t.Fatalf("ziplist %x: LRANGE %s, decoded %s", b, cdcShow(want), cdcShow(entries))
		}
	}
	t.Logf("ziplists: %d accepted by both, %d rejected by both", accepted, rejected)
	if accepted < 500 || rejected < 500 {
		t.Fatalf("mutations not informative: %d accepted, %d rejected", accepted, rejected)
	}
}

func BenchmarkZiplistEntries(b *testing.B) {
	var ents []zlEnt
	for i := range 1000 {
		if i%2 == 0 {
			ents = append(ents, zlStr("field:"+strconv.Itoa(i)))
		} else {
			ents = append(ents, zlInt(int64(i*1000)))
		}
	}
	zl := zlBuild(ents...)
	b.SetBytes(int64(len(zl)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ziplistEntries(zl); err != nil {
			b.Fatal(err)
		}
	}
}
