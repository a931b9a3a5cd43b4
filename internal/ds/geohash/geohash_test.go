package geohash

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

// The expected values below are redis-server 7.0.15's replies for the
// GEO documentation's example points.
const (
	palermoScore = 3479099956230698
	cataniaScore = 3479447370796909
)

func TestEncodeDecodeKnownPoints(t *testing.T) {
	h, ok := EncodeWGS84(13.361389, 38.115556)
	if !ok || h.Bits != palermoScore {
		t.Fatalf("Palermo encodes to %d (%v), want %d", h.Bits, ok, palermoScore)
	}
	h, _ = EncodeWGS84(15.087269, 37.502669)
	if h.Bits != cataniaScore {
		t.Fatalf("Catania encodes to %d, want %d", h.Bits, cataniaScore)
	}
	lon, lat := DecodeScore(palermoScore)
	if got := strconv.FormatFloat(lon, 'f', 17, 64); got != "13.36138933897018433" {
		t.Errorf("Palermo longitude %s", got)
	}
	if got := strconv.FormatFloat(lat, 'f', 17, 64); got != "38.11555639549629859" {
		t.Errorf("Palermo latitude %s", got)
	}
	if s := String(palermoScore); s != "sqc8b49rny0" {
		t.Errorf("Palermo geohash %s", s)
	}
	if s := String(cataniaScore); s != "sqdtr74hyu0" {
		t.Errorf("Catania geohash %s", s)
	}
	lon2, lat2 := DecodeScore(cataniaScore)
	if d := strconv.FormatFloat(Distance(lon, lat, lon2, lat2), 'f', 4, 64); d != "166274.1516" {
		t.Errorf("Palermo-Catania distance %s m", d)
	}
}

func TestEncodeLimits(t *testing.T) {
	for _, p := range [][2]float64{{180.000001, 0}, {-180.000001, 0}, {0, 85.06}, {0, -85.06}} {
		if _, ok := EncodeWGS84(p[0], p[1]); ok {
			t.Errorf("(%v, %v) encoded", p[0], p[1])
		}
	}
	// The upper edges land one past the grid, as in Redis.
	h, ok := EncodeWGS84(LonMax, LatMax)
	if !ok || h.Bits != 1<<53|1<<52 {
		t.Errorf("north-east corner encodes to %x", h.Bits)
	}
	lon, lat := DecodeScore(float64(h.Bits))
	if lon != LonMax || lat != LatMax {
		t.Errorf("north-east corner decodes to %v, %v", lon, lat)
	}
}

func TestRoundTripStaysInCell(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 10000; i++ {
		lon := r.Float64()*360 - 180
		lat := r.Float64()*2*LatMax - LatMax
		h, ok := EncodeWGS84(lon, lat)
		if !ok {
			t.Fatalf("(%v, %v) did not encode", lon, lat)
		}
		dlon, dlat := DecodeScore(float64(h.Bits))
		if math.Abs(dlon-lon) > 360.0/(1<<26) || math.Abs(dlat-lat) > 2*LatMax/(1<<26) {
			t.Fatalf("(%v, %v) decodes to (%v, %v)", lon, lat, dlon, dlat)
		}
		if again, _ := EncodeWGS84(dlon, dlat); again != h {
			t.Fatalf("the centre of cell %x encodes to %x", h.Bits, again.Bits)
		}
	}
}

func TestNeighborsWrap(t *testing.T) {
	h := Hash{Bits: interleave(0, 0), Step: 3}
	n := NeighborsOf(h)
	lat, lon := deinterleave(n.West.Bits)
	if lat != 0 || lon != 7 {
		t.Errorf("west of (0,0) is lat %d lon %d", lat, lon)
	}
	lat, lon = deinterleave(n.SouthWest.Bits)
	if lat != 7 || lon != 7 {
		t.Errorf("south-west of (0,0) is lat %d lon %d", lat, lon)
	}
	lat, lon = deinterleave(n.NorthEast.Bits)
	if lat != 1 || lon != 1 {
		t.Errorf("north-east of (0,0) is lat %d lon %d", lat, lon)
	}
}

func TestScoreBits(t *testing.T) {
	cases := []struct {
		score float64
		want  uint64
	}{
		{5, 5},
		{5.9, 5},
		{-5, math.MaxUint64 - 4},
		{1 << 63, 1 << 63},
		{1e19, 10000000000000000000},
		{1e20, 0},
		{math.Inf(1), 0},
		{-1e30, 1 << 63},
		{math.Inf(-1), 1 << 63},
	}
	for _, tc := range cases {
		if got := ScoreBits(tc.score); got != tc.want {
			t.Errorf("ScoreBits(%v) = %d, want %d", tc.score, got, tc.want)
		}
	}
}

func TestEstimateSteps(t *testing.T) {
	if s := estimateSteps(0, 0); s != StepMax {
		t.Errorf("radius 0: %d", s)
	}
	if s := estimateSteps(1e9, 0); s != 1 {
		t.Errorf("huge radius: %d", s)
	}
	a, b, c := estimateSteps(1000, 10), estimateSteps(1000, 70), estimateSteps(1000, -85)
	if b != a-1 || c != a-2 {
		t.Errorf("steps towards the poles: %d %d %d", a, b, c)
	}
}

// bigSinCos evaluates sin and cos of x by Taylor series at 400 bits.
func bigSinCos(x *big.Float) (sin, cos *big.Float) {
	const prec = 400
	x2 := new(big.Float).SetPrec(prec).Mul(x, x)
	sin = new(big.Float).SetPrec(prec).Set(x)
	cos = new(big.Float).SetPrec(prec).SetInt64(1)
	ts := new(big.Float).SetPrec(prec).Set(x)
	tc := new(big.Float).SetPrec(prec).SetInt64(1)
	for n := int64(1); n < 120; n++ {
		ts.Mul(ts, x2).Quo(ts, big.NewFloat(float64((2*n)*(2*n+1)))).Neg(ts)
		tc.Mul(tc, x2).Quo(tc, big.NewFloat(float64((2*n-1)*(2*n)))).Neg(tc)
		sin.Add(sin, ts)
		cos.Add(cos, tc)
	}
	return sin, cos
}

func TestCorrectlyRoundedTrig(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 1000; i++ {
		x := (r.Float64()*2 - 1) * math.Pi
		if i%3 == 0 {
			x *= 1e-3
		}
		s, c := bigSinCos(new(big.Float).SetPrec(400).SetFloat64(x))
		ws, _ := s.Float64()
		wc, _ := c.Float64()
		if got := crSin(x); got != ws {
			t.Fatalf("crSin(%x) = %x, want %x", x, got, ws)
		}
		if got := crCos(x); got != wc {
			t.Fatalf("crCos(%x) = %x, want %x", x, got, wc)
		}
		// asin y is correctly rounded when y lies between the sines of
		// the midpoints to its neighbours.
		y := r.Float64()
		if i%3 == 1 {
			y = math.Sqrt(y)
		}
		z := crAsin(y)
		mid := func(a, b float64) *big.Float {
			m := new(big.Float).SetPrec(400).SetFloat64(a)
			m.Add(m, big.NewFloat(b))
			return m.Quo(m, big.NewFloat(2))
		}
		slo, _ := bigSinCos(mid(z, math.Nextafter(z, 0)))
		shi, _ := bigSinCos(mid(z, math.Nextafter(z, 2)))
		yb := new(big.Float).SetPrec(400).SetFloat64(y)
		if slo.Cmp(yb) > 0 || shi.Cmp(yb) < 0 {
			t.Fatalf("crAsin(%x) = %x is not the nearest double", y, z)
		}
	}
}
