package hll

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// survey walks a sparse body independently of the package's walker: the
// registers it covers, the opcode count, and whether the last opcode is an
// XZERO cut short.
func survey(h []byte) (total, ops int, truncated bool) {
	for i := HeaderSize; i < len(h); ops++ {
		c := h[i]
		switch {
		case c >= 0x80:
			total += int(c&3) + 1
			i++
		case c >= 0x40:
			second := 0
			if i+1 < len(h) {
				second = int(h[i+1])
			} else {
				truncated = true
			}
			total += int(c&0x3f)*256 + second + 1
			i += 2
		default:
			total += int(c) + 1
			i++
		}
	}
	return total, ops, truncated
}

// FuzzHLL feeds arbitrary bytes as a HyperLogLog value: as given, behind a
// sparse header and behind a dense one. Nothing may panic, and corruption
// is reported exactly where Redis reports it: a sparse body that does not
// cover 16384 registers fails PFCOUNT, PFMERGE and conversion to dense
// alike, while a well-formed one converts, counts and merges consistently.
func FuzzHLL(f *testing.F) {
	f.Add([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"))
	f.Add([]byte("\x7f\xff"))
	f.Add([]byte("\x7f"))
	f.Add([]byte("\x40\xfe\x7f"))
	f.Add([]byte("\x7f\xfb\x83\x83\x83"))
	f.Add([]byte("\x05\x40\x09\x8e\x7f\xd0"))
	seed := New()
	for i := 0; i < 300; i++ {
		seed, _, _ = Add(seed, []byte{byte(i), byte(i >> 8)}, 3000)
	}
	f.Add(seed[HeaderSize:])
	f.Fuzz(func(t *testing.T, data []byte) {
		sparse := append([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"), data...)
		dense := make([]byte, DenseSize)
		copy(dense, "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80")
		copy(dense[HeaderSize:], data)
		for _, v := range [][]byte{data, sparse, dense} {
			if IsHLL(v) {
				check(t, bytes.Clone(v))
			}
		}
	})
}

func check(t *testing.T, h []byte) {
	wantErr := false
	total, ops, truncated := 0, 0, false
	if !IsDense(h) {
		total, ops, truncated = survey(h)
		wantErr = total != Registers
		if d := Decode(h); ops == 0 && d != "" || ops > 0 && strings.Count(d, " ")+1 != ops {
			t.Fatalf("Decode gave %q for %d opcodes", d, ops)
		}
	}
	card, err := Count(h)
	if (err != nil) != wantErr || (err != nil && !errors.Is(err, ErrCorrupt)) {
		t.Fatalf("Count err = %v, want error %v (covers %d registers)", err, wantErr, total)
	}
	var max [Registers]uint8
	if err := Merge(&max, h); (err != nil) != wantErr {
		t.Fatalf("Merge err = %v, want error %v", err, wantErr)
	}
	d, err := ToDense(h)
	if (err != nil) != wantErr {
		t.Fatalf("ToDense err = %v, want error %v", err, wantErr)
	}
	if !wantErr {
		if !IsHLL(d) || !IsDense(d) || !bytes.Equal(d[:4], h[:4]) || !bytes.Equal(d[5:HeaderSize], h[5:HeaderSize]) {
			t.Fatalf("ToDense header %q from %q", d[:HeaderSize], h[:HeaderSize])
		}
		for i := 0; i < Registers; i++ {
			if Register(d, i) != max[i] {
				t.Fatalf("register %d: dense %d, merged %d", i, Register(d, i), max[i])
			}
		}
		if dc, _ := Count(d); dc != card || CountRegisters(&max) != card {
			t.Fatalf("counts differ: %d, dense %d, merged %d", card, dc, CountRegisters(&max))
		}
	}
	for _, limit := range []int64{0, 40, 3000} {
		v := bytes.Clone(h)
		for i := 0; i < 20; i++ {
			var err error
			v, _, err = Add(v, []byte{byte(i), 'x'}, limit)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Add err = %v", err)
				}
				if !wantErr && !truncated {
					t.Fatalf("Add failed on a well-formed value: %v", err)
				}
				break
			}
			if !IsHLL(v) {
				t.Fatalf("Add made a value that is no longer an HLL: %q", v[:min(len(v), 20)])
			}
		}
		// A well-formed value stays well formed, except where Redis itself
		// cuts a short final XZERO further when it splits it.
		if !wantErr && !truncated {
			if _, err := Count(v); err != nil {
				t.Fatalf("Add broke a well-formed value: %v", err)
			}
		}
	}
}
