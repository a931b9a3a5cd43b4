package command

import (
	"math"
	"strconv"

	"github.com/respd/respd/internal/ds/glob"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// ErrInvalidCursor is SCAN's reply to a cursor it cannot parse.
var ErrInvalidCursor = resp.Error("ERR invalid cursor")

// parseCursor reads a SCAN cursor the way C's strtoul does in Redis: an
// optional sign (a negative value wraps around), decimal digits, nothing
// after them, no leading space, no overflow. Like strtoul it takes the
// empty string as 0, and stops at a NUL byte as C strings do.
func parseCursor(b []byte) (uint64, bool) {
	for i, ch := range b {
		if ch == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	digits := b
	switch b[0] {
	case '-':
		neg = true
		digits = b[1:]
	case '+':
		digits = b[1:]
	}
	if len(digits) == 0 {
		return 0, false
	}
	var n uint64
	for _, ch := range digits {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	return n, true
}

// scanCommand is SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
// Like Redis it visits buckets until COUNT keys were collected (or ten
// times that many buckets were seen), then filters, so a reply may hold
// fewer keys than COUNT, even none, with a non-zero cursor.
func scanCommand(c *Ctx) {
	cursor, ok := parseCursor(c.Args[1])
	if !ok {
		c.Error(ErrInvalidCursor)
		return
	}
	count, pattern, typeName, ok := parseScanOptions(c, 2, true)
	if !ok {
		return
	}
	budget := int64(math.MaxInt64)
	if count <= math.MaxInt64/10 {
		budget = count * 10
	}
	var found []string
	collected := int64(0)
	visit := func(k string, o *keyspace.Object) {
		collected++
		if pattern != nil && !glob.MatchString(pattern, k, false) {
			return
		}
		if typeName != nil {
			// Redis looks each candidate up to learn its type, which
			// counts as a keyspace hit.
			c.KS.Stats.Hits++
			if !EqualFold(typeName, o.Type.String()) {
				return
			}
		}
		found = append(found, k)
	}
	for {
		cursor = c.DB.Scan(cursor, visit)
		budget--
		if cursor == 0 || budget < 0 || collected >= count {
			break
		}
	}
	c.Array(2)
	var buf [20]byte
	c.Bulk(strconv.AppendUint(buf[:0], cursor, 10))
	c.Array(len(found))
	for _, k := range found {
		c.BulkString(k)
	}
}

// parseScanOptions reads the COUNT, MATCH and (for SCAN only) TYPE
// options of the SCAN family from argument from on, replying with an
// error and returning false when they are wrong. A MATCH of "*" is no
// filter and comes back nil.
func parseScanOptions(c *Ctx, from int, allowType bool) (count int64, pattern, typeName []byte, ok bool) {
	count = 10
	for i := from; i < len(c.Args); i += 2 {
		hasValue := i+1 < len(c.Args)
		switch {
		case hasValue && c.ArgIs(i, "count"):
			n, isInt := resp.ParseInt(c.Args[i+1])
			if !isInt {
				c.Error(ErrNotInt)
				return 0, nil, nil, false
			}
			if n < 1 {
				c.Error(ErrSyntax)
				return 0, nil, nil, false
			}
			count = n
		case hasValue && c.ArgIs(i, "match"):
			pattern = c.Args[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil
			}
		case hasValue && allowType && c.ArgIs(i, "type"):
			typeName = c.Args[i+1]
		default:
			c.Error(ErrSyntax)
			return 0, nil, nil, false
		}
	}
	return count, pattern, typeName, true
}
