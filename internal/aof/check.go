package aof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// CheckOptions configures Check.
type CheckOptions struct {
	// Fix truncates the last file to its last valid command, without
	// asking (redis-check-aof asks "Continue? [y/N]").
	Fix bool
	// Out receives the report; nil discards it.
	Out io.Writer
	// RDB, when set, checks the RDB preamble of a file starting with
	// "REDIS": it must read the RDB exactly (see Handler.LoadRDB) and may
	// write its own report to out. Without it the preamble is not
	// checked and taken to fill the whole file.
	RDB func(r io.Reader, out io.Writer) error
}

// ErrCheckFailed is Check's answer when redis-check-aof would exit with
// status 1; the reason is in the report.
var ErrCheckFailed = errors.New("aof: check failed")

// Check validates an AOF like redis-check-aof: path is a manifest (a file
// with a line starting with "file"), whose base and incremental files
// are checked in order, or a single old-style AOF, with or without an
// RDB preamble. It writes redis-check-aof's report to o.Out and returns
// nil when all is valid (or was fixed), ErrCheckFailed otherwise.
func Check(path string, o CheckOptions) error {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	c := &checker{out: out, fix: o.Fix, rdb: o.RDB, line: 1}
	isManifest, err := fileIsManifest(path)
	if err != nil {
		fmt.Fprintln(out, err)
		return ErrCheckFailed
	}
	if isManifest {
		return c.multiPart(path)
	}
	rdb, err := fileIsRDB(path)
	if err != nil {
		fmt.Fprintln(out, err)
		return ErrCheckFailed
	}
	fmt.Fprintf(out, "Start checking Old-Style AOF\n")
	res, err := c.single(path, path, true, rdb)
	if err != nil {
		return err
	}
	switch res {
	case checkEmpty:
		fmt.Fprintf(out, "AOF %s is empty\n", path)
	case checkOK:
		fmt.Fprintf(out, "AOF %s is valid\n", path)
	}
	return nil
}

// fileIsManifest tells a manifest from an AOF as redis-check-aof does:
// any 1024-byte fgets chunk not starting with '#' but with "file".
func fileIsManifest(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("Cannot open file %s: %s", path, strerror(err))
	}
	for pos := 0; pos < len(data); {
		end := min(pos+manifestMaxLine, len(data))
		if i := bytes.IndexByte(data[pos:end], '\n'); i >= 0 {
			end = pos + i + 1
		}
		chunk := data[pos:end]
		pos = end
		if chunk[0] != '#' && bytes.HasPrefix(chunk, []byte("file")) {
			return true, nil
		}
	}
	return false, nil
}

// fileIsRDB reports whether a file starts with "REDIS".
func fileIsRDB(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("Cannot open file %s: %s", path, strerror(err))
	}
	defer f.Close()
	var sig [5]byte
	n, _ := io.ReadFull(f, sig[:])
	return n == 5 && string(sig[:]) == "REDIS", nil
}

func (c *checker) multiPart(path string) error {
	out := c.out
	fmt.Fprintf(out, "Start checking Multi Part AOF\n")
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(out, "Fatal error: can't open the AOF manifest file %s for reading: %s\n", path, strerror(err))
		return ErrCheckFailed
	}
	m, err := ParseManifest(data)
	if err != nil {
		var me *ManifestError
		if errors.As(err, &me) {
			fmt.Fprint(out, me.Banner())
		} else {
			fmt.Fprintln(out, err)
		}
		return ErrCheckFailed
	}
	dir := filepath.Dir(path)
	total := len(m.Incr)
	if m.Base != nil {
		total++
	}
	n := 0
	if m.Base != nil {
		n++
		p := filepath.Join(dir, m.Base.Name)
		rdb, err := fileIsRDB(p)
		if err != nil {
			fmt.Fprintln(out, err)
			return ErrCheckFailed
		}
		format := "RESP"
		if rdb {
			format = "RDB"
		}
		fmt.Fprintf(out, "Start to check BASE AOF (%s format).\n", format)
		res, err := c.single(m.Base.Name, p, n == total, rdb)
		if err != nil {
			return err
		}
		c.printStyle(res, m.Base.Name, "BASE")
	}
	if len(m.Incr) > 0 {
		fmt.Fprintf(out, "Start to check INCR files.\n")
		for _, fi := range m.Incr {
			n++
			res, err := c.single(fi.Name, filepath.Join(dir, fi.Name), n == total, false)
			if err != nil {
				return err
			}
			c.printStyle(res, fi.Name, "INCR")
		}
	}
	fmt.Fprintf(out, "All AOF files and manifest are valid\n")
	return nil
}

func (c *checker) printStyle(res checkResult, name, kind string) {
	switch res {
	case checkEmpty:
		fmt.Fprintf(c.out, "%s AOF %s is empty\n", kind, name)
	case checkOK:
		fmt.Fprintf(c.out, "%s AOF %s is valid\n", kind, name)
	}
}

