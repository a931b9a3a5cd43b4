package aof

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/respd/respd/internal/config"
)

// FileType is the one-letter type of a manifest line.
type FileType byte

// The file types Redis writes in a manifest.
const (
	TypeBase    FileType = 'b'
	TypeHistory FileType = 'h'
	TypeIncr    FileType = 'i'
)

// FileInfo is one manifest line.
type FileInfo struct {
	Name string
	Seq  int64
	Type FileType
}

// Manifest lists the files of an AOF directory. The zero value is an
// empty manifest (no AOF yet).
type Manifest struct {
	Base    *FileInfo
	History []FileInfo
	Incr    []FileInfo
	// BaseSeq and IncrSeq are the last sequence numbers handed out; the
	// next base or incremental file takes the following one. History
	// lines do not move them, as in Redis.
	BaseSeq, IncrSeq int64
}

// manifestMaxLine is the longest manifest line Redis reads (its fgets
// buffer is one byte more, for the NUL).
const manifestMaxLine = 1024

// ManifestError is a manifest Redis refuses to start with. Line is 0 when
// Redis names no line (empty file, over-long line).
type ManifestError struct {
	Line int
	Text string // the line, trimmed
	Msg  string
}

// Error gives the lines Redis logs after its banner.
func (e *ManifestError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return "Reading the manifest file, at line " + strconv.Itoa(e.Line) + "\n>>> '" + e.Text + "'\n" + e.Msg
}

// Banner renders the error as Redis logs it before exiting.
func (e *ManifestError) Banner() string {
	return "\n*** FATAL AOF MANIFEST FILE ERROR ***\n" + e.Error() + "\n"
}

// The manifest errors, with Redis's texts.
const (
	errManifestEmpty    = "Found an empty AOF manifest"
	errManifestTooLong  = "The AOF manifest file contains too long line"
	errManifestFormat   = "Invalid AOF manifest file format"
	errManifestPath     = "File can't be a path, just a filename"
	errManifestBaseDup  = "Found duplicate base file information"
	errManifestSeq      = "Found a non-monotonic sequence number"
	errManifestFileType = "Unknown AOF file type"
)

