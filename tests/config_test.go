package tests

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/server"
	"github.com/respd/respd/internal/servertest"
)

// buildRespd compiles cmd/respd into a temporary directory.
func buildRespd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "respd")
	// go test puts its own toolchain first on PATH.
	cmd := exec.Command("go", "build", "-o", bin, "github.com/respd/respd/cmd/respd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a respd binary started by a test.
type process struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
}

// runRespd starts the binary and waits until it answers PING on port,
// returning a client; the process is killed when the test ends.
func runRespd(t *testing.T, bin string, port int, args ...string) (*process, *redis.Client) {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	c := servertest.Client(t, "127.0.0.1:"+strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("respd exited (%v) before answering PING:\n%s", err, p.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("respd did not answer PING on port %d:\n%s", port, p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p, c
}

// stop ends the process and waits for it.
func (p *process) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
	}
}

// runFailing runs the binary expecting it to exit at once, returning its
// exit code and stderr.
func runFailing(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), stderr.String()
		}
		return 0, stderr.String()
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("respd %q kept running; expected a start-up failure", args)
		return 0, ""
	}
}

func configGet(t *testing.T, c *redis.Client, name string) string {
	t.Helper()
	m, err := c.ConfigGet(context.Background(), name).Result()
	if err != nil {
		t.Fatalf("CONFIG GET %s: %v", name, err)
	}
	v, ok := m[name]
	if !ok {
		t.Fatalf("CONFIG GET %s: no such directive in %v", name, m)
	}
	return v
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStartFromConfigFile(t *testing.T) {
	bin := buildRespd(t)
	dir := t.TempDir()
	port := oracle.FreePort(t)
	conf := filepath.Join(dir, "respd.conf")
	writeFile(t, conf, "# test config\nport "+strconv.Itoa(port)+"\nbind 127.0.0.1\nhz 20\nmaxmemory 2mb\nsave 10 1\nsave 20 2\nrequirepass \"\"\nslave-read-only no\n")
	_, c := runRespd(t, bin, port, conf, "--dir", dir, "--maxmemory-policy", "allkeys-lru")
	for name, want := range map[string]string{
		"hz": "20", "maxmemory": "2097152", "save": "10 1 20 2", "replica-read-only": "no",
		"maxmemory-policy": "allkeys-lru", "dir": dir, "port": strconv.Itoa(port), "bind": "127.0.0.1",
	} {
		if got := configGet(t, c, name); got != want {
			t.Errorf("CONFIG GET %s = %q, want %q", name, got, want)
		}
	}
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info, "config_file:"+conf+"\r\n") {
		t.Errorf("INFO server lacks config_file:%s\n%s", conf, info)
	}
}

func TestBadConfigFailsStartup(t *testing.T) {
	bin := buildRespd(t)
	dir := t.TempDir()
	banner := "\n*** FATAL CONFIG FILE ERROR (Redis " + server.Version + ") ***\n"
	cases := []struct {
		file string
		args []string
		want string
	}{
		{"port 0\n# comment\nfoo bar\n", nil, banner + "Reading the configuration file, at line 3\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"},
		{"maxmemory 1.5gb\n", nil, banner + "Reading the configuration file, at line 1\n>>> 'maxmemory 1.5gb'\nargument must be a memory value\n"},
		{"hz 1 2\n", nil, banner + "Reading the configuration file, at line 1\n>>> 'hz 1 2'\nwrong number of arguments\n"},
		{"requirepass \"abc\n", nil, banner + "Reading the configuration file, at line 1\n>>> 'requirepass \"abc'\nUnbalanced quotes in configuration line\n"},
		// Command-line options are read as lines after the file's.
		{"hz 5\n", []string{"--port", "0", "--nosuch", "x"}, banner + "Reading the configuration file, at line 4\n>>> 'nosuch \"x\"'\nBad directive or wrong number of arguments\n"},
		{"", []string{"--port", "1", "2", "3"}, banner + "Reading the configuration file, at line 2\n>>> 'port \"1\" \"2\" \"3\"'\nwrong number of arguments\n"},
		{"include " + filepath.Join(dir, "missing.conf") + "\n", nil, "Fatal error, can't open config file '" + filepath.Join(dir, "missing.conf") + "': No such file or directory\n"},
	}
	for i, tc := range cases {
		conf := filepath.Join(dir, "bad"+strconv.Itoa(i)+".conf")
		writeFile(t, conf, tc.file)
		code, stderr := runFailing(t, bin, append([]string{conf}, tc.args...)...)
		if code != 1 || stderr != tc.want {
			t.Errorf("config %q %q: exit %d, stderr:\n%q\nwant exit 1 and:\n%q", tc.file, tc.args, code, stderr, tc.want)
		}
	}
	code, stderr := runFailing(t, bin, filepath.Join(dir, "nonexistent.conf"))
	if code != 1 || !strings.HasPrefix(stderr, "Fatal error, can't open config file '") {
		t.Errorf("missing config file: exit %d, %q", code, stderr)
	}
}