type checkResult int

const (
	checkOK checkResult = iota
	checkEmpty
	checkTruncated // fixed: redis-check-aof then says nothing more
)

// checker holds redis-check-aof's state, which (being C statics) runs on
// from one file to the next: the line count and the error message.
type checker struct {
	out  io.Writer
	fix  bool
	rdb  func(io.Reader, io.Writer) error
	line int64
	err  string
	epos int64
	// hdr is readLong's 128-byte line buffer as seen when reading argc:
	// what an earlier, longer line left after the NUL shows in
	// redis-check-aof's "Expected \r\n" message. Reading a bulk length,
	// it shows zeros there (observed), so that buffer is cleared first.
	hdr [128]byte

	cr countingReader
	br *bufio.Reader
}

func (c *checker) off() int64 { return c.cr.n - int64(c.br.Buffered()) }

// setErr is redis-check-aof's ERROR: the message prefixed by the offset
// of the failed read.
func (c *checker) setErr(format string, args ...any) {
	// The message is a C string: a NUL byte in it ends it.
	c.err = string(cstr(fmt.Appendf(nil, "0x%16x: "+format, append([]any{c.epos}, args...)...)))
}

// single checks one file (checkSingleAof); name is how the report calls
// it. A nil error with checkOK means valid or fixed.
func (c *checker) single(name, path string, last, rdb bool) (checkResult, error) {
	out := c.out
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(out, "Cannot open file %s: %s, aborting...\n", path, strerror(err))
		return 0, ErrCheckFailed
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fmt.Fprintf(out, "Cannot stat file: %s, aborting...\n", name)
		return 0, ErrCheckFailed
	}
	size := st.Size()
	if size == 0 {
		return checkEmpty, nil
	}
	c.cr = countingReader{r: f}
	c.br = bufio.NewReaderSize(&c.cr, 64*1024)
	var pos int64
	if rdb && c.rdb == nil {
		fmt.Fprintf(out, "RDB preamble not checked (no RDB reader); taking the whole file for it.\n")
		pos = size
	} else {
		if rdb {
			if err := c.rdb(c.br, out); err != nil {
				fmt.Fprintf(out, "RDB preamble of AOF file is not sane, aborting.\n")
				return 0, ErrCheckFailed
			}
			fmt.Fprintf(out, "RDB preamble is OK, proceeding with AOF tail...\n")
		}
		pos = c.process(name, size)
	}
	diff := size - pos
	fmt.Fprintf(out, "AOF analyzed: filename=%s, size=%d, ok_up_to=%d, ok_up_to_line=%d, diff=%d\n", name, size, pos, c.line, diff)
	if diff > 0 {
		if !c.fix {
			fmt.Fprintf(out, "AOF %s is not valid. Use the --fix option to try fixing it.\n", name)
			return 0, ErrCheckFailed
		}
		if !last {
			fmt.Fprintf(out, "Failed to truncate AOF %s because it is not the last file\n", name)
			return 0, ErrCheckFailed
		}
		fmt.Fprintf(out, "This will shrink the AOF %s from %d bytes, with %d bytes, to %d bytes\n", name, size, diff, pos)
		if err := f.Truncate(pos); err != nil {
			fmt.Fprintf(out, "Failed to truncate AOF %s\n", name)
			return 0, ErrCheckFailed
		}
		fmt.Fprintf(out, "Successfully truncated AOF %s\n", name)
		return checkTruncated, nil
	}
	return checkOK, nil
}

// process walks the commands and annotations and returns the offset up
// to which the file is valid: the start of the first bad command, or of
// an unfinished MULTI.
func (c *checker) process(name string, size int64) int64 {
	var pos int64
	multi := 0
	atEOF := false
	for {
		if multi == 0 {
			pos = c.off()
		}
		b, err := c.br.Peek(1)
		if err != nil {
			atEOF = true
			break
		}
		if b[0] == '*' {
			ok, eof := c.processRESP(name, size, &multi)
			if !ok {
				atEOF = eof
				break
			}
		} else if b[0] == '#' {
			c.epos = c.off()
			c.fgets(lineMax)
		} else {
			fmt.Fprintf(c.out, "AOF %s format error\n", name)
			break
		}
	}
	if atEOF && multi != 0 && c.err == "" {
		c.setErr("Reached EOF before reading EXEC for MULTI")
	}
	if c.err != "" {
		fmt.Fprintf(c.out, "%s\n", c.err)
	}
	return pos
}

// fgets reads like C fgets into a buffer of max+1 bytes.
func (c *checker) fgets(max int) []byte {
	p, _ := c.br.Peek(max)
	if len(p) == 0 {
		return nil
	}
	n := len(p)
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		n = i + 1
	}
	c.br.Discard(n)
	return p[:n]
}

