package rdb

// Test helpers shared by the codec tests: building and parsing DUMP
// payloads and talking to the real redis-server used as the oracle. The
// names carry a cdc prefix so they cannot collide with helpers of the
// framing code's tests in the same package.

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/oracle"
)

// RDB object types used by the codec tests.
const (
	cdcTypeString       = 0
	cdcTypeHashZipmap   = 9
	cdcTypeListZiplist  = 10
	cdcTypeSetIntset    = 11
	cdcTypeZsetZiplist  = 12
	cdcTypeHashZiplist  = 13
	cdcTypeListQuick    = 14
	cdcTypeHashListpack = 16
	cdcTypeZsetListpack = 17
	cdcTypeListQuick2   = 18

	cdcRDBVersion = 10 // what Redis 7.0 writes in DUMP footers
)

var cdcCtx = context.Background()

// cdcOracle starts a real redis-server that deep-checks every RESTORE
// payload, so a payload it accepts passed the same validation Redis runs
// on untrusted input.
func cdcOracle(t testing.TB, args ...string) *redis.Client {
	t.Helper()
	addr := oracle.RedisServer(t, append([]string{"--sanitize-dump-payload", "yes"}, args...)...)
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// cdcLen appends n as an RDB length.
func cdcLen(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n))
	case n < 1<<14:
		return append(dst, 0x40|byte(n>>8), byte(n))
	case n <= 0xFFFFFFFF:
		dst = append(dst, 0x80)
		return binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	dst = append(dst, 0x81)
	return binary.BigEndian.AppendUint64(dst, n)
}

// cdcString appends s as a raw (uncompressed) RDB string.
func cdcString(dst, s []byte) []byte {
	return append(cdcLen(dst, uint64(len(s))), s...)
}

// cdcPayload wraps an object body as a DUMP payload: type byte, body, RDB
// version and the CRC-64 of all that, as RESTORE expects.
func cdcPayload(typ byte, body []byte) string {
	p := append([]byte{typ}, body...)
	p = binary.LittleEndian.AppendUint16(p, cdcRDBVersion)
	p = binary.LittleEndian.AppendUint64(p, crc64Update(0, p))
	return string(p)
}

// cdcDump runs DUMP and checks the footer (version, and the checksum with
// crc64Update), returning the type byte and the body.
func cdcDump(t testing.TB, c *redis.Client, key string) (byte, []byte) {
	t.Helper()
	s, err := c.Dump(cdcCtx, key).Result()
	if err != nil {
		t.Fatalf("DUMP %s: %v", key, err)
	}
	p := []byte(s)
	if len(p) < 11 {
		t.Fatalf("DUMP %s: payload too short: %q", key, p)
	}
	n := len(p) - 10
	if v := binary.LittleEndian.Uint16(p[n:]); v != cdcRDBVersion {
		t.Fatalf("DUMP %s: RDB version %d", key, v)
	}
	if got, want := crc64Update(0, p[:n+2]), binary.LittleEndian.Uint64(p[n+2:]); got != want {
		t.Fatalf("DUMP %s: crc64Update gives %#x, Redis wrote %#x", key, got, want)
	}
	return p[0], p[1:n]
}

// cdcReadLen reads an RDB length; special reports the 11xxxxxx encodings,
// whose low six bits are returned as n.
func cdcReadLen(b []byte) (n uint64, special bool, rest []byte, err error) {
	if len(b) == 0 {
		return 0, false, nil, errors.New("no length")
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0] & 0x3f), false, b[1:], nil
	case 1:
		if len(b) < 2 {
			return 0, false, nil, errors.New("short length")
		}
		return uint64(b[0]&0x3f)<<8 | uint64(b[1]), false, b[2:], nil
	case 3:
		return uint64(b[0] & 0x3f), true, b[1:], nil
	}
	switch {
	case b[0] == 0x80 && len(b) >= 5:
		return uint64(binary.BigEndian.Uint32(b[1:])), false, b[5:], nil
	case b[0] == 0x81 && len(b) >= 9:
		return binary.BigEndian.Uint64(b[1:]), false, b[9:], nil
	}
	return 0, false, nil, errors.New("bad length")
}

