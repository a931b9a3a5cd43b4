package resp

import (
	"math"
	"strconv"
)

// Error is an error reply's text without the leading '-' and trailing CRLF,
// such as "ERR syntax error". Define each one once, with Redis's text.
type Error string

// Error returns the reply text.
func (e Error) Error() string { return string(e) }

// AppendSimple appends a simple string: +s\r\n.
func AppendSimple(b []byte, s string) []byte {
	b = append(b, '+')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// AppendError appends an error reply: -msg\r\n. Newlines in msg would break
// the protocol, so they become spaces, as Redis does.
func AppendError(b []byte, msg string) []byte {
	b = append(b, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return append(b, '\r', '\n')
}

// AppendInt appends an integer reply: :n\r\n.
func AppendInt(b []byte, n int64) []byte {
	b = appendDecimal(append(b, ':'), n)
	return append(b, '\r', '\n')
}

// AppendBulk appends a bulk string: $len\r\nv\r\n.
func AppendBulk(b []byte, v []byte) []byte {
	b = append(b, '$')
	b = appendDecimal(b, int64(len(v)))
	b = append(b, '\r', '\n')
	b = append(b, v...)
	return append(b, '\r', '\n')
}

// AppendBulkString is AppendBulk for a string.
func AppendBulkString(b []byte, v string) []byte {
	b = append(b, '$')
	b = appendDecimal(b, int64(len(v)))
	b = append(b, '\r', '\n')
	b = append(b, v...)
	return append(b, '\r', '\n')
}

// AppendHeader appends an aggregate header such as *n\r\n or %n\r\n.
func AppendHeader(b []byte, kind byte, n int) []byte {
	b = append(b, kind)
	b = appendDecimal(b, int64(n))
	return append(b, '\r', '\n')
}

// Writer appends replies for a client that speaks protocol Proto (2 or 3).
// Typed replies are encoded natively in RESP3 and downgraded in RESP2 as
// Redis does: maps and sets become flat arrays, doubles become bulk strings,
// booleans become 1/0 and nulls become $-1 or *-1.
type Writer struct {
	B     []byte
	Proto int
	// OnError, when set, sees every error reply written (INFO's error
	// statistics count them).
	OnError func(msg string)
}

// Simple appends a simple string.
func (w *Writer) Simple(s string) { w.B = AppendSimple(w.B, s) }

// OK appends +OK.
func (w *Writer) OK() { w.B = append(w.B, "+OK\r\n"...) }

// Error appends an error reply.
func (w *Writer) Error(e Error) { w.Errorf(string(e)) }

// Errorf appends an error reply built at run time.
func (w *Writer) Errorf(msg string) {
	w.B = AppendError(w.B, msg)
	if w.OnError != nil {
		w.OnError(msg)
	}
}

// Int appends an integer.
func (w *Writer) Int(n int64) { w.B = AppendInt(w.B, n) }

// Bulk appends a bulk string.
func (w *Writer) Bulk(v []byte) { w.B = AppendBulk(w.B, v) }

// BulkString appends a bulk string.
func (w *Writer) BulkString(v string) { w.B = AppendBulkString(w.B, v) }

// BulkInt appends n as a bulk string of its decimal digits.
func (w *Writer) BulkInt(n int64) {
	var tmp [24]byte
	w.B = AppendBulk(w.B, appendDecimal(tmp[:0], n))
}

// Null appends the null bulk string ($-1 in RESP2, _ in RESP3).
func (w *Writer) Null() {
	if w.Proto >= 3 {
		w.B = append(w.B, "_\r\n"...)
	} else {
		w.B = append(w.B, "$-1\r\n"...)
	}
}

// NullArray appends the null array (*-1 in RESP2, _ in RESP3).
func (w *Writer) NullArray() {
	if w.Proto >= 3 {
		w.B = append(w.B, "_\r\n"...)
	} else {
		w.B = append(w.B, "*-1\r\n"...)
	}
}

// Array appends an array header for n elements.
func (w *Writer) Array(n int) { w.B = AppendHeader(w.B, '*', n) }

// Map appends a map header for n key/value pairs.
func (w *Writer) Map(n int) {
	if w.Proto >= 3 {
		w.B = AppendHeader(w.B, '%', n)
	} else {
		w.B = AppendHeader(w.B, '*', 2*n)
	}
}

// Set appends a set header for n elements.
func (w *Writer) Set(n int) {
	if w.Proto >= 3 {
		w.B = AppendHeader(w.B, '~', n)
	} else {
		w.B = AppendHeader(w.B, '*', n)
	}
}

// Push appends an out-of-band push header (RESP3) or an array (RESP2).
func (w *Writer) Push(n int) {
	if w.Proto >= 3 {
		w.B = AppendHeader(w.B, '>', n)
	} else {
		w.B = AppendHeader(w.B, '*', n)
	}
}

// Bool appends a boolean (#t/#f in RESP3, :1/:0 in RESP2).
func (w *Writer) Bool(v bool) {
	switch {
	case w.Proto >= 3 && v:
		w.B = append(w.B, "#t\r\n"...)
	case w.Proto >= 3:
		w.B = append(w.B, "#f\r\n"...)
	case v:
		w.B = append(w.B, ":1\r\n"...)
	default:
		w.B = append(w.B, ":0\r\n"...)
	}
}

// Double appends a double (,f in RESP3, a bulk string in RESP2), formatted
// as Redis 7.0 formats scores (see AppendFloat).
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	s := AppendFloat(tmp[:0], f)
	if w.Proto >= 3 {
		w.B = append(w.B, ',')
		w.B = append(w.B, s...)
		w.B = append(w.B, '\r', '\n')
		return
	}
	w.B = AppendBulk(w.B, s)
}

// Verbatim appends a verbatim string of format fmt (3 letters, e.g. "txt")
// in RESP3, or a bulk string in RESP2.
func (w *Writer) Verbatim(format, s string) {
	if w.Proto < 3 {
		w.B = AppendBulkString(w.B, s)
		return
	}
	w.B = append(w.B, '=')
	w.B = appendDecimal(w.B, int64(len(s)+4))
	w.B = append(w.B, '\r', '\n')
	w.B = append(w.B, format...)
	w.B = append(w.B, ':')
	w.B = append(w.B, s...)
	w.B = append(w.B, '\r', '\n')
}

// AppendFloat formats f the way Redis 7.0 replies with doubles: "inf",
// "-inf", "nan", else C's "%.17g", which is not the shortest form that
// reads back (1.1 is "1.1000000000000001") but is what clients of Redis
// 7.0 see. strconv's 'g' with precision 17 produces the same text.
func AppendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// AppendCommand appends args to b as a RESP array of bulk strings, the
// form commands travel in: requests, the AOF and the replication stream.
func AppendCommand(b []byte, args ...[]byte) []byte {
	b = appendDecimal(append(b, '*'), int64(len(args)))
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = appendDecimal(append(b, '$'), int64(len(a)))
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}
