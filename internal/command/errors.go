package command

import "github.com/respd/respd/internal/resp"

// Error replies shared by many commands, with Redis's exact texts.
var (
	ErrSyntax       = resp.Error("ERR syntax error")
	ErrWrongType    = resp.Error("WRONGTYPE Operation against a key holding the wrong kind of value")
	ErrNotInt       = resp.Error("ERR value is not an integer or out of range")
	ErrNotFloat     = resp.Error("ERR value is not a valid float")
	ErrOverflow     = resp.Error("ERR increment or decrement would overflow")
	ErrNoSuchKey    = resp.Error("ERR no such key")
	ErrDBIndex      = resp.Error("ERR DB index is out of range")
	ErrOutOfRange   = resp.Error("ERR index out of range")
	ErrNotPositive  = resp.Error("ERR value is out of range, must be positive")
	ErrOffsetRange  = resp.Error("ERR offset is out of range")
	ErrStringTooBig = resp.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
)

// ArityError is the reply for a wrong number of arguments to cmd (its full
// name, such as "get" or "config|get").
func ArityError(cmd string) resp.Error {
	return resp.Error("ERR wrong number of arguments for '" + cmd + "' command")
}
