package hll

import "math"

// alphaInf is 1/(2 ln 2), the estimator's constant for an unbounded
// number of registers.
const alphaInf = 0.721347520444481703680

// Count estimates the cardinality of the valid value h from its
// registers (ignoring the cache). A sparse body that does not cover
// exactly the 16384 registers is ErrCorrupt.
func Count(h []byte) (uint64, error) {
	var histo [64]int
	if h[encodingByte] == Dense {
		regs := h[HeaderSize:]
		for i := 0; i < Registers; i++ {
			histo[denseGet(regs, i)]++
		}
		return estimate(&histo), nil
	}
	idx := 0
	walk(h, func(kind, run int, val uint8) {
		histo[val] += run
		idx += run
	})
	if idx != Registers {
		return 0, ErrCorrupt
	}
	return estimate(&histo), nil
}

// Merge raises each max[i] to register i of the valid value h, for
// PFCOUNT of several keys and PFMERGE. A sparse body that does not cover
// exactly the 16384 registers is ErrCorrupt (max may then be partly
// updated).
func Merge(max *[Registers]uint8, h []byte) error {
	if h[encodingByte] == Dense {
		regs := h[HeaderSize:]
		for i := range max {
			if v := denseGet(regs, i); v > max[i] {
				max[i] = v
			}
		}
		return nil
	}
	idx, ok := 0, true
	walk(h, func(kind, run int, val uint8) {
		if !ok || idx+run > Registers {
			ok = false
			return
		}
		if kind == opVal {
			for i := idx; i < idx+run; i++ {
				if val > max[i] {
					max[i] = val
				}
			}
		}
		idx += run
	})
	if !ok || idx != Registers {
		return ErrCorrupt
	}
	return nil
}

// CountRegisters estimates the cardinality of a set of registers, one per
// byte (the result of Merge).
func CountRegisters(regs *[Registers]uint8) uint64 {
	var histo [64]int
	for _, v := range regs {
		histo[v&63]++
	}
	return estimate(&histo)
}

// estimate is the improved raw estimator of Otmar Ertl, "New cardinality
// estimation algorithms for HyperLogLog sketches" (arXiv:1702.01284),
// which Redis uses: from the histogram of register values it needs no
// bias tables and no switch to linear counting. The sums run in the same
// order as Redis's so the double arithmetic, and thus the rounded result,
// is identical. Explicit conversions keep the compiler from fusing a
// multiply and an add, which would round differently.
func estimate(histo *[64]int) uint64 {
	const m = float64(Registers)
	z := float64(m * tau((m-float64(histo[Q+1]))/m))
	for j := Q; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += float64(m * sigma(float64(histo[0])/m))
	e := math.Round(float64(float64(alphaInf*m)*m) / z)
	if !(e < 1<<63) {
		// Past the range of a long long, Redis's rounding yields its
		// minimum, which PFCOUNT then replies (and caches) as is.
		return 1 << 63
	}
	return uint64(e)
}

// sigma is the series x + sum 2^(k-1) x^(2^k), summed until adding a term
// no longer changes the result; infinite at 1 (every register zero).
func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += float64(x * y)
		y += y
		if z == prev {
			return z
		}
	}
}

// tau is (1 - x - sum 2^-k (1 - x^(2^-k))^2) / 3, summed until adding a
// term no longer changes the result; zero at 0 and 1.
func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if z == prev {
			return z / 3
		}
	}
}
