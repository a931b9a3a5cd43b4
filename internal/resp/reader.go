package resp

import (
	"bytes"
	"errors"
	"math"
)

// Limits that Redis applies to requests before the protocol is trusted.
const (
	// InlineMax is how many bytes may be buffered while a line (an inline
	// request or a multibulk/bulk header) still has no terminator.
	InlineMax = 64 * 1024
	// MaxMultibulk bounds the argument count of a request (a C int).
	MaxMultibulk = 1<<31 - 1
	// DefaultMaxBulk is proto-max-bulk-len's default.
	DefaultMaxBulk = 512 * 1024 * 1024
)

// ErrIncomplete means the buffer holds only part of a request.
var ErrIncomplete = errors.New("resp: incomplete request")

// ProtocolError is a malformed request; its text is the reply Redis gives
// before closing the connection.
type ProtocolError string

// Error returns the reply text.
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

// expectedDollar holds the "expected '$'" error for every byte, built once
// so reporting it never allocates.
var expectedDollar = func() (e [256]ProtocolError) {
	for i := range e {
		e[i] = ProtocolError("ERR Protocol error: expected '$', got '" + string([]byte{byte(i)}) + "'")
	}
	return e
}()

// Parser parses requests from a buffer, in place. Its zero value is ready;
// MaxBulk zero means DefaultMaxBulk.
//
// A Parser is incremental, like Redis's query buffer state machine: when a
// request has not fully arrived it remembers how far it got, so a request
// trickling in over many reads is scanned once in total rather than once
// per read. The caller must therefore call Parse again with the same
// request bytes from the request's first byte (the buffer may have moved
// or grown), or call Reset before parsing unrelated bytes.
type Parser struct {
	MaxBulk int64

	// scratch holds the unquoted arguments of a quoted inline request;
	// those arguments point into it and stay valid until the next Parse.
	scratch []byte
	// spans are start/end offsets of the arguments read so far: offsets
	// survive the caller moving its buffer, slices would not.
	spans []int

	// State of a partly read request, offsets relative to its first byte.
	left int64 // multibulk arguments still to read; 0 when none pending
	pos  int   // next unread byte: a bulk header, or bulk data if bulk >= 0
	bulk int64 // declared length of the bulk whose data starts at pos
	// scan is how far past the line start (0, or pos when left > 0) the
	// current line is known to hold no terminator; stalled means a NUL
	// came first, which Redis (scanning C strings) never looks past.
	scan    int
	stalled bool
	// seen is the buffer length of the last call, to notice a caller that
	// forgot Reset.
	seen int
}

// Reset forgets a partly read request.
func (p *Parser) Reset() {
	p.left, p.pos, p.bulk, p.scan, p.stalled, p.seen = 0, 0, -1, 0, false, 0
	p.spans = p.spans[:0]
}

// Pending reports whether a multibulk request has been partly read.
func (p *Parser) Pending() bool { return p.left > 0 }

// BulkStart returns, after Parse reported ErrIncomplete inside a bulk
// argument's data, the offset from the request's start where that data
// begins; -1 otherwise. Redis's query buffer limit applies to what is
// buffered of one argument: the bytes from here on.
func (p *Parser) BulkStart() int {
	if p.left == 0 || p.bulk < 0 {
		return -1
	}
	return p.pos
}

// Need returns, after Parse reported ErrIncomplete, how many bytes from the
// request's start must be buffered before the request can progress, when
// that is known: the end of a bulk argument whose header has been read.
// Otherwise it returns 0. Callers size their read buffer with it, and skip
// parsing (and locking) until that many bytes have arrived.
func (p *Parser) Need() int {
	if p.left == 0 || p.bulk < 0 {
		return 0
	}
	if p.bulk > int64(math.MaxInt-p.pos-2) {
		return math.MaxInt // proto-max-bulk-len can be set that high
	}
	return p.pos + int(p.bulk) + 2
}

