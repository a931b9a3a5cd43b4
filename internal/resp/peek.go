package resp

// PeekKey looks at the request at the start of buf without parsing it: if
// buf holds the whole of a multibulk request of at least two arguments,
// it returns the second argument (the key of most commands) and the
// request's length. Anything else (an incomplete or inline request, a
// malformed one, fewer arguments) gives ok false; Parse remains the
// judge of what the request is. It is for looking ahead in a pipeline.
func PeekKey(buf []byte) (key []byte, size int, ok bool) {
	n, pos, ok := peekHeader(buf, 0, '*')
	if !ok || n < 2 {
		return nil, 0, false
	}
	for i := int64(0); i < n; i++ {
		l, start, ok := peekHeader(buf, pos, '$')
		if !ok {
			return nil, 0, false
		}
		end := int64(start) + l
		if end+2 > int64(len(buf)) || buf[end] != '\r' || buf[end+1] != '\n' {
			return nil, 0, false
		}
		if i == 1 {
			key = buf[start:end:end]
		}
		pos = int(end + 2)
	}
	return key, pos, true
}

// peekHeader reads a "<kind><decimal>\r\n" line at buf[pos:] and returns
// the number and where the line ends.
func peekHeader(buf []byte, pos int, kind byte) (int64, int, bool) {
	if pos >= len(buf) || buf[pos] != kind {
		return 0, 0, false
	}
	var v int64
	i := pos + 1
	for ; i < len(buf) && buf[i] != '\r'; i++ {
		c := buf[i]
		if c < '0' || c > '9' || i-pos > 18 {
			return 0, 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if i == pos+1 || i+1 >= len(buf) || buf[i+1] != '\n' {
		return 0, 0, false
	}
	return v, i + 2, true
}
