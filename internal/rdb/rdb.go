package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/respd/respd/internal/resp"
)

// Opcodes and value types of the format (see doc.go).
const (
	opSlotInfo     = 0xF4
	opFunction2    = 0xF5
	opFunctionPre  = 0xF6
	opModuleAux    = 0xF7
	opIdle         = 0xF8
	opFreq         = 0xF9
	opAux          = 0xFA
	opResizeDB     = 0xFB
	opExpireTimeMs = 0xFC
	opExpireTime   = 0xFD
	opSelectDB     = 0xFE
	opEOF          = 0xFF

	typeString           = 0
	typeList             = 1
	typeSet              = 2
	typeZSet             = 3
	typeHash             = 4
	typeZSet2            = 5
	typeModulePreGA      = 6
	typeModule2          = 7
	typeHashZipmap       = 9
	typeListZiplist      = 10
	typeSetIntset        = 11
	typeZSetZiplist      = 12
	typeHashZiplist      = 13
	typeListQuicklist    = 14
	typeStreamListpacks  = 15
	typeHashListpack     = 16
	typeZSetListpack     = 17
	typeListQuicklist2   = 18
	typeStreamListpacks2 = 19
	typeSetListpack      = 20
	typeStreamListpacks3 = 21
	typeHashMetadataPre  = 22
	typeHashListpackEx0  = 23
	typeHashMetadata     = 24
	typeHashListpackEx   = 25
)

// Length-encoding markers: the top two bits of the first byte.
const (
	len6    = 0
	len14   = 1
	len32   = 0x80
	len64   = 0x81
	encVal  = 3
	encInt8 = 0
	encI16  = 1
	encI32  = 2
	encLZF  = 3
)

// Version is the RDB version respd writes: the newest that Redis 7.0 loads.
const Version = 10

// MaxVersion is the newest RDB version respd reads (Redis 7.4).
const MaxVersion = 12

// ErrCorrupt wraps every complaint about malformed input.
var ErrCorrupt = errors.New("corrupt RDB")

func corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, a...))
}

// reader reads the primitives of the format, keeping a running CRC64 and
// the offset for error messages.
type reader struct {
	r   *bufio.Reader
	crc uint64
	off int64
	// limit bounds any single allocation a length field can ask for.
	limit int64
	buf   [8]byte
}

func newReader(r io.Reader) *reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<16)
	}
	return &reader{r: br, limit: 1 << 32}
}

func (r *reader) full(b []byte) error {
	n, err := io.ReadFull(r.r, b)
	r.crc = crc64Update(r.crc, b[:n])
	r.off += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return corrupt("unexpected end of file at offset %d", r.off)
		}
		return err
	}
	return nil
}

func (r *reader) byte() (byte, error) {
	if err := r.full(r.buf[:1]); err != nil {
		return 0, err
	}
	return r.buf[0], nil
}

// lenOrEnc reads a length; special reports an encoded-value marker, in
// which case the value is the encoding (encInt8, encI16, encI32, encLZF).
func (r *reader) lenOrEnc() (n uint64, special bool, err error) {
	b, err := r.byte()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case len6:
		return uint64(b & 0x3F), false, nil
	case len14:
		c, err := r.byte()
		return uint64(b&0x3F)<<8 | uint64(c), false, err
	case encVal:
		return uint64(b & 0x3F), true, nil
	}
	switch b {
	case len32:
		if err := r.full(r.buf[:4]); err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(r.buf[:4])), false, nil
	case len64:
		if err := r.full(r.buf[:8]); err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(r.buf[:8]), false, nil
	}
	return 0, false, corrupt("unknown length encoding %#x at offset %d", b, r.off-1)
}

// length reads a plain length.
func (r *reader) length() (uint64, error) {
	n, special, err := r.lenOrEnc()
	if err == nil && special {
		err = corrupt("encoded value where a length belongs at offset %d", r.off)
	}
	return n, err
}

// count reads a length that counts elements still to be read, each at
// least one byte, so it cannot exceed the allocation limit.
func (r *reader) count() (int, error) {
	n, err := r.length()
	if err != nil {
		return 0, err
	}
	if n > uint64(r.limit) {
		return 0, corrupt("element count %d too large at offset %d", n, r.off)
	}
	return int(n), nil
}