// cdcReadString reads an RDB string (raw, integer-encoded or LZF, the
// latter expanded with lzfDecompress) and reports whether it was LZF.
func cdcReadString(t testing.TB, b []byte) (s []byte, lzf bool, rest []byte) {
	t.Helper()
	n, special, b, err := cdcReadLen(b)
	if err != nil {
		t.Fatal(err)
	}
	if !special {
		if uint64(len(b)) < n {
			t.Fatalf("string of %d bytes truncated to %d", n, len(b))
		}
		return b[:n], false, b[n:]
	}
	switch n {
	case 0:
		return strconv.AppendInt(nil, int64(int8(b[0])), 10), false, b[1:]
	case 1:
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(b))), 10), false, b[2:]
	case 2:
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(b))), 10), false, b[4:]
	case 3:
		clen, _, b, err := cdcReadLen(b)
		if err != nil {
			t.Fatal(err)
		}
		ulen, _, b, err := cdcReadLen(b)
		if err != nil {
			t.Fatal(err)
		}
		out, err := lzfDecompress(b[:clen], int(ulen))
		if err != nil {
			t.Fatalf("lzfDecompress of Redis's own LZF string: %v", err)
		}
		return out, true, b[clen:]
	}
	t.Fatalf("unknown string encoding %d", n)
	return nil, false, nil
}

// cdcRestore runs RESTORE key 0 payload REPLACE.
func cdcRestore(c *redis.Client, key, payload string) error {
	return c.RestoreReplace(cdcCtx, key, 0, payload).Err()
}

// cdcBadData reports whether err is the reply RESTORE gives when the
// object body fails validation, as opposed to a footer (checksum) problem,
// which would mean the test built the payload wrong.
func cdcBadData(err error) bool {
	return err != nil && err.Error() == "ERR Bad data format"
}

// cdcStrings runs a command whose reply is an array of bulk strings.
func cdcStrings(t testing.TB, c *redis.Client, args ...any) []string {
	t.Helper()
	v, err := c.Do(cdcCtx, args...).StringSlice()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

// cdcEqual compares decoded entries with a reply.
func cdcEqual(got [][]byte, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if string(got[i]) != want[i] {
			return false
		}
	}
	return true
}

// cdcShow abbreviates entries for failure messages.
func cdcShow[S ~[]byte | ~string](v []S) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			sb.WriteByte(' ')
		}
		if i == 8 {
			sb.WriteString("...")
			break
		}
		q := strconv.Quote(string(s))
		if len(q) > 40 {
			q = q[:37] + "..."
		}
		sb.WriteString(q)
	}
	sb.WriteByte(']')
	return sb.String()
}

// cdcMutate returns a corrupted copy of valid: a few random byte changes
// (biased towards values the formats treat specially), sometimes a
// truncation or an inserted byte. When sizeAt >= 0 the u32 total-size field
// there is usually rewritten to the new length afterwards, so the
// corruption reaches the entry checks instead of stopping at the header.
func cdcMutate(rng *rand.Rand, valid []byte, sizeAt int) []byte {
	b := append([]byte(nil), valid...)
	special := []byte{0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xd0, 0xe0, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xfd, 0xfe, 0xff}
	for range 1 + rng.IntN(3) {
		switch r := rng.IntN(10); {
		case r < 4:
			b[rng.IntN(len(b))] = special[rng.IntN(len(special))]
		case r < 7:
			b[rng.IntN(len(b))] ^= byte(1 << rng.IntN(8))
		case r < 8:
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		case r < 9 && len(b) > 1:
			b = b[:rng.IntN(len(b))]
		default:
			i := rng.IntN(len(b) + 1)
			b = append(b[:i], append([]byte{byte(rng.IntN(256))}, b[i:]...)...)
		}
		if len(b) == 0 {
			b = append(b, 0xff)
		}
	}
	if sizeAt >= 0 && len(b) >= sizeAt+4 && rng.IntN(4) != 0 {
		binary.LittleEndian.PutUint32(b[sizeAt:], uint32(len(b)))
	}
	return b
}
