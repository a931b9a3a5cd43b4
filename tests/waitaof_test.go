package tests

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/servertest"
)

const (
	waitAOFNoAOF     = "-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n"
	waitAOFOnReplica = "-ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local and are not propagated.\r\n"
)

// aofNode starts respd with appendonly yes in a directory of its own.
func aofNode(t *testing.T, args ...string) *servertest.Instance {
	t.Helper()
	return servertest.Start(t, append([]string{"--dir", t.TempDir(), "--appendonly", "yes"}, args...)...)
}

// timedDo sends a command and says how long its reply took.
func timedDo(c *servertest.Conn, args ...string) (string, time.Duration) {
	start := time.Now()
	got := c.Do(args...)
	return got, time.Since(start)
}

// TestWaitAOFErrors: argument errors come first, then the role, then
// appendonly, in Redis 7.2's words.
func TestWaitAOFErrors(t *testing.T) {
	m := servertest.Start(t, "--dir", t.TempDir())
	c := m.Raw(t)
	for _, tc := range []struct{ args, want string }{
		{"WAITAOF 1 0 0", waitAOFNoAOF},
		{"WAITAOF 0 0 0", "*2\r\n:0\r\n:0\r\n"},
		{"WAITAOF 2 0 0", "-ERR value is out of range, value must between 0 and 1\r\n"},
		{"WAITAOF -1 0 0", "-ERR value is out of range, value must between 0 and 1\r\n"},
		{"WAITAOF x 0 0", "-ERR value is not an integer or out of range\r\n"},
		{"WAITAOF 0 -1 0", "-ERR value is out of range, must be positive\r\n"},
		{"WAITAOF 0 x 0", "-ERR value is out of range, must be positive\r\n"},
		{"WAITAOF 1 0 -1", "-ERR timeout is negative\r\n"},
		{"WAITAOF 1 0 1.5", "-ERR timeout is not an integer or out of range\r\n"},
		{"WAITAOF 1 0", "-ERR wrong number of arguments for 'waitaof' command\r\n"},
	} {
		if got := c.Do(strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.args, got, tc.want)
		}
	}
	// A numlocal 0 with replicas to wait for is fine without an AOF: it
	// times out with nobody.
	if got, d := timedDo(c, "WAITAOF", "0", "1", "100"); got != "*2\r\n:0\r\n:0\r\n" || d < 90*time.Millisecond {
		t.Errorf("WAITAOF 0 1 100 without replicas: %q after %v", got, d)
	}
	// Not from scripts (NOSCRIPT in Redis 7.2).
	if got := c.Do("EVAL", "return redis.call('waitaof', 0, 0, 0)", "0"); !strings.Contains(got, "not allowed from script") {
		t.Errorf("WAITAOF from a script: %q", got)
	}

	rep := aofNode(t, "--replicaof", strings.Replace(m.Addr, ":", " ", 1))
	rc := rep.Raw(t)
	if got := rc.Do("WAITAOF", "0", "0", "0"); got != waitAOFOnReplica {
		t.Errorf("on a replica: %q", got)
	}
	if got := rc.Do("WAITAOF", "1", "0", "-1"); got != "-ERR timeout is negative\r\n" {
		t.Errorf("bad timeout on a replica: %q", got)
	}
}

