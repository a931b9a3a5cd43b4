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

// Progress receives a transfer's size (-1 for the diskless form, whose
// size is unknown) and the bytes read so far, after each read.
type Progress func(total, read int64)

// ReadPayload reads the RDB payload that follows +FULLRESYNC, in either
// form, skipping keepalive newlines before it, and returns the RDB bytes.
// progress, when not nil, follows the transfer.
// maxLen bounds the size. A "\r\n" some masters send after the payload
// is left in r: the caller drops it (see SkipTrailer), since waiting for
// it here could wait forever on a quiet master.
func ReadPayload(r *bufio.Reader, maxLen int64, progress Progress) ([]byte, error) {
	if progress == nil {
		progress = func(int64, int64) {}
	}
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
				progress(-1, int64(end+EOFMarkLen))
				data = data[:end]
				break
			}
			r.Discard(len(chunk))
			progress(-1, int64(len(data)))
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
		progress(n, 0)
		for read := 0; read < len(data); {
			k, err := r.Read(data[read:])
			read += k
			progress(n, int64(read))
			if err != nil && read < len(data) {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
		}
	}
	return data, nil
}

// SkipTrailer reports how many bytes at the start of the stream that
// follows a payload are its optional trailing "\r\n" (0 or 2), or -1
// when b is too short to tell. The stream proper always starts with a
// RESP array, never with '\r'.
func SkipTrailer(b []byte) int {
	switch {
	case len(b) == 0:
		return -1
	case b[0] != '\r':
		return 0
	case len(b) == 1:
		return -1
	case b[1] == '\n':
		return 2
	}
	return 0
}
