package rdb

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

// The decoders read untrusted files: whatever the bytes, they must return
// entries or an error, never panic, and what they return must be
// self-consistent.
//
// Random mutations almost always break a size field or the terminator, so
// the fuzzer would rarely get past the header checks; when fix is set the
// target repairs those first, letting it explore the entries.

// fuzzFix writes len(b) into the u32 size field at sizeAt (when there is
// one, sizeAt >= 0) and makes the last byte the terminator.
func fuzzFix(b []byte, sizeAt int, fix bool) []byte {
	if !fix || len(b) < sizeAt+5 {
		return b
	}
	b = append([]byte(nil), b...)
	if sizeAt >= 0 {
		binary.LittleEndian.PutUint32(b[sizeAt:], uint32(len(b)))
	}
	b[len(b)-1] = 0xFF
	return b
}

func FuzzZiplist(f *testing.F) {
	small := zlSample()[:30]
	f.Add(zlBuild(small...), false)
	f.Add(zlBuild(), false)
	f.Add(zlBuild(zlEnt{s: "x", bigPrev: true}, zlInt(-70000), zlStr("y")), false)
	for _, b := range zlMalformed() {
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		b = fuzzFix(b, 0, fix)
		entries, err := ziplistEntries(b)
		if err != nil {
			return
		}
		if n := binary.LittleEndian.Uint16(b[8:]); n != zlCountMax && int(n) != len(entries) {
			t.Fatalf("%d entries, header says %d", len(entries), n)
		}
		// Rewritten as plain string entries, the ziplist decodes the same.
		ents := make([]zlEnt, len(entries))
		for i, e := range entries {
			ents[i] = zlStr(string(e))
		}
		again, err := ziplistEntries(zlBuild(ents...))
		if err != nil || !slices.EqualFunc(entries, again, bytes.Equal) {
			t.Fatalf("re-encoded: %s %v, want %s", cdcShow(again), err, cdcShow(entries))
		}
	})
}

func FuzzListpack(f *testing.F) {
	var w lpWriter
	for _, v := range lpValues()[:45] {
		w.appendString([]byte(v))
	}
	f.Add(append([]byte(nil), w.bytes()...), false)
	f.Add((&lpWriter{}).bytes(), false)
	for _, b := range lpMalformed() {
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		b = fuzzFix(b, 0, fix)
		entries, err := listpackEntries(b)
		if err != nil {
			return
		}
		if n := binary.LittleEndian.Uint16(b[4:]); n != lpCountUnknown && int(n) != len(entries) {
			t.Fatalf("%d entries, header says %d", len(entries), n)
		}
		// Re-encoding with lpWriter and decoding again gives the same
		// entries.
		var w lpWriter
		for _, e := range entries {
			w.appendString(e)
		}
		again, err := listpackEntries(w.bytes())
		if err != nil || !slices.EqualFunc(entries, again, bytes.Equal) {
			t.Fatalf("re-encoded: %s %v, want %s", cdcShow(again), err, cdcShow(entries))
		}
	})
}

func FuzzIntset(f *testing.F) {
	f.Add(isBuild(2, -3, 0, 7))
	f.Add(isBuild(4, -70000, 70000))
	f.Add(isBuild(8, -1<<40, 1<<40))
	f.Add(isBuild(2, 2, 1))
	f.Add(isBuild(2))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := intsetMembers(b)
		if err != nil {
			return
		}
		if len(m) == 0 || uint32(len(m)) != binary.LittleEndian.Uint32(b[4:]) {
			t.Fatalf("%d members for header count %d", len(m), binary.LittleEndian.Uint32(b[4:]))
		}
		for i := 1; i < len(m); i++ {
			if m[i] <= m[i-1] {
				t.Fatalf("members out of order: %v", m)
			}
		}
		if !bytes.Equal(isBuild(int(binary.LittleEndian.Uint32(b)), m...), b) {
			t.Fatalf("members %v do not re-encode to the input", m)
		}
	})
}

func FuzzZipmap(f *testing.F) {
	f.Add(zmBuild(-1, zmSample()[:5]...), false)
	f.Add(zmBuild(zmBigLen, zmPair{f: "a", v: "b", free: 2}), false)
	for _, b := range zmMalformed() {
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		b = fuzzFix(b, -1, fix)
		pairs, err := zipmapPairs(b)
		if err != nil {
			return
		}
		if len(pairs) == 0 || len(pairs)%2 != 0 {
			t.Fatalf("%d strings is not a list of pairs", len(pairs))
		}
		if b[0] != zmBigLen && int(b[0]) != len(pairs)/2 {
			t.Fatalf("%d pairs, header says %d", len(pairs)/2, b[0])
		}
		// Rewritten without free space, the map decodes the same.
		zp := make([]zmPair, 0, len(pairs)/2)
		for i := 0; i < len(pairs); i += 2 {
			zp = append(zp, zmPair{f: string(pairs[i]), v: string(pairs[i+1])})
		}
		again, err := zipmapPairs(zmBuild(-1, zp...))
		if err != nil || !slices.EqualFunc(pairs, again, bytes.Equal) {
			t.Fatalf("re-encoded: %s %v, want %s", cdcShow(again), err, cdcShow(pairs))
		}
	})
}

func FuzzLZF(f *testing.F) {
	for _, s := range []string{"abc*1000", "text", "300 random twice", "zeros 300"} {
		in := lzfSamples()[s]
		f.Add(lzfCompress(in), uint32(len(in)))
	}
	for _, h := range lzfHandBuilt() {
		f.Add(h.stream, uint32(len(h.out)))
	}
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, n uint32) {
		// As a compressed stream: decoding never panics and never returns
		// a length other than the one asked for.
		if out, err := lzfDecompress(b, int(n%(1<<20))); err == nil && len(out) != int(n%(1<<20)) {
			t.Fatalf("asked for %d bytes, got %d", n%(1<<20), len(out))
		}
		// As plain data: compression round-trips.
		c := lzfCompress(b)
		if c == nil {
			return
		}
		if len(c) > len(b)-4 {
			t.Fatalf("%d bytes compressed to %d", len(b), len(c))
		}
		out, err := lzfDecompress(c, len(b))
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip of %x failed: %v", b, err)
		}
	})
}
