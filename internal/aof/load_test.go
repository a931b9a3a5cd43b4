package aof

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const incrOnly = "file appendonly.aof.1.incr.aof seq 1 type i\n"

func incrPath(dir string) string {
	return filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
}

func TestLoadCommands(t *testing.T) {
	body := cmd("SELECT", "0") + cmd("SET", "a", "1") + "#TS:1700000000\r\n" + cmd("SELECT", "3") + cmd("SET", "b", "") +
		cmd("MULTI") + cmd("INCR", "n") + cmd("INCR", "n") + cmd("EXEC")
	dir := aofDir(t, incrOnly, map[string]string{"appendonly.aof.1.incr.aof": body})
	var r recorder
	a, st, err := Load(dir, testConfig(nil), &r)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	eq(t, "status", st, LoadOK)
	want := [][]string{{"SELECT", "0"}, {"SET", "a", "1"}, {"SELECT", "3"}, {"SET", "b", ""}, {"INCR", "n"}, {"INCR", "n"}}
	if !slices.EqualFunc(r.cmds, want, slices.Equal) {
		t.Errorf("commands %q, want %q (MULTI/EXEC stripped, annotation skipped)", r.cmds, want)
	}
	eq(t, "db 3", strings.Join(r.keys(3), ","), "b=,n=2")
	eq(t, "aof_current_size", a.currentSize, int64(len(body)))
}

// TestLoadTornTail covers every way a write can be torn, with
// aof-load-truncated yes (cut and go on) and no (refuse).
func TestLoadTornTail(t *testing.T) {
	good := cmd("SET", "a", "1")
	tails := []string{
		"*", "*3", "*3\r", "*3\r\n", "*3\r\n$3", "*3\r\n$3\r\n", "*3\r\n$3\r\nSE", "*3\r\n$3\r\nSET", "*3\r\n$3\r\nSET\r",
		"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$100\r\nshort\r\n",
		cmd("MULTI") + cmd("SET", "b", "2"),
		cmd("MULTI"),
		"#TS:1\r\n*2\r\n",
	}
	for _, tail := range tails {
		for _, truncOK := range []bool{true, false} {
			dir := aofDir(t, incrOnly, map[string]string{"appendonly.aof.1.incr.aof": good + tail})
			var sink logSink
			cfg := testConfig(&sink)
			cfg.LoadTruncated = truncOK
			var r recorder
			a, st, err := Load(dir, cfg, &r)
			if !truncOK {
				le := loadErr(t, err)
				contains(t, "error", le.Msg, "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. You can: 1) Make a backup")
				eq(t, "offset", le.Offset, int64(len(good)))
				eq(t, "file untouched", readFile(t, incrPath(dir)), good+tail)
				continue
			}
			if err != nil {
				t.Fatalf("tail %q: %v", tail, err)
			}
			eq(t, "status", st, LoadTruncated)
			eq(t, "file after "+tail, readFile(t, incrPath(dir)), good)
			eq(t, "data", strings.Join(r.keys(0), ","), "a=1")
			for _, l := range []string{
				"# !!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!",
				"# !!! Truncating the AOF appendonly.aof.1.incr.aof at offset 27 !!!",
				"# AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled",
			} {
				if !sink.has(l) {
					t.Errorf("tail %q: log lacks %q:\n%s", tail, l, sink.String())
				}
			}
			if strings.HasPrefix(tail, "*1\r\n$5\r\nMULTI") && !sink.has("Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof") {
				t.Errorf("no revert warning:\n%s", sink.String())
			}
			a.Close()
		}
	}
}

