package aof

import "strconv"

// AppendCommand appends args as a RESP multibulk, the form every command
// takes in an AOF; the propagation layer and command-form bases use it.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// AppendSelect appends SELECT db as Redis writes it to the AOF.
func AppendSelect(dst []byte, db int) []byte {
	var n [20]byte
	return AppendCommand(dst, []byte("SELECT"), strconv.AppendInt(n[:0], int64(db), 10))
}