// processRESP checks one command. eof reports that reading hit the end of
// the file (C's feof), which decides the unfinished-MULTI message.
func (c *checker) processRESP(name string, size int64, multi *int) (ok, eof bool) {
	argc, ok, eof := c.readLong('*', false)
	if !ok {
		return false, eof
	}
	for i := int64(0); i < argc; i++ {
		str, ok, eof := c.readString(size)
		if !ok {
			return false, eof
		}
		if i == 0 {
			s := string(cstr(str))
			if strings.EqualFold(s, "multi") {
				*multi++
				if *multi != 1 {
					c.setErr("Unexpected MULTI in AOF %s", name)
					return false, false
				}
			} else if strings.EqualFold(s, "exec") {
				*multi--
				if *multi != 0 {
					c.setErr("Unexpected EXEC in AOF %s", name)
					return false, false
				}
			}
		}
	}
	return true, false
}

// readLong reads a "<prefix><number>\r\n" line.
func (c *checker) readLong(prefix byte, clear bool) (n int64, ok, eof bool) {
	c.epos = c.off()
	if clear {
		c.hdr = [128]byte{}
	}
	line := c.fgets(len(c.hdr) - 1)
	if line == nil {
		return 0, false, true
	}
	// fgets stopped short of its buffer without a newline: end of file.
	eof = len(line) < len(c.hdr)-1 && line[len(line)-1] != '\n'
	copy(c.hdr[:], line)
	c.hdr[len(line)] = 0
	buf := c.hdr[:]
	if buf[0] != prefix {
		c.setErr("Expected prefix '%c', got: '%s'", prefix, []byte{buf[0]})
		return 0, false, eof
	}
	s := cstr(buf[1:])
	n = strtol(string(s))
	// strtol's end: past the digits, or its start if there are none.
	end := 1 + strtolEnd(s)
	if !c.consumeNewline(buf[end:]) {
		return 0, false, eof
	}
	return n, true, false
}

// strtolEnd is where C strtol stops in s: after the optional blanks,
// sign and digits, or 0 when there are no digits.
func strtolEnd(s []byte) int {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0
	}
	return j
}

// consumeNewline checks that b starts with \r\n, comparing as C strncmp
// (a NUL ends the comparison).
func (c *checker) consumeNewline(b []byte) bool {
	if len(b) >= 2 && b[0] == '\r' && b[1] == '\n' {
		c.line++
		return true
	}
	var b0, b1 byte
	if len(b) > 0 {
		b0 = b[0]
	}
	if len(b) > 1 {
		b1 = b[1]
	}
	c.setErr("Expected \\r\\n, got: %s%s", cHex(b0), cHex(b1))
	return false
}

// cHex prints a C char with %02x: sign-extended when negative.
func cHex(b byte) string {
	if b >= 0x80 {
		return fmt.Sprintf("%x", uint32(int32(int8(b))))
	}
	return fmt.Sprintf("%02x", b)
}

// readString reads a bulk and its \r\n; it returns the bulk.
func (c *checker) readString(size int64) (str []byte, ok, eof bool) {
	n, ok, eof := c.readLong('$', true)
	if !ok {
		return nil, false, eof
	}
	if n < 0 || n > 1<<63-1-2 {
		c.setErr("Expected to read string of %d bytes, which is not in the suitable range", n)
		return nil, false, false
	}
	n += 2
	c.epos = c.off()
	if left := size - c.off(); n > left {
		// fread comes up short at the end of the file.
		got, _ := c.br.Discard(int(max(left, 0)))
		c.setErr("Expected to read %d bytes, got %d bytes", n, got)
		return nil, false, true
	}
	buf := make([]byte, n)
	got, _ := io.ReadFull(c.br, buf)
	if int64(got) != n {
		c.setErr("Expected to read %d bytes, got %d bytes", n, got)
		return nil, false, true
	}
	if !c.consumeNewline(buf[n-2:]) {
		return nil, false, false
	}
	return buf[:n-2], true, false
}

// CheckUsage is the usage line of `respd check-aof`.
const CheckUsage = "Usage: respd check-aof [--fix] <file.manifest|file.aof>"

// CheckMain is `respd check-aof` given its arguments (after the
// subcommand): [--fix] <file.manifest|file.aof>, as redis-check-aof takes
// them (its --truncate-to-timestamp is not supported). It writes the
// report to out and returns the exit status. rdb is CheckOptions.RDB.
func CheckMain(args []string, out io.Writer, rdb func(r io.Reader, out io.Writer) error) int {
	o := CheckOptions{Out: out, RDB: rdb}
	switch {
	case len(args) == 1:
	case len(args) == 2 && args[0] == "--fix":
		o.Fix = true
		args = args[1:]
	default:
		fmt.Fprintln(out, CheckUsage)
		return 1
	}
	if Check(args[0], o) != nil {
		return 1
	}
	return 0
}