// bytesN reads n raw bytes into a new slice, growing it as data arrives so
// a lying length cannot allocate more than the file holds.
func (r *reader) bytesN(n uint64) ([]byte, error) {
	if n > uint64(r.limit) {
		return nil, corrupt("length %d too large at offset %d", n, r.off)
	}
	const step = 1 << 20
	if n <= step {
		b := make([]byte, n)
		return b, r.full(b)
	}
	var b []byte
	for uint64(len(b)) < n {
		k := min(n-uint64(len(b)), step)
		b = append(b, make([]byte, k)...)
		if err := r.full(b[len(b)-int(k):]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// str reads a string in any of its encodings.
func (r *reader) str() ([]byte, error) {
	n, special, err := r.lenOrEnc()
	if err != nil {
		return nil, err
	}
	if !special {
		return r.bytesN(n)
	}
	switch n {
	case encInt8:
		b, err := r.byte()
		return strconv.AppendInt(nil, int64(int8(b)), 10), err
	case encI16:
		if err := r.full(r.buf[:2]); err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(r.buf[:2]))), 10), nil
	case encI32:
		if err := r.full(r.buf[:4]); err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(r.buf[:4]))), 10), nil
	case encLZF:
		clen, err := r.length()
		if err != nil {
			return nil, err
		}
		ulen, err := r.length()
		if err != nil {
			return nil, err
		}
		// The output may well be longer than the input (a DUMP payload
		// of a compressible value is): it is bounded by what clen
		// bytes, themselves within the limit, can expand to.
		if clen > uint64(r.limit) || ulen > clen*lzfMaxRatio {
			return nil, corrupt("LZF length %d too large at offset %d", ulen, r.off)
		}
		c, err := r.bytesN(clen)
		if err != nil {
			return nil, err
		}
		out, err := lzfDecompress(c, int(ulen))
		if err != nil {
			return nil, corrupt("LZF string at offset %d: %v", r.off, err)
		}
		return out, nil
	}
	return nil, corrupt("unknown string encoding %d at offset %d", n, r.off)
}

func (r *reader) uint64LE() (uint64, error) {
	if err := r.full(r.buf[:8]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(r.buf[:8]), nil
}

func (r *reader) uint32LE() (uint32, error) {
	if err := r.full(r.buf[:4]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(r.buf[:4]), nil
}

// binaryDouble reads an 8-byte little-endian IEEE double (ZSET_2 scores).
func (r *reader) binaryDouble() (float64, error) {
	u, err := r.uint64LE()
	return math.Float64frombits(u), err
}

// textDouble reads the old score form: a length byte, 253 NaN, 254 +inf,
// 255 -inf, else that many ASCII bytes.
func (r *reader) textDouble() (float64, error) {
	n, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b := make([]byte, n)
	if err := r.full(b); err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, corrupt("bad score %q at offset %d", b, r.off)
	}
	return f, nil
}

// writer writes the primitives of the format, keeping a running CRC64.
// Without a destination it only buffers, and its owner takes the bytes.
type writer struct {
	w   io.Writer
	crc uint64
	// compress enables LZF for strings longer than 20 bytes
	// (rdbcompression).
	compress bool
	buf      []byte
	err      error
}

// flushAt is how much the writer buffers before writing through.
const flushAt = 1 << 16

func (w *writer) flush() error {
	if w.w == nil {
		return nil
	}
	if w.err == nil && len(w.buf) > 0 {
		w.crc = crc64Update(w.crc, w.buf)
		_, w.err = w.w.Write(w.buf)
	}
	w.buf = w.buf[:0]
	return w.err
}

func (w *writer) maybeFlush() {
	if w.w != nil && len(w.buf) >= flushAt {
		w.flush()
	}
}

func (w *writer) byte(b byte) { w.buf = append(w.buf, b) }

func (w *writer) raw(b []byte) {
	w.buf = append(w.buf, b...)
	w.maybeFlush()
}

func (w *writer) length(n uint64) {
	switch {
	case n < 1<<6:
		w.buf = append(w.buf, byte(n))
	case n < 1<<14:
		w.buf = append(w.buf, byte(n>>8)|len14<<6, byte(n))
	case n <= math.MaxUint32:
		w.buf = append(w.buf, len32)
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(n))
	default:
		w.buf = append(w.buf, len64)
		w.buf = binary.BigEndian.AppendUint64(w.buf, n)
	}
}

// str writes a string as Redis does: as an integer when it is the
// canonical form of one that fits 32 bits, LZF-compressed when that is
// enabled and saves space, raw otherwise.
func (w *writer) str(s []byte) {
	if len(s) <= 11 {
		if v, ok := canonicalInt(s); ok {
			w.int(v)
			return
		}
	}
	if w.compress && len(s) > 20 {
		if c := lzfCompress(s); c != nil {
			w.buf = append(w.buf, encVal<<6|encLZF)
			w.length(uint64(len(c)))
			w.length(uint64(len(s)))
			w.raw(c)
			return
		}
	}
	w.length(uint64(len(s)))
	w.raw(s)
}

// int writes v in the smallest integer string encoding, or as decimal
// text when it does not fit 32 bits.
func (w *writer) int(v int64) {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		w.buf = append(w.buf, encVal<<6|encInt8, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		w.buf = append(w.buf, encVal<<6|encI16)
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(v))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		w.buf = append(w.buf, encVal<<6|encI32)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(v))
	default:
		s := strconv.AppendInt(nil, v, 10)
		w.length(uint64(len(s)))
		w.raw(s)
	}
}

// strString is str for a string, without converting it when it is plain.
func (w *writer) strString(s string) {
	if len(s) <= 11 || w.compress && len(s) > 20 {
		w.str([]byte(s))
		return
	}
	w.length(uint64(len(s)))
	w.buf = append(w.buf, s...)
	w.maybeFlush()
}

func (w *writer) uint64LE(v uint64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, v) }

func (w *writer) binaryDouble(f float64) { w.uint64LE(math.Float64bits(f)) }

// canonicalInt parses s as Redis's string2ll does: no sign on zero, no
// leading zeros or spaces.
func canonicalInt(s []byte) (int64, bool) { return resp.ParseInt(s) }
