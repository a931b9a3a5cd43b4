package hll

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"
)

// addAll feeds elements "e<from>".."e<to-1>" to h.
func addAll(t testing.TB, h []byte, from, to int, sparseMax int64) []byte {
	t.Helper()
	for i := from; i < to; i++ {
		var err error
		if h, _, err = Add(h, []byte("e"+strconv.Itoa(i)), sparseMax); err != nil {
			t.Fatalf("Add e%d: %v", i, err)
		}
	}
	return h
}

func TestNew(t *testing.T) {
	want := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff")
	if got := New(); !bytes.Equal(got, want) {
		t.Fatalf("New() = %q, want %q", got, want)
	}
	if !IsHLL(New()) {
		t.Fatal("New() is not an HLL")
	}
	if c, ok := Cached(New()); !ok || c != 0 {
		t.Fatalf("Cached(New()) = %d, %v; want 0, true", c, ok)
	}
}

func TestIsHLL(t *testing.T) {
	dense := make([]byte, DenseSize)
	copy(dense, "HYLL")
	cases := []struct {
		v    []byte
		want bool
	}{
		{New(), true},
		{dense, true},
		{dense[:DenseSize-1], false},
		{append(bytes.Clone(dense), 0), false},
		{[]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), false},    // 15 bytes
		{[]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), true}, // empty sparse body passes the header check
		{[]byte("HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), false},
		{[]byte("hyll\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), false},
	}
	for i, c := range cases {
		if got := IsHLL(c.v); got != c.want {
			t.Errorf("case %d: IsHLL = %v, want %v", i, got, c.want)
		}
	}
}

// The register and count each element maps to, as Redis 7.0 reports them
// (PFDEBUG DECODE after adding the one element). They pin MurmurHash64A,
// its seed, the block and tail handling, and the zero-run count.
func TestPosition(t *testing.T) {
	cases := []struct {
		ele   string
		index int
		count uint8
	}{
		{"a", 12711, 2}, {"b", 15780, 1}, {"foo", 7348, 5}, {"hello", 9216, 1}, {"0", 13225, 4},
		{"", 5938, 2}, {string(bytes.Repeat([]byte("x"), 100)), 15288, 1}, {"abcdefg", 5634, 2},
		{"abcdefgh", 1383, 1}, {"abcdefghi", 6903, 1}, {"0123456789abcdef0", 16236, 1},
	}
	for _, c := range cases {
		i, n := Position([]byte(c.ele))
		if i != c.index || n != c.count {
			t.Errorf("Position(%.10q) = %d, %d; want %d, %d", c.ele, i, n, c.index, c.count)
		}
	}
}

// Values built by Redis 7.0 from elements "e0".."e<n-1>": the SHA-256 of
// the exact bytes and the cardinality PFCOUNT gives.
func TestGoldenValues(t *testing.T) {
	cases := []struct {
		n     int
		size  int
		sum   string
		count uint64
		dense bool
	}{
		{1, 21, "b0e9338b711c718f8c660c838331c48590e4ecac97391cb8408bdd5bec28776d", 1, false},
		{100, 285, "53986fa020104b2d94c131f7d7b840674634568242921d84d01b767289a56a1d", 100, false},
		{1000, 1906, "519a7f0764d633e025ff9f8cdeb30cd2f452e2ad37f729f6b9ea7a4699791162", 1008, false},
		{2000, DenseSize, "2a070facb0df784f674c087a1d2148b97839b9438bfa5d08d0d4a858a0af5e4f", 2000, true},
		{20000, DenseSize, "f491acb3b4a2b5308b23aba4dc292ccc3905e92ecc131f8f368334741fdc3dc7", 19901, true},
	}
	for _, c := range cases {
		h := addAll(t, New(), 0, c.n, 3000)
		// PFADD marks the cache stale once it changed something.
		Invalidate(h)
		sum := sha256.Sum256(h)
		if len(h) != c.size || hex.EncodeToString(sum[:]) != c.sum {
			t.Errorf("n=%d: %d bytes with sha256 %x; Redis has %d bytes, %s", c.n, len(h), sum, c.size, c.sum)
		}
		if IsDense(h) != c.dense {
			t.Errorf("n=%d: dense = %v, want %v", c.n, IsDense(h), c.dense)
		}
		if got, err := Count(h); err != nil || got != c.count {
			t.Errorf("n=%d: Count = %d, %v; want %d", c.n, got, err, c.count)
		}
	}
}

func TestDenseRegisters(t *testing.T) {
	regs := make([]byte, DenseSize-HeaderSize)
	rng := rand.New(rand.NewPCG(3, 4))
	want := make([]uint8, Registers)
	for i := range want {
		want[i] = uint8(rng.IntN(64))
		densePut(regs, i, want[i])
	}
	for i := range want {
		if got := denseGet(regs, i); got != want[i] {
			t.Fatalf("register %d = %d, want %d", i, got, want[i])
		}
	}
	if denseSet(regs, 5, want[5]) {
		t.Error("denseSet to the same value reported a change")
	}
	if want[7] < 63 && !denseSet(regs, 7, want[7]+1) {
		t.Error("denseSet to a higher value reported no change")
	}
}

// A sparse value and a dense one fed the same elements hold the same
// registers, before and after the sparse one turns dense.
func TestSparseMatchesDense(t *testing.T) {
	for _, limit := range []int64{3000, 300, 1 << 20} {
		s := New()
		d, _ := ToDense(New())
		for step := 0; step < 40; step++ {
			s = addAll(t, s, step*100, step*100+100, limit)
			d = addAll(t, d, step*100, step*100+100, limit)
			sd, err := ToDense(s)
			if err != nil {
				t.Fatalf("limit %d step %d: ToDense: %v", limit, step, err)
			}
			if !bytes.Equal(sd[HeaderSize:], d[HeaderSize:]) {
				t.Fatalf("limit %d step %d: registers differ", limit, step)
			}
			cs, err1 := Count(s)
			cd, err2 := Count(d)
			if err1 != nil || err2 != nil || cs != cd {
				t.Fatalf("limit %d step %d: counts %d (%v) vs %d (%v)", limit, step, cs, err1, cd, err2)
			}
			if !IsDense(s) && int64(len(s)) > limit {
				t.Fatalf("limit %d: sparse value of %d bytes", limit, len(s))
			}
		}
	}
}

func TestMergeAndCountRegisters(t *testing.T) {
	a := addAll(t, New(), 0, 500, 3000)
	b := addAll(t, New(), 250, 5000, 3000)
	all := addAll(t, New(), 0, 5000, 3000)
	var max [Registers]uint8
	if err := Merge(&max, a); err != nil {
		t.Fatal(err)
	}
	if err := Merge(&max, b); err != nil {
		t.Fatal(err)
	}
	want, _ := Count(all)
	if got := CountRegisters(&max); got != want {
		t.Fatalf("count of merged registers = %d, want %d", got, want)
	}
}

func TestSparseSplitAndJoin(t *testing.T) {
	h := New()
	// Raise registers 10, 11, 12 to 3: the zero run splits, then the VALs
	// join into one of length 3.
	for _, i := range []int{10, 12, 11} {
		var err error
		if h, _, err = Set(h, i, 3, 3000); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := Decode(h), "z:10 v:3,3 Z:16371"; got != want {
		t.Fatalf("Decode = %q, want %q", got, want)
	}
	if _, ok := Cached(h); ok {
		t.Error("cache still valid after a change")
	}
	// Lower or equal values change nothing.
	if _, changed, _ := Set(h, 11, 2, 3000); changed {
		t.Error("lowering a register reported a change")
	}
	// A count above 32 does not fit a VAL: the value turns dense.
	h, changed, err := Set(h, 100, 40, 3000)
	if err != nil || !changed || !IsDense(h) || Register(h, 100) != 40 || Register(h, 11) != 3 {
		t.Fatalf("Set 40: changed %v, err %v, dense %v", changed, err, IsDense(h))
	}
}

func TestCorruptSparse(t *testing.T) {
	hdr := "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
	cases := []string{
		"",                     // no opcodes at all
		"\x7f\xfe",             // one register short
		"\x7f\xff\x00",         // one register too many
		"\x7f\xff\x80",         // a VAL past the last register
		"\x00\x7f\xff",         // ZERO then a full XZERO
		"\x7f",                 // a truncated XZERO reads its missing byte as zero: 16129
		"\x7f\xfb\x83\x83\x83", // VALs running past the end
	}
	for _, body := range cases {
		h := []byte(hdr + body)
		if _, err := Count(h); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q: Count err = %v", body, err)
		}
		var max [Registers]uint8
		if err := Merge(&max, h); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q: Merge err = %v", body, err)
		}
		if _, err := ToDense(h); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q: ToDense err = %v", body, err)
		}
	}
	// An opcode that covers no register index errors in Add.
	if _, _, err := Set([]byte(hdr+"\x00"), 5, 1, 3000); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Set past the covered registers: err = %v", err)
	}
	// A truncated final XZERO that still makes up 16384 registers is valid.
	h := []byte(hdr + "\x7f\xfe\x00\x7f") // 16383 + 1 ... then 16129 read short
	if _, err := Count(h); err == nil {
		t.Error("over-long value counted")
	}
	h = []byte(hdr + "\x40\xfe\x7f") // 255 + 16129
	if c, err := Count(h); err != nil || c != 0 {
		t.Errorf("255+16129 zero registers: Count = %d, %v", c, err)
	}
}

