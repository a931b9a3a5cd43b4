package aof

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
)

// replayBytes replays data with a recorder accepting every command.
func replayBytes(data []byte) (cmds [][]string, valid int64, torn bool, err error) {
	r := &anyCommand{}
	valid, torn, err = replay("f", bytes.NewReader(data), int64(len(data)), r, false, func(LogLevel, string, ...any) {})
	return r.cmds, valid, torn, err
}

// anyCommand records every command; an RDB preamble fails (the fuzzer
// has no RDB reader).
type anyCommand struct{ cmds [][]string }

func (a *anyCommand) LoadRDB(io.Reader) error { return errors.New("no RDB here") }

func (a *anyCommand) Command(args [][]byte) error {
	s := make([]string, len(args))
	for i, b := range args {
		s[i] = string(b)
	}
	a.cmds = append(a.cmds, s)
	return nil
}

// checkBody runs redis-check-aof's walk over data and reports whether it
// finds the whole of it valid.
func checkBody(data []byte) bool {
	c := &checker{out: io.Discard, line: 1}
	c.cr = countingReader{r: bytes.NewReader(data)}
	c.br = bufio.NewReaderSize(&c.cr, 64*1024)
	pos := c.process("f", int64(len(data)))
	return pos == int64(len(data)) && c.err == ""
}

// FuzzAOFCommands: the loader never panics or over-allocates; a torn
// file cut where the loader says is clean and holds the same commands;
// what redis-check-aof's rules find valid, the loader loads whole.
func FuzzAOFCommands(f *testing.F) {
	for _, c := range checkCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cmds, valid, torn, err := replayBytes(data)
		if valid < 0 || valid > int64(len(data)) {
			t.Fatalf("valid offset %d outside [0,%d]", valid, len(data))
		}
		var le *LoadError
		if err != nil && (!errors.As(err, &le) || le.Offset < 0 || le.Offset > int64(len(data))) {
			t.Fatalf("error %v is not a *LoadError with an offset in the file", err)
		}
		if torn {
			again, v2, torn2, err2 := replayBytes(data[:valid])
			if err2 != nil || torn2 || v2 != valid {
				t.Fatalf("cut at %d: err %v torn %v valid %d", valid, err2, torn2, v2)
			}
			if !slices.EqualFunc(again, cmds, slices.Equal) {
				t.Fatalf("cut file gives %q, the torn one gave %q", again, cmds)
			}
		}
		if checkBody(data) && len(data) > 0 && data[0] != 'R' {
			if torn {
				t.Fatalf("checker finds it valid, loader finds it torn at %d", valid)
			}
			if err != nil {
				// The one thing the checker lets through: argc < 1.
				p := data[le.Offset:]
				if p[0] != '*' || int32(strtol(string(cstr(p[1:min(len(p), lineMax)])))) >= 1 {
					t.Fatalf("checker finds it valid, loader refuses: %v", err)
				}
			}
		}
	})
}

// FuzzManifest: the parser never panics; what it accepts encodes to a
// manifest that parses back to the same thing.
func FuzzManifest(f *testing.F) {
	for _, s := range []string{
		"file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
		"file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.1.base.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n",
		"# comment\nFILE \"a b\" SEQ 1 TYPE incr extra 1\n",
		"file 'x\\'y' seq 1 type i\n",
		"file \"\\x00\\xff\" seq -3 type h\nfile \"\" seq 9 type b\n",
		"", "\n", "file x seq 1 type i", "file x seq 0 type i\n", "file a/b seq 1 type i\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			var me *ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		enc := m.Encode()
		m2, err := ParseManifest(enc)
		if len(enc) == 0 {
			// Nothing listed: encodes to an empty file, which Redis would
			// refuse; a manifest is only written with something in it.
			return
		}
		if err != nil {
			t.Fatalf("encoded manifest %q does not parse: %v", enc, err)
		}
		if !bytes.Equal(m2.Encode(), enc) || m2.BaseSeq != m.BaseSeq || m2.IncrSeq != m.IncrSeq {
			t.Fatalf("round trip: %+v became %+v", m, m2)
		}
	})
}
