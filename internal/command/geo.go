package command

import (
	"math"
	"sort"
	"strconv"

	"github.com/respd/respd/internal/ds/geohash"
	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/resp"
)

// geoCommands are the GEO commands. Points live in sorted sets, scored by
// their 52-bit geohash (package geohash), so ZRANGE and the other sorted
// set commands read and change them too.
var geoCommands = []*Command{
	{Name: "geoadd", Fn: geoaddCommand, Arity: -5, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatGeo, Group: "geo", Since: "3.2.0", Summary: "Add one or more geospatial items in the geospatial index represented using a sorted set"},
	{Name: "geopos", Fn: geoposCommand, Arity: -2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatGeo, Group: "geo", Since: "3.2.0", Summary: "Returns longitude and latitude of members of a geospatial index"},
	{Name: "geodist", Fn: geodistCommand, Arity: -4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatGeo, Group: "geo", Since: "3.2.0", Summary: "Returns the distance between two members of a geospatial index"},
	{Name: "geohash", Fn: geohashCommand, Arity: -2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatGeo, Group: "geo", Since: "3.2.0", Summary: "Returns members of a geospatial index as standard geohash strings"},
	{Name: "geosearch", Fn: geosearchCommand, Arity: -7, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatGeo, Group: "geo", Since: "6.2.0", Summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle."},
	{Name: "geosearchstore", Fn: geosearchstoreCommand, Arity: -8, Flags: Write | DenyOOM, Keys: keys(1, 2, 1), ACL: CatGeo, Group: "geo", Since: "6.2.0", Summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key."},
	{Name: "georadius", Fn: georadiusCommand, Arity: -6, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatGeo, Group: "geo", Since: "3.2.0", Summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point"},
	{Name: "georadiusbymember", Fn: georadiusbymemberCommand, Arity: -5, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatGeo, Group: "geo", Since: "3.2.0", Summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member"},
	{Name: "georadius_ro", Fn: georadiusROCommand, Arity: -6, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatGeo, Group: "geo", Since: "3.2.10", Summary: "A read-only variant for GEORADIUS"},
	{Name: "georadiusbymember_ro", Fn: georadiusbymemberROCommand, Arity: -5, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatGeo, Group: "geo", Since: "3.2.10", Summary: "A read-only variant for GEORADIUSBYMEMBER"},
}

// Errors of the GEO commands, with Redis's texts.
var (
	ErrGeoUnit          = resp.Error("ERR unsupported unit provided. please use M, KM, FT, MI")
	ErrGeoRadius        = resp.Error("ERR need numeric radius")
	ErrGeoRadiusNeg     = resp.Error("ERR radius cannot be negative")
	ErrGeoWidth         = resp.Error("ERR need numeric width")
	ErrGeoHeight        = resp.Error("ERR need numeric height")
	ErrGeoBoxNeg        = resp.Error("ERR height or width cannot be negative")
	ErrGeoCount         = resp.Error("ERR COUNT must be > 0")
	ErrGeoMember        = resp.Error("ERR could not decode requested zset member")
	ErrGeoAnyNeedsCount = resp.Error("ERR the ANY argument requires COUNT argument")
	ErrGeoStoreSearch   = resp.Error("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
	ErrGeoStoreRadius   = resp.Error("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
)

// appendCFloat formats f as C's "%f".
func appendCFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'f', 6, 64)
}

// appendHumanFloat formats f as Redis's human-friendly long double: the
// exact value to 17 fraction digits, trailing zeros and point removed.
func appendHumanFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', 17, 64)
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if string(b[start:]) == "-0" {
		b = append(b[:start], '0')
	}
	return b
}

// replyHumanFloat writes a coordinate: a bulk string in RESP2, a double
// (in the same text) in RESP3.
func replyHumanFloat(c *Ctx, f float64) {
	var buf [48]byte
	s := appendHumanFloat(buf[:0], f)
	if c.Proto >= 3 {
		c.B = append(c.B, ',')
		c.B = append(c.B, s...)
		c.B = append(c.B, '\r', '\n')
		return
	}
	c.Bulk(s)
}

// replyDistance writes a distance with four decimals, rounded as Redis
// rounds it (the value times 10^4, to the nearest integer, ties to even).
func replyDistance(c *Ctx, d float64) {
	var buf [32]byte
	c.Bulk(appendDistance(buf[:0], d))
}

func appendDistance(b []byte, d float64) []byte {
	if d == 0 {
		return append(b, "0.0000"...)
	}
	v := math.RoundToEven(d * 10000)
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var digits [24]byte
	s := strconv.AppendUint(digits[:0], uint64(v), 10)
	for len(s) < 5 {
		s = append([]byte{'0'}, s...)
	}
	b = append(b, s[:len(s)-4]...)
	b = append(b, '.')
	return append(b, s[len(s)-4:]...)
}

// extractLonLat reads a longitude and latitude, replying with Redis's
// error when they are not numbers or outside the index's limits.
func extractLonLat(c *Ctx, lonArg, latArg []byte) (lon, lat float64, ok bool) {
	if lon, ok = parseScore(lonArg); !ok {
		c.Error(ErrNotFloat)
		return 0, 0, false
	}
	if lat, ok = parseScore(latArg); !ok {
		c.Error(ErrNotFloat)
		return 0, 0, false
	}
	if lon < geohash.LonMin || lon > geohash.LonMax || lat < geohash.LatMin || lat > geohash.LatMax {
		b := []byte("ERR invalid longitude,latitude pair ")
		b = appendCFloat(b, lon)
		b = append(b, ',')
		b = appendCFloat(b, lat)
		c.Errorf(string(b))
		return 0, 0, false
	}
	return lon, lat, true
}

// extractUnit returns meters per unit, or replies with an error.
func extractUnit(c *Ctx, arg []byte) (float64, bool) {
	switch {
	case EqualFold(arg, "m"):
		return 1, true
	case EqualFold(arg, "km"):
		return 1000, true
	case EqualFold(arg, "ft"):
		return 0.3048, true
	case EqualFold(arg, "mi"):
		return 1609.34, true
	}
	c.Error(ErrGeoUnit)
	return 0, false
}

// extractDistance reads radius unit into s.
func extractDistance(c *Ctx, radiusArg, unitArg []byte, s *geohash.Shape) bool {
	r, ok := parseScore(radiusArg)
	if !ok {
		c.Error(ErrGeoRadius)
		return false
	}
	if r < 0 {
		c.Error(ErrGeoRadiusNeg)
		return false
	}
	conv, ok := extractUnit(c, unitArg)
	if !ok {
		return false
	}
	s.Box, s.Radius, s.Conversion = false, r, conv
	return true
}

// extractBox reads width height unit into s.
func extractBox(c *Ctx, args [][]byte, s *geohash.Shape) bool {
	w, ok := parseScore(args[0])
	if !ok {
		c.Error(ErrGeoWidth)
		return false
	}
	h, ok := parseScore(args[1])
	if !ok {
		c.Error(ErrGeoHeight)
		return false
	}
	if h < 0 || w < 0 {
		c.Error(ErrGeoBoxNeg)
		return false
	}
	conv, ok := extractUnit(c, args[2])
	if !ok {
		return false
	}
	s.Box, s.Width, s.Height, s.Conversion = true, w, h, conv
	return true
}

// geoaddCommand is GEOADD key [NX|XX] [CH] lon lat member [...]: the
// points become scores and the command runs as the ZADD it amounts to,
// as Redis does, options and errors included.
func geoaddCommand(c *Ctx) {
	i := 2
	nx, xx := false, false
	for ; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "nx"):
			nx = true
		case c.ArgIs(i, "xx"):
			xx = true
		case c.ArgIs(i, "ch"):
		default:
			goto parsed
		}
	}
parsed:
	if (len(c.Args)-i)%3 != 0 || nx && xx {
		c.Error(ErrSyntax)
		return
	}
	args := make([][]byte, 0, i+2*(len(c.Args)-i)/3)
	args = append(args, []byte("zadd"))
	args = append(args, c.Args[1:i]...)
	for j := i; j < len(c.Args); j += 3 {
		lon, lat, ok := extractLonLat(c, c.Args[j], c.Args[j+1])
		if !ok {
			return
		}
		h, _ := geohash.EncodeWGS84(lon, lat)
		args = append(args, strconv.AppendUint(nil, h.Bits, 10), c.Args[j+2])
	}
	saved := c.Args
	c.Args = args
	zaddGeneric(c, 0)
	c.Args = saved
	// Replicas get the ZADD with the scores computed here.
	c.Rewrite(args...)
}

