package command

import (
	"math/big"
)

// INCRBYFLOAT does its arithmetic in the C "long double" of the reference
// server's platform: the x87 80-bit extended format, with a 64-bit
// significand, exponents down to 2^-16382 (subnormals to 2^-16445) and a
// largest finite value just under 2^16384. Results are stored and replied
// as the exact decimal value rounded to 17 fraction digits with trailing
// zeros removed, so every bit of that arithmetic can show in a reply.
// longDouble reproduces it with math/big: values are held exactly at 64
// bits of precision, parsing rounds correctly once from the exact decimal
// (or hex) value, and the exponent limits are checked by hand.
const (
	ldPrec = 64
	// ldMaxExp is the largest big.Float exponent (x = m·2^exp, 0.5 <= m < 1)
	// of a finite value.
	ldMaxExp = 16384
	// ldMinNormalExp is the exponent of the smallest normal value, 2^-16382.
	ldMinNormalExp = -16381
	// ldSubnormalBits makes the smallest subnormal value 2^-ldSubnormalBits;
	// every value below the normal range is a multiple of it.
	ldSubnormalBits = 16445
	// ldMaxChars bounds the text Redis is willing to parse as a float.
	ldMaxChars = 5 * 1024
)

// longDouble is one extended-precision value; the zero value is +0.
type longDouble struct {
	v *big.Float // nil for +0; may be ±Inf
}

func newLD() *big.Float { return new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven) }

func (x longDouble) val() *big.Float {
	if x.v == nil {
		return newLD()
	}
	return x.v
}

// parseLongDouble parses b the way Redis reads a long double: the whole of
// b must be what C's strtold accepts (decimal or hex floating point, inf or
// infinity, an optional sign; no surrounding spaces), and values that
// overflow or underflow to zero are refused, as is NaN.
func parseLongDouble(b []byte) (longDouble, bool) {
	if len(b) == 0 || len(b) >= ldMaxChars {
		return longDouble{}, false
	}
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
	}
	var x longDouble
	var ok bool
	switch {
	case EqualFold(b, "inf") || EqualFold(b, "infinity"):
		x, ok = longDouble{v: newLD().SetInf(false)}, true
	case len(b) >= 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X'):
		x, ok = parseHexLD(b[2:])
	default:
		x, ok = parseDecimalLD(b)
	}
	if ok && neg {
		x.v = newLD().Neg(x.val())
	}
	return x, ok
}

// scanDigits returns the length of the run of digits at the start of b,
// hex digits when hex.
func scanDigits(b []byte, hex bool) int {
	i := 0
	for i < len(b) {
		ch := b[i]
		if !(ch >= '0' && ch <= '9') && !(hex && (ch|0x20) >= 'a' && (ch|0x20) <= 'f') {
			break
		}
		i++
	}
	return i
}

// scanMantissa splits b into the digits of "int[.frac]" and what follows.
// It returns the digits without the point, how many came after it, and
// false when there is no digit at all.
func scanMantissa(b []byte, hex bool) (digits []byte, fracDigits int, rest []byte, ok bool) {
	n := scanDigits(b, hex)
	digits = append(digits, b[:n]...)
	b = b[n:]
	if len(b) > 0 && b[0] == '.' {
		m := scanDigits(b[1:], hex)
		digits = append(digits, b[1:1+m]...)
		fracDigits = m
		b = b[1+m:]
	}
	return digits, fracDigits, b, len(digits) > 0
}

// scanExponent parses a whole "[+-]digits" exponent, saturating far
// beyond any value that could matter.
func scanExponent(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || scanDigits(b, false) != len(b) {
		return 0, false
	}
	var e int64
	for _, ch := range b {
		if e < 1e12 {
			e = e*10 + int64(ch-'0')
		}
	}
	if neg {
		e = -e
	}
	return e, true
}

func trimLeadingZeros(d []byte) []byte {
	for len(d) > 0 && d[0] == '0' {
		d = d[1:]
	}
	return d
}