func TestVersionFlag(t *testing.T) {
	bin := buildRespd(t)
	for _, flag := range []string{"-v", "--version"} {
		out, err := exec.Command(bin, flag).Output()
		if err != nil || !strings.HasPrefix(string(out), "Redis server v="+server.Version+" ") {
			t.Errorf("respd %s = %q, %v", flag, out, err)
		}
	}
}

func TestConfigRewriteRoundTrip(t *testing.T) {
	bin := buildRespd(t)
	dir := t.TempDir()
	port := oracle.FreePort(t)
	conf := filepath.Join(dir, "respd.conf")
	original := "# keep this comment\nport " + strconv.Itoa(port) + "\nbind 127.0.0.1\n\nhz 20\nsave 10 1\nsave 20 2\nslave-read-only no\n# trailing comment\n"
	writeFile(t, conf, original)
	p, c := runRespd(t, bin, port, conf, "--dir", dir)
	ctx := context.Background()
	for _, kv := range [][2]string{{"hz", "15"}, {"maxmemory", "3gb"}, {"save", "100 1"}, {"replica-read-only", "yes"},
		{"notify-keyspace-events", "KEA"}, {"masterauth", `a "b"`}, {"client-output-buffer-limit", "pubsub 1mb 2mb 3"}} {
		if err := c.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatalf("CONFIG SET %s %s: %v", kv[0], kv[1], err)
		}
	}
	if err := c.ConfigRewrite(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(data)
	wantHead := "# keep this comment\nport " + strconv.Itoa(port) + "\nbind 127.0.0.1\n\nhz 15\nsave 100 1\n\nreplica-read-only yes\n# trailing comment\n\n# Generated by CONFIG REWRITE\n"
	if !strings.HasPrefix(got, wantHead) {
		t.Errorf("rewritten file starts:\n%s\nwant:\n%s", got, wantHead)
	}
	for _, line := range []string{"maxmemory 3gb\n", "notify-keyspace-events \"AKE\"\n", `masterauth "a \"b\""` + "\n",
		"client-output-buffer-limit pubsub 1mb 2mb 3\n", "dir " + strconv.Quote(dir) + "\n"} {
		if !strings.Contains(got, line) {
			t.Errorf("rewritten file lacks %q:\n%s", line, got)
		}
	}
	p.stop()

	// The rewritten file starts a server with the same values.
	_, c2 := runRespd(t, bin, port, conf)
	for _, name := range []string{"hz", "maxmemory", "save", "replica-read-only", "notify-keyspace-events", "masterauth", "client-output-buffer-limit"} {
		if a, b := configGet(t, c2, name), configGet(t, c, name); a != b {
			t.Errorf("%s after restart = %q, before = %q", name, a, b)
		}
	}
}