// geoposCommand is GEOPOS key member [...].
func geoposCommand(c *Ctx) {
	z, ok := readZSet(c, c.Args[1])
	if !ok {
		return
	}
	c.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		var score float64
		found := false
		if z != nil {
			score, found = z.Score(m)
		}
		if !found {
			c.NullArray()
			continue
		}
		lon, lat := geohash.DecodeScore(score)
		c.Array(2)
		replyHumanFloat(c, lon)
		replyHumanFloat(c, lat)
	}
}

// geodistCommand is GEODIST key member1 member2 [unit].
func geodistCommand(c *Ctx) {
	conv := 1.0
	if len(c.Args) == 5 {
		var ok bool
		if conv, ok = extractUnit(c, c.Args[4]); !ok {
			return
		}
	} else if len(c.Args) > 5 {
		c.Error(ErrSyntax)
		return
	}
	z, ok := readZSet(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.Null()
		return
	}
	s1, ok1 := z.Score(c.Args[2])
	s2, ok2 := z.Score(c.Args[3])
	if !ok1 || !ok2 {
		c.Null()
		return
	}
	lon1, lat1 := geohash.DecodeScore(s1)
	lon2, lat2 := geohash.DecodeScore(s2)
	replyDistance(c, geohash.Distance(lon1, lat1, lon2, lat2)/conv)
}

