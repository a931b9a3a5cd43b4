package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
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
	b := binary.LittleEndian.AppendUint16(e.w.buf, Version)
	return binary.LittleEndian.AppendUint64(b, crc64Update(0, b))
}

// RestoreFunctions decodes a FUNCTION DUMP payload into library codes.
func RestoreFunctions(p []byte) ([]string, error) {
	if err := CheckPayload(p); err != nil {
		return nil, err
	}
	body := p[:len(p)-10]
	r := newReader(bytes.NewReader(body))
	r.limit = int64(len(body))
	var codes []string
	for {
		t, err := r.byte()
		if err == io.EOF {
			return codes, nil
		}
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
}
