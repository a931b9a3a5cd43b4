package command

import (
	"errors"
	"math"
	"strconv"

	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/resp"
)

// Reading scores and ranges the way Redis 7.0 does. Scores go through
// string2d (the whole argument must be a number C's strtod reads, with no
// leading space, no NaN and no overflow), but ZRANGEBYSCORE-style bounds
// go through strtod alone: leading space is skipped, the empty string is
// 0, out-of-range values become ±inf or 0, and the number may be followed
// by a NUL byte and anything after it, since C sees the end there.

// Errors of range arguments, with Redis's texts.
var (
	ErrMinMaxNotFloat = resp.Error("ERR min or max is not a float")
	ErrMinMaxNotLex   = resp.Error("ERR min or max not valid string range item")
)

func isCSpace(ch byte) bool {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r'
}

func isDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

func isHexDigit(ch byte) bool {
	return isDigit(ch) || (ch|0x20) >= 'a' && (ch|0x20) <= 'f'
}

// hasPrefixFold reports whether b starts with the lower-case ASCII word p,
// ignoring case.
func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && EqualFold(b[:len(p)], p)
}

// strtod reads the longest prefix of b that C's strtod reads and returns
// its value and length (0 when nothing is a number, as strtod leaves its
// end pointer at the start then). erange is strtod's ERANGE for a value
// that overflowed to ±inf or underflowed to 0.
func strtod(b []byte) (f float64, n int, erange bool) {
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	start := i
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	rest := b[i:]
	sign := 1.0
	if neg {
		sign = -1
	}
	switch {
	case hasPrefixFold(rest, "infinity"):
		return math.Inf(int(sign)), i + 8, false
	case hasPrefixFold(rest, "inf"):
		return math.Inf(int(sign)), i + 3, false
	case hasPrefixFold(rest, "nan"):
		n = i + 3
		if n < len(b) && b[n] == '(' {
			j := n + 1
			for j < len(b) && (isDigit(b[j]) || (b[j]|0x20) >= 'a' && (b[j]|0x20) <= 'z' || b[j] == '_') {
				j++
			}
			if j < len(b) && b[j] == ')' {
				n = j + 1
			}
		}
		return math.NaN(), n, false
	}
	hex := len(rest) >= 2 && rest[0] == '0' && (rest[1]|0x20) == 'x'
	digit, expChar := isDigit, byte('e')
	j := i
	if hex {
		digit, expChar = isHexDigit, 'p'
		j += 2
	}
	mantissa := j
	digits := 0
	for j < len(b) && digit(b[j]) {
		j++
		digits++
	}
	if j < len(b) && b[j] == '.' {
		j++
		for j < len(b) && digit(b[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		if hex {
			// "0x" with no digits: strtod reads the 0 alone.
			return math.Copysign(0, sign), i + 1, false
		}
		return 0, 0, false
	}
	nonZero := false
	for _, ch := range b[mantissa:j] {
		if ch != '0' && ch != '.' {
			nonZero = true
			break
		}
	}
	hasExp := false
	if j < len(b) && (b[j]|0x20) == expChar {
		k := j + 1
		if k < len(b) && (b[k] == '+' || b[k] == '-') {
			k++
		}
		if k < len(b) && isDigit(b[k]) {
			for k < len(b) && isDigit(b[k]) {
				k++
			}
			j = k
			hasExp = true
		}
	}
	tok := string(b[start:j])
	if hex && !hasExp {
		tok += "p0" // Go wants a binary exponent on hex floats
	}
	f, err := strconv.ParseFloat(tok, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, 0, false // cannot happen for the text scanned above
	}
	return f, j, math.IsInf(f, 0) || (f == 0 && nonZero)
}

// parseScore reads a float argument as Redis's string2d does.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	if v, ok := shortDigits(b); ok {
		// The common score: digits alone, exact in a float64.
		return float64(v), true
	}
	f, n, erange := strtod(b)
	if n != len(b) || math.IsNaN(f) || erange {
		return 0, false
	}
	return f, true
}

// shortDigits reads b when it is 1 to 15 decimal digits and nothing
// else, a value a float64 holds exactly.
func shortDigits(b []byte) (int64, bool) {
	if len(b) > 15 {
		return 0, false
	}
	var v int64
	for _, ch := range b {
		if !isDigit(ch) {
			return 0, false
		}
		v = v*10 + int64(ch-'0')
	}
	return v, true
}

// cEnd reports whether n is where C would see b end: its length, or a NUL.
func cEnd(b []byte, n int) bool { return n == len(b) || b[n] == 0 }

// scoreRange is a ZRANGEBYSCORE-style interval.
type scoreRange struct {
	min, max     float64
	minex, maxex bool
}

func parseScoreBound(b []byte) (f float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		ex = true
		b = b[1:]
	}
	f, n, _ := strtod(b)
	return f, ex, cEnd(b, n) && !math.IsNaN(f)
}

// parseScoreRange reads min and max, replying with Redis's error when
// either is not a number.
func parseScoreRange(c *Ctx, minArg, maxArg []byte) (scoreRange, bool) {
	var r scoreRange
	var ok1, ok2 bool
	r.min, r.minex, ok1 = parseScoreBound(minArg)
	r.max, r.maxex, ok2 = parseScoreBound(maxArg)
	if !ok1 || !ok2 {
		c.Error(ErrMinMaxNotFloat)
		return r, false
	}
	return r, true
}

