// Package geohash is the arithmetic behind Redis's GEO commands: points
// are stored as sorted-set scores holding a 52-bit geohash (26 bits of
// longitude and 26 of latitude, interleaved), distances are great-circle
// distances on a sphere, and a radius or box search scans the score
// ranges of the geohash cell around the centre and its eight neighbours.
//
// The formulas follow the published geohash and haversine descriptions,
// evaluated in the same order and precision as Redis 7.0 evaluates them,
// so that stored scores and decoded coordinates agree with it to the last
// bit (GEOADD data must read back byte for byte), and distances do too
// wherever the C library's trigonometry is correctly rounded (see
// crmath.go).
package geohash

import "math"

// The index's limits. Latitudes stop where the Web Mercator projection
// does, as in Redis (EPSG:3857).
const (
	LonMin = -180.0
	LonMax = 180.0
	LatMin = -85.05112878
	LatMax = 85.05112878
	// StepMax is the bits per coordinate in a stored score.
	StepMax = 26
	// EarthRadius is the sphere radius Redis measures distances on, in
	// meters.
	EarthRadius = 6372797.560856
	// mercatorMax is half the Mercator world width in meters, the
	// largest radius a one-bit cell can be asked to cover.
	mercatorMax = 20037726.37
)

// degToRad is a double, not a constant expression, so that each
// conversion rounds as the C code's multiplication by M_PI/180 does.
var degToRad = math.Pi / 180.0

func rad(deg float64) float64 { return deg * degToRad }
func deg(rad float64) float64 { return rad / degToRad }

// Range is an interval of one coordinate.
type Range struct{ Min, Max float64 }

// The coordinate ranges: stored scores use the Mercator latitude limits,
// GEOHASH strings the standard ±90.
var (
	LonRange    = Range{LonMin, LonMax}
	LatRange    = Range{LatMin, LatMax}
	StdLatRange = Range{-90, 90}
)

// Hash is a geohash of Step bits per coordinate; the zero Hash (no bits,
// step 0) means "no cell".
type Hash struct {
	Bits uint64
	Step uint8
}

// IsZero reports whether h is the "no cell" value.
func (h Hash) IsZero() bool { return h.Bits == 0 && h.Step == 0 }

// Area is a cell's extent.
type Area struct {
	Hash     Hash
	Lon, Lat Range
}

// spread moves the 32 bits of v to the even bit positions of the result.
func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// squash gathers the even bits of x into 32 bits (spread's inverse).
func squash(x uint64) uint32 {
	x &= 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	return uint32(x)
}

// interleave puts latitude bits at even positions and longitude bits at
// odd ones, so longitude leads each pair.
func interleave(lat, lon uint32) uint64 { return spread(lat) | spread(lon)<<1 }

func deinterleave(bits uint64) (lat, lon uint32) { return squash(bits), squash(bits >> 1) }

// Encode returns the cell of step bits per coordinate holding (lon, lat)
// within the given ranges; false when the point is outside them or the
// index's limits.
func Encode(lonR, latR Range, lon, lat float64, step uint8) (Hash, bool) {
	if step == 0 || step > 32 || lonR.Max == lonR.Min || latR.Max == latR.Min {
		return Hash{}, false
	}
	if lon > LonMax || lon < LonMin || lat > LatMax || lat < LatMin {
		return Hash{}, false
	}
	if lat < latR.Min || lat > latR.Max || lon < lonR.Min || lon > lonR.Max {
		return Hash{Step: step}, false
	}
	latOff := (lat - latR.Min) / (latR.Max - latR.Min)
	lonOff := (lon - lonR.Min) / (lonR.Max - lonR.Min)
	scale := float64(uint64(1) << step)
	latOff *= scale
	lonOff *= scale
	// A point on the upper edge lands on 2^step, whose bit the
	// interleaving then carries above the cell's bits, as in Redis.
	return Hash{Bits: interleave(uint32(latOff), uint32(lonOff)), Step: step}, true
}

// EncodeWGS84 is Encode at full precision over the index's ranges: the
// score GEOADD stores.
func EncodeWGS84(lon, lat float64) (Hash, bool) {
	return Encode(LonRange, LatRange, lon, lat, StepMax)
}

// Decode returns the extent of cell h.
func Decode(lonR, latR Range, h Hash) (Area, bool) {
	if h.IsZero() || lonR.Max == lonR.Min || latR.Max == latR.Min {
		return Area{}, false
	}
	ilat, ilon := deinterleave(h.Bits)
	latScale := latR.Max - latR.Min
	lonScale := lonR.Max - lonR.Min
	div := float64(uint64(1) << h.Step)
	a := Area{Hash: h}
	a.Lat.Min = latR.Min + (float64(ilat)*1.0/div)*latScale
	// The +1 is 32-bit arithmetic in Redis, wrapping for the all-ones
	// cell that only odd scores can name.
	a.Lat.Max = latR.Min + (float64(ilat+1)*1.0/div)*latScale
	a.Lon.Min = lonR.Min + (float64(ilon)*1.0/div)*lonScale
	a.Lon.Max = lonR.Min + (float64(ilon+1)*1.0/div)*lonScale
	return a, true
}

