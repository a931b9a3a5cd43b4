package aof

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respd/respd/internal/resp"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncLog records fsync calls: the file and its size at the time, so a
// test can tell what had been written when the fsync happened.
type syncLog struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (s *syncLog) sync(f *os.File) error {
	st, _ := f.Stat()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, filepath.Base(f.Name())+":"+itoa(st.Size()))
	return s.err
}

func (s *syncLog) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// newTestAOF opens an AOF in a fresh dir with an injected clock and
// fsync, without starting it.
func newTestAOF(t *testing.T, cfg Config) (*AOF, *clock, *syncLog) {
	t.Helper()
	a, err := New(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Unix(1700000000, 0)}
	s := &syncLog{}
	a.now, a.syncFn = c.now, s.sync
	t.Cleanup(func() { a.Close() })
	return a, c, s
}

// baseOf writes the given commands as a command-form base.
func baseOf(cmds ...string) func(w io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(cmds, ""))
		return err
	}
}

func dirFiles(t *testing.T, a *AOF) []string {
	t.Helper()
	ents, err := os.ReadDir(a.aofDir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestStartCreatesBaseIncrManifest(t *testing.T) {
	var sink logSink
	cfg := testConfig(&sink)
	cfg.UseRDBPreamble = false
	a, _, _ := newTestAOF(t, cfg)
	if err := a.Start(baseOf(cmd("SET", "k", "v"))); err != nil {
		t.Fatal(err)
	}
	eq(t, "files", strings.Join(dirFiles(t, a), ","), "appendonly.aof.1.base.aof,appendonly.aof.1.incr.aof,appendonly.aof.manifest")
	eq(t, "manifest", readFile(t, filepath.Join(a.aofDir(), "appendonly.aof.manifest")),
		"file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
	eq(t, "base", readFile(t, filepath.Join(a.aofDir(), "appendonly.aof.1.base.aof")), cmd("SET", "k", "v"))
	for _, l := range []string{"* Creating AOF base file appendonly.aof.1.base.aof on server start", "* Creating AOF incr file appendonly.aof.1.incr.aof on server start"} {
		if !sink.has(l) {
			t.Errorf("log lacks %q:\n%s", l, sink.String())
		}
	}
	// With the RDB preamble, the base is named .rdb.
	cfg.UseRDBPreamble = true
	b, _, _ := newTestAOF(t, cfg)
	if err := b.Start(baseOf("REDIS0010")); err != nil {
		t.Fatal(err)
	}
	eq(t, "files", strings.Join(dirFiles(t, b), ","), "appendonly.aof.1.base.rdb,appendonly.aof.1.incr.aof,appendonly.aof.manifest")
}

func TestAppendFlushWrites(t *testing.T) {
	cfg := testConfig(nil)
	cfg.Fsync = FsyncNo
	a, _, s := newTestAOF(t, cfg)
	// Off: appended commands are dropped.
	a.Append([]byte(cmd("SET", "dropped", "1")))
	if err := a.Start(baseOf()); err != nil {
		t.Fatal(err)
	}
	started := len(s.list()) // the base written by Start is fsynced
	eq(t, "buffer", len(a.buf), 0)
	batch := AppendSelect(nil, 2)
	batch = resp.AppendCommand(batch, []byte("SET"), []byte("a"), []byte("1"))
	a.Append(batch)
	if got := string(a.AppendInfo(nil)); !strings.Contains(got, "aof_buffer_length:"+itoa(int64(len(batch)))+"\r\n") {
		t.Errorf("INFO before Flush:\n%s", got)
	}
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	eq(t, "incr", readFile(t, filepath.Join(a.aofDir(), "appendonly.aof.1.incr.aof")), "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"+cmd("SET", "a", "1"))
	eq(t, "fsyncs with appendfsync no", len(s.list())-started, 0)
	info := string(a.AppendInfo(nil))
	contains(t, "INFO", info, "aof_current_size:"+itoa(int64(len(batch)))+"\r\naof_base_size:0\r\naof_pending_rewrite:0\r\naof_buffer_length:0\r\n")
}

// TestFsyncAlways: the fsync happens inside Flush, after the write, so a
// reply sent after Flush returns is durable.
func TestFsyncAlways(t *testing.T) {
	cfg := testConfig(nil)
	cfg.Fsync = FsyncAlways
	a, _, s := newTestAOF(t, cfg)
	if err := a.Start(baseOf()); err != nil {
		t.Fatal(err)
	}
	set := cmd("SET", "a", "1")
	for i := 1; i <= 3; i++ {
		a.Append([]byte(set))
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		calls := s.list()
		// Start's base fsync comes first; then one per Flush, each seeing
		// everything written so far.
		if len(calls) != 1+i || calls[i] != "appendonly.aof.1.incr.aof:"+itoa(int64(i*len(set))) {
			t.Fatalf("after Flush %d fsyncs = %q", i, calls)
		}
	}
	// Nothing to write: no fsync.
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	eq(t, "fsyncs", len(s.list()), 4)
	// An fsync error is fatal.
	s.mu.Lock()
	s.err = errors.New("input/output error")
	s.mu.Unlock()
	a.Append([]byte(set))
	err := a.Flush()
	var fe *FatalError
	if !errors.As(err, &fe) {
		t.Fatalf("Flush with failing fsync = %v, want *FatalError", err)
	}
	eq(t, "fatal", fe.Msg, "Can't persist AOF for fsync error when the AOF fsync policy is 'always': Input/output error. Exiting...")
}

// TestFsyncEverysec: Flush only asks for a background fsync when the last
// one is a second old; the background goroutine also syncs an idle file.
func TestFsyncEverysec(t *testing.T) {
	a, c, s := newTestAOF(t, testConfig(nil))
	if err := a.Start(baseOf()); err != nil {
		t.Fatal(err)
	}
	base := len(s.list()) // the base's own fsync
	set := cmd("SET", "a", "1")
	write := func() {
		a.Append([]byte(set))
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	write()
	c.advance(500 * time.Millisecond)
	write()
	time.Sleep(3 * bioTick)
	eq(t, "fsyncs within the first second", len(s.list())-base, 0)
	c.advance(600 * time.Millisecond)
	write()
	waitFor(t, "background fsync", func() bool { return len(s.list())-base == 1 })
	write() // same second: no new fsync
	time.Sleep(3 * bioTick)
	eq(t, "fsyncs", len(s.list())-base, 1)
	// No more writes: the idle goroutine syncs the last one a second later.
	c.advance(1100 * time.Millisecond)
	waitFor(t, "idle fsync", func() bool { return len(s.list())-base == 2 })
	eq(t, "idle fsync saw", s.list()[base+1], "appendonly.aof.1.incr.aof:"+itoa(int64(4*len(set))))
	time.Sleep(3 * bioTick)
	eq(t, "fsyncs once clean", len(s.list())-base, 2)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWriteErrorRecovers: a failed write with everysec is kept, reported
// (MISCONF, INFO), retried, and the error cleared when a write works.
func TestWriteErrorRecovers(t *testing.T) {
	var sink logSink
	a, _, _ := newTestAOF(t, testConfig(&sink))
	if err := a.Start(baseOf()); err != nil {
		t.Fatal(err)
	}
	good := a.f
	ro, err := os.Open(good.Name())
	if err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	a.f = ro // writes now fail with EBADF
	a.mu.Unlock()
	set := cmd("SET", "a", "1")
	a.Append([]byte(set))
	if err := a.Flush(); err != nil {
		t.Fatalf("Flush with everysec = %v, want nil (not fatal)", err)
	}
	if werr := a.WriteErr(); werr == nil || werr.Error() != "Bad file descriptor" {
		t.Errorf("WriteErr = %v, want Bad file descriptor", werr)
	}
	contains(t, "INFO", string(a.AppendInfo(nil)), "aof_last_write_status:err\r\n")
	if !sink.has("# Error writing to the AOF file: Bad file descriptor") {
		t.Errorf("log:\n%s", sink.String())
	}
	a.mu.Lock()
	a.f = good
	a.mu.Unlock()
	ro.Close()
	// The background goroutine retries without any new command.
	waitFor(t, "retry", func() bool { return a.WriteErr() == nil })
	eq(t, "incr", readFile(t, good.Name()), set)
	if !sink.has("# AOF write error looks solved, Redis can write again.") {
		t.Errorf("log:\n%s", sink.String())
	}
	contains(t, "INFO", string(a.AppendInfo(nil)), "aof_last_write_status:ok\r\n")

	// With always, a write error is fatal.
	cfg := testConfig(nil)
	cfg.Fsync = FsyncAlways
	b, _, _ := newTestAOF(t, cfg)
	if err := b.Start(baseOf()); err != nil {
		t.Fatal(err)
	}
	ro, _ = os.Open(b.f.Name())
	defer ro.Close()
	b.mu.Lock()
	good, b.f = b.f, ro
	b.mu.Unlock()
	b.Append([]byte(set))
	var fe *FatalError
	if err := b.Flush(); !errors.As(err, &fe) {
		t.Errorf("Flush with always and a write error = %v, want *FatalError", err)
	}
	b.mu.Lock()
	b.f = good
	b.mu.Unlock()
}

func TestTimestampAnnotations(t *testing.T) {
	cfg := testConfig(nil)
	cfg.Timestamps = true
	cfg.Fsync = FsyncNo
	a, c, _ := newTestAOF(t, cfg)
	if err := a.Start(baseOf()); err != nil {
		t.Fatal(err)
	}
	set := cmd("SET", "a", "1")
	a.Append([]byte(set))
	a.Append([]byte(set))
	c.advance(time.Second)
	a.Append([]byte(set))
	a.Flush()
	eq(t, "incr", readFile(t, a.f.Name()), "#TS:1700000000\r\n"+set+set+"#TS:1700000001\r\n"+set)
	// And the loader skips them.
	var r recorder
	b, _, err := Load(a.dir, cfg, &r)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	eq(t, "commands", len(r.cmds), 3)
}
