package rdb

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// isBuild writes an intset with the given member width, members as given
// (sorted or not).
func isBuild(enc int, members ...int64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(enc))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(members)))
	for _, m := range members {
		switch enc {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(m))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(m))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(m))
		}
	}
	return b
}

func TestIntsetMalformed(t *testing.T) {
	cases := map[string][]byte{
		"short header":   {2, 0, 0, 0, 1, 0},
		"encoding 3":     isBuild(3, 1),
		"encoding 0":     isBuild(0),
		"empty":          isBuild(2),
		"unsorted":       isBuild(2, 2, 1),
		"duplicate":      isBuild(4, 5, 5),
		"count too big":  append(isBuild(2, 1, 2)[:4], 3, 0, 0, 0, 1, 0, 2, 0),
		"trailing bytes": append(isBuild(2, 1, 2), 0),
		"huge count":     {8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0},
	}
	for name, b := range cases {
		if m, err := intsetMembers(b); err == nil {
			t.Errorf("%s: decoded %v, want an error", name, m)
		}
	}
	m, err := intsetMembers(isBuild(2, -32768, -1, 0, 32767))
	if err != nil || !slices.Equal(m, []int64{-32768, -1, 0, 32767}) {
		t.Fatalf("int16 extremes: %v %v", m, err)
	}
}

// TestIntsetAgainstRedis decodes the intsets real Redis DUMPs for sets
// needing each member width, and checks that Redis accepts exactly the
// hand-built intsets intsetMembers accepts.
func TestIntsetAgainstRedis(t *testing.T) {
	c := cdcOracle(t, "--rdbcompression", "no")
	sets := [][]int64{
		{1, 2, 3},
		{-32768, 0, 32767},
		{-32769, 5, 32768},
		{math.MinInt32, math.MaxInt32},
		{math.MinInt32 - 1, 7, math.MaxInt32 + 1},
		{math.MinInt64, -1, math.MaxInt64},
	}
	wantEnc := []uint32{2, 2, 4, 4, 8, 8}
	for i, set := range sets {
		key := "s" + strconv.Itoa(i)
		args := []any{"SADD", key}
		for _, m := range set {
			args = append(args, m)
		}
		if err := c.Do(cdcCtx, args...).Err(); err != nil {
			t.Fatal(err)
		}
		typ, body := cdcDump(t, c, key)
		if typ != cdcTypeSetIntset {
			t.Fatalf("%v: type %d, want intset", set, typ)
		}
		raw, _, _ := cdcReadString(t, body)
		if enc := binary.LittleEndian.Uint32(raw); enc != wantEnc[i] {
			t.Fatalf("%v: Redis used %d-byte members, want %d", set, enc, wantEnc[i])
		}
		got, err := intsetMembers(raw)
		if err != nil || !slices.Equal(got, set) {
			t.Fatalf("%v: intsetMembers gives %v %v", set, got, err)
		}
	}

	rng := rand.New(rand.NewPCG(21, 22))
	accepted, rejected := 0, 0
	try := func(b []byte) {
		t.Helper()
		redisErr := cdcRestore(c, "k", cdcPayload(cdcTypeSetIntset, cdcString(nil, b)))
		got, ourErr := intsetMembers(b)
		if (redisErr == nil) != (ourErr == nil) || (redisErr != nil && !cdcBadData(redisErr)) {
			t.Fatalf("intset %x: Redis %v, intsetMembers %v", b, redisErr, ourErr)
		}
		if redisErr != nil {
			rejected++
			return
		}
		accepted++
		var want []int64
		for _, s := range cdcStrings(t, c, "SMEMBERS", "k") {
			v, _ := strconv.ParseInt(s, 10, 64)
			want = append(want, v)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("intset %x: Redis has %v, we decode %v", b, want, got)
		}
	}
	try(isBuild(2))
	try(isBuild(2, 2, 1))
	try(isBuild(8, 3, 3))
	try(isBuild(8, 1, 2)) // wider than needed is allowed
	for range 1500 {
		enc := []int{2, 4, 8}[rng.IntN(3)]
		n := 1 + rng.IntN(6)
		var set []int64
		for range n {
			set = append(set, int64(rng.Uint64())>>(64-8*enc))
		}
		slices.Sort(set)
		set = slices.Compact(set)
		valid := isBuild(enc, set...)
		if rng.IntN(5) == 0 {
			try(valid)
			continue
		}
		try(cdcMutate(rng, valid, -1))
	}
	t.Logf("intsets: %d accepted by both, %d rejected by both", accepted, rejected)
	if accepted < 100 || rejected < 100 {
		t.Fatalf("mutations not informative: %d accepted, %d rejected", accepted, rejected)
	}
}
