package rdb

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// zmPair is one pair for zmBuild: free unused bytes follow the value, and
// bigLen forces the 5-byte length form even for short strings (which Redis
// refuses).
type zmPair struct {
	f, v   string
	free   int
	bigLen bool
}

// zmBuild writes a zipmap following the format description; count < 0
// writes the real count (or 254 when it does not fit).
func zmBuild(count int, pairs ...zmPair) []byte {
	if count < 0 {
		count = min(len(pairs), zmBigLen)
	}
	b := []byte{byte(count)}
	putLen := func(l int, big bool) {
		if l < zmBigLen && !big {
			b = append(b, byte(l))
		} else {
			b = binary.LittleEndian.AppendUint32(append(b, zmBigLen), uint32(l))
		}
	}
	for _, p := range pairs {
		putLen(len(p.f), p.bigLen)
		b = append(b, p.f...)
		putLen(len(p.v), p.bigLen)
		b = append(b, byte(p.free))
		b = append(b, p.v...)
		b = append(b, make([]byte, p.free)...)
	}
	return append(b, zmEnd)
}

func zmWant(pairs []zmPair) []string {
	var w []string
	for _, p := range pairs {
		w = append(w, p.f, p.v)
	}
	return w
}

func zmSample() []zmPair {
	return []zmPair{
		{f: "name", v: "redis"},
		{f: "empty", v: ""},
		{f: "", v: "empty field"},
		{f: "free", v: "has 3 spare bytes", free: 3},
		{f: "253", v: strings.Repeat("a", 253)},
		{f: strings.Repeat("b", 254), v: "254-byte field"},
		{f: "long value", v: strings.Repeat("c", 1000), free: 255},
		{f: "123", v: "-45"},
	}
}

