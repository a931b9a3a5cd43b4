package aof

import (
	"fmt"
	"strings"
	"testing"

	"github.com/respd/respd/internal/config"
)

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest([]byte("# written by hand\n" +
		"file appendonly.aof.3.base.rdb seq 3 type b\n" +
		"FILE \"with space.aof\" Seq 1 TYPE history future 1\n" +
		"  file appendonly.aof.4.incr.aof seq 4 type incr \r\n" +
		"file 'appendonly.aof.6.incr.aof' seq 6abc type i\n"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "base", *m.Base, FileInfo{"appendonly.aof.3.base.rdb", 3, TypeBase})
	eq(t, "history", len(m.History), 1)
	eq(t, "history[0]", m.History[0], FileInfo{"with space.aof", 1, TypeHistory})
	eq(t, "incr", len(m.Incr), 2)
	eq(t, "incr[1]", m.Incr[1], FileInfo{"appendonly.aof.6.incr.aof", 6, TypeIncr})
	eq(t, "BaseSeq", m.BaseSeq, int64(3))
	eq(t, "IncrSeq", m.IncrSeq, int64(6))
	eq(t, "encoded", string(m.Encode()), "file appendonly.aof.3.base.rdb seq 3 type b\n"+
		"file \"with space.aof\" seq 1 type h\n"+
		"file appendonly.aof.4.incr.aof seq 4 type i\nfile appendonly.aof.6.incr.aof seq 6 type i\n")
}

// TestParseManifestErrors: Redis's message for each malformation, with
// the line it names (the interop tests check these against redis-server).
func TestParseManifestErrors(t *testing.T) {
	long := strings.Repeat("a", 1100)
	cases := []struct {
		in   string
		line int
		text string
		msg  string
	}{
		{"", 0, "", "Found an empty AOF manifest"},
		{"\n", 1, "", "Invalid AOF manifest file format"},
		{"file a seq 1 type i", 0, "", "The AOF manifest file contains too long line"},
		{"file a seq 1 type i\x00\n", 0, "", "The AOF manifest file contains too long line"},
		{"file a seq 1 type i x " + long + "\n", 0, "", "The AOF manifest file contains too long line"},
		{"#" + long + "\n", 2, strings.Repeat("a", 1100-1023), "Invalid AOF manifest file format"},
		{"file a seq 1 type i\n\n", 2, "", "Invalid AOF manifest file format"},
		{"file a seq 1 type i extra\n", 1, "file a seq 1 type i extra", "Invalid AOF manifest file format"},
		{"file \"a seq 1 type i\n", 1, "file \"a seq 1 type i", "Invalid AOF manifest file format"},
		{"file \"a\"b seq 1 type i\n", 1, "file \"a\"b seq 1 type i", "Invalid AOF manifest file format"},
		{"file a/b seq 1 type i\n", 1, "file a/b seq 1 type i", "File can't be a path, just a filename"},
		{"file a\\b seq 1 type i\n", 1, "file a\\b seq 1 type i", "File can't be a path, just a filename"},
		{"file a seq 0 type i\n", 1, "file a seq 0 type i", "Invalid AOF manifest file format"},
		{"file a seq x type i\n", 1, "file a seq x type i", "Invalid AOF manifest file format"},
		{"name a seq 1 type i\n", 1, "name a seq 1 type i", "Invalid AOF manifest file format"},
		{"file a seq 1 type \"\"\n", 1, "file a seq 1 type \"\"", "Invalid AOF manifest file format"},
		{"file a seq 1 type x\n", 1, "file a seq 1 type x", "Unknown AOF file type"},
		{"file a seq 1 type B\n", 1, "file a seq 1 type B", "Unknown AOF file type"},
		{"file a seq 1 type b\nfile b seq 2 type b\n", 2, "file b seq 2 type b", "Found duplicate base file information"},
		{"file a seq 2 type i\nfile b seq 2 type i\n", 2, "file b seq 2 type i", "Found a non-monotonic sequence number"},
		{"file a seq -1 type i\n", 1, "file a seq -1 type i", "Found a non-monotonic sequence number"},
	}
	for _, c := range cases {
		_, err := ParseManifest([]byte(c.in))
		me, ok := err.(*ManifestError)
		if !ok {
			t.Errorf("%q: error %v, want a *ManifestError", c.in, err)
			continue
		}
		if me.Line != c.line || me.Text != c.text || me.Msg != c.msg {
			t.Errorf("%q: got line %d %q %q, want line %d %q %q", c.in, me.Line, me.Text, me.Msg, c.line, c.text, c.msg)
		}
	}
}

func TestEncodeQuotesNames(t *testing.T) {
	m := &Manifest{}
	m.newBase(`a b"c.aof`, true)
	m.newIncr(`a b"c.aof`)
	m.Incr = append(m.Incr, FileInfo{"it's\t\x01\xff", 2, TypeIncr}, FileInfo{"", 3, TypeIncr})
	enc := string(m.Encode())
	eq(t, "encoded", enc, "file \"a b\\\"c.aof.1.base.rdb\" seq 1 type b\n"+
		"file \"a b\\\"c.aof.1.incr.aof\" seq 1 type i\n"+
		"file \"it's\\t\\x01\\xff\" seq 2 type i\nfile \"\" seq 3 type i\n")
	back, err := ParseManifest([]byte(enc))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "round trip", string(back.Encode()), enc)
}

// TestFromServerConfig: the server's defaults are Redis's, and CONFIG
// values map to the fields.
func TestFromServerConfig(t *testing.T) {
	c := config.New()
	eq(t, "defaults", fmt.Sprintf("%+v", FromServerConfig(c)), fmt.Sprintf("%+v", DefaultConfig()))
	for _, kv := range [][2]string{{"appendfsync", "always"}, {"aof-use-rdb-preamble", "no"}, {"aof-load-truncated", "no"},
		{"aof-disable-auto-gc", "yes"}, {"auto-aof-rewrite-percentage", "50"}, {"auto-aof-rewrite-min-size", "1mb"}} {
		if err := c.Set(kv[0], kv[1], false); err != nil {
			t.Fatal(err)
		}
	}
	got := FromServerConfig(c)
	want := DefaultConfig()
	want.Fsync, want.UseRDBPreamble, want.LoadTruncated, want.DisableAutoGC = FsyncAlways, false, false, true
	want.RewritePercentage, want.RewriteMinSize = 50, 1<<20
	eq(t, "after CONFIG SET", fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want))
}
