package resp

import (
	"bytes"
	"errors"
)

// Limits that Redis applies to requests before the protocol is trusted.
const (
	// InlineMax is the longest inline request or header line accepted.
	InlineMax = 64 * 1024
	// MaxMultibulk bounds the argument count of a request.
	MaxMultibulk = 1<<31 - 1
	// DefaultMaxBulk is proto-max-bulk-len's default.
	DefaultMaxBulk = 512 * 1024 * 1024
)

// ErrIncomplete means the buffer holds only part of a request.
var ErrIncomplete = errors.New("resp: incomplete request")

// ProtocolError is a malformed request; its text is the reply Redis gives
// before closing the connection.
type ProtocolError string

func (e ProtocolError) Error() string { return string(e) }

// The protocol errors, with Redis's texts.
var (
	ErrInvalidMultibulk = ProtocolError("ERR Protocol error: invalid multibulk length")
	ErrInvalidBulk      = ProtocolError("ERR Protocol error: invalid bulk length")
	ErrTooBigInline     = ProtocolError("ERR Protocol error: too big inline request")
	ErrTooBigMbulk      = ProtocolError("ERR Protocol error: too big mbulk count string")
	ErrTooBigBulk       = ProtocolError("ERR Protocol error: too big bulk count string")
	ErrUnbalanced       = ProtocolError("ERR Protocol error: unbalanced quotes in request")
)

func errExpectedDollar(got byte) ProtocolError {
	return ProtocolError("ERR Protocol error: expected '$', got '" + string([]byte{got}) + "'")
}

// Parser parses requests from a buffer. Its zero value is ready; MaxBulk
// zero means DefaultMaxBulk.
type Parser struct {
	MaxBulk int64
	// inline request unquoting needs scratch space; arguments of quoted
	// inline requests point into it and stay valid until the next Parse.
	scratch []byte
}

// Parse reads one request from the start of buf. It returns the arguments
// (appended to args[:0], slices into buf) and the number of bytes consumed.
// An empty request (a blank inline line or *0) returns zero arguments and a
// positive n. ErrIncomplete means more bytes are needed; a ProtocolError
// means the connection must be answered and closed.
func (p *Parser) Parse(buf []byte, args [][]byte) ([][]byte, int, error) {
	args = args[:0]
	if len(buf) == 0 {
		return args, 0, ErrIncomplete
	}
	if buf[0] != '*' {
		return p.parseInline(buf, args)
	}
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 {
		if len(buf) > InlineMax {
			return args, 0, ErrTooBigMbulk
		}
		return args, 0, ErrIncomplete
	}
	if nl < 1 || buf[nl-1] != '\r' {
		// Redis looks for \r; a header without it is read up to \r later
		// and the number is invalid.
		return args, 0, ErrInvalidMultibulk
	}
	count, ok := parseInt(buf[1 : nl-1])
	if !ok || count > MaxMultibulk {
		return args, 0, ErrInvalidMultibulk
	}
	pos := nl + 1
	if count <= 0 {
		return args, pos, nil
	}
	maxBulk := p.MaxBulk
	if maxBulk == 0 {
		maxBulk = DefaultMaxBulk
	}
	for i := int64(0); i < count; i++ {
		if pos >= len(buf) {
			return args, 0, ErrIncomplete
		}
		nl = bytes.IndexByte(buf[pos:], '\n')
		if nl < 0 {
			if len(buf)-pos > InlineMax {
				return args, 0, ErrTooBigBulk
			}
			return args, 0, ErrIncomplete
		}
		line := buf[pos : pos+nl]
		if line[0] != '$' {
			return args, 0, errExpectedDollar(line[0])
		}
		if len(line) < 2 || line[len(line)-1] != '\r' {
			return args, 0, ErrInvalidBulk
		}
		n, ok := parseInt(line[1 : len(line)-1])
		if !ok || n < 0 || n > maxBulk {
			return args, 0, ErrInvalidBulk
		}
		start := pos + nl + 1
		end := start + int(n)
		if end+2 > len(buf) {
			return args, 0, ErrIncomplete
		}
		// Redis does not check the two bytes after a bulk; it skips them.
		args = append(args, buf[start:end:end])
		pos = end + 2
	}
	return args, pos, nil
}

