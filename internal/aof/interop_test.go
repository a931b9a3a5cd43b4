package aof

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/oracle"
)

// These tests run the real redis-server 7 as the reference: it writes AOF
// directories for Load, loads directories this package wrote, and
// decides which damaged directories may be loaded.

// redisProc is a redis-server running on a test directory.
type redisProc struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	c    *redis.Client
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runRedis starts redis-server with dir as its dir and AOF on. It returns
// the running server, or nil when redis-server exited instead (refused to
// start); log is what it printed.
func runRedis(t *testing.T, dir string, args ...string) (*redisProc, func() string) {
	t.Helper()
	bin := oracle.Binary(t, "redis-server")
	port := oracle.FreePort(t)
	base := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
		"--dir", dir, "--daemonize", "no", "--protected-mode", "no", "--logfile", ""}
	p := &redisProc{cmd: exec.Command(bin, append(base, args...)...), out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	p.c = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	t.Cleanup(func() { p.c.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-p.done:
			return nil, p.out.String
		default:
		}
		if p.c.Ping(context.Background()).Err() == nil {
			return p, p.out.String
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server neither answered nor exited:\n%s", p.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// quietLogger drops go-redis's own log lines (dial failures while
// redis-server starts or refuses to).
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quietLogger{}) }

// shutdown stops the server the way an operator would: SHUTDOWN, which
// flushes and fsyncs the AOF.
func (p *redisProc) shutdown(t *testing.T) {
	t.Helper()
	p.c.Do(context.Background(), "SHUTDOWN", "NOSAVE")
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("redis-server did not shut down")
	}
}

func (p *redisProc) do(t *testing.T, args ...any) any {
	t.Helper()
	v, err := p.c.Do(context.Background(), args...).Result()
	if err != nil && err != redis.Nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

// data is db 0 of a running server as sorted "key=value" strings.
func (p *redisProc) data(t *testing.T) string {
	t.Helper()
	keys, err := p.c.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		v, err := p.c.Get(context.Background(), k).Result()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// waitRewrite waits until redis-server finished n rewrites.
func (p *redisProc) waitRewrite(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := p.c.Info(context.Background(), "persistence").Val()
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, fmt.Sprintf("aof_rewrites:%d\r\n", n)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rewrite did not finish:\n%s", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInteropLoadRedisAOF: directories redis-server wrote (base in RDB
// or command form, then an incremental file) load through Load.
func TestInteropLoadRedisAOF(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble="+preamble, func(t *testing.T) {
			dir := t.TempDir()
			p, log := runRedis(t, dir, "--aof-use-rdb-preamble", preamble)
			if p == nil {
				t.Fatalf("redis-server did not start:\n%s", log())
			}
			p.do(t, "SET", "a", "1")
			p.do(t, "INCR", "n")
			p.do(t, "APPEND", "s", "x")
			p.do(t, "SET", "gone", "1")
			p.do(t, "BGREWRITEAOF")
			p.waitRewrite(t, 1)
			after := [][]string{
				{"SET", "c", "3"},
				{"DEL", "gone"},
				{"INCR", "n"},
				{"SET", "k\r\n", "v\x00\xff"},
				{"APPEND", "s", "y"},
			}
			for _, c := range after {
				args := make([]any, len(c))
				for i, s := range c {
					args[i] = s
				}
				p.do(t, args...)
			}
			p.shutdown(t)

			var r recorder
			a, st, err := Load(dir, testConfig(nil), &r)
			if err != nil {
				t.Fatalf("Load: %v\nredis log:\n%s", err, log())
			}
			a.Close()
			eq(t, "status", st, LoadOK)
			cmds := r.cmds
			if preamble == "yes" {
				if len(r.rdbs) != 1 || !bytes.HasPrefix(r.rdbs[0], []byte("REDIS")) {
					t.Fatalf("RDB preambles %q", r.rdbs)
				}
				r.data = nil // the fake RDB reader does not decode
			} else {
				if len(r.rdbs) != 0 {
					t.Errorf("RDB preamble in a command-form base")
				}
				// The base holds the dataset at the rewrite, as commands.
				var base recorder
				for _, c := range cmds[:len(cmds)-len(after)-1] {
					args := make([][]byte, len(c))
					for i, s := range c {
						args[i] = []byte(s)
					}
					if err := base.Command(args); err != nil {
						t.Fatal(err)
					}
				}
				eq(t, "base data", strings.Join(base.keys(0), ","), "a=1,gone=1,n=1,s=x")
			}
			// The incremental file: SELECT, then the commands as sent.
			incr := cmds[len(cmds)-len(after)-1:]
			want := append([][]string{{"SELECT", "0"}}, after...)
			if !slices.EqualFunc(incr, want, slices.Equal) {
				t.Errorf("incr commands %q, want %q", incr, want)
			}
			if preamble == "no" {
				eq(t, "data", strings.Join(r.keys(0), ","), "a=1,c=3,k\r\n=v\x00\xff,n=2,s=xy")
			}
		})
	}
}

