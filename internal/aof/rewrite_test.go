package aof

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gate is a base writer that waits to be released, so a test can act
// while the rewrite is running.
type gate struct {
	started, release chan struct{}
	body             string
	err              error
	werr             error // error of the write, for abandoned rewrites
}

func newGate(body string, err error) *gate {
	return &gate{started: make(chan struct{}), release: make(chan struct{}), body: body, err: err}
}

func (g *gate) write(w io.Writer) error {
	close(g.started)
	<-g.release
	if _, err := io.WriteString(w, g.body); err != nil {
		g.werr = err
		return err
	}
	if f, ok := w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			g.werr = err
			return err
		}
	}
	return g.err
}

func manifestOf(t *testing.T, a *AOF) string {
	t.Helper()
	return readFile(t, filepath.Join(a.aofDir(), "appendonly.aof.manifest"))
}

func flushed(t *testing.T, a *AOF, cmds ...string) {
	t.Helper()
	a.Append([]byte(strings.Join(cmds, "")))
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
}

// reload loads the AOF directory of a afresh and returns the data of db 0.
func reload(t *testing.T, a *AOF) string {
	t.Helper()
	var r recorder
	b, _, err := Load(a.dir, a.cfg, &r)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	return strings.Join(r.keys(0), ",")
}

func TestRewrite(t *testing.T) {
	var sink logSink
	cfg := testConfig(&sink)
	cfg.UseRDBPreamble = false
	a, _, _ := newTestAOF(t, cfg)
	if err := a.Start(baseOf(cmd("SET", "k0", "v0"))); err != nil {
		t.Fatal(err)
	}
	flushed(t, a, cmd("SET", "a", "1"))
	a.Append([]byte(cmd("SET", "pending", "1"))) // written to incr 1 by StartRewrite
	g := newGate(cmd("SET", "k0", "v0")+cmd("SET", "a", "1")+cmd("SET", "pending", "1"), nil)
	if err := a.StartRewrite(g.write); err != nil {
		t.Fatal(err)
	}
	<-g.started
	eq(t, "incr 1", readFile(t, filepath.Join(a.aofDir(), "appendonly.aof.1.incr.aof")), cmd("SET", "a", "1")+cmd("SET", "pending", "1"))
	eq(t, "manifest during rewrite", manifestOf(t, a),
		"file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
	if err := a.StartRewrite(g.write); err != ErrRewriteInProgress {
		t.Errorf("second StartRewrite = %v", err)
	}
	flushed(t, a, string(AppendSelect(nil, 0)))
	flushed(t, a, cmd("SET", "b", "2"))
	info := string(a.AppendInfo(nil))
	contains(t, "INFO", info, "aof_rewrite_in_progress:1\r\n")
	contains(t, "INFO", info, "aof_current_rewrite_time_sec:0\r\n")
	contains(t, "INFO", info, "aof_rewrites:1\r\n")
	close(g.release)
	a.WaitRewrite()
	eq(t, "manifest after", manifestOf(t, a), "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
	eq(t, "files", strings.Join(dirFiles(t, a), ","), "appendonly.aof.2.base.aof,appendonly.aof.2.incr.aof,appendonly.aof.manifest")
	eq(t, "incr 2", readFile(t, filepath.Join(a.aofDir(), "appendonly.aof.2.incr.aof")), "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"+cmd("SET", "b", "2"))
	eq(t, "data", reload(t, a), "a=1,b=2,k0=v0,pending=1")
	info = string(a.AppendInfo(nil))
	baseLen, incrLen := len(g.body), len("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"+cmd("SET", "b", "2"))
	contains(t, "INFO", info, "aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:0\r\naof_current_rewrite_time_sec:-1\r\naof_last_bgrewrite_status:ok\r\naof_rewrites:1\r\naof_rewrites_consecutive_failures:0\r\n")
	contains(t, "INFO", info, "aof_current_size:"+itoa(int64(baseLen+incrLen))+"\r\naof_base_size:"+itoa(int64(baseLen+incrLen))+"\r\n")
	for _, l := range []string{
		"* Creating AOF incr file appendonly.aof.2.incr.aof on background rewrite",
		"* Background append only file rewriting started",
		"* Background AOF rewrite terminated with success",
		"* Successfully renamed the temporary AOF base file temp-rewriteaof-bg-",
		"* Removing the history file appendonly.aof.1.incr.aof in the background",
		"* Removing the history file appendonly.aof.1.base.aof in the background",
		"* Background AOF rewrite finished successfully",
	} {
		if !sink.has(l) {
			t.Errorf("log lacks %q:\n%s", l, sink.String())
		}
	}
	// Writes keep going to incr 2.
	flushed(t, a, cmd("SET", "c", "3"))
	eq(t, "data", reload(t, a), "a=1,b=2,c=3,k0=v0,pending=1")
}

func TestRewriteFailureKeepsFiles(t *testing.T) {
	var sink logSink
	cfg := testConfig(&sink)
	cfg.UseRDBPreamble = false
	a, _, _ := newTestAOF(t, cfg)
	if err := a.Start(baseOf(cmd("SET", "k0", "v0"))); err != nil {
		t.Fatal(err)
	}
	flushed(t, a, cmd("SET", "a", "1"))
	g := newGate(cmd("SET", "garbage", "x"), errors.New("snapshot failed"))
	if err := a.StartRewrite(g.write); err != nil {
		t.Fatal(err)
	}
	<-g.started
	flushed(t, a, cmd("SET", "b", "2"))
	close(g.release)
	a.WaitRewrite()
	// The old base and incr stay; the incr opened at the start too.
	eq(t, "manifest", manifestOf(t, a),
		"file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
	eq(t, "files", strings.Join(dirFiles(t, a), ","), "appendonly.aof.1.base.aof,appendonly.aof.1.incr.aof,appendonly.aof.2.incr.aof,appendonly.aof.manifest")
	eq(t, "data", reload(t, a), "a=1,b=2,k0=v0")
	info := string(a.AppendInfo(nil))
	contains(t, "INFO", info, "aof_last_bgrewrite_status:err\r\naof_rewrites:1\r\naof_rewrites_consecutive_failures:1\r\n")
	if !sink.has("# Background AOF rewrite terminated with error") {
		t.Errorf("log:\n%s", sink.String())
	}
	if a.LastRewriteErr() == nil {
		t.Error("LastRewriteErr is nil")
	}
	// The next rewrite retires both incremental files before incr 3.
	if err := a.StartRewrite(baseOf(cmd("SET", "k0", "v0"), cmd("SET", "a", "1"), cmd("SET", "b", "2"))); err != nil {
		t.Fatal(err)
	}
	a.WaitRewrite()
	eq(t, "manifest", manifestOf(t, a), "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n")
	eq(t, "data", reload(t, a), "a=1,b=2,k0=v0")
	contains(t, "INFO", string(a.AppendInfo(nil)), "aof_last_bgrewrite_status:ok\r\naof_rewrites:2\r\naof_rewrites_consecutive_failures:0\r\n")
}

func TestRewriteKeepsHistoryWithoutAutoGC(t *testing.T) {
	cfg := testConfig(nil)
	cfg.UseRDBPreamble = false
	cfg.DisableAutoGC = true
	a, _, _ := newTestAOF(t, cfg)
	if err := a.Start(baseOf()); err != nil {
		t.Fatal(err)
	}
	if err := a.StartRewrite(baseOf()); err != nil {
		t.Fatal(err)
	}
	a.WaitRewrite()
	eq(t, "manifest", manifestOf(t, a), "file appendonly.aof.2.base.aof seq 2 type b\n"+
		"file appendonly.aof.1.base.aof seq 1 type h\nfile appendonly.aof.1.incr.aof seq 1 type h\n"+
		"file appendonly.aof.2.incr.aof seq 2 type i\n")
	eq(t, "files", len(dirFiles(t, a)), 5)
}

// TestEnableAtRuntime is CONFIG SET appendonly yes: commands go to a
// temporary incremental file until the first rewrite makes the AOF.
func TestEnableAtRuntime(t *testing.T) {
	var sink logSink
	cfg := testConfig(&sink)
	cfg.UseRDBPreamble = false
	a, _, _ := newTestAOF(t, cfg)
	g := newGate(cmd("SET", "old", "1"), nil)
	if err := a.Enable(g.write); err != nil {
		t.Fatal(err)
	}
	<-g.started
	eq(t, "state", a.State(), StateWaitRewrite)
	contains(t, "INFO", string(a.AppendInfo(nil)), "aof_enabled:1\r\n")
	flushed(t, a, cmd("SET", "new", "2"))
	eq(t, "temp incr", readFile(t, filepath.Join(a.aofDir(), "temp-appendonly.aof.incr")), cmd("SET", "new", "2"))
	close(g.release)
	a.WaitRewrite()
	eq(t, "state", a.State(), StateOn)
	eq(t, "manifest", manifestOf(t, a), "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
	flushed(t, a, cmd("SET", "newer", "3"))
	eq(t, "data", reload(t, a), "new=2,newer=3,old=1")
	if !sink.has("* Successfully renamed the temporary AOF incr file temp-appendonly.aof.incr into appendonly.aof.1.incr.aof") {
		t.Errorf("log:\n%s", sink.String())
	}
}

func TestEnableFailureSchedulesRetry(t *testing.T) {
	cfg := testConfig(nil)
	cfg.UseRDBPreamble = false
	a, _, _ := newTestAOF(t, cfg)
	g := newGate("", errors.New("no snapshot"))
	if err := a.Enable(g.write); err != nil {
		t.Fatal(err)
	}
	<-g.started
	close(g.release)
	a.WaitRewrite()
	eq(t, "state", a.State(), StateWaitRewrite)
	// Commands appended while no rewrite runs are dropped: the next
	// rewrite's snapshot will hold them.
	flushed(t, a, cmd("SET", "lost", "1"))
	if _, err := os.Stat(filepath.Join(a.aofDir(), "temp-appendonly.aof.incr")); !os.IsNotExist(err) {
		t.Errorf("temp incr after failure: %v", err)
	}
	contains(t, "INFO", string(a.AppendInfo(nil)), "aof_rewrite_scheduled:1\r\n")
	if !a.RewriteDue(false) {
		t.Fatal("scheduled rewrite not due")
	}
	if err := a.StartRewrite(baseOf(cmd("SET", "lost", "1"))); err != nil {
		t.Fatal(err)
	}
	a.WaitRewrite()
	eq(t, "state", a.State(), StateOn)
	eq(t, "data", reload(t, a), "lost=1")
}

func TestDisableAbandonsRewrite(t *testing.T) {
	cfg := testConfig(nil)
	cfg.UseRDBPreamble = false
	a, _, s := newTestAOF(t, cfg)
	if err := a.Start(baseOf()); err != nil {
		t.Fatal(err)
	}
	a.Append([]byte(cmd("SET", "a", "1")))
	g := newGate(strings.Repeat("x", 200000), nil)
	if err := a.StartRewrite(g.write); err != nil {
		t.Fatal(err)
	}
	<-g.started
	a.Append([]byte(cmd("SET", "b", "2")))
	n := len(s.list())
	if err := a.Disable(); err != nil {
		t.Fatal(err)
	}
	if len(s.list()) == n {
		t.Error("Disable did not fsync")
	}
	close(g.release)
	a.WaitRewrite()
	if !errors.Is(g.werr, errAbandoned) {
		t.Errorf("writer error after Disable = %v, want errAbandoned", g.werr)
	}
	eq(t, "state", a.State(), StateOff)
	eq(t, "manifest", manifestOf(t, a), "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
	for _, f := range dirFiles(t, a) {
		if strings.HasPrefix(f, "temp-") {
			t.Errorf("left %s behind", f)
		}
	}
	a.Append([]byte(cmd("SET", "c", "3")))
	a.Flush()
	eq(t, "data", reload(t, a), "a=1,b=2")
	info := string(a.AppendInfo(nil))
	contains(t, "INFO", info, "aof_enabled:0\r\naof_rewrite_in_progress:0\r\n")
	if strings.Contains(info, "aof_current_size") {
		t.Errorf("INFO of a disabled AOF shows sizes:\n%s", info)
	}
}

// TestRewriteWhileOff: BGREWRITEAOF with appendonly no writes a base and
// lists no incremental file.
func TestRewriteWhileOff(t *testing.T) {
	cfg := testConfig(nil)
	cfg.UseRDBPreamble = false
	a, _, _ := newTestAOF(t, cfg)
	if err := a.StartRewrite(baseOf(cmd("SET", "a", "1"))); err != nil {
		t.Fatal(err)
	}
	a.WaitRewrite()
	eq(t, "manifest", manifestOf(t, a), "file appendonly.aof.1.base.aof seq 1 type b\n")
	if err := a.StartRewrite(baseOf(cmd("SET", "a", "2"))); err != nil {
		t.Fatal(err)
	}
	a.WaitRewrite()
	eq(t, "manifest", manifestOf(t, a), "file appendonly.aof.2.base.aof seq 2 type b\n")
	eq(t, "files", strings.Join(dirFiles(t, a), ","), "appendonly.aof.2.base.aof,appendonly.aof.manifest")
	// Turning it on then goes through a rewrite, from base 3.
	if err := a.Enable(baseOf(cmd("SET", "a", "3"))); err != nil {
		t.Fatal(err)
	}
	a.WaitRewrite()
	eq(t, "manifest", manifestOf(t, a), "file appendonly.aof.3.base.aof seq 3 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
	eq(t, "data", reload(t, a), "a=3")
	contains(t, "INFO", string(a.AppendInfo(nil)), "aof_current_size:"+itoa(int64(len(cmd("SET", "a", "3")))))
}

func TestRewriteDue(t *testing.T) {
	var sink logSink
	cfg := testConfig(&sink)
	cfg.RewriteMinSize = 100
	cfg.RewritePercentage = 100
	a, c, _ := newTestAOF(t, cfg)
	if a.RewriteDue(false) {
		t.Error("due while off")
	}
	if err := a.Start(baseOf()); err != nil {
		t.Fatal(err)
	}
	set := cmd("SET", "a", "1") // 27 bytes
	for range 3 {
		flushed(t, a, set)
	}
	if a.RewriteDue(false) {
		t.Error("due below auto-aof-rewrite-min-size")
	}
	flushed(t, a, set) // 108 bytes, base 0 counts as 1
	if !a.RewriteDue(false) {
		t.Error("not due above the minimum with no base")
	}
	if a.RewriteDue(true) {
		t.Error("due while another child runs")
	}
	if !sink.has("* Starting automatic rewriting of AOF on 10700% growth") {
		t.Errorf("log:\n%s", sink.String())
	}
	a.mu.Lock()
	a.baseSize = 60 // growth 80%
	a.mu.Unlock()
	if a.RewriteDue(false) {
		t.Error("due at 80% growth")
	}
	a.mu.Lock()
	a.baseSize = 54 // growth exactly 100%
	a.mu.Unlock()
	if !a.RewriteDue(false) {
		t.Error("not due at 100% growth")
	}
	cfg.RewritePercentage = 0
	a.SetConfig(cfg)
	if a.RewriteDue(false) {
		t.Error("due with auto-aof-rewrite-percentage 0")
	}
	// Three failures in a row: automatic rewrites wait 1, 2, 4... minutes.
	cfg.RewritePercentage = 100
	a.SetConfig(cfg)
	a.mu.Lock()
	a.failures = 3
	a.mu.Unlock()
	if a.RewriteDue(false) {
		t.Error("due right after 3 failures")
	}
	if !sink.has("# Background AOF rewrite has repeatedly failed and triggered the limit, will retry in 1 minutes") {
		t.Errorf("log:\n%s", sink.String())
	}
	c.advance(59 * time.Second)
	if a.RewriteDue(false) {
		t.Error("due before the delay")
	}
	c.advance(2 * time.Second)
	if !a.RewriteDue(false) {
		t.Error("not due after the delay")
	}
	if a.RewriteDue(false) {
		t.Error("due again without a new delay")
	}
	if !sink.has("will retry in 2 minutes") {
		t.Errorf("log:\n%s", sink.String())
	}
	// BGREWRITEAOF while limited: scheduled, failures forgotten.
	a.ScheduleRewrite()
	if !a.RewriteDue(false) {
		t.Error("scheduled rewrite not due")
	}
}

func TestInfoOff(t *testing.T) {
	a, _, _ := newTestAOF(t, testConfig(nil))
	eq(t, "INFO", string(a.AppendInfo(nil)), "aof_enabled:0\r\naof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n"+
		"aof_last_rewrite_time_sec:-1\r\naof_current_rewrite_time_sec:-1\r\naof_last_bgrewrite_status:ok\r\n"+
		"aof_rewrites:0\r\naof_rewrites_consecutive_failures:0\r\naof_last_write_status:ok\r\naof_last_cow_size:0\r\n"+
		"module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n")
}