// TestWaitAOFLocal: a write is reported fsynced locally under everysec
// and always, never under appendfsync no; MULTI does not block; turning
// the AOF off fails a blocked WAITAOF 1.
func TestWaitAOFLocal(t *testing.T) {
	m := aofNode(t)
	c := m.Raw(t)
	// A client without writes has nothing to wait for.
	if got := c.Do("WAITAOF", "1", "0", "0"); got != "*2\r\n:1\r\n:0\r\n" {
		t.Fatalf("WAITAOF without writes: %q", got)
	}
	for _, policy := range []string{"everysec", "always"} {
		if got := c.Do("CONFIG", "SET", "appendfsync", policy); got != "+OK\r\n" {
			t.Fatal(got)
		}
		c.Do("INCR", "n")
		got, d := timedDo(c, "WAITAOF", "1", "0", "8000")
		if got != "*2\r\n:1\r\n:0\r\n" || d > 5*time.Second {
			t.Fatalf("appendfsync %s: %q after %v", policy, got, d)
		}
		t.Logf("appendfsync %s: WAITAOF 1 0 answered in %v", policy, d)
	}

	c.Do("CONFIG", "SET", "appendfsync", "no")
	c.Do("INCR", "n")
	if got, d := timedDo(c, "WAITAOF", "1", "0", "200"); got != "*2\r\n:0\r\n:0\r\n" || d < 190*time.Millisecond {
		t.Fatalf("appendfsync no: %q after %v", got, d)
	}
	// Inside MULTI it answers at once with what holds now.
	c.Do("MULTI")
	c.Do("INCR", "n")
	c.Do("WAITAOF", "1", "0", "0")
	if got, d := timedDo(c, "EXEC"); got != "*2\r\n:4\r\n*2\r\n:0\r\n:0\r\n" || d > 2*time.Second {
		t.Fatalf("WAITAOF in MULTI: %q after %v", got, d)
	}

	// Blocked on a local fsync that cannot come, until appendonly no.
	c.Do("INCR", "n")
	c.Write(servertest.Encode("WAITAOF", "1", "0", "0"))
	admin := m.Raw(t)
	admin.WaitBlocked(1)
	if got := admin.Do("CONFIG", "SET", "appendonly", "no"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := c.Read(); got != waitAOFNoAOF {
		t.Fatalf("blocked WAITAOF after appendonly no: %q", got)
	}
}

// TestWaitAOFReplicas: respd replicas with an AOF acknowledge what they
// fsynced (REPLCONF ACK ... FACK ...); one without an AOF, or a real
// Redis 7.0 replica (which sends no FACK), never counts.
func TestWaitAOFReplicas(t *testing.T) {
	m := aofNode(t, "--appendfsync", "always")
	rep := aofNode(t, "--replicaof", strings.Replace(m.Addr, ":", " ", 1))
	waitSynced(t, 10*time.Second, m.Addr, rep.Addr)
	c := m.Raw(t)
	c.Do("SET", "k", "1")
	got, d := timedDo(c, "WAITAOF", "1", "1", "8000")
	if got != "*2\r\n:1\r\n:1\r\n" {
		t.Fatalf("WAITAOF 1 1 with an AOF replica: %q after %v", got, d)
	}
	t.Logf("WAITAOF 1 1 (replica everysec) answered in %v", d)
	rep.Raw(t).Do("CONFIG", "SET", "appendfsync", "always")
	c.Do("SET", "k", "2")
	if got, d := timedDo(c, "WAITAOF", "1", "1", "8000"); got != "*2\r\n:1\r\n:1\r\n" {
		t.Fatalf("WAITAOF 1 1 with an always replica: %q after %v", got, d)
	}

	// The replica's AOF off: it stops sending FACK.
	if got := rep.Raw(t).Do("CONFIG", "SET", "appendonly", "no"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	c.Do("SET", "k", "3")
	if got, d := timedDo(c, "WAITAOF", "1", "1", "500"); got != "*2\r\n:1\r\n:0\r\n" || d < 490*time.Millisecond {
		t.Fatalf("WAITAOF 1 1 with a replica without AOF: %q after %v", got, d)
	}
	// WAIT still counts it.
	if got := c.Do("WAIT", "1", "5000"); got != ":1\r\n" {
		t.Fatalf("WAIT: %q", got)
	}
	// And back on: acknowledged once its first rewrite is done.
	if got := rep.Raw(t).Do("CONFIG", "SET", "appendonly", "yes"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	c.Do("SET", "k", "4")
	if got, d := timedDo(c, "WAITAOF", "0", "1", "8000"); got != "*2\r\n:1\r\n:1\r\n" {
		t.Fatalf("WAITAOF 0 1 after the replica's AOF is back: %q after %v", got, d)
	}

	// A master turned replica ends its blocked WAITAOFs.
	h, p := hostPort(t, m.Addr)
	other := aofNode(t)
	oc := other.Raw(t)
	oc.Do("SET", "x", "1")
	oc.Write(servertest.Encode("WAITAOF", "0", "1", "0"))
	admin := other.Raw(t)
	admin.WaitBlocked(1)
	if got := admin.Do("REPLICAOF", h, p); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := oc.Read(); !strings.HasPrefix(got, "-UNBLOCKED force unblock from blocking operation,") {
		t.Fatalf("blocked WAITAOF on a demoted master: %q", got)
	}

	// A real Redis 7.0 replica, AOF on, acknowledges without FACK.
	redisRep := servertest.RedisServer(t, "--appendonly", "yes", "--appendfsync", "always", "--replicaof", h, p)
	waitSynced(t, 20*time.Second, m.Addr, rep.Addr, redisRep)
	c.Do("SET", "k", "5")
	if got := c.Do("WAIT", "2", "5000"); got != ":2\r\n" {
		t.Fatalf("WAIT 2 with the Redis replica: %q", got)
	}
	if got, d := timedDo(c, "WAITAOF", "1", "2", "500"); got != "*2\r\n:1\r\n:1\r\n" || d < 490*time.Millisecond {
		t.Fatalf("WAITAOF 1 2 with a Redis 7.0 replica: %q after %v", got, d)
	}
}

// TestWaitAOFAfterEnable: with the AOF turned on at run time, a write
// counts as fsynced locally only once the first rewrite is done.
func TestWaitAOFAfterEnable(t *testing.T) {
	m := servertest.Start(t, "--dir", t.TempDir())
	c := m.Raw(t)
	for i := 0; i < 2000; i++ {
		c.Write(servertest.Encode("SET", "k"+strconv.Itoa(i), "v"))
	}
	for i := 0; i < 2000; i++ {
		c.Read()
	}
	c.Do("CONFIG", "SET", "rdb-key-save-delay", "200") // µs per key: a rewrite of about 0.4 s
	if got := c.Do("CONFIG", "SET", "appendonly", "yes"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	c.Do("SET", "after", "1")
	early := c.Do("WAITAOF", "1", "0", "50")
	if info(t, m.Addr, "aof_rewrite_in_progress") == "1" && early != "*2\r\n:0\r\n:0\r\n" {
		t.Fatalf("WAITAOF during the first rewrite: %q", early)
	}
	got, d := timedDo(c, "WAITAOF", "1", "0", "8000")
	if got != "*2\r\n:1\r\n:0\r\n" {
		t.Fatalf("WAITAOF after CONFIG SET appendonly yes: %q after %v", got, d)
	}
	if info(t, m.Addr, "aof_rewrite_in_progress") != "0" {
		t.Fatal("WAITAOF answered before the first rewrite finished")
	}
	t.Logf("early %q; WAITAOF 1 0 after enabling answered in %v", early, d)
}
