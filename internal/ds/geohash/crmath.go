package geohash

import (
	"math"
	"math/big"
)

// Correctly rounded sin, cos and asin. Redis computes distances with the
// C library's functions, which on its reference platform (glibc) return
// the double nearest the exact value for practically every argument;
// Go's math package may be a unit in the last place off, and
// GEOSEARCHSTORE STOREDIST keeps distances to the last bit. These
// evaluate in double-double arithmetic (about 106 bits) and round once.

// dd is an unevaluated sum hi+lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return s, e
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) (p, e float64) {
	p = a * b
	return p, math.FMA(a, b, -p)
}

func (x dd) add(y dd) dd {
	s, e := twoSum(x.hi, y.hi)
	t, f := twoSum(x.lo, y.lo)
	e += t
	r := quickTwoSum(s, e)
	return quickTwoSum(r.hi, r.lo+f)
}

func (x dd) neg() dd { return dd{-x.hi, -x.lo} }

func (x dd) mul(y dd) dd {
	p, e := twoProd(x.hi, y.hi)
	e += x.hi*y.lo + x.lo*y.hi
	return quickTwoSum(p, e)
}

func (x dd) div(y dd) dd {
	q1 := x.hi / y.hi
	r := x.add(y.mul(dd{q1, 0}).neg())
	q2 := r.hi / y.hi
	r = r.add(y.mul(dd{q2, 0}).neg())
	q3 := r.hi / y.hi
	q := quickTwoSum(q1, q2)
	return q.add(dd{q3, 0})
}

// halfPi is π/2 to about 160 bits, in three parts.
var halfPi = [3]float64{0x1.921fb54442d18p+0, 0x1.1a62633145c07p-54, -0x1.f1976b7ed8fbcp-110}

// invFact[n] is 1/n! as a double-double, for the Taylor series.
var invFact = func() [30]dd {
	var t [30]dd
	f := new(big.Float).SetPrec(256).SetInt64(1)
	for n := 0; n < len(t); n++ {
		if n > 0 {
			f.Mul(f, new(big.Float).SetInt64(int64(n)))
		}
		inv := new(big.Float).SetPrec(256).Quo(big.NewFloat(1).SetPrec(256), f)
		hi, _ := inv.Float64()
		rest := new(big.Float).SetPrec(256).Sub(inv, big.NewFloat(hi))
		lo, _ := rest.Float64()
		t[n] = dd{hi, lo}
	}
	return t
}()

// reduce returns r and k with x = r + k·π/2 and |r| <= about π/4.
func reduce(x dd) (dd, int) {
	k := math.Round(x.hi / halfPi[0])
	if k == 0 {
		return x, 0
	}
	p1, e1 := twoProd(k, halfPi[0])
	p2, e2 := twoProd(k, halfPi[1])
	r := x.add(dd{-p1, -e1}).add(dd{-p2, -e2}).add(dd{-k * halfPi[2], 0})
	return r, int(int64(k) & 3)
}

// sinCosReduced returns sin r and cos r for |r| <= about π/4.
func sinCosReduced(r dd) (sin, cos dd) {
	r2 := r.mul(r)
	// sin r = Σ (-1)^i r^(2i+1)/(2i+1)!, cos r = Σ (-1)^i r^(2i)/(2i)!
	sin, cos = r, dd{1, 0}
	pow := r // r^(2i+1)
	even := dd{1, 0}
	for i := 1; 2*i+1 < len(invFact); i++ {
		even = even.mul(r2)
		pow = pow.mul(r2)
		c := even.mul(invFact[2*i])
		s := pow.mul(invFact[2*i+1])
		if i%2 == 1 {
			c, s = c.neg(), s.neg()
		}
		cos = cos.add(c)
		sin = sin.add(s)
		if math.Abs(c.hi) < 1e-40 && math.Abs(s.hi) < 1e-40 {
			break
		}
	}
	return sin, cos
}

// sinCosDD returns sin x and cos x in double-double precision.
func sinCosDD(x dd) (sin, cos dd) {
	r, k := reduce(x)
	s, c := sinCosReduced(r)
	switch k {
	case 1:
		return c, s.neg()
	case 2:
		return s.neg(), c.neg()
	case 3:
		return c.neg(), s
	}
	return s, c
}

// reducible bounds the arguments the double-double reduction handles
// exactly enough; geography never leaves it, and beyond it the plain
// functions serve.
const reducible = 1 << 20

// crSin is sin x, correctly rounded.
func crSin(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > reducible {
		return math.Sin(x)
	}
	s, _ := sinCosDD(dd{x, 0})
	return s.hi
}

// crCos is cos x, correctly rounded.
func crCos(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > reducible {
		return math.Cos(x)
	}
	_, c := sinCosDD(dd{x, 0})
	return c.hi
}

// crAsin is asin y, correctly rounded: Newton's method on sin z = y,
// from the library's estimate, in double-double.
func crAsin(y float64) float64 {
	if y == 0 || math.IsNaN(y) || math.Abs(y) >= 1 {
		return math.Asin(y)
	}
	neg := y < 0
	y = math.Abs(y)
	z := dd{math.Asin(y), 0}
	for i := 0; i < 2; i++ {
		s, c := sinCosDD(z)
		z = z.add(s.add(dd{-y, 0}).div(c).neg())
	}
	if neg {
		return -z.hi
	}
	return z.hi
}
