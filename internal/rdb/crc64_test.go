package rdb

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// crc64Bitwise is the textbook one-bit-at-a-time form of the same CRC,
// independent of the tables.
func crc64Bitwise(crc uint64, b []byte) uint64 {
	for _, c := range b {
		crc ^= uint64(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ crc64JonesReflected
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func TestCRC64CheckValue(t *testing.T) {
	// The check value Redis's own crc64 test asserts.
	if got := crc64Update(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %#x, want 0xe9c6d914c4b8d9ca", got)
	}
	if got := crc64Update(0, nil); got != 0 {
		t.Fatalf("crc64 of nothing = %#x, want 0", got)
	}
}

func TestCRC64MatchesBitwiseAndSplits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4099} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		want := crc64Bitwise(0, b)
		if got := crc64Update(0, b); got != want {
			t.Fatalf("len %d: table %#x, bitwise %#x", n, got, want)
		}
		// Feeding the data in two pieces must not change the result.
		for range 5 {
			k := rng.IntN(n + 1)
			if got := crc64Update(crc64Update(0, b[:k]), b[k:]); got != want {
				t.Fatalf("len %d split at %d: %#x, want %#x", n, k, got, want)
			}
		}
	}
}

// TestCRC64AgainstRedisDump checks crc64Update against the checksum real
// Redis writes at the end of DUMP payloads of various sizes (cdcDump
// fails on any mismatch).
func TestCRC64AgainstRedisDump(t *testing.T) {
	c := cdcOracle(t)
	for _, n := range []int{0, 1, 8, 9, 100, 5000, 70000} {
		key := "k" + strconv.Itoa(n)
		val := strings.Repeat("xyz\x00\xff", n)[:n]
		if err := c.Set(cdcCtx, key, val, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if typ, _ := cdcDump(t, c, key); typ != cdcTypeString {
			t.Fatalf("type %d", typ)
		}
	}
	// And a payload checksummed by crc64Update is accepted by RESTORE.
	body := cdcString(nil, []byte("hello"))
	if err := cdcRestore(c, "r", cdcPayload(cdcTypeString, body)); err != nil {
		t.Fatalf("RESTORE with our checksum: %v", err)
	}
	bad := []byte(cdcPayload(cdcTypeString, body))
	binary.LittleEndian.PutUint64(bad[len(bad)-8:], crc64Update(0, []byte("x")))
	if err := cdcRestore(c, "r", string(bad)); err == nil || cdcBadData(err) {
		t.Fatalf("RESTORE with a wrong checksum: %v, want a checksum error", err)
	}
}

func BenchmarkCRC64(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		crc64Update(0, buf)
	}
}