// Parse reads one request from the start of buf. It returns the arguments
// (appended to args[:0], slices into buf or into the parser's scratch
// space) and the number of bytes consumed. An empty request (a blank
// inline line, *0 or a negative count) returns zero arguments and a
// positive n. ErrIncomplete means more bytes are needed; a ProtocolError
// means the connection must be answered with its text and closed.
//
// What counts as malformed, and when, follows Redis 7.0: headers end at
// '\r' and the byte after it is skipped unchecked, as are the two bytes
// after a bulk's data; lines are C strings, so a NUL byte hides the rest
// of the line until InlineMax bytes are buffered.
func (p *Parser) Parse(buf []byte, args [][]byte) ([][]byte, int, error) {
	args = args[:0]
	if len(buf) < p.seen || (p.left > 0 && len(buf) > 0 && buf[0] != '*') {
		p.Reset()
	}
	p.seen = len(buf)
	if len(buf) == 0 {
		return args, 0, ErrIncomplete
	}
	// A request that arrives whole (the common case) is cut straight into
	// args; one that does not is remembered as offsets in p.spans.
	fresh := p.left == 0
	var left, bulk int64
	var pos int
	if fresh {
		if buf[0] != '*' {
			return p.parseInline(buf, args)
		}
		count, cr := quickHeader(buf, 0)
		ok := cr >= 0
		if !ok {
			if cr = shortLine(buf, 0); cr < 0 {
				var err error
				if cr, err = p.findLine(buf, 0, '\r', ErrTooBigMbulk); err != nil {
					return args, 0, err
				}
			}
			count, ok = ParseInt(buf[1:cr])
		}
		p.scan, p.stalled = 0, false
		if !ok || count > MaxMultibulk {
			p.Reset()
			return args, 0, ErrInvalidMultibulk
		}
		if count <= 0 {
			p.Reset()
			return args, cr + 2, nil
		}
		left, pos, bulk = count, cr+2, -1
		p.spans = p.spans[:0]
	} else {
		left, pos, bulk = p.left, p.pos, p.bulk
	}
	maxBulk := p.MaxBulk
	if maxBulk == 0 {
		maxBulk = DefaultMaxBulk
	}
	for left > 0 {
		if bulk < 0 && pos < len(buf) && buf[pos] == '$' {
			if n, cr := quickHeader(buf, pos); cr >= 0 && n <= maxBulk {
				p.scan, p.stalled = 0, false
				bulk, pos = n, cr+2
			}
		}
		if bulk < 0 {
			cr := shortLine(buf, pos)
			if cr < 0 {
				var err error
				if cr, err = p.findLine(buf, pos, '\r', ErrTooBigBulk); err != nil {
					if err == ErrIncomplete {
						return p.suspend(buf, args, left, pos, bulk, fresh)
					}
					return args[:0], 0, err
				}
			}
			p.scan, p.stalled = 0, false
			if buf[pos] != '$' {
				err := expectedDollar[buf[pos]]
				p.Reset()
				return args[:0], 0, err
			}
			n, ok := ParseInt(buf[pos+1 : cr])
			if !ok || n < 0 || n > maxBulk {
				p.Reset()
				return args[:0], 0, ErrInvalidBulk
			}
			bulk, pos = n, cr+2
		}
		// Written so that a bulk length near MaxInt64 cannot overflow.
		if bulk > int64(len(buf)-pos)-2 {
			return p.suspend(buf, args, left, pos, bulk, fresh)
		}
		end := pos + int(bulk)
		if fresh {
			// Full capacity for now: suspend recovers offsets from it.
			args = append(args, buf[pos:end])
		} else {
			p.spans = append(p.spans, pos, end)
		}
		pos, bulk = end+2, -1
		left--
	}
	if fresh {
		for i, a := range args {
			args[i] = a[:len(a):len(a)]
		}
	} else {
		for i := 0; i < len(p.spans); i += 2 {
			a, b := p.spans[i], p.spans[i+1]
			args = append(args, buf[a:b:b])
		}
	}
	p.Reset()
	return args, pos, nil
}

// suspend saves the state of a multibulk request that has not fully
// arrived, turning the arguments cut so far into offsets.
func (p *Parser) suspend(buf []byte, args [][]byte, left int64, pos int, bulk int64, fresh bool) ([][]byte, int, error) {
	p.left, p.pos, p.bulk = left, pos, bulk
	if fresh {
		for _, a := range args {
			off := cap(buf) - cap(a)
			p.spans = append(p.spans, off, off+len(a))
		}
	}
	return args[:0], 0, ErrIncomplete
}

// quickHeader reads the common header at buf[pos]: a type byte, one to
// eighteen digits without a leading zero, '\r', and the byte after it
// arrived. It returns the number and the index of the '\r', or cr -1 for
// anything else, which the general path (shortLine, findLine, ParseInt)
// then reads; on the headers it accepts both agree.
func quickHeader(buf []byte, pos int) (n int64, cr int) {
	i := pos + 1
	if i >= len(buf) || buf[i]-'1' > 8 {
		return 0, -1
	}
	n = int64(buf[i] - '0')
	for i++; i < len(buf); i++ {
		if c := buf[i] - '0'; c <= 9 && i <= pos+18 {
			n = n*10 + int64(c)
			continue
		}
		if buf[i] == '\r' && i+2 <= len(buf) {
			return n, i
		}
		break
	}
	return 0, -1
}

// shortLine returns the index of the '\r' ending the header at buf[pos]
// when the header is short and whole (the byte after '\r' has arrived),
// else -1 and the caller falls back to findLine.
func shortLine(buf []byte, pos int) int {
	end := min(len(buf), pos+24)
	for i := pos; i < end; i++ {
		switch buf[i] {
		case '\r':
			if i+2 <= len(buf) {
				return i
			}
			return -1
		case 0:
			return -1
		}
	}
	return -1
}