func TestConfigRewriteErrors(t *testing.T) {
	in := servertest.Start(t)
	raw := in.Raw(t)
	if got := raw.Do("CONFIG", "REWRITE"); got != "-ERR The server is running without a config file\r\n" {
		t.Errorf("CONFIG REWRITE without a file = %q", got)
	}

	// A file in a directory that is gone cannot be rewritten.
	bin := buildRespd(t)
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	port := oracle.FreePort(t)
	conf := filepath.Join(sub, "respd.conf")
	writeFile(t, conf, "port "+strconv.Itoa(port)+"\nbind 127.0.0.1\n")
	_, c := runRespd(t, bin, port, conf, "--dir", dir)
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	err := c.ConfigRewrite(context.Background()).Err()
	if err == nil || err.Error() != "ERR Rewriting config file: No such file or directory" {
		t.Errorf("CONFIG REWRITE into a removed directory: %v", err)
	}
}

func TestReplicaOfForms(t *testing.T) {
	for _, args := range [][]string{
		{"--replicaof", "127.0.0.1 6000"},
		{"--replicaof", "127.0.0.1", "6000"},
		{"--slaveof", "127.0.0.1", "6000"},
	} {
		in := servertest.Start(t, args...)
		info, err := in.Client(t).Info(context.Background(), "replication").Result()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(info, "role:slave\r\n") || !strings.Contains(info, "master_host:127.0.0.1\r\n") || !strings.Contains(info, "master_port:6000\r\n") {
			t.Errorf("%q: INFO replication:\n%s", args, info)
		}
		if got := configGet(t, in.Client(t), "replicaof"); got != "127.0.0.1 6000" {
			t.Errorf("%q: CONFIG GET replicaof = %q", args, got)
		}
	}
	// And through the binary's own argument handling.
	bin := buildRespd(t)
	for _, form := range [][]string{{"127.0.0.1 6000"}, {"127.0.0.1", "6000"}} {
		port := oracle.FreePort(t)
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--replicaof"}, form...)
		_, c := runRespd(t, bin, port, args...)
		info, err := c.Info(context.Background(), "replication").Result()
		if err != nil || !strings.Contains(info, "role:slave\r\n") {
			t.Errorf("respd %q: INFO replication: %v\n%s", args, err, info)
		}
	}
}

func TestConfigResetStat(t *testing.T) {
	in := servertest.Start(t)
	c := in.Client(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		c.Ping(ctx)
	}
	stat := func() int {
		info, err := c.Info(ctx, "stats").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "total_commands_processed:"); ok {
				n, _ := strconv.Atoi(v)
				return n
			}
		}
		t.Fatalf("no total_commands_processed in\n%s", info)
		return 0
	}
	if n := stat(); n < 5 {
		t.Fatalf("total_commands_processed = %d before reset", n)
	}
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if n := stat(); n > 2 {
		t.Errorf("total_commands_processed = %d after CONFIG RESETSTAT", n)
	}
}

// TestDebianConfig starts respd with the redis.conf Debian's
// redis-server package installs, overriding only daemonize and port.
func TestDebianConfig(t *testing.T) {
	const debian = "/etc/redis/redis.conf"
	data, err := os.ReadFile(debian)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI installs redis-server, but %s cannot be read: %v", debian, err)
		}
		t.Skipf("no %s: %v", debian, err)
	}
	conf := filepath.Join(t.TempDir(), "redis.conf")
	writeFile(t, conf, string(data))
	bin := buildRespd(t)
	port := oracle.FreePort(t)
	_, c := runRespd(t, bin, port, conf, "--daemonize", "no", "--port", strconv.Itoa(port))
	if got := configGet(t, c, "port"); got != strconv.Itoa(port) {
		t.Errorf("port = %q", got)
	}
	if got := configGet(t, c, "daemonize"); got != "no" {
		t.Errorf("daemonize = %q", got)
	}
	// Values the Debian file sets in its own way.
	if got := configGet(t, c, "auto-aof-rewrite-min-size"); got != "67108864" {
		t.Errorf("auto-aof-rewrite-min-size = %q", got)
	}
	if got := configGet(t, c, "client-output-buffer-limit"); got != "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60" {
		t.Errorf("client-output-buffer-limit = %q", got)
	}
}
