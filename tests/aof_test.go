package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/servertest"
)

// copyDir copies the files of an AOF directory (one level deep).
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			copyDir(t, filepath.Join(from, e.Name()), filepath.Join(to, e.Name()))
			continue
		}
		copyFile(t, filepath.Join(from, e.Name()), filepath.Join(to, e.Name()))
	}
}

// rewriteAndWait runs BGREWRITEAOF and waits for it to finish.
func rewriteAndWait(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := c.Info(ctx, "persistence").Val()
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") {
			if !strings.Contains(info, "aof_last_bgrewrite_status:ok") {
				t.Fatalf("rewrite failed:\n%s", info)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rewrite did not finish:\n%s", info)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// moreWrites changes the data after a rewrite, so the incremental file
// has work to do on replay.
func moreWrites(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	c := servertest.Client(t, addr)
	for _, args := range [][]any{
		{"SET", "after", "rewrite"}, {"INCRBYFLOAT", "float", "1.25"}, {"LPUSH", "list:small", "head"},
		{"SPOP", "set:str"}, {"ZINCRBY", "zset:small", "3", "a"}, {"HDEL", "hash:big", "f1"},
		{"XADD", "stream", "*", "late", "1"}, {"EXPIRE", "str:1", "5000"}, {"DEL", "str:2"},
		{"SELECT", "5"}, {"SET", "in5", "x"}, {"MULTI"}, {"SET", "tx", "1"}, {"INCR", "tx"}, {"EXEC"},
	} {
		if err := c.Do(ctx, args...).Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
}

// TestAOFInterop writes AOF directories with each server, with and without
// the RDB preamble, and has the other one replay them.
func TestAOFInterop(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		args := []string{"--appendonly", "yes", "--aof-use-rdb-preamble", preamble}
		t.Run("respd-to-redis/preamble="+preamble, func(t *testing.T) {
			dir := t.TempDir()
			in := servertest.Start(t, append([]string{"--dir", dir}, args...)...)
			populate(t, in.Addr)
			rewriteAndWait(t, in.Client(t))
			moreWrites(t, in.Addr)
			want := servertest.Dataset(t, in.Addr)
			in.Client(t).Do(context.Background(), "SHUTDOWN", "NOSAVE")
			<-in.Srv.Done()
			other := t.TempDir()
			copyDir(t, dir, other)
			redisAddr := servertest.RedisServer(t, append([]string{"--dir", other}, args...)...)
			if d := servertest.DiffDatasets(replayed(want, preamble), replayed(servertest.Dataset(t, redisAddr), preamble)); d != "" {
				t.Fatalf("Redis replayed respd's AOF differently:\n%s", d)
			}
		})
		t.Run("redis-to-respd/preamble="+preamble, func(t *testing.T) {
			dir := t.TempDir()
			redisAddr := servertest.RedisServer(t, append([]string{"--dir", dir}, args...)...)
			populate(t, redisAddr)
			rewriteAndWait(t, servertest.Client(t, redisAddr))
			moreWrites(t, redisAddr)
			want := servertest.Dataset(t, redisAddr)
			// SHUTDOWN flushes the AOF; the connection closes without a reply.
			servertest.Client(t, redisAddr).Do(context.Background(), "SHUTDOWN", "NOSAVE")
			waitGone(t, redisAddr)
			other := t.TempDir()
			copyDir(t, dir, other)
			in := servertest.Start(t, append([]string{"--dir", other}, args...)...)
			if d := servertest.DiffDatasets(replayed(want, preamble), replayed(servertest.Dataset(t, in.Addr), preamble)); d != "" {
				t.Fatalf("respd replayed Redis's AOF differently:\n%s", d)
			}
		})
	}
}

var seenTime = regexp.MustCompile(`seen-time \d+`)

// replayed masks what a command-form AOF base cannot carry: replaying
// XCLAIM stamps consumers as seen at replay time, in Redis as in respd.
func replayed(d map[string]string, preamble string) map[string]string {
	if preamble == "yes" {
		return d
	}
	out := make(map[string]string, len(d))
	for k, v := range d {
		out[k] = seenTime.ReplaceAllString(v, "seen-time (replay)")
	}
	return out
}

// waitGone waits until nothing answers at addr.
func waitGone(t *testing.T, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DisableIdentity: true})
	defer c.Close()
	for i := 0; c.Ping(context.Background()).Err() == nil; i++ {
		if i > 500 {
			t.Fatalf("%s still answers after SHUTDOWN", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAOFCrash kills respd with SIGKILL while clients write, 20 times over
// the same directory with appendfsync always and 5 times with everysec,
// and checks after each restart that every acknowledged write is there.
// (SIGKILL leaves the kernel's page cache intact, so this proves a write
// reaches the file before its reply; that everysec fsyncs within a second
// and always before replying is checked in package aof with an injected
// fsync.)
func TestAOFCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a server 25 times")
	}
	bin := buildRespd(t)
	for _, tc := range []struct {
		policy string
		rounds int
	}{{"always", 20}, {"everysec", 5}} {
		t.Run(tc.policy, func(t *testing.T) { crashRounds(t, bin, tc.policy, tc.rounds) })
	}
}

func crashRounds(t *testing.T, bin, policy string, rounds int) {
	dir := t.TempDir()
	ctx := context.Background()
	var total int64
	acked := map[string]bool{}
	for round := 0; round < rounds; round++ {
		port := oracle.FreePort(t)
		p, c := runRespd(t, bin, port, "--port", fmt.Sprint(port), "--dir", dir, "--appendonly", "yes",
			"--appendfsync", policy, "--save", "")
		for k := range acked {
			if c.Exists(ctx, k).Val() != 1 {
				t.Fatalf("round %d: acknowledged key %s is missing after the restart", round, k)
			}
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		var stop atomic.Bool
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wc := redis.NewClient(&redis.Options{Addr: fmt.Sprint("127.0.0.1:", port), MaxRetries: -1, DisableIdentity: true})
				defer wc.Close()
				for n := 0; !stop.Load(); n++ {
					k := fmt.Sprintf("r%d:w%d:%d", round, w, n)
					if wc.Set(ctx, k, n, 0).Err() != nil {
						return
					}
					mu.Lock()
					acked[k] = true
					total++
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(50+round*10) * time.Millisecond)
		p.cmd.Process.Kill() // SIGKILL: no chance to flush anything
		stop.Store(true)
		wg.Wait()
		<-p.done
		p.done <- nil
	}
	port := oracle.FreePort(t)
	_, c := runRespd(t, bin, port, "--port", fmt.Sprint(port), "--dir", dir, "--appendonly", "yes", "--save", "")
	missing := 0
	for k := range acked {
		if c.Exists(ctx, k).Val() != 1 {
			missing++
		}
	}
	t.Logf("appendfsync %s: %d kill -9 rounds, %d writes acknowledged, %d missing after restart", policy, rounds, total, missing)
	if missing > 0 {
		t.Fatalf("%d acknowledged writes lost", missing)
	}
}
