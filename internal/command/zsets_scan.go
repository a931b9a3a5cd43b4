package command

import (
	"math"
	"strconv"

	"github.com/respd/respd/internal/ds/glob"
	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/resp"
)

// zscanCommand is ZSCAN key cursor [MATCH pattern] [COUNT count]. A small
// (listpack) set is returned whole with cursor 0, its scores in the text
// the listpack holds them in; a large one is walked through its member
// index like SCAN walks keys, each member and its score counting as two
// elements towards COUNT, as in Redis.
func zscanCommand(c *Ctx) {
	cursor, ok := parseCursor(c.Args[2])
	if !ok {
		c.Error(ErrInvalidCursor)
		return
	}
	z, ok := readZSet(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.B = append(c.B, "*2\r\n$1\r\n0\r\n*0\r\n"...)
		return
	}
	count, pattern, _, ok := parseScanOptions(c, 3, false)
	if !ok {
		return
	}
	small := z.Listpack()
	var found []zset.Entry
	gathered := int64(0)
	visit := func(e zset.Entry) {
		gathered += 2
		if pattern == nil || glob.MatchString(pattern, e.Member, false) {
			found = append(found, e)
		}
	}
	budget := int64(math.MaxInt64)
	if count <= math.MaxInt64/10 {
		budget = count * 10
	}
	for {
		cursor = z.Scan(cursor, visit)
		if cursor == 0 || budget == 0 || gathered >= count {
			break
		}
		budget--
	}
	c.Array(2)
	var buf [32]byte
	c.Bulk(strconv.AppendUint(buf[:0], cursor, 10))
	c.Array(2 * len(found))
	for _, e := range found {
		c.BulkString(e.Member)
		if small {
			c.Bulk(appendListpackScore(buf[:0], e.Score))
		} else {
			c.Bulk(resp.AppendFloat(buf[:0], e.Score))
		}
	}
}

// appendListpackScore formats a score as a listpack stores it: a whole
// number within ±2^62 as an integer, anything else as "%.17g".
func appendListpackScore(b []byte, s float64) []byte {
	if s >= -(1<<62) && s <= 1<<62 && s == math.Trunc(s) {
		return strconv.AppendInt(b, int64(s), 10)
	}
	return resp.AppendFloat(b, s)
}