// zmMalformed returns corrupt zipmaps, each breaking one rule.
func zmMalformed() map[string][]byte {
	good := zmBuild(-1, zmPair{f: "a", v: "b"}, zmPair{f: "c", v: "d"})
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	return map[string][]byte{
		"too short":              {0xFF},
		"no terminator":          mod(func(b []byte) []byte { b[len(b)-1] = 0; return b }),
		"empty":                  {0, 0xFF},
		"empty, unknown":         {zmBigLen, 0xFF},
		"count mismatch":         mod(func(b []byte) []byte { b[0] = 3; return b }),
		"field too long":         mod(func(b []byte) []byte { b[1] = 30; return b }),
		"value too long":         mod(func(b []byte) []byte { b[3] = 30; return b }),
		"free too long":          mod(func(b []byte) []byte { b[4] = 30; return b }),
		"long length cut":        {1, zmBigLen, 1, 0, 0xFF},
		"huge length":            {1, zmBigLen, 0xFF, 0xFF, 0xFF, 0xFF, 'a', 0, 0, 0xFF},
		"huge free+length":       {1, 1, 'a', zmBigLen, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
		"value missing":          {1, 1, 'a', 0xFF},
		"long form, short field": zmBuild(-1, zmPair{f: "ab", v: "cd", bigLen: true}),
		"long form, short value": {1, 1, 'a', zmBigLen, 2, 0, 0, 0, 0, 'c', 'd', 0xFF},
	}
}

func TestZipmapDecode(t *testing.T) {
	sample := zmSample()
	got, err := zipmapPairs(zmBuild(-1, sample...))
	if err != nil || !cdcEqual(got, zmWant(sample)) {
		t.Fatalf("got %s %v", cdcShow(got), err)
	}
	// 254 pairs or more: the count byte says "unknown".
	var many []zmPair
	for i := range 300 {
		many = append(many, zmPair{f: "f" + strconv.Itoa(i), v: strconv.Itoa(i)})
	}
	if got, err := zipmapPairs(zmBuild(-1, many...)); err != nil || len(got) != 600 {
		t.Fatalf("300 pairs: %d entries, %v", len(got), err)
	}
	for name, b := range zmMalformed() {
		if e, err := zipmapPairs(b); err == nil {
			t.Errorf("%s: decoded %s, want an error", name, cdcShow(e))
		}
	}
}

// TestZipmapAgainstRedis RESTOREs hand-built zipmaps (RDB type 9, which
// Redis 7.0 still loads, converting them) and compares HGETALL with what
// zipmapPairs decodes; corrupted zipmaps must be accepted by both or by
// neither (Redis also refuses duplicate fields, which is the caller's
// check here).
func TestZipmapAgainstRedis(t *testing.T) {
	c := cdcOracle(t)
	try := func(b []byte) (accepted bool) {
		t.Helper()
		redisErr := cdcRestore(c, "k", cdcPayload(cdcTypeHashZipmap, cdcString(nil, b)))
		pairs, ourErr := zipmapPairs(b)
		dup := false
		seen := map[string]bool{}
		for i := 0; i < len(pairs); i += 2 {
			dup = dup || seen[string(pairs[i])]
			seen[string(pairs[i])] = true
		}
		ourOK := ourErr == nil && !dup
		if (redisErr == nil) != ourOK || (redisErr != nil && !cdcBadData(redisErr)) {
			t.Fatalf("zipmap %x: Redis %v, zipmapPairs %s %v (duplicate fields %v)", b, redisErr, cdcShow(pairs), ourErr, dup)
		}
		if redisErr != nil {
			return false
		}
		want := cdcStrings(t, c, "HGETALL", "k")
		if c.ObjectEncoding(cdcCtx, "k").Val() != "listpack" {
			// Converted to a hash table: the order is Redis's own.
			if !cdcSamePairs(pairs, want) {
				t.Fatalf("zipmap %x: HGETALL %s, decoded %s", b, cdcShow(want), cdcShow(pairs))
			}
		} else if !cdcEqual(pairs, want) {
			t.Fatalf("zipmap %x: HGETALL %s, decoded %s", b, cdcShow(want), cdcShow(pairs))
		}
		return true
	}
	sample := zmSample()
	if !try(zmBuild(-1, sample...)) {
		t.Fatal("Redis refused the sample zipmap")
	}
	if !try(zmBuild(zmBigLen, sample...)) {
		t.Fatal("Redis refused the sample zipmap with count 254")
	}
	var many []zmPair
	for i := range 300 {
		many = append(many, zmPair{f: "f" + strconv.Itoa(i), v: strconv.Itoa(i)})
	}
	if !try(zmBuild(-1, many...)) {
		t.Fatal("Redis refused a zipmap of 300 pairs")
	}
	for name, b := range zmMalformed() {
		if try(b) {
			t.Fatalf("%s: accepted", name)
		}
	}

	rng := rand.New(rand.NewPCG(51, 52))
	accepted, rejected := 0, 0
	for i := range 3000 {
		var pairs []zmPair
		for range 1 + rng.IntN(4) {
			p := sample[rng.IntN(len(sample))]
			if len(p.v) > 300 {
				p.v = p.v[:rng.IntN(300)]
			}
			p.f += strconv.Itoa(rng.IntN(1000))
			pairs = append(pairs, p)
		}
		b := zmBuild(-1, pairs...)
		if i%5 != 0 {
			b = cdcMutate(rng, b, -1)
		}
		if try(b) {
			accepted++
		} else {
			rejected++
		}
	}
	t.Logf("zipmaps: %d accepted by both, %d rejected by both", accepted, rejected)
	if accepted < 300 || rejected < 300 {
		t.Fatalf("mutations not informative: %d accepted, %d rejected", accepted, rejected)
	}
}

// cdcSamePairs compares field, value lists regardless of pair order.
func cdcSamePairs(got [][]byte, want []string) bool {
	if len(got) != len(want) || len(got)%2 != 0 {
		return false
	}
	m := map[string]string{}
	for i := 0; i < len(want); i += 2 {
		m[want[i]] = want[i+1]
	}
	for i := 0; i < len(got); i += 2 {
		if v, ok := m[string(got[i])]; !ok || v != string(got[i+1]) {
			return false
		}
	}
	return len(m) == len(got)/2
}