// TestLoadCorruption: malformed commands are refused whatever
// aof-load-truncated says, with the file and offset, never half-loaded.
func TestLoadCorruption(t *testing.T) {
	good := cmd("SET", "a", "1")
	cases := []struct {
		tail string
		off  int64
		msg  string
	}{
		{"x", 27, "Bad file format reading the append only file appendonly.aof.1.incr.aof: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"},
		{"$3\r\nSET\r\n", 27, "Bad file format"},
		{"*0\r\n", 27, "Bad file format"},
		{"*-1\r\n", 27, "Bad file format"},
		{"*abc\r\n", 27, "Bad file format"},
		{"*2\r\n$3\r\nGET\r\n+1\r\n", 40, "Bad file format"},
		{"*1\r\n$-1\r\n", 31, "Bad file format"},
		{"*\x00\r\n" + good, 27, "Unrecoverable error reading the append only file appendonly.aof.1.incr.aof"},
		{cmd("FOO", "x") + good, 27, "Unknown command 'FOO' reading the append only file appendonly.aof.1.incr.aof"},
		{cmd("MULTI") + cmd("FOO") + cmd("EXEC"), 42, "Unknown command 'FOO'"},
	}
	for _, c := range cases {
		for _, truncOK := range []bool{true, false} {
			body := good + c.tail + good
			dir := aofDir(t, incrOnly, map[string]string{"appendonly.aof.1.incr.aof": body})
			cfg := testConfig(nil)
			cfg.LoadTruncated = truncOK
			_, _, err := Load(dir, cfg, &recorder{})
			le := loadErr(t, err)
			contains(t, "error", le.Msg, c.msg)
			eq(t, "file", le.File, "appendonly.aof.1.incr.aof")
			eq(t, "offset of "+c.tail, le.Offset, c.off)
			contains(t, "Error()", err.Error(), "(appendonly.aof.1.incr.aof offset ")
			eq(t, "file untouched", readFile(t, incrPath(dir)), body)
		}
	}
}

// TestLoadQuirks are inputs Redis accepts although its writer never
// produces them; respd accepts them too.
func TestLoadQuirks(t *testing.T) {
	cases := []struct {
		body string
		want []string
	}{
		// The two bytes after a bulk are not checked.
		{"*1\r\n$4\r\nPINGxx" + cmd("SET", "a", "1"), []string{"a=1"}},
		// argc and lengths are read as C atoi/strtol.
		{"*3junk\r\n$3 \r\nSET\r\n$ 1\r\na\r\n$1\r\nb\r\n", []string{"a=b"}},
		// EXEC without MULTI is a no-op; a nested MULTI too.
		{cmd("EXEC") + cmd("MULTI") + cmd("SET", "a", "1") + cmd("multi") + cmd("SET", "b", "2") + cmd("exec"), []string{"a=1", "b=2"}},
		// A header line longer than 1023 bytes goes on as the next line.
		{"#" + strings.Repeat("x", 1022) + cmd("SET", "c", "3"), []string{"c=3"}},
		// Binary-safe values.
		{cmd("SET", "k\r\n", "v\x00\n"), []string{"k\r\n=v\x00\n"}},
	}
	for _, c := range cases {
		dir := aofDir(t, incrOnly, map[string]string{"appendonly.aof.1.incr.aof": c.body})
		var r recorder
		a, _, err := Load(dir, testConfig(nil), &r)
		if err != nil {
			t.Errorf("%q: %v", c.body, err)
			continue
		}
		a.Close()
		eq(t, "data of "+c.body, strings.Join(r.keys(0), ","), strings.Join(c.want, ","))
	}
}

