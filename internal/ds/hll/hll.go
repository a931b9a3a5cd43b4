// Package hll is HyperLogLog in the exact byte format Redis keeps in a
// string value, so a value written here reads back identically in Redis
// (GET, DUMP/RESTORE, RDB) and the other way round.
//
// A value is a 16-byte header followed by the registers:
//
//	"HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | 8-byte cache
//
// The cache is the last computed cardinality, little endian; the top bit
// of its last byte set means it is stale. Unused bytes are kept as found:
// Redis copies the whole header when it converts a value.
//
// There are 16384 registers (the low 14 bits of a 64-bit MurmurHash64A
// pick one; the run of zero bits above them, plus one, is the count it may
// be raised to). Dense stores every register in 6 bits, least significant
// bits first; sparse is run-length coded with three opcodes:
//
//	00xxxxxx           ZERO:  xxxxxx+1 registers at zero (1..64)
//	01xxxxxx yyyyyyyy  XZERO: 14-bit length+1 registers at zero (1..16384)
//	1vvvvvxx           VAL:   xx+1 registers (1..4) holding vvvvv+1 (1..32)
//
// A sparse value turns dense once a register needs more than 32 or the
// value would grow past the hll-sparse-max-bytes limit. How an update
// splits and merges opcodes follows Redis's behaviour step for step, as
// the bytes it produces are observable.
//
// Values come from clients (SET of arbitrary bytes), so readers treat a
// byte past the end as zero, the way Redis's reads run into the string's
// terminating NUL, and report a malformed body as ErrCorrupt; no input
// makes them panic.
package hll

import (
	"encoding/binary"
	"errors"
)

// Geometry of Redis's HyperLogLog.
const (
	// P is the number of hash bits that select a register.
	P = 14
	// Registers is the number of registers.
	Registers = 1 << P
	// Q is the number of hash bits left to count zeros in.
	Q = 64 - P
	// HeaderSize is the length of the header that precedes the registers.
	HeaderSize = 16
	// DenseSize is the exact length of a dense value.
	DenseSize = HeaderSize + (Registers*regBits+7)/8

	regBits = 6
	regMax  = 1<<regBits - 1
	pMask   = Registers - 1
)

// The encoding byte of the header.
const (
	Dense  = 0
	Sparse = 1
)

// Sparse opcode limits.
const (
	valMaxValue  = 32
	valMaxLen    = 4
	zeroMaxLen   = 64
	xzeroMaxLen  = 16384
	cacheByte    = 15 // the header byte holding the stale flag
	staleFlag    = 0x80
	encodingByte = 4
)

// Seed is the MurmurHash64A seed Redis hashes elements with.
const Seed = 0xadc83b19

// ErrCorrupt reports a value whose header is fine but whose registers
// cannot be decoded.
var ErrCorrupt = errors.New("hll: corrupted value")

// IsHLL reports whether b passes Redis's check for a HyperLogLog value:
// the magic, a known encoding, and for dense the exact length. The sparse
// body is only checked by the operations that walk it.
func IsHLL(b []byte) bool {
	if len(b) < HeaderSize || b[0] != 'H' || b[1] != 'Y' || b[2] != 'L' || b[3] != 'L' {
		return false
	}
	switch b[encodingByte] {
	case Dense:
		return len(b) == DenseSize
	case Sparse:
		return true
	}
	return false
}

// IsDense reports whether the valid value h is dense.
func IsDense(h []byte) bool { return h[encodingByte] == Dense }

// New returns an empty value: sparse, every register in one XZERO run,
// with a valid cache of 0. This is what PFADD and PFMERGE create.
func New() []byte {
	h := make([]byte, HeaderSize, HeaderSize+2)
	copy(h, "HYLL")
	h[encodingByte] = Sparse
	return appendXZero(h, Registers)
}

// Cached returns the cached cardinality and whether it is current.
func Cached(h []byte) (uint64, bool) {
	v := binary.LittleEndian.Uint64(h[8:16])
	return v, h[cacheByte]&staleFlag == 0
}

// SetCache stores a freshly computed cardinality in the header.
func SetCache(h []byte, card uint64) { binary.LittleEndian.PutUint64(h[8:16], card) }

// Invalidate marks the cache stale. Only the flag bit changes: the old
// count's other bytes stay, as they do in Redis.
func Invalidate(h []byte) { h[cacheByte] |= staleFlag }

// Hash is MurmurHash64A (Austin Appleby's 64-bit hash for 64-bit
// machines) of b with the given seed, reading 8-byte blocks little endian
// so the result is the same on every platform.
func Hash(b []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(b))*m
	for len(b) >= 8 {
		k := binary.LittleEndian.Uint64(b)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		b = b[8:]
	}
	if len(b) > 0 {
		for i := len(b) - 1; i >= 0; i-- {
			h ^= uint64(b[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// Position returns the register ele hashes to and the count it offers:
// one more than the number of zero bits above the register index, capped
// at Q+1 by a sentinel bit.
func Position(ele []byte) (index int, count uint8) {
	h := Hash(ele, Seed)
	index = int(h & pMask)
	h >>= P
	h |= 1 << Q
	n := uint8(1)
	for h&1 == 0 {
		n++
		h >>= 1
	}
	return index, n
}

// Add offers ele to the valid value h. It returns the value (a new slice
// when it grew or turned dense), whether a register changed, and
// ErrCorrupt when a sparse body cannot be updated. sparseMax is
// hll-sparse-max-bytes.
func Add(h, ele []byte, sparseMax int64) ([]byte, bool, error) {
	index, count := Position(ele)
	return Set(h, index, count, sparseMax)
}

// Set raises register index of h to count if it is lower (see Add).
func Set(h []byte, index int, count uint8, sparseMax int64) ([]byte, bool, error) {
	if h[encodingByte] == Dense {
		return h, denseSet(h[HeaderSize:], index, count), nil
	}
	return sparseSet(h, index, count, sparseMax)
}

// Register returns register i of the dense value h.
func Register(h []byte, i int) uint8 { return denseGet(h[HeaderSize:], i) }

// denseGet reads 6-bit register i, which may straddle two bytes.
func denseGet(regs []byte, i int) uint8 {
	bit := i * regBits
	n, shift := bit/8, uint(bit%8)
	v := uint(regs[n]) >> shift
	if n+1 < len(regs) {
		v |= uint(regs[n+1]) << (8 - shift)
	}
	return uint8(v & regMax)
}

// denseSet raises register i to v if it is lower and reports whether it
// did.
func denseSet(regs []byte, i int, v uint8) bool {
	if denseGet(regs, i) >= v {
		return false
	}
	densePut(regs, i, v)
	return true
}

func densePut(regs []byte, i int, v uint8) {
	bit := i * regBits
	n, shift := bit/8, uint(bit%8)
	regs[n] = regs[n]&^byte(regMax<<shift) | byte(uint(v)<<shift)
	if n+1 < len(regs) {
		regs[n+1] = regs[n+1]&^byte(regMax>>(8-shift)) | byte(uint(v)>>(8-shift))
	}
}
