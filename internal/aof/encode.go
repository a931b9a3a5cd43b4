package aof

import (
	"strconv"

	"github.com/respd/respd/internal/resp"
)

// AppendSelect appends SELECT db as Redis writes it to the AOF.
func AppendSelect(dst []byte, db int) []byte {
	var n [20]byte
	return resp.AppendCommand(dst, []byte("SELECT"), strconv.AppendInt(n[:0], int64(db), 10))
}
