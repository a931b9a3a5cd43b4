package tests

import (
	"path/filepath"
	"testing"

	"github.com/respd/respd/internal/servertest"
)

const rdbLibrary = "#!lua name=persisted\nredis.register_function('pf', function(keys, args) return 'from ' .. args[1] end)"

// functionsRoundTrip loads a library on from, saves, starts to on the
// file and checks the function and its listing survived, and that both
// servers dump the same FUNCTION DUMP payload.
func checkFunctionsLoaded(t *testing.T, from, to string) {
	t.Helper()
	want := servertest.Dial(t, from).Do("FUNCTION", "DUMP")
	c := servertest.Dial(t, to)
	if got := c.Do("FCALL", "pf", "0", "rdb"); got != "$8\r\nfrom rdb\r\n" {
		t.Fatalf("FCALL after loading: %q", got)
	}
	if got := c.Do("FUNCTION", "DUMP"); got != want {
		t.Fatalf("FUNCTION DUMP differs:\n got %q\nwant %q", got, want)
	}
}

// TestFunctionsRDB saves function libraries to RDB files and loads them
// back, between respd and the real redis-server both ways.
func TestFunctionsRDB(t *testing.T) {
	t.Run("from-redis", func(t *testing.T) {
		src := t.TempDir()
		redisAddr := servertest.RedisServer(t, "--dir", src)
		if r := servertest.Dial(t, redisAddr).Do("FUNCTION", "LOAD", rdbLibrary); r != "$9\r\npersisted\r\n" {
			t.Fatalf("FUNCTION LOAD on redis: %q", r)
		}
		save(t, redisAddr)
		dir := t.TempDir()
		copyFile(t, filepath.Join(src, "dump.rdb"), filepath.Join(dir, "dump.rdb"))
		in := servertest.Start(t, "--dir", dir)
		checkFunctionsLoaded(t, redisAddr, in.Addr)
	})
	t.Run("to-redis", func(t *testing.T) {
		dir := t.TempDir()
		in := servertest.Start(t, "--dir", dir)
		if r := servertest.Dial(t, in.Addr).Do("FUNCTION", "LOAD", rdbLibrary); r != "$9\r\npersisted\r\n" {
			t.Fatalf("FUNCTION LOAD on respd: %q", r)
		}
		save(t, in.Addr)
		redisAddr := servertest.RedisServer(t, "--dir", dir)
		checkFunctionsLoaded(t, in.Addr, redisAddr)
	})
	t.Run("dump-restore", func(t *testing.T) {
		in := servertest.Start(t)
		redisAddr := servertest.RedisServer(t)
		c := servertest.Dial(t, redisAddr)
		c.Do("FUNCTION", "LOAD", rdbLibrary)
		payload := c.Do("FUNCTION", "DUMP")
		// The bulk's content, without its header and CRLF.
		start := 0
		for payload[start] != '\n' {
			start++
		}
		body := payload[start+1 : len(payload)-2]
		r := servertest.Dial(t, in.Addr)
		if got := r.Do("FUNCTION", "RESTORE", body); got != "+OK\r\n" {
			t.Fatalf("FUNCTION RESTORE: %q", got)
		}
		if got := r.Do("FUNCTION", "RESTORE", body); got != "-ERR Library 'persisted' already exists\r\n" {
			t.Fatalf("FUNCTION RESTORE again: %q", got)
		}
		if got := r.Do("FUNCTION", "RESTORE", body, "REPLACE"); got != "+OK\r\n" {
			t.Fatalf("FUNCTION RESTORE REPLACE: %q", got)
		}
		checkFunctionsLoaded(t, redisAddr, in.Addr)
	})
}

// TestFunctionsAOF checks that libraries survive a restart from the AOF:
// from the base a rewrite wrote (as an RDB preamble or as FUNCTION LOAD
// commands) and from the incremental file's FUNCTION LOAD.
func TestFunctionsAOF(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("aof-use-rdb-preamble="+preamble, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"--dir", dir, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble}
			in := servertest.Start(t, args...)
			c := servertest.Dial(t, in.Addr)
			if r := c.Do("FUNCTION", "LOAD", rdbLibrary); r != "$9\r\npersisted\r\n" {
				t.Fatalf("FUNCTION LOAD: %q", r)
			}
			rewriteAndWait(t, in.Client(t))
			if r := c.Do("FUNCTION", "LOAD", "#!lua name=later\nredis.register_function('lf', function() return 'later' end)"); r != "$5\r\nlater\r\n" {
				t.Fatalf("FUNCTION LOAD after the rewrite: %q", r)
			}
			in.Srv.Close()
			again := servertest.Dial(t, servertest.Start(t, args...).Addr)
			if got := again.Do("FCALL", "pf", "0", "aof"); got != "$8\r\nfrom aof\r\n" {
				t.Fatalf("FCALL pf after restart: %q", got)
			}
			if got := again.Do("FCALL", "lf", "0"); got != "$5\r\nlater\r\n" {
				t.Fatalf("FCALL lf after restart: %q", got)
			}
		})
	}
}