func (r *scoreRange) gteMin(v float64) bool {
	if r.minex {
		return v > r.min
	}
	return v >= r.min
}

func (r *scoreRange) lteMax(v float64) bool {
	if r.maxex {
		return v < r.max
	}
	return v <= r.max
}

// bounds returns the ranks lo..hi of the entries in r (lo > hi when
// none): scores are ordered, so both ends are found by descent.
func (r *scoreRange) bounds(z *zset.ZSet) (lo, hi int) {
	if r.min > r.max || (r.min == r.max && (r.minex || r.maxex)) {
		return 0, -1
	}
	lo = z.CountBefore(func(e zset.Entry) bool { return !r.gteMin(e.Score) })
	hi = z.CountBefore(func(e zset.Entry) bool { return r.lteMax(e.Score) }) - 1
	return lo, hi
}

// lexBound is one end of a ZRANGEBYLEX-style interval: a string, or the
// '-' and '+' that sort before and after every string.
type lexBound struct {
	s []byte
	// inf is -1 for '-', +1 for '+', 0 for a string.
	inf int
	ex  bool
}

// cmpMember compares member m with the bound: negative when m sorts
// before it, 0 when equal, positive after.
func (b *lexBound) cmpMember(m string) int {
	switch b.inf {
	case -1:
		return 1
	case 1:
		return -1
	}
	switch {
	case m < string(b.s):
		return -1
	case m > string(b.s):
		return 1
	}
	return 0
}

// cmpBounds compares two bounds; the same infinity equals itself.
func cmpBounds(a, b *lexBound) int {
	switch {
	case a.inf == b.inf && a.inf != 0:
		return 0
	case a.inf == -1 || b.inf == 1:
		return -1
	case a.inf == 1 || b.inf == -1:
		return 1
	}
	switch {
	case string(a.s) < string(b.s):
		return -1
	case string(a.s) > string(b.s):
		return 1
	}
	return 0
}

func parseLexBound(b []byte) (lexBound, bool) {
	if len(b) == 0 {
		return lexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		// C compares the next byte with the terminator, so a NUL there
		// ends the item too.
		if len(b) > 1 && b[1] != 0 {
			return lexBound{}, false
		}
		inf := 1
		if b[0] == '-' {
			inf = -1
		}
		return lexBound{inf: inf, ex: true}, true
	case '(':
		return lexBound{s: b[1:], ex: true}, true
	case '[':
		return lexBound{s: b[1:]}, true
	}
	return lexBound{}, false
}

// lexRange is a ZRANGEBYLEX-style interval.
type lexRange struct{ min, max lexBound }

func parseLexRange(c *Ctx, minArg, maxArg []byte) (lexRange, bool) {
	min, ok1 := parseLexBound(minArg)
	max, ok2 := parseLexBound(maxArg)
	if !ok1 || !ok2 {
		c.Error(ErrMinMaxNotLex)
		return lexRange{}, false
	}
	return lexRange{min, max}, true
}

func (r *lexRange) gteMin(m string) bool {
	cmp := r.min.cmpMember(m)
	if r.min.ex {
		return cmp > 0
	}
	return cmp >= 0
}

func (r *lexRange) lteMax(m string) bool {
	cmp := r.max.cmpMember(m)
	if r.max.ex {
		return cmp < 0
	}
	return cmp <= 0
}

// mayMatch is Redis's quick test before a lex search: the interval is not
// empty, the last member is not below it and the first not above it.
func (r *lexRange) mayMatch(z *zset.ZSet) bool {
	cmp := cmpBounds(&r.min, &r.max)
	if cmp > 0 || (cmp == 0 && (r.min.ex || r.max.ex)) || z.Len() == 0 {
		return false
	}
	return r.gteMin(z.At(z.Len()-1).Member) && r.lteMax(z.At(0).Member)
}

// first returns the rank of the first member in r, or -1. Members are
// ordered by score first, so the search assumes equal scores as Redis
// does; a small set is searched from the front, one by one, as Redis
// walks its listpack, so mixed scores give Redis's answer there too.
func (r *lexRange) first(z *zset.ZSet) int {
	if !r.mayMatch(z) {
		return -1
	}
	i := 0
	if z.Listpack() {
		i = z.Len()
		n := 0
		z.Ascend(0, func(e zset.Entry) bool {
			if r.gteMin(e.Member) {
				i = n
				return false
			}
			n++
			return true
		})
	} else {
		i = z.CountBefore(func(e zset.Entry) bool { return !r.gteMin(e.Member) })
	}
	if i >= z.Len() || !r.lteMax(z.At(i).Member) {
		return -1
	}
	return i
}

// last returns the rank of the last member in r, or -1 (see first).
func (r *lexRange) last(z *zset.ZSet) int {
	if !r.mayMatch(z) {
		return -1
	}
	i := -1
	if z.Listpack() {
		n := z.Len() - 1
		z.Descend(n, func(e zset.Entry) bool {
			if r.lteMax(e.Member) {
				i = n
				return false
			}
			n--
			return true
		})
	} else {
		i = z.CountBefore(func(e zset.Entry) bool { return r.lteMax(e.Member) }) - 1
	}
	if i < 0 || !r.gteMin(z.At(i).Member) {
		return -1
	}
	return i
}