// findLine finds the terminator of the line starting at buf[start] and
// checks that the byte after it has arrived too (Redis skips it unread).
// It returns ErrIncomplete while the line is unfinished, or tooBig once
// more than InlineMax bytes from start are buffered without it.
func (p *Parser) findLine(buf []byte, start int, term byte, tooBig ProtocolError) (int, error) {
	at := -1
	if !p.stalled {
		from := start + p.scan
		switch i := scanLine(buf[from:], term); {
		case i >= 0:
			at = from + i
		case i == -2:
			p.stalled = true
		default:
			p.scan = len(buf) - start
		}
	}
	if at < 0 {
		if len(buf)-start > InlineMax {
			p.Reset()
			return 0, tooBig
		}
		return 0, ErrIncomplete
	}
	if at+2 > len(buf) && term == '\r' {
		// The terminator's position is known; only the next byte is missing.
		p.scan = at - start
		return 0, ErrIncomplete
	}
	p.scan, p.stalled = 0, false
	return at, nil
}

// scanLine returns the index of the first term in b, -1 if there is none,
// or -2 if a NUL comes first: NUL ends the C string Redis searches.
func scanLine(b []byte, term byte) int {
	i := bytes.IndexByte(b, term)
	limit := i
	if i < 0 {
		limit = len(b)
	}
	if bytes.IndexByte(b[:limit], 0) >= 0 {
		return -2
	}
	return i
}

// parseInline splits one inline request line the way Redis's sdssplitargs
// does.
func (p *Parser) parseInline(buf []byte, args [][]byte) ([][]byte, int, error) {
	nl, err := p.findLine(buf, 0, '\n', ErrTooBigInline)
	if err != nil {
		return args, 0, err
	}
	p.Reset()
	line := buf[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if bytes.IndexByte(line, '"') < 0 && bytes.IndexByte(line, '\'') < 0 {
		for {
			line = skipSpace(line)
			if len(line) == 0 {
				break
			}
			end := 0
			for end < len(line) && !endsWord(line[end]) {
				end++
			}
			if end == 0 {
				break // a NUL: findLine never lets one through
			}
			args = append(args, line[:end:end])
			line = line[end:]
		}
		return args, nl + 1, nil
	}
	args, ok := p.splitQuoted(line, args)
	if !ok {
		return args[:0], 0, ErrUnbalanced
	}
	return args, nl + 1, nil
}

// isSpace is C's isspace in the C locale: what is skipped between words
// and what may follow a closing quote.
func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

// endsWord reports whether b ends an unquoted word. Redis's set is smaller
// than isspace: "a\vb" is one word, though a leading \v is skipped.
func endsWord(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0
}

func skipSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// splitQuoted splits a line that has quotes. Every word is unquoted into
// p.scratch; the arguments are cut from it only at the end, since scratch
// may move while it grows.
func (p *Parser) splitQuoted(line []byte, args [][]byte) ([][]byte, bool) {
	scratch := p.scratch[:0]
	spans := p.spans[:0]
	defer func() { p.scratch, p.spans = scratch, spans[:0] }()
	for {
		line = skipSpace(line)
		if len(line) == 0 {
			break
		}
		start := len(scratch)
		var quote byte // the open quote, or 0 outside quotes
		i := 0
	word:
		for {
			if i >= len(line) {
				if quote != 0 {
					return args, false
				}
				break
			}
			c := line[i]
			switch {
			case quote == 0:
				switch {
				case endsWord(c):
					break word
				case c == '"' || c == '\'':
					quote = c
				default:
					scratch = append(scratch, c)
				}
				i++
			case c == quote:
				// A closing quote must end the word.
				if i+1 < len(line) && !isSpace(line[i+1]) {
					return args, false
				}
				i++
				break word
			case quote == '"' && c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
				scratch = append(scratch, unhex(line[i+2])<<4|unhex(line[i+3]))
				i += 4
			case quote == '"' && c == '\\' && i+1 < len(line):
				scratch = append(scratch, unescape(line[i+1]))
				i += 2
			case quote == '\'' && c == '\\' && i+1 < len(line) && line[i+1] == '\'':
				scratch = append(scratch, '\'')
				i += 2
			default:
				scratch = append(scratch, c)
				i++
			}
		}
		spans = append(spans, start, len(scratch))
		line = line[i:]
	}
	for i := 0; i < len(spans); i += 2 {
		a, b := spans[i], spans[i+1]
		args = append(args, scratch[a:b:b])
	}
	return args, true
}

// unescape maps the letter after a backslash inside double quotes.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
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

// ParseInt parses b as a strict signed 64-bit decimal (Redis's string2ll):
// an optional leading '-', no '+', no spaces, no leading zeros, no "-0".
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	d := b
	neg := b[0] == '-'
	if neg {
		d = b[1:]
		if len(d) == 0 {
			return 0, false
		}
	}
	if d[0] == '0' {
		return 0, len(b) == 1
	}
	if len(d) <= 18 {
		// Eighteen digits cannot overflow: no checks in the common case.
		var v int64
		for _, c := range d {
			c -= '0'
			if c > 9 {
				return 0, false
			}
			v = v*10 + int64(c)
		}
		if neg {
			v = -v
		}
		return v, true
	}
	var v uint64
	for _, c := range d {
		c -= '0'
		if c > 9 || v > (1<<64-1-uint64(c))/10 {
			return 0, false
		}
		v = v*10 + uint64(c)
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
