package config

import (
	"math"
	"strconv"
	"strings"

	"github.com/respd/respd/internal/resp"
)

// parseLL is Redis's strict integer syntax (no sign '+', no leading
// zeros or spaces), used for integer directives.
func parseLL(s string) (int64, bool) { return resp.ParseInt([]byte(s)) }

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// memToULL parses a memory value as redis.conf does: decimal digits and
// an optional unit (b, k, kb, m, mb, g, gb, any case; k is 1000, kb is
// 1024). Digits that overflow saturate and the unit multiplication wraps,
// as in Redis; an empty number counts as zero.
func memToULL(s string) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	var mul uint64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i >= 128 {
		return 0, false
	}
	var v uint64
	for _, c := range []byte(s[:i]) {
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			v = math.MaxUint64
			break
		}
		v = v*10 + d
	}
	return v * mul, true
}

// ParseMemory parses a memory value with an optional unit suffix
// (b, k, kb, m, mb, g, gb; k = 1000, kb = 1024), as redis.conf does.
func ParseMemory(s string) (int64, error) {
	v, ok := memToULL(s)
	if !ok {
		return 0, strconv.ErrSyntax
	}
	return int64(v), nil
}

// cStrtoll is C's strtoll: optional leading white space and sign, then
// digits in base; out-of-range values saturate. ok reports what Redis
// checks with "*endptr == '\0'": the whole string was used, which is
// also true of the empty string (no digits, nothing left).
func cStrtoll(s string, base int) (int64, bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	over := false
	for i < len(s) {
		d, okd := hexVal(s[i])
		if !okd || int(d) >= base {
			break
		}
		if v > (math.MaxUint64-uint64(d))/uint64(base) {
			over = true
		} else {
			v = v*uint64(base) + uint64(d)
		}
		i++
	}
	if i == start {
		// No conversion: the end pointer stays at the start.
		return 0, s == ""
	}
	var n int64
	switch {
	case neg && (over || v > 1<<63):
		n = math.MinInt64
	case neg:
		n = -int64(v)
	case over || v > math.MaxInt64:
		n = math.MaxInt64
	default:
		n = int64(v)
	}
	return n, i == len(s)
}

// parseDouble is Redis's string2d: a C strtod number using the whole
// string, not empty, no leading space, not NaN, not out of range.
func parseDouble(s string) (float64, bool) {
	if s == "" || isCSpace(s[0]) || strings.ContainsRune(s, '_') {
		return 0, false
	}
	t := s
	body := strings.TrimLeft(t, "+-")
	if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') && !strings.ContainsAny(body, "pP") {
		// strtod takes hex without a binary exponent; Go wants one.
		t += "p0"
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	if f == 0 && hasNonZeroMantissa(body) {
		// Underflow to zero is a range error for strtod.
		return 0, false
	}
	return f, true
}

// hasNonZeroMantissa reports whether a decimal or hex number has a
// non-zero digit before its exponent.
func hasNonZeroMantissa(s string) bool {
	hex := len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
	if hex {
		s = s[2:]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !hex && (c == 'e' || c == 'E') || hex && (c == 'p' || c == 'P') {
			return false
		}
		if c != '0' && c != '.' {
			return true
		}
	}
	return false
}

// formatPercentile prints a float as C's "%f" with trailing zeros (and a
// bare point) removed.
func formatPercentile(f float64) string {
	s := strconv.FormatFloat(f, 'f', 6, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
