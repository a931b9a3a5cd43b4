package tests

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/servertest"
)

// TestLoadingAtStart starts respd and redis-server on the same dataset,
// loaded slowly (key-load-delay), once from an RDB file and once from an
// AOF with an RDB preamble: both accept clients during the load, answer
// -LOADING to what is not allowed then, show the load in INFO, and serve
// the whole dataset once it is in. The replies during the load must be
// the same.
func TestLoadingAtStart(t *testing.T) {
	redisBin := oracle.Binary(t, "redis-server")
	respdBin := buildRespd(t)
	const keys = 2000
	for _, source := range []string{"rdb", "aof"} {
		t.Run(source, func(t *testing.T) {
			dataDir := t.TempDir()
			args := []string{"--dir", dataDir}
			if source == "aof" {
				args = append(args, "--appendonly", "yes")
			}
			src := servertest.Start(t, args...)
			bulkKeys(t, src.Addr, keys)
			c := src.Client(t)
			if source == "aof" {
				// The base becomes an RDB preamble, which key-load-delay
				// slows down in both servers.
				rewriteAndWait(t, c)
			} else if err := c.Save(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			src.Srv.Close()
			replies := map[string][]string{}
			for _, name := range []string{"respd", "redis"} {
				dir := t.TempDir()
				copyDir(t, dataDir, dir)
				bin, extra := respdBin, []string{}
				if name == "redis" {
					// redis-server serves clients during a load once per
					// loading-process-events-interval-bytes.
					bin, extra = redisBin, []string{"--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
						"--loading-process-events-interval-bytes", "1024"}
				}
				got, ok := probeLoad(t, bin, dir, source == "aof", keys, extra...)
				if !ok {
					t.Skipf("%s: the load ended during the probe: machine too slow", name)
				}
				replies[name] = got
				t.Logf("%s during the load: %q", name, got)
			}
			if !slices.Equal(replies["respd"], replies["redis"]) {
				t.Fatalf("replies during the load differ:\nrespd %q\nredis %q", replies["respd"], replies["redis"])
			}
		})
	}
}

// loadingProbe is what probeLoad sends while the server loads.
var loadingProbe = [][]string{
	{"PING"}, {"ECHO", "x"}, {"GET", "bulk:1"}, {"DBSIZE"}, {"SET", "k", "v"}, {"SELECT", "0"},
	{"MULTI"}, {"GET", "bulk:1"}, {"EXEC"}, {"CONFIG", "GET", "key-load-delay"},
}

// probeLoad starts bin on the data in dir with a key-load-delay of 1 ms
// and, once it accepts a connection, sends loadingProbe while INFO says
// it loads. It returns the replies, and false if the load had ended
// before the probe did. It then checks that the load finishes with every
// key in, all of them read from an RDB image.
func probeLoad(t *testing.T, bin, dir string, aof bool, keys int64, extra ...string) ([]string, bool) {
	t.Helper()
	port := oracle.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--appendonly", map[bool]string{false: "no", true: "yes"}[aof], "--key-load-delay", "1000"}
	cmd := exec.Command(bin, append(args, extra...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	c := dialLoading(t, addr)
	if info(t, addr, "loading") != "1" || infoInt(t, addr, "loading_total_bytes") <= 0 || info(t, addr, "loading_loaded_perc") == "" {
		t.Fatalf("%s: INFO during the load: loading %s loading_total_bytes %s loading_loaded_perc %s", bin,
			info(t, addr, "loading"), info(t, addr, "loading_total_bytes"), info(t, addr, "loading_loaded_perc"))
	}
	var got []string
	for _, cmd := range loadingProbe {
		got = append(got, c.Do(cmd...))
	}
	stillLoading := info(t, addr, "loading") == "1"
	deadline := time.Now().Add(60 * time.Second)
	for {
		rep := c.Do("GET", "bulk:1")
		if rep == "$1\r\n1\r\n" {
			break
		}
		if rep != errLoadingReply {
			t.Fatalf("%s: GET during the load: %q", bin, rep)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the load did not end", bin)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := c.Do("DBSIZE"); n != ":"+strconv.FormatInt(keys, 10)+"\r\n" {
		t.Fatalf("%s: DBSIZE after the load: %q", bin, n)
	}
	// An AOF's RDB preamble counts as the last RDB load.
	if n := infoInt(t, addr, "rdb_last_load_keys_loaded"); n != keys {
		t.Fatalf("%s: rdb_last_load_keys_loaded %d after the load", bin, n)
	}
	return got, stillLoading
}

// TestShutdownWhileLoadingAtStart sends SHUTDOWN to respd and
// redis-server while they load their RDB file at start-up: both stop at
// once, with exit status 0, without replying and without saving the half
// loaded dataset over the file.
func TestShutdownWhileLoadingAtStart(t *testing.T) {
	redisBin := oracle.Binary(t, "redis-server")
	dataDir := t.TempDir()
	src := servertest.Start(t, "--dir", dataDir)
	bulkKeys(t, src.Addr, 2000)
	if err := src.Client(t).Save(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	src.Srv.Close()
	saved, err := os.ReadFile(filepath.Join(dataDir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	for name, bin := range map[string]string{"respd": buildRespd(t), "redis": redisBin} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, dataDir, dir)
			port := oracle.FreePort(t)
			addr := "127.0.0.1:" + strconv.Itoa(port)
			// Save points, so that a SHUTDOWN on a loaded server would save.
			cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
				"--save", "3600 1", "--appendonly", "no", "--key-load-delay", "1000", "--loading-process-events-interval-bytes", "1024")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			defer func() {
				cmd.Process.Kill()
				<-done
			}()
			c := dialLoading(t, addr)
			c.Write(servertest.Encode("SHUTDOWN"))
			if got, err := c.ReadErr(10 * time.Second); err == nil {
				t.Fatalf("SHUTDOWN replied %q", got)
			}
			select {
			case err := <-done:
				done <- err
				if err != nil {
					t.Fatalf("exit: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the server did not stop")
			}
			if b, err := os.ReadFile(filepath.Join(dir, "dump.rdb")); err != nil || !bytes.Equal(b, saved) {
				t.Fatalf("dump.rdb after SHUTDOWN during the load: %d bytes (saved %d), %v", len(b), len(saved), err)
			}
		})
	}
}

// errLoadingReply is the reply to a command not allowed during a load.
const errLoadingReply = "-LOADING Redis is loading the dataset in memory\r\n"

// dialLoading connects to a server starting up at addr as soon as it
// accepts connections, and checks that it answers PING with -LOADING.
func dialLoading(t *testing.T, addr string) *servertest.Conn {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := net.Dial("tcp", addr)
		if err == nil {
			nc.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never accepted a connection: %v", addr, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	c := servertest.Dial(t, addr)
	if got := c.Do("PING"); got != errLoadingReply {
		t.Fatalf("%s: PING at once: %q", addr, got)
	}
	return c
}