// Center returns the middle of a, kept within the index's limits.
func (a Area) Center() (lon, lat float64) {
	lon = (a.Lon.Min + a.Lon.Max) / 2
	lon = min(max(lon, LonMin), LonMax)
	lat = (a.Lat.Min + a.Lat.Max) / 2
	lat = min(max(lat, LatMin), LatMax)
	return lon, lat
}

// ScoreBits is the geohash a score holds: its integer part, converted as
// C converts a double to an unsigned 64-bit integer on x86-64 (values out
// of range come out as that code makes them, since any score can be
// asked about).
func ScoreBits(score float64) uint64 {
	const two63 = 1 << 63
	const indefinite = uint64(1) << 63 // what the CPU gives for out of range
	if score >= two63 {
		t := score - two63
		if t >= two63 {
			return indefinite ^ 1<<63
		}
		return uint64(int64(t)) ^ 1<<63
	}
	if score < -two63 || math.IsNaN(score) {
		return indefinite
	}
	return uint64(int64(score))
}

// DecodeScore returns the point a stored score stands for: the centre of
// its full-precision cell.
func DecodeScore(score float64) (lon, lat float64) {
	a, _ := Decode(LonRange, LatRange, Hash{Bits: ScoreBits(score), Step: StepMax})
	return a.Center()
}

// Align52 returns the score at which cell h's range of full-precision
// scores starts.
func Align52(h Hash) uint64 { return h.Bits << (52 - 2*uint(h.Step)) }

const (
	oddBits  = 0xaaaaaaaaaaaaaaaa // longitude positions
	evenBits = 0x5555555555555555 // latitude positions
)

// step moves the coordinate held in the bit positions of mask (oddBits
// for longitude, evenBits for latitude) of cell h by d (±1), in place in
// the interleaved form: the positions in between are filled with ones so
// that a carry or borrow runs through them, and the result is cut to the
// cell's width, wrapping around the grid. The other coordinate's bits are
// kept as they are, even bits above the cell's width that a point on the
// grid's upper edge sets: Redis moves cells the same way, and such cells
// then scan the score ranges Redis scans.
func step(h Hash, mask uint64, d int) Hash {
	moved := h.Bits & mask
	kept := h.Bits &^ mask
	shift := 64 - 2*uint(h.Step)
	fill := ^mask >> shift
	if d > 0 {
		moved += fill + 1
	} else {
		moved = (moved | fill) - (fill + 1)
	}
	moved &= mask >> shift
	return Hash{Bits: moved | kept, Step: h.Step}
}

// move shifts cell h by dlon cells east and dlat cells north.
func move(h Hash, dlon, dlat int) Hash {
	if dlon != 0 {
		h = step(h, oddBits, dlon)
	}
	if dlat != 0 {
		h = step(h, evenBits, dlat)
	}
	return h
}

// Neighbors are the eight cells around one, by compass direction.
type Neighbors struct {
	North, South, East, West                   Hash
	NorthEast, NorthWest, SouthEast, SouthWest Hash
}

// NeighborsOf returns the cells around h.
func NeighborsOf(h Hash) Neighbors {
	return Neighbors{
		North: move(h, 0, 1), South: move(h, 0, -1),
		East: move(h, 1, 0), West: move(h, -1, 0),
		NorthEast: move(h, 1, 1), NorthWest: move(h, -1, 1),
		SouthEast: move(h, 1, -1), SouthWest: move(h, -1, -1),
	}
}

// LatDistance is the distance along a meridian between two latitudes.
func LatDistance(lat1, lat2 float64) float64 {
	return EarthRadius * math.Abs(rad(lat2)-rad(lat1))
}

// Distance is the haversine great-circle distance in meters. Points on
// the same meridian take the cheaper meridian formula, as in Redis 7.0.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r, lon2r := rad(lon1), rad(lon2)
	v := crSin((lon2r - lon1r) / 2)
	if v == 0 {
		return LatDistance(lat1, lat2)
	}
	lat1r, lat2r := rad(lat1), rad(lat2)
	u := crSin((lat2r - lat1r) / 2)
	a := u*u + crCos(lat1r)*crCos(lat2r)*v*v
	return 2.0 * EarthRadius * crAsin(math.Sqrt(a))
}

// Shape is a search area around a centre: a circle of Radius, or (Box) a
// rectangle of Width by Height, in units of Conversion meters.
type Shape struct {
	Lon, Lat              float64
	Box                   bool
	Radius, Width, Height float64
	Conversion            float64
}