func TestDecode(t *testing.T) {
	h := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x05\x40\x09\x8e")
	if got, want := Decode(h), "z:6 Z:10 v:4,3"; got != want {
		t.Fatalf("Decode = %q, want %q", got, want)
	}
	if got := Decode([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")); got != "" {
		t.Fatalf("Decode of an empty body = %q", got)
	}
}

// Cardinalities Redis 7.0 estimates for registers all at one value, and
// for half of them at zero: they exercise both series of the estimator
// and its rounding, up to the estimates too big for a long long, which
// Redis replies as the smallest one.
func TestEstimate(t *testing.T) {
	uniform := map[uint8]uint64{0: 0, 1: 23637, 2: 47274, 5: 378194, 10: 12102203, 20: 12392656037,
		30: 12690079782337, 40: 12994641697113596, 50: 1 << 63, 51: 1 << 63, 63: 1 << 63}
	for v, want := range uniform {
		var regs [Registers]uint8
		for i := range regs {
			regs[i] = v
		}
		if got := CountRegisters(&regs); got != want {
			t.Errorf("all registers at %d: estimate %d, Redis %d", v, got, want)
		}
	}
	half := map[uint8]uint64{1: 10360, 10: 13261, 51: 13268}
	for v, want := range half {
		var regs [Registers]uint8
		for i := 1; i < Registers; i += 2 {
			regs[i] = v
		}
		if got := CountRegisters(&regs); got != want {
			t.Errorf("half the registers at %d: estimate %d, Redis %d", v, got, want)
		}
	}
}

func TestSelfTest(t *testing.T) {
	if err := SelfTest(); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkAddSparse(b *testing.B) {
	var ele [8]byte
	h := New()
	for i := 0; i < b.N; i++ {
		if i%1000 == 0 {
			h = New()
		}
		ele[0], ele[1], ele[2] = byte(i), byte(i>>8), byte(i>>16)
		h, _, _ = Add(h, ele[:], 3000)
	}
}
