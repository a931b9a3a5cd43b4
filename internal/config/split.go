package config

import (
	"strings"
)

// isCSpace reports whether b is white space as C's isspace sees it, which
// is what separates words in a redis.conf line.
func isCSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

func hexVal(b byte) (byte, bool) {
	switch {
	case b >= '0' && b <= '9':
		return b - '0', true
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10, true
	case b >= 'A' && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}

// SplitArgs splits a configuration line into words the way redis.conf is
// read: words are separated by white space; "double quotes" allow the
// escapes \n \r \t \b \a \xHH and \<any>, 'single quotes' only \'; a
// quoted section may start in the middle of a word but must be followed
// by white space or the end of the line. ok is false for unbalanced
// quotes.
func SplitArgs(line string) (args []string, ok bool) {
	// Lines are C strings to Redis: a NUL ends the line.
	if z := strings.IndexByte(line, 0); z >= 0 {
		line = line[:z]
	}
	i := 0
	for {
		for i < len(line) && isCSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, true
		}
		var cur strings.Builder
		inDouble, inSingle, done := false, false, false
		for !done {
			switch {
			case inDouble:
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				if c == '\\' && i+3 < len(line) && line[i+1] == 'x' {
					hi, ok1 := hexVal(line[i+2])
					lo, ok2 := hexVal(line[i+3])
					if ok1 && ok2 {
						cur.WriteByte(hi<<4 | lo)
						i += 4
						continue
					}
				}
				if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						cur.WriteByte('\n')
					case 'r':
						cur.WriteByte('\r')
					case 't':
						cur.WriteByte('\t')
					case 'b':
						cur.WriteByte('\b')
					case 'a':
						cur.WriteByte('\a')
					default:
						cur.WriteByte(line[i])
					}
				} else if c == '"' {
					// The closing quote must end the word.
					if i+1 < len(line) && !isCSpace(line[i+1]) {
						return nil, false
					}
					done = true
				} else {
					cur.WriteByte(c)
				}
			case inSingle:
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				if c == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					i++
					cur.WriteByte('\'')
				} else if c == '\'' {
					if i+1 < len(line) && !isCSpace(line[i+1]) {
						return nil, false
					}
					done = true
				} else {
					cur.WriteByte(c)
				}
			default:
				if i >= len(line) {
					done = true
					continue
				}
				switch c := line[i]; c {
				case ' ', '\n', '\r', '\t':
					done = true
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					cur.WriteByte(c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		args = append(args, cur.String())
	}
}

// Repr quotes s as a double-quoted string that SplitArgs reads back to s;
// CONFIG REWRITE writes string values this way.
func Repr(s string) string {
	const hexDigits = "0123456789abcdef"
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				b.WriteString(`\x`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&15])
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
