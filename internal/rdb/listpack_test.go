package rdb

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// lpValues covers every listpack encoding and the string-or-integer
// decision: integers at each width boundary, strings at each length
// boundary, and strings that look numeric but are not canonical int64s.
func lpValues() []string {
	var v []string
	for _, n := range []int64{
		0, 1, 12, 127, 128, -1, -128, 255, 256,
		4095, 4096, -4096, -4097, // 13-bit
		32767, 32768, -32768, -32769, // 16-bit
		8388607, 8388608, -8388608, -8388609, // 24-bit
		math.MaxInt32, math.MaxInt32 + 1, math.MinInt32, math.MinInt32 - 1, // 32-bit
		math.MaxInt64, math.MinInt64, // 64-bit
	} {
		v = append(v, strconv.FormatInt(n, 10))
	}
	v = append(v,
		"", "a", "-0", "007", " 1", "1 ", "+1", "1e3", "0x10", "-", "--1", "1.0",
		"9223372036854775808", "-9223372036854775809", "18446744073709551616",
		"00000000000000000001", "\x00\xff binary \r\n",
		strings.Repeat("x", 63), strings.Repeat("y", 64), // 6-bit / 12-bit length
		strings.Repeat("z", 4095), strings.Repeat("w", 4096), // 12-bit / 32-bit length
		strings.Repeat("2", 127-6), strings.Repeat("3", 16380), // backlen 1 / 2 / 3 bytes around the edges
		strings.Repeat("4", 20000),
	)
	return v
}

func TestLpBacklen(t *testing.T) {
	for _, l := range []uint64{0, 1, 127, 128, 16383, 16384, 1<<21 - 1, 1 << 21, 1<<28 - 1, 1 << 28, 1<<35 - 1} {
		b := append([]byte{0x55}, lpAppendBacklen(nil, l)...)
		if len(b)-1 != lpBacklenSize(l) {
			t.Fatalf("%d: %d bytes, size says %d", l, len(b)-1, lpBacklenSize(l))
		}
		if got := lpDecodeBacklen(b, len(b)-1); got != l {
			t.Fatalf("backlen %d decodes as %d (% x)", l, got, b)
		}
	}
	// Five continuation bytes is not a backlen.
	if got := lpDecodeBacklen([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80}, 5); got != math.MaxUint64 {
		t.Fatalf("overlong backlen decoded as %d", got)
	}
}

