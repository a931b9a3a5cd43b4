package resp

// PeekKey looks at the request at the start of buf without parsing it: if
// buf holds the whole of a multibulk request of at least two arguments,
// it returns the second argument (the key of most commands) and the
// request's length. It reads the headers as Parse does, but only short
// ones and without limits on bulk lengths or state: anything else (an
// incomplete or inline request, a malformed one, fewer arguments) gives
// ok false, and Parse remains the judge of what the request is. It is for
// looking ahead in a pipeline.
func PeekKey(buf []byte) (key []byte, size int, ok bool) {
	key, _, size, ok = peekArgs(buf, 2)
	return key, size, ok
}

// PeekMember is PeekKey for a request of at least three arguments,
// returning the third one too (the member or field of a command on a
// collection).
func PeekMember(buf []byte) (key, member []byte, size int, ok bool) {
	return peekArgs(buf, 3)
}

// peekArgs reads a whole request of at least min arguments at the start
// of buf and returns its second and third arguments (the latter nil when
// min < 3) and its length.
func peekArgs(buf []byte, min int64) (a1, a2 []byte, size int, ok bool) {
	n, pos, ok := peekHeader(buf, 0, '*')
	if !ok || n < min || n > MaxMultibulk {
		return nil, nil, 0, false
	}
	for i := int64(0); i < n; i++ {
		l, start, ok := peekHeader(buf, pos, '$')
		// Written, as in Parse, so that a length near MaxInt64 cannot
		// overflow.
		if !ok || l < 0 || l > int64(len(buf)-start)-2 {
			return nil, nil, 0, false
		}
		end := start + int(l)
		switch {
		case i == 1:
			a1 = buf[start:end:end]
		case i == 2 && min >= 3:
			a2 = buf[start:end:end]
		}
		pos = end + 2
	}
	return a1, a2, pos, true
}

// peekHeader reads the short "<kind><integer>\r\n" line at buf[pos] as
// Parse does, and returns the integer and where the next line starts.
func peekHeader(buf []byte, pos int, kind byte) (int64, int, bool) {
	if pos >= len(buf) || buf[pos] != kind {
		return 0, 0, false
	}
	cr := shortLine(buf, pos)
	if cr < 0 {
		return 0, 0, false
	}
	v, ok := ParseInt(buf[pos+1 : cr])
	return v, cr + 2, ok
}