// geohashCommand is GEOHASH key member [...].
func geohashCommand(c *Ctx) {
	z, ok := readZSet(c, c.Args[1])
	if !ok {
		return
	}
	c.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if z != nil {
			if score, ok := z.Score(m); ok {
				c.BulkString(geohash.String(score))
				continue
			}
		}
		c.Null()
	}
}

// How a search was asked for.
const (
	geoByCoords    = 1 << iota // GEORADIUS
	geoByMember                // GEORADIUSBYMEMBER
	geoNoStore                 // the _RO variants
	geoSearch                  // GEOSEARCH
	geoSearchStore             // GEOSEARCHSTORE
)

func georadiusCommand(c *Ctx)           { geoSearchGeneric(c, 1, geoByCoords) }
func georadiusROCommand(c *Ctx)         { geoSearchGeneric(c, 1, geoByCoords|geoNoStore) }
func georadiusbymemberCommand(c *Ctx)   { geoSearchGeneric(c, 1, geoByMember) }
func georadiusbymemberROCommand(c *Ctx) { geoSearchGeneric(c, 1, geoByMember|geoNoStore) }
func geosearchCommand(c *Ctx)           { geoSearchGeneric(c, 1, geoSearch) }
func geosearchstoreCommand(c *Ctx)      { geoSearchGeneric(c, 2, geoSearch|geoSearchStore) }

// geoPoint is one search result.
type geoPoint struct {
	member   string
	dist     float64
	score    float64
	lon, lat float64
}

// memberPosition returns the point of member m.
func memberPosition(z *zset.ZSet, m []byte) (lon, lat float64, ok bool) {
	score, ok := z.Score(m)
	if !ok {
		return 0, 0, false
	}
	lon, lat = geohash.DecodeScore(score)
	return lon, lat, true
}