func TestLoadRDBPreamble(t *testing.T) {
	rdb := "REDIS0010<fake rdb body>"
	body := rdb + cmd("SET", "a", "1")
	dir := aofDir(t, "file appendonly.aof.1.base.rdb seq 1 type b\n"+incrOnly, map[string]string{
		"appendonly.aof.1.base.rdb": body + "*2\r\n",
		"appendonly.aof.1.incr.aof": cmd("SET", "b", "2"),
	})
	// The fake RDB reader consumes exactly the RDB part, as the rdb
	// package will.
	r := recorder{rdbFn: func(rd io.Reader) ([]byte, error) {
		b := make([]byte, len(rdb))
		_, err := io.ReadFull(rd, b)
		return b, err
	}}
	_, _, err := Load(dir, testConfig(nil), &r)
	// The torn base is not the last file: refused after truncation.
	le := loadErr(t, err)
	eq(t, "msg", le.Msg, "Fatal error: the truncated file is not the last file")
	// Redis would have cut the base at 0, losing the RDB; respd keeps it.
	eq(t, "base", readFile(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.1.base.rdb")), body)
	r = recorder{rdbFn: r.rdbFn}
	a, st, err := Load(dir, testConfig(nil), &r)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	eq(t, "status", st, LoadOK)
	eq(t, "rdb", string(r.rdbs[0]), rdb)
	eq(t, "data", strings.Join(r.keys(0), ","), "a=1,b=2")
	eq(t, "aof_base_size", a.baseSize, int64(len(body)))
	eq(t, "aof_current_size", a.currentSize, int64(len(body)+len(cmd("SET", "b", "2"))))

	// An RDB reader error refuses, truncated file or not.
	dir = aofDir(t, "file appendonly.aof.1.base.rdb seq 1 type b\n", map[string]string{"appendonly.aof.1.base.rdb": "REDIS0010"})
	_, _, err = Load(dir, testConfig(nil), &recorder{rdbFn: func(rd io.Reader) ([]byte, error) {
		return nil, io.ErrUnexpectedEOF
	}})
	eq(t, "msg", loadErr(t, err).Msg, "Error reading the RDB base file appendonly.aof.1.base.rdb, AOF loading aborted")
}

func TestLoadNotLastFileTruncated(t *testing.T) {
	set := cmd("SET", "a", "1")
	dir := aofDir(t, "file appendonly.aof.1.base.aof seq 1 type b\n"+incrOnly, map[string]string{
		"appendonly.aof.1.base.aof": set + cmd("MULTI"),
		"appendonly.aof.1.incr.aof": cmd("SET", "b", "2"),
	})
	_, _, err := Load(dir, testConfig(nil), &recorder{})
	eq(t, "msg", loadErr(t, err).Msg, "Fatal error: the truncated file is not the last file")
	// As Redis, the file was cut before refusing, so the next start works.
	var r recorder
	a, _, err := Load(dir, testConfig(nil), &r)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	eq(t, "data", strings.Join(r.keys(0), ","), "a=1,b=2")
}

func TestLoadStatuses(t *testing.T) {
	// No directory, no manifest: nothing to load.
	var r recorder
	a, st, err := Load(t.TempDir(), testConfig(nil), &r)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	eq(t, "status", st, LoadNotExist)
	// Only comments: nothing listed.
	a, st, err = Load(aofDir(t, "# nothing\n", nil), testConfig(nil), &r)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	eq(t, "status", st, LoadNotExist)
	// Listed but all empty.
	a, st, err = Load(aofDir(t, "file appendonly.aof.1.base.aof seq 1 type b\n"+incrOnly,
		map[string]string{"appendonly.aof.1.base.aof": "", "appendonly.aof.1.incr.aof": ""}), testConfig(nil), &r)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	eq(t, "status", st, LoadEmpty)
	// Listed but missing.
	_, _, err = Load(aofDir(t, incrOnly, nil), testConfig(nil), &r)
	eq(t, "msg", loadErr(t, err).Msg, "Unable to obtain the AOF file appendonly.aof.1.incr.aof length. stat: No such file or directory")
	// A malformed manifest stops even New (appendonly no).
	_, err = New(aofDir(t, "garbage\n", nil), testConfig(nil))
	me, ok := err.(*ManifestError)
	if !ok {
		t.Fatalf("New: %v, want a *ManifestError", err)
	}
	eq(t, "banner", me.Banner(), "\n*** FATAL AOF MANIFEST FILE ERROR ***\nReading the manifest file, at line 1\n>>> 'garbage'\nInvalid AOF manifest file format\n")
}

func TestLoadUpgradesLegacyFile(t *testing.T) {
	dir := t.TempDir()
	body := cmd("SET", "a", "1") + "*3\r\n"
	writeFile(t, filepath.Join(dir, "appendonly.aof"), body)
	var sink logSink
	var r recorder
	a, st, err := Load(dir, testConfig(&sink), &r)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "status", st, LoadTruncated)
	if _, err := os.Stat(filepath.Join(dir, "appendonly.aof")); !os.IsNotExist(err) {
		t.Errorf("legacy file still in dir: %v", err)
	}
	ad := filepath.Join(dir, "appendonlydir")
	eq(t, "manifest", readFile(t, filepath.Join(ad, "appendonly.aof.manifest")), "file appendonly.aof seq 1 type b\n")
	eq(t, "moved file", readFile(t, filepath.Join(ad, "appendonly.aof")), cmd("SET", "a", "1"))
	if !sink.has("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir).") {
		t.Errorf("log:\n%s", sink.String())
	}
	if err := a.Start(nil); err != nil {
		t.Fatal(err)
	}
	a.Close()
	eq(t, "manifest after start", readFile(t, filepath.Join(ad, "appendonly.aof.manifest")),
		"file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")

	// With a manifest listing incremental files, a stray legacy file is
	// left alone.
	dir = aofDir(t, incrOnly, map[string]string{"appendonly.aof.1.incr.aof": cmd("SET", "x", "1")})
	writeFile(t, filepath.Join(dir, "appendonly.aof"), cmd("SET", "legacy", "1"))
	r = recorder{}
	a, _, err = Load(dir, testConfig(nil), &r)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	eq(t, "data", strings.Join(r.keys(0), ","), "x=1")
}