// NeedBulk reports, for an incomplete multibulk request at the start of
// buf, how many bytes the whole request is known to need so far. Callers
// use it to grow their read buffer once for a big argument.
func NeedBulk(buf []byte) int {
	// The caller only uses this as a hint; a cheap scan for the last bulk
	// header is enough.
	i := bytes.LastIndexByte(buf, '$')
	if i < 0 {
		return 0
	}
	nl := bytes.IndexByte(buf[i:], '\n')
	if nl < 2 {
		return 0
	}
	n, ok := parseInt(buf[i+1 : i+nl-1])
	if !ok || n < 0 || n > DefaultMaxBulk {
		return 0
	}
	return i + nl + 1 + int(n) + 2
}

func (p *Parser) parseInline(buf []byte, args [][]byte) ([][]byte, int, error) {
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 {
		if len(buf) > InlineMax {
			return args, 0, ErrTooBigInline
		}
		return args, 0, ErrIncomplete
	}
	line := buf[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if bytes.IndexByte(line, '"') < 0 && bytes.IndexByte(line, '\'') < 0 {
		for len(line) > 0 {
			line = trimLeftSpace(line)
			if len(line) == 0 {
				break
			}
			end := 0
			for end < len(line) && !isSpace(line[end]) {
				end++
			}
			args = append(args, line[:end:end])
			line = line[end:]
		}
		return args, nl + 1, nil
	}
	var ok bool
	p.scratch = p.scratch[:0]
	args, p.scratch, ok = splitQuoted(line, args, p.scratch)
	if !ok {
		return args[:0], 0, ErrUnbalanced
	}
	return args, nl + 1, nil
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// splitQuoted splits an inline line that has quotes. Unquoted words are
// copied into scratch too, so every argument shares one backing array;
// the offsets are fixed up once scratch stops growing.
func splitQuoted(line []byte, args [][]byte, scratch []byte) ([][]byte, []byte, bool) {
	type span struct{ a, b int }
	var spans []span
	for {
		line = trimLeftSpace(line)
		if len(line) == 0 {
			break
		}
		start := len(scratch)
		inDouble, inSingle := false, false
		i := 0
	word:
		for {
			if inDouble {
				if i >= len(line) {
					return args, scratch, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					scratch = append(scratch, unhex(line[i+2])<<4|unhex(line[i+3]))
					i += 4
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						scratch = append(scratch, '\n')
					case 'r':
						scratch = append(scratch, '\r')
					case 't':
						scratch = append(scratch, '\t')
					case 'b':
						scratch = append(scratch, '\b')
					case 'a':
						scratch = append(scratch, '\a')
					default:
						scratch = append(scratch, line[i])
					}
					i++
				case c == '"':
					// a closing quote must be followed by a space or the end
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return args, scratch, false
					}
					i++
					break word
				default:
					scratch = append(scratch, c)
					i++
				}
			} else if inSingle {
				if i >= len(line) {
					return args, scratch, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					scratch = append(scratch, '\'')
					i += 2
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return args, scratch, false
					}
					i++
					break word
				default:
					scratch = append(scratch, c)
					i++
				}
			} else {
				if i >= len(line) || isSpace(line[i]) {
					break word
				}
				switch line[i] {
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					scratch = append(scratch, line[i])
				}
				i++
			}
		}
		spans = append(spans, span{start, len(scratch)})
		line = line[i:]
	}
	for _, s := range spans {
		args = append(args, scratch[s.a:s.b:s.b])
	}
	return args, scratch, true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// parseInt parses a signed decimal the way Redis's string2ll does: no
// spaces, no '+', no leading zeros, fits in int64.
func parseInt(b []byte) (int64, bool) {
	return ParseInt(b)
}

// ParseInt parses b as a strict signed 64-bit decimal (Redis's string2ll):
// no sign but an optional leading '-', no spaces, no leading zeros.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
		if v < uint64(c-'0') {
			return 0, false
		}
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
