package aof

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
)

// lineMax is how many bytes Redis's loader reads per header line: its
// fgets buffer holds 1024 bytes, NUL included.
const lineMax = 1023

// The ways reading a command can stop, besides a command and io.EOF (a
// clean end between commands).
var (
	// errTorn is end of file inside a command: a torn write.
	errTorn = errors.New("aof: unexpected end of file")
	// errFormat is a malformed command: corruption.
	errFormat = errors.New("aof: bad file format")
	// errNulArgc is a '*' followed by a NUL byte, which Redis takes for
	// a read error (its check meant for a lone '*' at end of file).
	errNulArgc = errors.New("aof: NUL after '*'")
)

// countingReader counts the bytes read through it, so the reader knows
// file offsets however much bufio has buffered ahead.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// cmdReader reads the commands of an AOF body as Redis's loader does
// (doc.go, "Commands"). It never allocates more than the input holds: a
// bulk length beyond the end of the input is a torn write, found without
// reading it.
type cmdReader struct {
	cr    countingReader
	br    *bufio.Reader
	size  int64 // total input size, to bound bulk lengths
	arena []byte
	spans []int
	args  [][]byte
}

func newCmdReader(r io.Reader, size int64) *cmdReader {
	c := &cmdReader{size: size}
	c.cr.r = r
	c.br = bufio.NewReaderSize(&c.cr, 64*1024)
	return c
}

// offset is the input offset of the next unread byte.
func (c *cmdReader) offset() int64 { return c.cr.n - int64(c.br.Buffered()) }

// fgets reads like C fgets with a lineMax+1 buffer: up to lineMax bytes,
// through the first newline. It returns io.EOF only when nothing at all
// was left.
func (c *cmdReader) fgets() ([]byte, error) {
	p, err := c.br.Peek(lineMax)
	if len(p) == 0 {
		if err == nil {
			err = io.EOF
		}
		return nil, err
	}
	n := len(p)
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		n = i + 1
	}
	c.br.Discard(n)
	return p[:n], nil
}

// cstr cuts b at its first NUL, as C string functions see it.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// next reads the next command, skipping annotation lines. start is the
// offset of the command's '*' (or of the bad line). The arguments are
// valid until the following call. err is io.EOF at a clean end, errTorn,
// errFormat, errNulArgc or a read error.
func (c *cmdReader) next() (args [][]byte, start int64, err error) {
	for {
		start = c.offset()
		line, err := c.fgets()
		if err != nil {
			return nil, start, err
		}
		if line[0] == '#' {
			continue
		}
		if line[0] != '*' {
			return nil, start, errFormat
		}
		if len(line) == 1 {
			// A lone '*' ends the file (fgets stopped short of lineMax
			// without a newline).
			return nil, start, errTorn
		}
		if line[1] == 0 {
			return nil, start, errNulArgc
		}
		// atoi: strtol narrowed to a C int.
		argc := int32(strtol(string(cstr(line[1:]))))
		if argc < 1 {
			return nil, start, errFormat
		}
		return c.readArgs(int(argc), start)
	}
}

func (c *cmdReader) readArgs(argc int, start int64) ([][]byte, int64, error) {
	c.arena = c.arena[:0]
	c.spans = c.spans[:0]
	for range argc {
		hdr := c.offset()
		line, err := c.fgets()
		if err == io.EOF {
			return nil, start, errTorn
		}
		if err != nil {
			return nil, start, err
		}
		if line[0] != '$' {
			return nil, hdr, errFormat
		}
		n := strtol(string(cstr(line[1:])))
		if n < 0 {
			// Redis would try to allocate ~2^64 bytes and abort.
			return nil, hdr, errFormat
		}
		if n > c.size-c.offset() {
			// fread would come up short: the file ends inside this bulk.
			return nil, start, errTorn
		}
		from := len(c.arena)
		c.arena = slices.Grow(c.arena, int(n))[:from+int(n)]
		if _, err := io.ReadFull(c.br, c.arena[from:]); err != nil {
			return nil, start, tornOr(err)
		}
		c.spans = append(c.spans, from, len(c.arena))
		// The two bytes after the bulk are skipped unchecked.
		if _, err := c.br.Discard(2); err != nil {
			return nil, start, tornOr(err)
		}
	}
	c.args = c.args[:0]
	for i := 0; i < len(c.spans); i += 2 {
		c.args = append(c.args, c.arena[c.spans[i]:c.spans[i+1]:c.spans[i+1]])
	}
	return c.args, start, nil
}

// tornOr maps end of input to errTorn and keeps other read errors.
func tornOr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errTorn
	}
	return err
}
