package repl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// EOFMarkLen is the length of the diskless payload's end mark.
const EOFMarkLen = 40

// ErrPayload reports a payload header that is neither form.
var ErrPayload = errors.New("bad RDB payload header")

// ReadPayload reads the RDB payload that follows +FULLRESYNC, in either
// form, skipping keepalive newlines before it and one "\r\n" after it
// when present, and returns the RDB bytes. maxLen bounds the size.
func ReadPayload(r *bufio.Reader, maxLen int64) ([]byte, error) {
	var line []byte
	for {
		l, err := r.ReadBytes('\n')
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue // keepalive
		}
		line = bytes.TrimRight(l, "\r\n")
		break
	}
	if len(line) == 0 || line[0] != '$' {
		if line[0] == '-' {
			return nil, fmt.Errorf("master aborted the transfer: %s", line[1:])
		}
		return nil, ErrPayload
	}
	var data []byte
	if bytes.HasPrefix(line, []byte("$EOF:")) {
		mark := append([]byte(nil), line[5:]...)
		if len(mark) != EOFMarkLen {
			return nil, ErrPayload
		}
		// Take only what is buffered, so the stream after the mark
		// stays in r.
		for {
			if r.Buffered() == 0 {
				if _, err := r.Peek(1); err != nil {
					return nil, err
				}
			}
			chunk, _ := r.Peek(r.Buffered())
			old := len(data)
			data = append(data, chunk...)
			from := max(0, old-(EOFMarkLen-1))
			if i := bytes.Index(data[from:], mark); i >= 0 {
				end := from + i
				r.Discard(end + EOFMarkLen - old)
				data = data[:end]
				break
			}
			r.Discard(len(chunk))
			if int64(len(data)) > maxLen+EOFMarkLen {
				return nil, errors.New("RDB payload too big")
			}
		}
	} else {
		n, err := strconv.ParseInt(string(line[1:]), 10, 64)
		if err != nil || n < 0 {
			return nil, ErrPayload
		}
		if n > maxLen {
			return nil, errors.New("RDB payload too big")
		}
		data = make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, err
		}
	}
	// A trailing CRLF some masters add is not part of the stream, which
	// always starts with a RESP array.
	if b, err := r.Peek(2); err == nil && b[0] == '\r' && b[1] == '\n' {
		r.Discard(2)
	}
	return data, nil
}