func parseDecimalLD(b []byte) (longDouble, bool) {
	digits, frac, rest, ok := scanMantissa(b, false)
	if !ok {
		return longDouble{}, false
	}
	var exp int64
	if len(rest) > 0 {
		if rest[0] != 'e' && rest[0] != 'E' {
			return longDouble{}, false
		}
		if exp, ok = scanExponent(rest[1:]); !ok {
			return longDouble{}, false
		}
	}
	digits = trimLeadingZeros(digits)
	if len(digits) == 0 {
		return longDouble{}, true
	}
	exp -= int64(frac)
	// The value lies in [10^(n+exp-1), 10^(n+exp)); the long double range
	// is about 3.6e-4951 (smallest subnormal) to 1.19e4932.
	if mag := int64(len(digits)) + exp; mag > 4934 {
		return longDouble{}, false
	} else if mag < -4960 {
		return longDouble{}, false
	}
	num, _ := new(big.Int).SetString(string(digits), 10)
	r := new(big.Rat)
	if exp >= 0 {
		num.Mul(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(exp), nil))
		r.SetInt(num)
	} else {
		r.SetFrac(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(-exp), nil))
	}
	return roundLD(r)
}

func parseHexLD(b []byte) (longDouble, bool) {
	digits, frac, rest, ok := scanMantissa(b, true)
	if !ok {
		return longDouble{}, false
	}
	var exp int64
	if len(rest) > 0 {
		if rest[0] != 'p' && rest[0] != 'P' {
			return longDouble{}, false
		}
		if exp, ok = scanExponent(rest[1:]); !ok {
			return longDouble{}, false
		}
	}
	digits = trimLeadingZeros(digits)
	if len(digits) == 0 {
		return longDouble{}, true
	}
	num, _ := new(big.Int).SetString(string(digits), 16)
	exp -= 4 * int64(frac)
	// The value lies in [2^(bits+exp-1), 2^(bits+exp)).
	if mag := int64(num.BitLen()) + exp; mag > ldMaxExp {
		return longDouble{}, false
	} else if mag < -ldSubnormalBits-2 {
		return longDouble{}, false
	}
	r := new(big.Rat)
	if exp >= 0 {
		r.SetInt(num.Lsh(num, uint(exp)))
	} else {
		r.SetFrac(num, new(big.Int).Lsh(big.NewInt(1), uint(-exp)))
	}
	return roundLD(r)
}

// roundLD rounds the exact positive value r to the nearest long double,
// ties to even, refusing overflow and underflow to zero as strtold's
// ERANGE makes Redis do.
func roundLD(r *big.Rat) (longDouble, bool) {
	f := newLD().SetRat(r)
	e := f.MantExp(nil)
	if e > ldMaxExp {
		return longDouble{}, false
	}
	if e < ldMinNormalExp {
		// Below the normal range the spacing is fixed, so round r to a
		// whole number of the smallest subnormal. (Rounding at 64 bits
		// first could round twice.)
		scaled := new(big.Int).Lsh(r.Num(), ldSubnormalBits)
		q, rem := new(big.Int).QuoRem(scaled, r.Denom(), new(big.Int))
		switch rem.Lsh(rem, 1).Cmp(r.Denom()) {
		case 1:
			q.Add(q, big.NewInt(1))
		case 0:
			if q.Bit(0) == 1 {
				q.Add(q, big.NewInt(1))
			}
		}
		if q.Sign() == 0 {
			return longDouble{}, false
		}
		f = newLD().SetInt(q)
		f.SetMantExp(f, -ldSubnormalBits)
	}
	return longDouble{v: f}, true
}

// add returns x+y rounded to a long double, or false when the sum is
// infinite or NaN. Operands are multiples of the smallest subnormal, so a
// sum below the normal range is exact and needs no special rounding.
func (x longDouble) add(y longDouble) (longDouble, bool) {
	a, b := x.val(), y.val()
	if a.IsInf() || b.IsInf() {
		return longDouble{}, false
	}
	s := newLD().Add(a, b)
	if s.Sign() != 0 && s.MantExp(nil) > ldMaxExp {
		return longDouble{}, false
	}
	return longDouble{v: s}, true
}

// format renders x as Redis stores an INCRBYFLOAT result: fixed point with
// 17 fraction digits (exact value, ties to even), trailing zeros and a
// bare point removed, and negative zero shown as 0.
func (x longDouble) format() []byte {
	b := x.val().Append(nil, 'f', 17)
	for len(b) > 0 && b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if len(b) == 2 && b[0] == '-' && b[1] == '0' {
		b = b[1:]
	}
	return b
}
