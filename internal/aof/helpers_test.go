package aof

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/respd/respd/internal/resp"
)

// recorder is a Handler that keeps what it is fed and runs the few
// string commands the tests use on a map, to compare datasets.
type recorder struct {
	rdbs  [][]byte
	cmds  [][]string
	db    int
	data  map[int]map[string]string
	rdbFn func(r io.Reader) ([]byte, error) // nil: read everything
}

// knownCommands are the commands recorder accepts; anything else is an
// unknown command, as in Redis.
var knownCommands = []string{"set", "del", "incr", "append", "select", "ping", "flushall", "expire", "pexpireat", "rpush", "sadd", "hset", "zadd"}

func (r *recorder) LoadRDB(rd io.Reader) error {
	read := r.rdbFn
	if read == nil {
		read = io.ReadAll
	}
	b, err := read(rd)
	r.rdbs = append(r.rdbs, b)
	return err
}

func (r *recorder) Command(args [][]byte) error {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = string(a)
	}
	name := strings.ToLower(s[0])
	if !slices.Contains(knownCommands, name) {
		return fmt.Errorf("Unknown command '%s'", s[0])
	}
	r.cmds = append(r.cmds, s)
	if r.data == nil {
		r.data = map[int]map[string]string{}
	}
	db := r.data[r.db]
	if db == nil {
		db = map[string]string{}
		r.data[r.db] = db
	}
	switch name {
	case "select":
		n, err := strconv.Atoi(s[1])
		if err != nil {
			return err
		}
		r.db = n
	case "set":
		db[s[1]] = s[2]
	case "append":
		db[s[1]] += s[2]
	case "del":
		for _, k := range s[1:] {
			delete(db, k)
		}
	case "incr":
		n, _ := strconv.Atoi(db[s[1]])
		db[s[1]] = strconv.Itoa(n + 1)
	case "flushall":
		r.data = nil
	}
	return nil
}

// keys is the dataset of db as sorted "key=value" strings.
func (r *recorder) keys(db int) []string {
	var out []string
	for k, v := range r.data[db] {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// aofDir makes a server dir holding an AOF directory with a manifest and
// files; it returns the server dir.
func aofDir(t *testing.T, manifest string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	ad := filepath.Join(dir, "appendonlydir")
	if err := os.Mkdir(ad, 0o755); err != nil {
		t.Fatal(err)
	}
	if manifest != "" {
		writeFile(t, filepath.Join(ad, "appendonly.aof.manifest"), manifest)
	}
	for name, body := range files {
		writeFile(t, filepath.Join(ad, name), body)
	}
	return dir
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cmd encodes one command as the AOF holds it.
func cmd(args ...string) string {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return string(resp.AppendCommand(nil, b...))
}

// logSink collects log lines for assertions.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) log(level LogLevel, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	mark := "*"
	if level == LogWarning {
		mark = "#"
	}
	l.lines = append(l.lines, mark+" "+msg)
}

func (l *logSink) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// testConfig is the default configuration logging into sink.
func testConfig(sink *logSink) Config {
	cfg := DefaultConfig()
	if sink != nil {
		cfg.Log = sink.log
	}
	return cfg
}

// loadErr returns the *LoadError in err, failing the test if there is none.
func loadErr(t *testing.T, err error) *LoadError {
	t.Helper()
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %v (%T) is not a *LoadError", err, err)
	}
	return le
}

// eq fails the test when got and want differ.
func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// contains fails the test when s lacks sub.
func contains(t *testing.T, what, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%s = %q, want it to contain %q", what, s, sub)
	}
}