// TestInteropRedisLoadsOurAOF: a directory this package wrote, through a
// start, a rewrite and more writes, is loaded by redis-server.
func TestInteropRedisLoadsOurAOF(t *testing.T) {
	oracle.Binary(t, "redis-server")
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.UseRDBPreamble = false
	cfg.Fsync = FsyncAlways
	a, err := New(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(baseOf(cmd("SET", "base", "0"))); err != nil {
		t.Fatal(err)
	}
	batch := func(cmds ...string) {
		a.Append([]byte(strings.Join(cmds, "")))
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	batch(string(AppendSelect(nil, 0)), cmd("SET", "a", "1"), cmd("INCR", "n"))
	batch(string(AppendSelect(nil, 5)), cmd("SET", "db5", "x"))
	// Rewrite: the snapshot as commands, SELECT included.
	if err := a.StartRewrite(baseOf(cmd("SET", "base", "0"), cmd("SET", "a", "1"), cmd("SET", "n", "1"),
		string(AppendSelect(nil, 5)), cmd("SET", "db5", "x"))); err != nil {
		t.Fatal(err)
	}
	a.WaitRewrite()
	batch(string(AppendSelect(nil, 0)), cmd("MULTI"), cmd("INCR", "n"), cmd("SET", "b", "2"), cmd("EXEC"))
	batch(cmd("SET", "bin\x00", "\r\n"))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	manifest := readFile(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	eq(t, "manifest", manifest, "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")

	p, log := runRedis(t, dir, "--aof-use-rdb-preamble", "no")
	if p == nil {
		t.Fatalf("redis-server refused our AOF:\n%s", log())
	}
	eq(t, "db 0", p.data(t), "a=1,b=2,base=0,bin\x00=\r\n,n=2")
	p.do(t, "SELECT", "5")
	eq(t, "db 5", p.data(t), "db5=x")
	contains(t, "redis log", log(), "DB loaded from base file appendonly.aof.2.base.aof")
	contains(t, "redis log", log(), "Opening AOF incr file appendonly.aof.2.incr.aof on server start")
	// Redis appends to our incremental file and keeps our manifest.
	p.do(t, "SELECT", "0")
	p.do(t, "SET", "fromredis", "1")
	p.shutdown(t)
	eq(t, "manifest after redis", readFile(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest")), manifest)
	var r recorder
	b, _, err := Load(dir, cfg, &r)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	eq(t, "data", strings.Join(r.keys(0), ","), "a=1,b=2,base=0,bin\x00=\r\n,fromredis=1,n=2")
}

// TestInteropDecisions: for damaged incremental files and manifests,
// Load accepts exactly what redis-server accepts, truncates files to the
// same size and loads the same data.
func TestInteropDecisions(t *testing.T) {
	oracle.Binary(t, "redis-server")
	set := cmd("SET", "a", "1")
	bodies := []string{
		set,
		set + "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\nc",
		set + "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\nc\r",
		set + "*3",
		set + "*",
		set + "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$100\r\nshort\r\n",
		set + "$3\r\n",
		set + "x",
		set + "*0\r\n" + set,
		set + "*-1\r\n" + set,
		set + "*1\r\n$4\r\nPINGxx" + cmd("SET", "b", "2"),
		set + "*3\r\nSET\r\n",
		set + cmd("MULTI") + cmd("SET", "b", "2"),
		set + cmd("MULTI") + cmd("SET", "b", "2") + cmd("EXEC"),
		set + cmd("MULTI") + cmd("MULTI") + cmd("SET", "b", "2") + cmd("EXEC"),
		set + cmd("EXEC") + cmd("SET", "b", "2"),
		set + cmd("FOO"),
		"#TS:1\r\n" + set + "#TS:2\r\n*2\r\n",
		"*3junk\r\n$3 \r\nSET\r\n$ 1\r\na\r\n$1\r\nb\r\n",
		set + "*1\r\n$-1\r\n",
	}
	type tcase struct {
		name, manifest string
		files          map[string]string
		trunc          string
	}
	var cases []tcase
	for i, b := range bodies {
		for _, tr := range []string{"yes", "no"} {
			cases = append(cases, tcase{fmt.Sprintf("body%d-%s", i, tr), incrOnly, map[string]string{"appendonly.aof.1.incr.aof": b}, tr})
		}
	}
	two := "file appendonly.aof.1.base.aof seq 1 type b\n" + incrOnly
	cases = append(cases,
		tcase{"torn-base", two, map[string]string{"appendonly.aof.1.base.aof": set + "*3\r\n", "appendonly.aof.1.incr.aof": cmd("SET", "b", "2")}, "yes"},
		tcase{"multi-in-base", two, map[string]string{"appendonly.aof.1.base.aof": set + cmd("MULTI"), "appendonly.aof.1.incr.aof": cmd("SET", "b", "2")}, "yes"},
		tcase{"empty-base", two, map[string]string{"appendonly.aof.1.base.aof": "", "appendonly.aof.1.incr.aof": cmd("SET", "b", "2")}, "yes"},
		tcase{"missing-incr", two, map[string]string{"appendonly.aof.1.base.aof": set}, "yes"},
		tcase{"base-only", "file appendonly.aof.1.base.aof seq 1 type b\n", map[string]string{"appendonly.aof.1.base.aof": set}, "yes"},
	)
	manifests := []string{
		"", "\n", "# c\n", "  file appendonly.aof.1.incr.aof seq 1 type i  \r\n", incrOnly + "\n",
		"file appendonly.aof.1.incr.aof seq 1 type i extra\n", "file appendonly.aof.1.incr.aof seq 1 type i extra 1\n",
		"FILE appendonly.aof.1.incr.aof SEQ 1 TYPE incr\n", "file \"appendonly.aof.1.incr.aof\" seq 1 type i\n",
		"file 'appendonly.aof.1.incr.aof' seq 1 type i\n", "file \"appendonly.aof.1.incr.aof seq 1 type i\n",
		"file a/appendonly.aof.1.incr.aof seq 1 type i\n", "file a\\b seq 1 type i\n",
		"file appendonly.aof.1.incr.aof seq 0 type i\n", "file appendonly.aof.1.incr.aof seq x type i\n",
		"file appendonly.aof.1.incr.aof seq 1abc type i\n", "file appendonly.aof.1.incr.aof seq 1 type x\n",
		"file appendonly.aof.1.incr.aof seq 1 type \"\"\n", incrOnly + incrOnly,
		"file appendonly.aof.1.incr.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type b\n",
		"file appendonly.aof.1.incr.aof seq 1 type i", "file appendonly.aof.1.incr.aof seq 1 type i\x00x\n",
		"#" + strings.Repeat("a", 1100) + "\n" + incrOnly, "file appendonly.aof.1.incr.aof seq 1 type i x " + strings.Repeat("a", 1100) + "\n",
		"file appendonly.aof.1.incr.aof seq 1 type i seq 3\n", "seq 1 type i file appendonly.aof.1.incr.aof\n",
		"file appendonly.aof.1.incr.aof\tseq 1 type i\n",
	}
	for i, m := range manifests {
		cases = append(cases, tcase{fmt.Sprintf("manifest%d", i), m, map[string]string{"appendonly.aof.1.incr.aof": set}, "yes"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			theirs := aofDir(t, c.manifest, c.files)
			ours := aofDir(t, c.manifest, c.files)
			var sink logSink
			cfg := testConfig(&sink)
			cfg.LoadTruncated = c.trunc == "yes"
			var r recorder
			a, _, err := Load(ours, cfg, &r)
			if err == nil {
				// A server then opens the AOF for appending, as Redis does
				// (creating files that the comparison below includes).
				err = a.Start(baseOf())
				a.Close()
			}
			p, log := runRedis(t, theirs, "--aof-load-truncated", c.trunc)
			if (p != nil) != (err == nil) {
				t.Fatalf("redis-server started=%v, Load error %v\nredis log:\n%s", p != nil, err, log())
			}
			if p == nil {
				// Refused by both: with the same words, unless Redis
				// crashed (a negative bulk length aborts it).
				if strings.Contains(log(), "crashed by signal") {
					t.Logf("redis-server crashed; respd refuses: %v", err)
					return
				}
				var me *ManifestError
				var le *LoadError
				if errors.As(err, &me) {
					for _, l := range strings.Split(me.Banner(), "\n") {
						contains(t, "redis log", log(), l)
					}
				} else if errors.As(err, &le) {
					contains(t, "redis log", log(), le.Msg)
				}
				return
			}
			eq(t, "data", strings.Join(r.keys(0), ","), p.data(t))
			p.shutdown(t)
			// The warnings about what was cut are Redis's.
			for _, l := range sink.lines {
				if strings.HasPrefix(l, "# ") {
					contains(t, "redis log", log(), l[2:])
				}
			}
			for name := range c.files {
				o, _ := os.ReadFile(filepath.Join(ours, "appendonlydir", name))
				th, _ := os.ReadFile(filepath.Join(theirs, "appendonlydir", name))
				if !bytes.Equal(o, th) {
					t.Errorf("%s after loading: ours %q, redis %q", name, o, th)
				}
			}
			om, _ := os.ReadFile(filepath.Join(ours, "appendonlydir", "appendonly.aof.manifest"))
			tm, _ := os.ReadFile(filepath.Join(theirs, "appendonlydir", "appendonly.aof.manifest"))
			eq(t, "manifest after start", string(om), string(tm))
		})
	}
}

// TestInteropManifestQuoting: with an appendfilename needing quotes, the
// manifest Start writes is byte for byte redis-server's.
func TestInteropManifestQuoting(t *testing.T) {
	name := `a b"c.aof`
	theirs := t.TempDir()
	p, log := runRedis(t, theirs, "--appendfilename", name)
	if p == nil {
		t.Fatalf("redis-server did not start:\n%s", log())
	}
	p.shutdown(t)
	cfg := DefaultConfig()
	cfg.FileName = name
	ours := t.TempDir()
	a, err := New(ours, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(nil); err != nil {
		t.Fatal(err)
	}
	a.Close()
	want := readFile(t, filepath.Join(theirs, "appendonlydir", name+".manifest"))
	eq(t, "manifest", readFile(t, filepath.Join(ours, "appendonlydir", name+".manifest")), want)
	eq(t, "manifest", want, "file \"a b\\\"c.aof.1.base.rdb\" seq 1 type b\nfile \"a b\\\"c.aof.1.incr.aof\" seq 1 type i\n")
}