// geoSearchGeneric serves GEORADIUS, GEORADIUSBYMEMBER (and their _RO
// forms), GEOSEARCH and GEOSEARCHSTORE, reading the source key at
// argument src.
func geoSearchGeneric(c *Ctx, src int, flags int) {
	z, ok := readZSet(c, c.Args[src])
	if !ok {
		return
	}
	var shape geohash.Shape
	var storeKey []byte
	storeDist := false
	base := 0
	switch {
	case flags&geoByCoords != 0:
		base = 6
		if shape.Lon, shape.Lat, ok = extractLonLat(c, c.Args[2], c.Args[3]); !ok {
			return
		}
		if !extractDistance(c, c.Args[4], c.Args[5], &shape) {
			return
		}
	case flags&geoByMember != 0 && z == nil:
		// Nothing to search, but the options are still checked.
		base = 5
	case flags&geoByMember != 0:
		base = 5
		if shape.Lon, shape.Lat, ok = memberPosition(z, c.Args[2]); !ok {
			c.Error(ErrGeoMember)
			return
		}
		if !extractDistance(c, c.Args[3], c.Args[4], &shape) {
			return
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			storeKey = c.Args[1]
		}
	}
	withDist, withHash, withCoord := false, false, false
	fromMember, fromLonLat, byRadius, byBox := false, false, false, false
	sortDir := 0 // 1 ascending, -1 descending
	anyMatch := false
	count := int64(0)
	args := c.Args[base:]
	search := flags&geoSearch != 0
	for i := 0; i < len(args); i++ {
		left := len(args) - i - 1
		switch a := args[i]; {
		case EqualFold(a, "withdist"):
			withDist = true
		case EqualFold(a, "withhash"):
			withHash = true
		case EqualFold(a, "withcoord"):
			withCoord = true
		case EqualFold(a, "any"):
			anyMatch = true
		case EqualFold(a, "asc"):
			sortDir = 1
		case EqualFold(a, "desc"):
			sortDir = -1
		case EqualFold(a, "count") && left >= 1:
			n, ok := resp.ParseInt(args[i+1])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			if n <= 0 {
				c.Error(ErrGeoCount)
				return
			}
			count = n
			i++
		case (EqualFold(a, "store") || EqualFold(a, "storedist")) && left >= 1 && flags&geoNoStore == 0 && !search:
			storeKey = args[i+1]
			storeDist = EqualFold(a, "storedist")
			i++
		case EqualFold(a, "storedist") && search && flags&geoSearchStore != 0:
			storeDist = true
		case EqualFold(a, "frommember") && left >= 1 && search && !fromLonLat:
			if z != nil {
				if shape.Lon, shape.Lat, ok = memberPosition(z, args[i+1]); !ok {
					c.Error(ErrGeoMember)
					return
				}
			}
			fromMember = true
			i++
		case EqualFold(a, "fromlonlat") && left >= 2 && search && !fromMember:
			if shape.Lon, shape.Lat, ok = extractLonLat(c, args[i+1], args[i+2]); !ok {
				return
			}
			fromLonLat = true
			i += 2
		case EqualFold(a, "byradius") && left >= 2 && search && !byBox:
			if !extractDistance(c, args[i+1], args[i+2], &shape) {
				return
			}
			byRadius = true
			i += 2
		case EqualFold(a, "bybox") && left >= 3 && search && !byRadius:
			if !extractBox(c, args[i+1:i+4], &shape) {
				return
			}
			byBox = true
			i += 3
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	switch {
	case storeKey != nil && (withDist || withHash || withCoord):
		if flags&geoSearchStore != 0 {
			c.Error(ErrGeoStoreSearch)
		} else {
			c.Error(ErrGeoStoreRadius)
		}
		return
	case search && !fromMember && !fromLonLat:
		c.Errorf("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + cString(c.Args[0], len(c.Args[0])))
		return
	case search && !byRadius && !byBox:
		c.Errorf("ERR exactly one of BYRADIUS and BYBOX can be specified for " + cString(c.Args[0], len(c.Args[0])))
		return
	case anyMatch && count == 0:
		c.Error(ErrGeoAnyNeedsCount)
		return
	}
	if z == nil {
		if storeKey != nil {
			if c.DB.Delete(storeKey) {
				c.Notify(NotifyGeneric, "del", storeKey)
			}
			c.Int(0)
		} else {
			c.Array(0)
		}
		return
	}
	if count != 0 && sortDir == 0 && !anyMatch {
		sortDir = 1
	}
	limit := 0
	if anyMatch {
		limit = int(min(count, math.MaxInt32))
	}
	points := geoCollect(z, &shape, limit)
	if len(points) == 0 && storeKey == nil {
		c.Array(0)
		return
	}
	switch sortDir {
	case 1:
		sort.SliceStable(points, func(i, j int) bool { return points[i].dist < points[j].dist })
	case -1:
		sort.SliceStable(points, func(i, j int) bool { return points[i].dist > points[j].dist })
	}
	if count != 0 && int64(len(points)) > count {
		points = points[:count]
	}
	for i := range points {
		points[i].dist /= shape.Conversion
	}
	if storeKey != nil {
		entries := make([]zset.Entry, 0, len(points))
		seen := make(map[string]bool, len(points))
		for _, p := range points {
			if seen[p.member] {
				continue
			}
			seen[p.member] = true
			score := p.score
			if storeDist {
				score = p.dist
			}
			entries = append(entries, zset.Entry{Member: p.member, Score: score})
		}
		event := "georadiusstore"
		if EqualFold(c.Args[0][:min(len(c.Args[0]), 9)], "geosearch") {
			event = "geosearchstore"
		}
		storeZSet(c, storeKey, zset.Build(entries, zsetLimits(c)), event)
		c.Int(int64(len(points)))
		return
	}
	options := 0
	for _, w := range []bool{withDist, withHash, withCoord} {
		if w {
			options++
		}
	}
	c.Array(len(points))
	for _, p := range points {
		if options > 0 {
			c.Array(options + 1)
		}
		c.BulkString(p.member)
		if withDist {
			replyDistance(c, p.dist)
		}
		if withHash {
			c.Int(int64(p.score))
		}
		if withCoord {
			c.Array(2)
			replyHumanFloat(c, p.lon)
			replyHumanFloat(c, p.lat)
		}
	}
}

// geoCollect returns the members inside shape, scanning the score range
// of each search cell in Redis's order, and stopping once limit were
// found when limit is not 0.
func geoCollect(z *zset.ZSet, shape *geohash.Shape, limit int) []geoPoint {
	cells := geohash.SearchCells(shape)
	var out []geoPoint
	last := 0
	for i, cell := range cells {
		if cell.IsZero() {
			continue
		}
		// Huge radii make neighbours coincide; a cell equal to the last
		// one scanned (the centre excepted) is skipped.
		if last != 0 && cell == cells[last] {
			continue
		}
		if limit != 0 && len(out) >= limit {
			break
		}
		lo := float64(geohash.Align52(cell))
		hi := float64(geohash.Align52(geohash.Hash{Bits: cell.Bits + 1, Step: cell.Step}))
		from := z.CountBefore(func(e zset.Entry) bool { return e.Score < lo })
		z.Ascend(from, func(e zset.Entry) bool {
			if e.Score >= hi {
				return false
			}
			lon, lat := geohash.DecodeScore(e.Score)
			if d, in := shape.Contains(lon, lat); in {
				out = append(out, geoPoint{member: e.Member, dist: d, score: e.Score, lon: lon, lat: lat})
				if limit != 0 && len(out) >= limit {
					return false
				}
			}
			return true
		})
		last = i
	}
	return out
}
