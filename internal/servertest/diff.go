package servertest

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/resp"
)

// Diff runs every differential script matching glob against respd (addr)
// and the real redis-server (oracle) and fails the test where replies
// differ. Each script gets fresh connections and starts with FLUSHALL.
//
// A script has one command per line, quoted as redis-cli quotes
// ("a b", 'c', "\x00"); blank lines and lines starting with # are skipped.
// A line may start with a directive:
//
//	!sorted CMD ...  compare the array reply's elements as sorted sets
//	!type CMD ...    compare only the reply's type (and array length)
//	!sleep MS        wait MS milliseconds (expiry tests)
//	!replies N CMD   the command sends N replies (SUBSCRIBE a b); compare each
func Diff(t *testing.T, addr, oracle, glob string) {
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no differential scripts match %s", glob)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { RunScript(t, addr, oracle, f) })
	}
}

// RunScript runs one differential script file (see Diff).
func RunScript(t *testing.T, addr, oracle, file string) {
	RunScriptProto(t, addr, oracle, file, 2)
}

// RunScriptProto is RunScript with both connections switched to RESP
// version proto (HELLO 3) first.
func RunScriptProto(t *testing.T, addr, oracle, file string, proto int) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ours, theirs := Dial(t, addr), Dial(t, oracle)
	for _, c := range []*Conn{ours, theirs} {
		if proto == 3 {
			c.Do("HELLO", "3")
		}
		if r := c.Do("FLUSHALL"); r != "+OK\r\n" {
			t.Fatalf("FLUSHALL: %q", r)
		}
	}
	var p resp.Parser
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		mode, replies := "", 1
		if line[0] == '!' {
			mode, line, _ = strings.Cut(line[1:], " ")
			switch mode {
			case "sleep":
				ms, _ := strconv.Atoi(line)
				time.Sleep(time.Duration(ms) * time.Millisecond)
				continue
			case "replies":
				var count string
				count, line, _ = strings.Cut(line, " ")
				replies, _ = strconv.Atoi(count)
				mode = ""
			}
		}
		args, _, err := p.Parse([]byte(line+"\n"), nil)
		if err != nil || len(args) == 0 {
			t.Fatalf("%s:%d: cannot parse %q", file, n+1, line)
		}
		strs := make([]string, len(args))
		for i, a := range args {
			strs[i] = string(a)
		}
		req := Encode(strs...)
		ours.Write(req)
		theirs.Write(req)
		for i := 0; i < replies; i++ {
			got, want := ours.Read(), theirs.Read()
			if !SameReply(mode, got, want) {
				t.Errorf("%s:%d: %s (reply %d)\n respd: %q\n redis: %q", filepath.Base(file), n+1, line, i+1, got, want)
			}
		}
	}
}

// SameReply compares two raw replies under a script mode: "" exact,
// "sorted" array elements as a multiset, "type" only the reply type.
func SameReply(mode, got, want string) bool {
	switch mode {
	case "", "exact":
		return got == want
	case "type":
		if got == "" || want == "" || got[0] != want[0] {
			return false
		}
		if got[0] == '*' {
			return firstLine(got) == firstLine(want)
		}
		return true
	case "sorted":
		g, w := elements(got), elements(want)
		if g == nil || w == nil {
			return got == want
		}
		slices.Sort(g)
		slices.Sort(w)
		return slices.Equal(g, w)
	}
	return false
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\r\n")
	return l
}

// elements splits an array reply into its elements' raw bytes, or nil if
// the reply is not an array.
func elements(raw string) []string {
	if raw == "" || (raw[0] != '*' && raw[0] != '~' && raw[0] != '%') {
		return nil
	}
	r := bufio.NewReader(strings.NewReader(raw))
	var hdr []byte
	line, err := readLine(r, &hdr)
	if err != nil {
		return nil
	}
	n, err := strconv.Atoi(line)
	if err != nil || n < 0 {
		return nil
	}
	if raw[0] == '%' {
		n *= 2 // a map's keys and values, compared as one multiset
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var b []byte
		if err := readValue(r, &b); err != nil {
			return nil
		}
		out = append(out, string(bytes.Clone(b)))
	}
	return out
}