// Contains reports whether the point is inside s and its distance from
// the centre in meters.
func (s *Shape) Contains(lon, lat float64) (float64, bool) {
	if !s.Box {
		d := Distance(s.Lon, s.Lat, lon, lat)
		return d, d <= s.Radius*s.Conversion
	}
	w, h := s.Width*s.Conversion, s.Height*s.Conversion
	if LatDistance(lat, s.Lat) > h/2 {
		return 0, false
	}
	if Distance(lon, lat, s.Lon, lat) > w/2 {
		return 0, false
	}
	return Distance(s.Lon, s.Lat, lon, lat), true
}

// boundingBox returns the longitude and latitude extent of s.
func (s *Shape) boundingBox() (minLon, minLat, maxLon, maxLat float64) {
	height, width := s.Conversion*s.Radius, s.Conversion*s.Radius
	if s.Box {
		height, width = s.Conversion*(s.Height/2), s.Conversion*(s.Width/2)
	}
	latDelta := deg(height / EarthRadius)
	lonDeltaTop := deg(width / EarthRadius / crCos(rad(s.Lat+latDelta)))
	lonDeltaBottom := deg(width / EarthRadius / crCos(rad(s.Lat-latDelta)))
	// Towards the pole the shape is wider: take the wider edge.
	if s.Lat < 0 {
		minLon, maxLon = s.Lon-lonDeltaBottom, s.Lon+lonDeltaBottom
	} else {
		minLon, maxLon = s.Lon-lonDeltaTop, s.Lon+lonDeltaTop
	}
	return minLon, s.Lat - latDelta, maxLon, s.Lat + latDelta
}

// estimateSteps is the coarsest precision whose cells are at least as
// large as the search radius, less one or two steps towards the poles.
func estimateSteps(meters, lat float64) uint8 {
	if meters == 0 {
		return StepMax
	}
	step := 1
	for meters < mercatorMax {
		meters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), StepMax))
}

// SearchCells returns the cells whose score ranges a search of s scans,
// in the order Redis scans them: the centre's cell, then north, south,
// east, west, north-east, north-west, south-east and south-west, zero
// Hashes standing for neighbours the shape cannot reach.
func SearchCells(s *Shape) [9]Hash {
	minLon, minLat, maxLon, maxLat := s.boundingBox()
	radius := s.Radius
	if s.Box {
		radius = math.Sqrt((s.Width/2)*(s.Width/2) + (s.Height/2)*(s.Height/2))
	}
	radius *= s.Conversion
	steps := estimateSteps(radius, s.Lat)
	hash, _ := Encode(LonRange, LatRange, s.Lon, s.Lat, steps)
	nb := NeighborsOf(hash)
	area, _ := Decode(LonRange, LatRange, hash)
	// Near a cell's edge the neighbours may not reach far enough: then
	// one step coarser.
	north, _ := Decode(LonRange, LatRange, nb.North)
	south, _ := Decode(LonRange, LatRange, nb.South)
	east, _ := Decode(LonRange, LatRange, nb.East)
	west, _ := Decode(LonRange, LatRange, nb.West)
	if steps > 1 && (north.Lat.Max < maxLat || south.Lat.Min > minLat || east.Lon.Max < maxLon || west.Lon.Min > minLon) {
		steps--
		hash, _ = Encode(LonRange, LatRange, s.Lon, s.Lat, steps)
		nb = NeighborsOf(hash)
		area, _ = Decode(LonRange, LatRange, hash)
	}
	if steps >= 2 {
		if area.Lat.Min < minLat {
			nb.South, nb.SouthWest, nb.SouthEast = Hash{}, Hash{}, Hash{}
		}
		if area.Lat.Max > maxLat {
			nb.North, nb.NorthEast, nb.NorthWest = Hash{}, Hash{}, Hash{}
		}
		if area.Lon.Min < minLon {
			nb.West, nb.SouthWest, nb.NorthWest = Hash{}, Hash{}, Hash{}
		}
		if area.Lon.Max > maxLon {
			nb.East, nb.SouthEast, nb.NorthEast = Hash{}, Hash{}, Hash{}
		}
	}
	return [9]Hash{hash, nb.North, nb.South, nb.East, nb.West, nb.NorthEast, nb.NorthWest, nb.SouthEast, nb.SouthWest}
}

// String returns the standard 11-character geohash of a stored score: the
// point decoded, re-encoded over ±90 latitude, 52 bits in base 32 and a
// final '0' for the bits a score does not have.
func String(score float64) string {
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	lon, lat := DecodeScore(score)
	h, _ := Encode(LonRange, StdLatRange, lon, lat, StepMax)
	var buf [11]byte
	for i := 0; i < 10; i++ {
		buf[i] = alphabet[(h.Bits>>(52-(i+1)*5))&0x1f]
	}
	buf[10] = '0'
	return string(buf[:])
}
