package resp

import "math/bits"

// twoDigits holds "00" to "99", for writing decimals two digits at a time.
const twoDigits = "0001020304050607080910111213141516171819" +
	"2021222324252627282930313233343536373839" +
	"4041424344454647484950515253545556575859" +
	"6061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendDecimal appends n in decimal, as strconv.AppendInt(b, n, 10)
// does, but writes the digits in place: integer replies are the most
// common replies, and strconv formats into a buffer of its own and then
// copies.
func appendDecimal(b []byte, n int64) []byte {
	u := uint64(n)
	if n < 0 {
		b = append(b, '-')
		u = -u
	}
	if u < 10 {
		return append(b, byte('0'+u))
	}
	w := decimalWidth(u)
	l := len(b)
	if cap(b)-l < w {
		b = append(b, make([]byte, w)...)
	} else {
		b = b[:l+w]
	}
	d := b[l : l+w]
	i := w
	for u >= 100 {
		q := u / 100
		r := u - q*100
		i -= 2
		d[i], d[i+1] = twoDigits[2*r], twoDigits[2*r+1]
		u = q
	}
	if u >= 10 {
		d[0], d[1] = twoDigits[2*u], twoDigits[2*u+1]
	} else {
		d[0] = byte('0' + u)
	}
	return b
}

// decimalWidth is how many decimal digits u > 0 has.
func decimalWidth(u uint64) int {
	// log10(2) ~ 1233/4096: an estimate that is exact or one short.
	w := (bits.Len64(u) * 1233) >> 12
	if w < len(powersOf10) && u >= powersOf10[w] {
		w++
	}
	return w
}

// powersOf10[i] is 10^i, up to the largest a uint64 holds.
var powersOf10 = [...]uint64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}
