package tests

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/servertest"
)

// TestRenameCommand starts respd and redis-server with the same
// rename-command options (CONFIG removed, SET called MYSET, then GET
// called SET, ECHO renamed to itself) and compares their replies: the
// new names work, from clients, scripts, transactions and ACL DRYRUN;
// the old ones are unknown.
func TestRenameCommand(t *testing.T) {
	args := []string{"--rename-command", "config", "", "--rename-command", "SET", "myset",
		"--rename-command", "get", "set", "--rename-command", "echo", "ECHO"}
	script := [][]string{
		{"CONFIG", "GET", "port"},
		{"MYSET", "k", "v"},
		{"SET", "k"},
		{"GET", "k"},
		{"myset", "k"},
		{"ECHO", "x"},
		{"EVAL", "return redis.call('myset', 'a', '1')", "0"},
		{"EVAL", "return redis.call('SET', 'a')", "0"},
		{"EVAL", "return redis.pcall('get', 'a')", "0"},
		{"EVAL", "return redis.pcall('set', 'a', 'b')", "0"},
		{"MULTI"}, {"MYSET", "b", "2"}, {"SET", "b"}, {"EXEC"},
		{"MULTI"}, {"GET", "b"}, {"EXEC"},
		{"ACL", "DRYRUN", "default", "myset", "k", "v"},
		{"ACL", "DRYRUN", "default", "get", "k"},
		// COMMAND goes by the new names; ACL rules by the commands' own.
		{"COMMAND", "GETKEYS", "myset", "k", "v"},
		{"COMMAND", "GETKEYS", "get", "k"},
		{"COMMAND", "INFO", "config", "get"},
		{"ACL", "SETUSER", "u", "+myset"},
		{"ACL", "SETUSER", "u", "+set", "+config"},
	}
	replies := map[string][]string{}
	for _, name := range []string{"respd", "redis"} {
		var addr string
		if name == "respd" {
			addr = servertest.Start(t, args...).Addr
		} else {
			addr = servertest.RedisServer(t, args...)
		}
		c := servertest.Dial(t, addr)
		for _, cmd := range script {
			replies[name] = append(replies[name], c.Do(cmd...))
		}
	}
	for i, cmd := range script {
		if got, want := replies["respd"][i], replies["redis"][i]; got != want {
			t.Errorf("%q: respd %q, redis %q", cmd, got, want)
		}
	}
	t.Logf("redis: %q", replies["redis"])

	// COMMAND INFO and COUNT find commands by the new names and give
	// their own (respd's count differs from Redis's: 7.2's commands).
	c := servertest.Dial(t, servertest.Start(t, args...).Addr)
	if got := c.Do("COMMAND", "INFO", "myset"); !strings.HasPrefix(got, "*1\r\n*10\r\n$3\r\nset\r\n") {
		t.Errorf("COMMAND INFO myset: %.40q", got)
	}
	plain := servertest.Dial(t, servertest.Start(t).Addr).Do("COMMAND", "COUNT")
	n, _ := strconv.Atoi(strings.Trim(plain, ":\r\n"))
	if got := c.Do("COMMAND", "COUNT"); got != ":"+strconv.Itoa(n-1)+"\r\n" {
		t.Errorf("COMMAND COUNT with CONFIG removed: %q, without renames %q", got, plain)
	}
}

// TestRenameCommandRefused checks the rename-command lines Redis refuses
// to start with, against redis-server's own message: a command that does
// not exist (or no longer does under that name), and a new name already
// taken.
func TestRenameCommandRefused(t *testing.T) {
	redisBin := oracle.Binary(t, "redis-server")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rename-command", "nosuch", "x"}, "No such command in rename-command"},
		{[]string{"--rename-command", "set", "put", "--rename-command", "set", "x"}, "No such command in rename-command"},
		{[]string{"--rename-command", "get", "SET"}, "Target command name already exists"},
	} {
		out, _ := exec.Command(redisBin, append([]string{"--port", "0", "--save", ""}, tc.args...)...).CombinedOutput()
		if !strings.Contains(string(out), tc.want) {
			t.Fatalf("%q: redis-server said %q, not %q", tc.args, out, tc.want)
		}
		if err := servertest.StartErr(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: respd: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestRenameCommandStreams renames and removes commands on respd, which
// must still load its own AOF (where, as in Redis's, the commands it
// rewrites go by their own names: SET ... PXAT) and apply its master's
// stream, which names commands as the master knows them. GET is called
// SET, so a stream's SET must still be SET.
func TestRenameCommandStreams(t *testing.T) {
	renames := []string{"--rename-command", "set", "myset", "--rename-command", "get", "set",
		"--rename-command", "incr", "bump", "--rename-command", "flushall", ""}
	dir := t.TempDir()
	aofArgs := append([]string{"--dir", dir, "--appendonly", "yes"}, renames...)
	first := servertest.Start(t, aofArgs...)
	c := first.Raw(t)
	for _, cmd := range [][]string{{"MYSET", "k", "v"}, {"MYSET", "k2", "v", "EX", "100"}, {"BUMP", "n"}} {
		if got := c.Do(cmd...); got != "+OK\r\n" && got != ":1\r\n" {
			t.Fatalf("%q: %q", cmd, got)
		}
	}
	first.Srv.Close()
	c = servertest.Start(t, aofArgs...).Raw(t)
	for cmd, want := range map[string]string{"SET k": "$1\r\nv\r\n", "SET n": "$1\r\n1\r\n", "DBSIZE": ":3\r\n"} {
		if got := c.Do(strings.Fields(cmd)...); got != want {
			t.Errorf("after the AOF load, %s: %q, want %q", cmd, got, want)
		}
	}

	m := servertest.Start(t)
	r := servertest.Start(t, renames...)
	h, p := hostPort(t, m.Addr)
	rc := r.Raw(t)
	if got := rc.Do("REPLICAOF", h, p); got != "+OK\r\n" {
		t.Fatal(got)
	}
	mc := m.Raw(t)
	for _, cmd := range [][]string{{"SET", "a", "1"}, {"INCR", "n"}, {"FLUSHALL"}, {"SET", "b", "2", "EX", "100"}, {"INCR", "n"}} {
		mc.Do(cmd...)
	}
	waitSynced(t, 10*time.Second, m.Addr, r.Addr)
	for cmd, want := range map[string]string{"SET a": "$-1\r\n", "SET b": "$1\r\n2\r\n", "SET n": "$1\r\n1\r\n", "DBSIZE": ":2\r\n"} {
		if got := rc.Do(strings.Fields(cmd)...); got != want {
			t.Errorf("on the replica, %s: %q, want %q", cmd, got, want)
		}
	}
}
