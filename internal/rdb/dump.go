package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/respd/respd/internal/keyspace"
)

// A DUMP payload is one value as the RDB stores it (type byte, then the
// value), the RDB version as 2 little-endian bytes, and the CRC-64 of all
// that as 8 little-endian bytes.

// ErrPayloadVersion is a payload whose footer is wrong: a version newer
// than respd reads, or a checksum that does not match.
var ErrPayloadVersion = errors.New("DUMP payload version or checksum are wrong")

// Dump serializes o as the DUMP command does.
func Dump(o *keyspace.Object) []byte {
	e := NewEncoder(nil, true)
	e.w.byte(valueType(o))
	e.Value(o)
	b := binary.LittleEndian.AppendUint16(e.w.buf, Version)
	return binary.LittleEndian.AppendUint64(b, crc64Update(0, b))
}

// CheckPayload verifies a DUMP payload's footer.
func CheckPayload(p []byte) error {
	if len(p) < 10 {
		return ErrPayloadVersion
	}
	body := p[:len(p)-8]
	v := binary.LittleEndian.Uint16(body[len(body)-2:])
	if v > MaxVersion || crc64Update(0, body) != binary.LittleEndian.Uint64(p[len(p)-8:]) {
		return ErrPayloadVersion
	}
	return nil
}

// Restore decodes a DUMP payload whose footer CheckPayload accepted. An
// error means the value itself is malformed (or empty).
func Restore(p []byte, lim Limits) (*keyspace.Object, error) {
	body := p[:len(p)-10]
	if len(body) == 0 {
		return nil, corrupt("empty payload")
	}
	r := newReader(bytes.NewReader(body[1:]))
	r.limit = int64(len(body))
	l := &loader{r: r, opt: Options{Limits: lim}, version: int(binary.LittleEndian.Uint16(p[len(p)-10:]))}
	o, err := l.object(body[0])
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, corrupt("empty value")
	}
	if _, err := r.byte(); err == nil {
		return nil, corrupt("trailing bytes after the value")
	}
	return o, nil
}

// CRC64 is Redis's CRC-64 of b: the checksum of RDB files and DUMP
// payloads.
func CRC64(b []byte) uint64 { return crc64Update(0, b) }
