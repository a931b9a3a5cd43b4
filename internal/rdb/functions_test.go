package rdb

import (
	"slices"
	"strings"
	"testing"
)

func TestFunctionsPayload(t *testing.T) {
	codes := []string{"#!lua name=a\nredis.register_function('f', function() return 1 end)", "#!lua name=b\n" + strings.Repeat("-- long comment\n", 50)}
	p := DumpFunctions(codes)
	got, err := RestoreFunctions(p)
	if err != nil || !slices.Equal(got, codes) {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	if got, err := RestoreFunctions(DumpFunctions(nil)); err != nil || len(got) != 0 {
		t.Fatalf("empty payload: %q, %v", got, err)
	}
	bad := append([]byte(nil), p...)
	bad[3] ^= 1
	if _, err := RestoreFunctions(bad); err != ErrPayloadVersion {
		t.Fatalf("corrupted payload: %v", err)
	}
	// A key's DUMP payload is not a function payload.
	e := NewEncoder(nil, false)
	e.w.byte(0)
	e.w.str([]byte("x"))
	if _, err := RestoreFunctions(footer(e.w.buf)); err != ErrNotFunction {
		t.Fatalf("value payload: %v", err)
	}
}