func TestLpWriterRoundTrip(t *testing.T) {
	var w lpWriter
	if got := w.bytes(); !bytes.Equal(got, []byte{7, 0, 0, 0, 0, 0, 0xFF}) {
		t.Fatalf("empty listpack % x", got)
	}
	vals := lpValues()
	for _, s := range vals {
		w.appendString([]byte(s))
	}
	w.appendInt(math.MinInt64)
	entries, err := listpackEntries(w.bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := append(vals, strconv.FormatInt(math.MinInt64, 10))
	if !cdcEqual(entries, want) {
		t.Fatalf("round trip: got %s", cdcShow(entries))
	}
	// appendInt and appendString of the decimal form write the same bytes.
	for _, s := range lpValues()[:27] {
		v, _ := strconv.ParseInt(s, 10, 64)
		var a, b lpWriter
		a.appendInt(v)
		b.appendString([]byte(s))
		if !bytes.Equal(a.bytes(), b.bytes()) {
			t.Fatalf("%d: appendInt % x, appendString % x", v, a.bytes(), b.bytes())
		}
	}
	// Appending after bytes continues the same listpack.
	var c lpWriter
	c.appendString([]byte("a"))
	c.bytes()
	c.appendString([]byte("b"))
	if e, err := listpackEntries(c.bytes()); err != nil || !cdcEqual(e, []string{"a", "b"}) {
		t.Fatalf("append after bytes: %s %v", cdcShow(e), err)
	}
}

// lpMalformed returns corrupt listpacks, each breaking one rule.
func lpMalformed() map[string][]byte {
	build := func(vals ...string) []byte {
		var w lpWriter
		for _, v := range vals {
			w.appendString([]byte(v))
		}
		return append([]byte(nil), w.bytes()...)
	}
	fix := func(b []byte) []byte {
		binary.LittleEndian.PutUint32(b, uint32(len(b)))
		return b
	}
	good := build("abc", "7", "-5000")
	return map[string][]byte{
		"too short":            {7, 0, 0, 0, 0, 0},
		"size mismatch":        append(append([]byte(nil), good...), 0xFF),
		"no terminator":        fix(append(append([]byte(nil), good[:len(good)-1]...), 0)),
		"count mismatch":       func() []byte { b := append([]byte(nil), good...); b[4] = 2; return b }(),
		"invalid encoding":     fix([]byte{0, 0, 0, 0, 1, 0, 0xF5, 1, 0xFF}),
		"bad backlen":          fix([]byte{0, 0, 0, 0, 1, 0, 0x81, 'a', 3, 0xFF}),
		"entry past end":       fix([]byte{0, 0, 0, 0, 1, 0, 0x85, 'a', 2, 0xFF}),
		"12-bit header cut":    fix([]byte{0, 0, 0, 0, 1, 0, 0xE0, 0xFF}),
		"32-bit length huge":   fix([]byte{0, 0, 0, 0, 1, 0, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 'a', 0xFF}),
		"32-bit length cut":    fix([]byte{0, 0, 0, 0, 1, 0, 0xF0, 1, 0, 0xFF}),
		"int64 cut":            fix([]byte{0, 0, 0, 0, 1, 0, 0xF4, 1, 2, 3, 9, 0xFF}),
		"terminator too early": fix(append(append([]byte(nil), good[:len(good)-1]...), 0xFF, 0x81, 'a', 2, 0xFF)),
	}
}

func TestListpackMalformed(t *testing.T) {
	for name, b := range lpMalformed() {
		if e, err := listpackEntries(b); err == nil {
			t.Errorf("%s: decoded %s, want an error", name, cdcShow(e))
		}
	}
	var w lpWriter
	for _, v := range []string{"abc", "7", "-5000"} {
		w.appendString([]byte(v))
	}
	good := w.bytes()
	// 65535 means "count unknown": any count is fine.
	b := append([]byte(nil), good...)
	b[4], b[5] = 0xFF, 0xFF
	if e, err := listpackEntries(b); err != nil || !cdcEqual(e, []string{"abc", "7", "-5000"}) {
		t.Fatalf("unknown count: %s %v", cdcShow(e), err)
	}
}

// TestListpackAgainstRedisDump builds, with lpWriter, the same hashes as
// real Redis holds and compares the bytes with the listpack inside DUMP.
// It also decodes Redis's hash, zset and list listpacks and compares them
// with HGETALL, ZRANGE and LRANGE, and RESTOREs lpWriter's listpacks.
func TestListpackAgainstRedisDump(t *testing.T) {
	c := cdcOracle(t, "--rdbcompression", "no",
		"--hash-max-listpack-value", "3000000", "--hash-max-listpack-entries", "100000",
		"--zset-max-listpack-value", "3000000", "--list-max-listpack-size", "-5")

	vals := lpValues()
	vals = append(vals, strings.Repeat("5", 2100000)) // backlen of 4 bytes
	var w lpWriter
	args := []any{"HSET", "h"}
	for i, v := range vals {
		f := "f" + strconv.Itoa(i)
		if i%3 == 0 {
			f = strconv.Itoa(i * 1000) // integer-looking fields too
		}
		args = append(args, f, v)
		w.appendString([]byte(f))
		w.appendString([]byte(v))
	}
	if err := c.Do(cdcCtx, args...).Err(); err != nil {
		t.Fatal(err)
	}
	typ, body := cdcDump(t, c, "h")
	if typ != cdcTypeHashListpack {
		t.Fatalf("hash DUMP type %d, want listpack", typ)
	}
	raw, _, rest := cdcReadString(t, body)
	if len(rest) != 0 {
		t.Fatalf("%d bytes after the listpack", len(rest))
	}
	ours := w.bytes()
	if !bytes.Equal(raw, ours) {
		i := 0
		for i < len(raw) && i < len(ours) && raw[i] == ours[i] {
			i++
		}
		t.Fatalf("lpWriter differs from Redis at byte %d of %d/%d: Redis % x, ours % x",
			i, len(raw), len(ours), raw[i:min(i+16, len(raw))], ours[i:min(i+16, len(ours))])
	}
	entries, err := listpackEntries(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := cdcStrings(t, c, "HGETALL", "h"); !cdcEqual(entries, want) {
		t.Fatalf("decoded hash %s, HGETALL %s", cdcShow(entries), cdcShow(want))
	}

	// lpWriter's listpack, RESTOREd as a hash, reads back the same.
	if err := cdcRestore(c, "h2", cdcPayload(cdcTypeHashListpack, cdcString(nil, ours))); err != nil {
		t.Fatalf("RESTORE of lpWriter's hash: %v", err)
	}
	if got, want := cdcStrings(t, c, "HGETALL", "h2"), cdcStrings(t, c, "HGETALL", "h"); !cdcEqual(entries, got) || len(got) != len(want) {
		t.Fatalf("HGETALL after RESTORE: %s", cdcShow(got))
	}

	// A zset listpack: member, score pairs (integral scores are stored as
	// integers).
	if err := c.Do(cdcCtx, "ZADD", "z", "1.5", "a", "-2", "b", "3", "c", "1e6", "12", "-0.25", "").Err(); err != nil {
		t.Fatal(err)
	}
	typ, body = cdcDump(t, c, "z")
	raw, _, _ = cdcReadString(t, body)
	entries, err = listpackEntries(raw)
	if typ != cdcTypeZsetListpack || err != nil {
		t.Fatalf("zset: type %d, %v", typ, err)
	}
	if want := cdcStrings(t, c, "ZRANGE", "z", "0", "-1", "WITHSCORES"); !cdcEqual(entries, want) {
		t.Fatalf("decoded zset %s, ZRANGE %s", cdcShow(entries), cdcShow(want))
	}

	// A list: quicklist of listpack nodes (list-max-listpack-size -5 keeps
	// these in one node).
	largs := []any{"RPUSH", "l"}
	for _, v := range lpValues()[:40] {
		largs = append(largs, v)
	}
	if err := c.Do(cdcCtx, largs...).Err(); err != nil {
		t.Fatal(err)
	}
	typ, body = cdcDump(t, c, "l")
	if typ != cdcTypeListQuick2 {
		t.Fatalf("list DUMP type %d", typ)
	}
	nodes, _, body, _ := cdcReadLen(body)
	var all [][]byte
	for range nodes {
		var container uint64
		container, _, body, _ = cdcReadLen(body)
		raw, _, body = cdcReadString(t, body)
		if container != 2 {
			t.Fatalf("container %d, want packed", container)
		}
		e, err := listpackEntries(raw)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e...)
	}
	if want := cdcStrings(t, c, "LRANGE", "l", "0", "-1"); !cdcEqual(all, want) {
		t.Fatalf("decoded list %s, LRANGE %s", cdcShow(all), cdcShow(want))
	}
}

// TestListpackCountOverflowAgainstRedis: once a listpack holds 65535 or
// more entries its header count reads 65535, in Redis and in lpWriter.
// Hashes and zsets that large take quadratic time to build in Redis, so a
// stream with unlimited node size supplies the listpack (XADD appends in
// constant time); its entries are re-encoded with lpWriter and the bytes
// compared.
func TestListpackCountOverflowAgainstRedis(t *testing.T) {
	c := cdcOracle(t, "--rdbcompression", "no", "--stream-node-max-entries", "0", "--stream-node-max-bytes", "0")
	const typeStream = 19 // RDB_TYPE_STREAM_LISTPACKS_2
	added := 0
	for _, target := range []int{12000, 13200} {
		pipe := c.Pipeline()
		for ; added < target; added++ {
			pipe.Do(cdcCtx, "XADD", "s", "1-"+strconv.Itoa(added+1), "f", strconv.Itoa(added*37-5000))
		}
		if _, err := pipe.Exec(cdcCtx); err != nil {
			t.Fatal(err)
		}
		typ, body := cdcDump(t, c, "s")
		if typ != typeStream {
			t.Fatalf("stream DUMP type %d", typ)
		}
		nodes, _, body, _ := cdcReadLen(body)
		if nodes != 1 {
			t.Fatalf("%d stream nodes, want 1", nodes)
		}
		_, _, body = cdcReadString(t, body) // node key (master ID)
		raw, _, _ := cdcReadString(t, body)
		entries, err := listpackEntries(raw)
		if err != nil {
			t.Fatal(err)
		}
		header := int(binary.LittleEndian.Uint16(raw[4:]))
		if header != min(len(entries), 65535) {
			t.Fatalf("%d entries, header count %d", len(entries), header)
		}
		var w lpWriter
		for _, e := range entries {
			w.appendString(e)
		}
		if ours := w.bytes(); !bytes.Equal(raw, ours) {
			t.Fatalf("%d entries: lpWriter differs from Redis (%d vs %d bytes, header % x vs % x)",
				len(entries), len(raw), len(ours), raw[:6], ours[:6])
		}
		t.Logf("%d stream entries: listpack of %d entries, header count %d", target, len(entries), header)
	}
}

// TestListpackAcceptanceMatchesRedis RESTOREs corrupted listpacks as a
// one-node list and checks Redis accepts exactly those listpackEntries
// accepts (Redis also refuses a list left empty), with the same elements.
func TestListpackAcceptanceMatchesRedis(t *testing.T) {
	c := cdcOracle(t)
	rng := rand.New(rand.NewPCG(31, 32))
	vals := lpValues()
	accepted, rejected := 0, 0
	for i := range 4000 {
		var w lpWriter
		for range rng.IntN(6) {
			v := vals[rng.IntN(len(vals))]
			if len(v) > 200 {
				v = v[:rng.IntN(200)]
			}
			w.appendString([]byte(v))
		}
		b := w.bytes()
		if i%5 != 0 {
			b = cdcMutate(rng, b, 0)
		}
		body := cdcLen(nil, 1)
		body = cdcLen(body, 2) // packed node
		body = cdcString(body, b)
		redisErr := cdcRestore(c, "k", cdcPayload(cdcTypeListQuick2, body))
		entries, ourErr := listpackEntries(b)
		ourOK := ourErr == nil && len(entries) > 0
		if (redisErr == nil) != ourOK || (redisErr != nil && !cdcBadData(redisErr)) {
			t.Fatalf("listpack %x: Redis %v, listpackEntries %s %v", b, redisErr, cdcShow(entries), ourErr)
		}
		if redisErr != nil {
			rejected++
			continue
		}
		accepted++
		if want := cdcStrings(t, c, "LRANGE", "k", "0", "-1"); !cdcEqual(entries, want) {
			t.Fatalf("listpack %x: LRANGE %s, decoded %s", b, cdcShow(want), cdcShow(entries))
		}
	}
	t.Logf("listpacks: %d accepted by both, %d rejected by both", accepted, rejected)
	for name, b := range lpMalformed() {
		body := cdcString(cdcLen(cdcLen(nil, 1), 2), b)
		if err := cdcRestore(c, "k", cdcPayload(cdcTypeListQuick2, body)); !cdcBadData(err) {
			t.Errorf("%s: Redis RESTORE says %v, want Bad data format", name, err)
		}
	}
	if accepted < 500 || rejected < 500 {
		t.Fatalf("mutations not informative: %d accepted, %d rejected", accepted, rejected)
	}
}

func BenchmarkListpackEntries(b *testing.B) {
	var w lpWriter
	for i := range 1000 {
		if i%2 == 0 {
			w.appendString([]byte("field:" + strconv.Itoa(i)))
		} else {
			w.appendInt(int64(i * 1000))
		}
	}
	lp := w.bytes()
	b.SetBytes(int64(len(lp)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := listpackEntries(lp); err != nil {
			b.Fatal(err)
		}
	}
}
