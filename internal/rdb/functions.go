package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// A FUNCTION DUMP payload is the FUNCTION2 records an RDB file holds,
// one per library, with the DUMP footer (version and CRC-64).

// ErrNotFunction is a payload holding something else than libraries.
var ErrNotFunction = errors.New("given type is not a function")

// DumpFunctions serializes library codes as FUNCTION DUMP does.
func DumpFunctions(codes []string) []byte {
	e := NewEncoder(nil, true)
	for _, c := range codes {
		e.Function([]byte(c))
	}
	return footer(e.w.buf)
}

// footer appends the DUMP footer (version, CRC-64) to body.
func footer(body []byte) []byte {
	b := binary.LittleEndian.AppendUint16(body, Version)
	return binary.LittleEndian.AppendUint64(b, crc64Update(0, b))
}

// RestoreFunctions decodes a FUNCTION DUMP payload into library codes.
func RestoreFunctions(p []byte) ([]string, error) {
	if err := CheckPayload(p); err != nil {
		return nil, err
	}
	body := p[:len(p)-10]
	r := newReader(bytes.NewReader(body))
	// Compressed code can expand well past the payload's size.
	r.limit = max(int64(len(body))*100, 1<<20)
	var codes []string
	for r.off < int64(len(body)) {
		t, err := r.byte()
		if err != nil {
			return nil, err
		}
		if t != opFunction2 {
			return nil, ErrNotFunction
		}
		code, err := r.str()
		if err != nil {
			return nil, err
		}
		codes = append(codes, string(code))
	}
	return codes, nil
}