// ParseManifest reads a manifest as Redis 7.0 does; doc.go states the
// rules. Errors are *ManifestError.
func ParseManifest(data []byte) (*Manifest, error) {
	m := &Manifest{}
	var maxSeq int64
	pos, num := 0, 0
	for pos < len(data) {
		// One fgets: up to manifestMaxLine bytes, through a newline.
		end := min(pos+manifestMaxLine, len(data))
		if i := bytes.IndexByte(data[pos:end], '\n'); i >= 0 {
			end = pos + i + 1
		}
		chunk := data[pos:end]
		pos = end
		num++
		if chunk[0] == '#' {
			continue
		}
		// Redis sees a C string: a NUL hides the rest, newline included.
		if z := bytes.IndexByte(chunk, 0); z >= 0 {
			chunk = chunk[:z]
		}
		if bytes.IndexByte(chunk, '\n') < 0 {
			return nil, &ManifestError{Msg: errManifestTooLong}
		}
		line := strings.Trim(string(chunk), " \t\r\n")
		fail := func(msg string) (*Manifest, error) {
			return nil, &ManifestError{Line: num, Text: line, Msg: msg}
		}
		if line == "" {
			return fail(errManifestFormat)
		}
		argv, ok := config.SplitArgs(line)
		if !ok || len(argv) < 6 || len(argv)%2 != 0 {
			return fail(errManifestFormat)
		}
		var fi FileInfo
		named := false
		for i := 0; i < len(argv); i += 2 {
			switch v := argv[i+1]; strings.ToLower(argv[i]) {
			case "file":
				if strings.ContainsAny(v, `/\`) {
					return fail(errManifestPath)
				}
				fi.Name, named = v, true
			case "seq":
				fi.Seq = atoll(v)
			case "type":
				fi.Type = 0
				if v != "" {
					fi.Type = FileType(v[0])
				}
			}
		}
		if !named || fi.Seq == 0 || fi.Type == 0 {
			return fail(errManifestFormat)
		}
		switch fi.Type {
		case TypeBase:
			if m.Base != nil {
				return fail(errManifestBaseDup)
			}
			m.Base = &fi
			m.BaseSeq = fi.Seq
		case TypeHistory:
			m.History = append(m.History, fi)
		case TypeIncr:
			if fi.Seq <= maxSeq {
				return fail(errManifestSeq)
			}
			m.Incr = append(m.Incr, fi)
			m.IncrSeq, maxSeq = fi.Seq, fi.Seq
		default:
			return fail(errManifestFileType)
		}
	}
	if num == 0 {
		return nil, &ManifestError{Msg: errManifestEmpty}
	}
	return m, nil
}

// atoll is C's atoll as glibc implements it (strtoll base 10): leading
// white space, an optional sign, then digits; anything else ends the
// number; overflow saturates.
func atoll(s string) int64 {
	return strtol(s)
}

// strtol parses like C strtol(s, NULL, 10), saturating on overflow.
func strtol(s string) int64 {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var n uint64
	over := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n > (1<<63)/10 {
			over = true
			continue
		}
		n = n*10 + uint64(s[i]-'0')
		if n > 1<<63 {
			over = true
		}
	}
	switch {
	case neg && (over || n == 1<<63):
		return -1 << 63
	case over || n >= 1<<63:
		return 1<<63 - 1
	case neg:
		return -int64(n)
	}
	return int64(n)
}

func isCSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

// Encode renders the manifest as Redis writes it: base, history, then
// incremental files.
func (m *Manifest) Encode() []byte {
	var b []byte
	put := func(fi FileInfo) {
		name := fi.Name
		if needsRepr(name) {
			name = config.Repr(name)
		}
		b = fmt.Appendf(b, "file %s seq %d type %c\n", name, fi.Seq, fi.Type)
	}
	if m.Base != nil {
		put(*m.Base)
	}
	for _, fi := range m.History {
		put(fi)
	}
	for _, fi := range m.Incr {
		put(fi)
	}
	return b
}

// needsRepr reports whether a file name is quoted in the manifest: when
// a plain word would not read back as the same name. Redis quotes the
// same bytes except two it gets wrong, leaving a manifest it cannot read
// back: a single quote, and the empty name.
func needsRepr(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\', c == '"', c == '\'', isCSpace(c), c < 0x20, c >= 0x7f:
			return true
		}
	}
	return false
}

// Clone returns a deep copy, to be modified and persisted before it
// replaces the current manifest.
func (m *Manifest) Clone() *Manifest {
	c := *m
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	c.History = append([]FileInfo(nil), m.History...)
	c.Incr = append([]FileInfo(nil), m.Incr...)
	return &c
}

// Empty reports whether the manifest lists no base and no incremental
// file, so there is no dataset to load.
func (m *Manifest) Empty() bool { return m.Base == nil && len(m.Incr) == 0 }

// newBase names the next base file and turns the current base, if any,
// into history, as Redis does when a rewrite finishes.
func (m *Manifest) newBase(fileName string, rdb bool) string {
	if m.Base != nil {
		m.Base.Type = TypeHistory
		m.History = append(m.History, *m.Base)
	}
	m.BaseSeq++
	suffix := ".aof"
	if rdb {
		suffix = ".rdb"
	}
	name := fileName + "." + strconv.FormatInt(m.BaseSeq, 10) + ".base" + suffix
	m.Base = &FileInfo{Name: name, Seq: m.BaseSeq, Type: TypeBase}
	return name
}

// newIncr names and lists the next incremental file.
func (m *Manifest) newIncr(fileName string) string {
	m.IncrSeq++
	name := fileName + "." + strconv.FormatInt(m.IncrSeq, 10) + ".incr.aof"
	m.Incr = append(m.Incr, FileInfo{Name: name, Seq: m.IncrSeq, Type: TypeIncr})
	return name
}

// retireIncr turns the incremental files before the last keep ones into
// history: their commands are in the new base.
func (m *Manifest) retireIncr(keep int) {
	n := max(len(m.Incr)-keep, 0)
	for _, fi := range m.Incr[:n] {
		fi.Type = TypeHistory
		m.History = append(m.History, fi)
	}
	m.Incr = append([]FileInfo(nil), m.Incr[n:]...)
}

// Names of the fixed files of an AOF directory.
func manifestName(fileName string) string     { return fileName + ".manifest" }
func tempManifestName(fileName string) string { return "temp-" + fileName + ".manifest" }
func tempIncrName(fileName string) string     { return "temp-" + fileName + ".incr" }

// ReadManifest reads and parses the manifest of the AOF directory
// aofDir. It returns (nil, nil) when there is no manifest.
func ReadManifest(aofDir, fileName string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(aofDir, manifestName(fileName)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("Fatal error: can't open the AOF manifest file %s for reading: %s", manifestName(fileName), strerror(err))
	}
	return ParseManifest(data)
}

// WriteManifest replaces the manifest of aofDir atomically: temp file,
// fsync, rename, fsync of the directory.
func WriteManifest(aofDir, fileName string, m *Manifest) error {
	tmp := filepath.Join(aofDir, tempManifestName(fileName))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("Can't open the AOF manifest file %s: %s", tempManifestName(fileName), strerror(err))
	}
	if _, err = f.Write(m.Encode()); err != nil {
		f.Close()
		return fmt.Errorf("Failed to write the temp AOF manifest file %s: %s", tempManifestName(fileName), strerror(err))
	}
	if err = syncFile(f); err != nil {
		f.Close()
		return fmt.Errorf("Fail to fsync the temp AOF file %s: %s.", tempManifestName(fileName), strerror(err))
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("Failed to write the temp AOF manifest file %s: %s", tempManifestName(fileName), strerror(err))
	}
	if err = os.Rename(tmp, filepath.Join(aofDir, manifestName(fileName))); err != nil {
		return fmt.Errorf("Error trying to rename the temporary AOF manifest file %s into %s: %s", tempManifestName(fileName), manifestName(fileName), strerror(err))
	}
	if err = syncDir(aofDir); err != nil {
		return fmt.Errorf("Fail to fsync AOF directory %s: %s.", aofDir, strerror(err))
	}
	return nil
}
