package tests

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/servertest"
)

// clientID asks a raw connection for its id, as a decimal string.
func clientID(t *testing.T, c *servertest.Conn) string {
	t.Helper()
	r := c.Do("CLIENT", "ID")
	if !strings.HasPrefix(r, ":") {
		t.Fatalf("CLIENT ID: %q", r)
	}
	return strings.TrimSuffix(r[1:], "\r\n")
}

// expectClosed fails unless the server closes c within a few seconds.
func expectClosed(t *testing.T, c *servertest.Conn) {
	t.Helper()
	if r, err := c.ReadErr(3 * time.Second); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("connection still open: reply %q, err %v", r, err)
	}
}

// listField returns field's value in the CLIENT LIST line of client id.
func listField(t *testing.T, admin *servertest.Conn, id, field string) string {
	t.Helper()
	r := admin.Do("CLIENT", "LIST", "ID", id)
	m := regexp.MustCompile(` ` + field + `=(\S*)`).FindStringSubmatch(r)
	if m == nil {
		t.Fatalf("no %s in %q", field, r)
	}
	return m[1]
}

func TestClientKillByID(t *testing.T) {
	in := servertest.Start(t)
	admin, victim := in.Raw(t), in.Raw(t)
	id := clientID(t, victim)
	if got := admin.Do("CLIENT", "KILL", "ID", id); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL ID: %q", got)
	}
	if got := admin.Do("CLIENT", "LIST", "ID", id); got != "$0\r\n\r\n" {
		t.Fatalf("killed client still listed: %q", got)
	}
	if got := admin.Do("CLIENT", "KILL", "ID", id); got != ":0\r\n" {
		t.Fatalf("second CLIENT KILL ID: %q", got)
	}
	expectClosed(t, victim)
}

func TestClientKillBlocked(t *testing.T) {
	in := servertest.Start(t)
	admin, c := in.Raw(t), in.Raw(t)
	id := clientID(t, c)
	c.Write(servertest.Encode("BLPOP", "l", "0"))
	admin.WaitBlocked(1)
	admin.Do("CLIENT", "KILL", "ID", id)
	// The dead client must not take the element pushed right after.
	admin.Do("RPUSH", "l", "x")
	if got := admin.Do("LLEN", "l"); got != ":1\r\n" {
		t.Fatalf("LLEN after pushing past a killed waiter: %q", got)
	}
	expectClosed(t, c)
}

func TestClientKillByTypeAndAddr(t *testing.T) {
	in := servertest.Start(t)
	admin, sub, normal := in.Raw(t), in.Raw(t), in.Raw(t)
	sub.Do("SUBSCRIBE", "ch")
	if got := admin.Do("CLIENT", "LIST", "TYPE", "pubsub"); !strings.Contains(got, "flags=P ") || !strings.Contains(got, " sub=1 ") {
		t.Fatalf("CLIENT LIST TYPE pubsub: %q", got)
	}
	if got := admin.Do("CLIENT", "KILL", "TYPE", "pubsub"); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL TYPE pubsub: %q", got)
	}
	// The killed subscriber is gone at once, not when its goroutine
	// notices.
	if got := admin.Do("PUBLISH", "ch", "m"); got != ":0\r\n" {
		t.Fatalf("PUBLISH right after the kill: %q", got)
	}
	expectClosed(t, sub)
	if got := normal.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("normal client after pubsub kill: %q", got)
	}
	// TYPE normal skips the caller by default.
	if got := admin.Do("CLIENT", "KILL", "TYPE", "normal"); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL TYPE normal: %q", got)
	}
	expectClosed(t, normal)
	if got := admin.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("caller after TYPE normal: %q", got)
	}

	// The old form by address replies OK.
	other := in.Raw(t)
	addr := listField(t, admin, clientID(t, other), "addr")
	if got := admin.Do("CLIENT", "KILL", addr); got != "+OK\r\n" {
		t.Fatalf("CLIENT KILL addr: %q", got)
	}
	expectClosed(t, other)

	// SKIPME no kills the caller after its reply.
	if got := admin.Do("CLIENT", "KILL", "ID", clientID(t, admin), "SKIPME", "no"); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL self: %q", got)
	}
	expectClosed(t, admin)
}

func TestClientListCounts(t *testing.T) {
	in := servertest.Start(t)
	admin, c := in.Raw(t), in.Raw(t)
	id := clientID(t, c)
	c.Do("MULTI")
	c.Do("SET", "a", "1")
	c.Do("GET", "a")
	if got := listField(t, admin, id, "multi"); got != "2" {
		t.Fatalf("multi=%s, want 2", got)
	}
	if got := listField(t, admin, id, "flags"); got != "x" {
		t.Fatalf("flags=%s, want x", got)
	}
	c.Do("DISCARD")
	c.Do("SUBSCRIBE", "a", "b")
	c.Read()
	c.Do("PSUBSCRIBE", "p*")
	if got := listField(t, admin, id, "sub") + "/" + listField(t, admin, id, "psub"); got != "2/1" {
		t.Fatalf("sub/psub = %s, want 2/1", got)
	}
	if got := listField(t, admin, id, "cmd"); got != "psubscribe" {
		t.Fatalf("cmd=%s", got)
	}
}

func TestClientUnblock(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	for _, tc := range []struct{ reason, want string }{
		{"TIMEOUT", "*-1\r\n"},
		{"ERROR", "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"},
	} {
		c := in.Raw(t)
		id := clientID(t, c)
		if got := admin.Do("CLIENT", "UNBLOCK", id); got != ":0\r\n" {
			t.Fatalf("UNBLOCK of an unblocked client: %q", got)
		}
		c.Write(servertest.Encode("BLPOP", "list", "0"))
		admin.WaitBlocked(1)
		if got := admin.Do("CLIENT", "UNBLOCK", id, tc.reason); got != ":1\r\n" {
			t.Fatalf("UNBLOCK %s: %q", tc.reason, got)
		}
		if got := c.Read(); got != tc.want {
			t.Fatalf("BLPOP after UNBLOCK %s: %q, want %q", tc.reason, got, tc.want)
		}
		admin.WaitBlocked(0)
		// The list is not served to the unblocked client later.
		admin.Do("RPUSH", "list", "x")
		if got := c.Do("LPOP", "list"); got != "$1\r\nx\r\n" {
			t.Fatalf("LPOP: %q", got)
		}
	}
}

func TestClientReplyOffSkip(t *testing.T) {
	in := servertest.Start(t)
	c := in.Raw(t)
	c.Write(servertest.Encode("CLIENT", "REPLY", "OFF") + servertest.Encode("SET", "a", "1") +
		servertest.Encode("GET", "nope") + servertest.Encode("CLIENT", "REPLY", "ON"))
	if got := c.Read(); got != "+OK\r\n" {
		t.Fatalf("first reply after REPLY OFF ... ON: %q", got)
	}
	if got := c.Do("GET", "a"); got != "$1\r\n1\r\n" {
		t.Fatalf("SET under REPLY OFF did not run: %q", got)
	}
	c.Write(servertest.Encode("CLIENT", "REPLY", "SKIP") + servertest.Encode("SET", "a", "2") + servertest.Encode("GET", "a"))
	if got := c.Read(); got != "$1\r\n2\r\n" {
		t.Fatalf("reply after SKIP + SET: %q", got)
	}
	if got := c.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("replies did not come back after SKIP: %q", got)
	}

	// Under OFF, messages of a subscription are dropped as well (RESP3,
	// where CLIENT REPLY is allowed while subscribed).
	pub := in.Raw(t)
	c.Do("HELLO", "3")
	c.Do("SUBSCRIBE", "ch")
	c.Write(servertest.Encode("CLIENT", "REPLY", "OFF") + servertest.Encode("SET", "marker", "1"))
	// The SET ran, so OFF is in force before the message is published.
	deadline := time.Now().Add(3 * time.Second)
	for pub.Do("GET", "marker") != "$1\r\n1\r\n" {
		if time.Now().After(deadline) {
			t.Fatal("SET under REPLY OFF never ran")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if got := pub.Do("PUBLISH", "ch", "lost"); got != ":1\r\n" {
		t.Fatalf("PUBLISH: %q", got)
	}
	c.Write(servertest.Encode("CLIENT", "REPLY", "ON"))
	if got := c.Read(); got != "+OK\r\n" {
		t.Fatalf("first reply after OFF with a message published: %q", got)
	}
}

func TestClientPauseWrite(t *testing.T) {
	in := servertest.Start(t)
	admin, writer, reader := in.Raw(t), in.Raw(t), in.Raw(t)
	writerID := clientID(t, writer)
	start := time.Now()
	if got := admin.Do("CLIENT", "PAUSE", "400", "WRITE"); got != "+OK\r\n" {
		t.Fatalf("PAUSE: %q", got)
	}
	writer.Write(servertest.Encode("SET", "k", "v"))
	admin.WaitBlocked(1)
	if got := listField(t, admin, writerID, "flags") + " " + listField(t, admin, writerID, "cmd"); got != "b set" {
		t.Fatalf("held writer: flags and cmd %q", got)
	}
	if got := listField(t, admin, clientID(t, reader), "flags"); got != "N" {
		t.Fatalf("reader flags during the pause: %s", got)
	}
	if got := reader.Do("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("GET during pause: %q (the SET ran early?)", got)
	}
	if time.Since(start) >= 400*time.Millisecond {
		t.Fatal("GET was delayed by a WRITE pause")
	}
	if got := writer.Read(); got != "+OK\r\n" {
		t.Fatalf("SET after pause: %q", got)
	}
	if d := time.Since(start); d < 390*time.Millisecond {
		t.Fatalf("SET answered after %v, inside the pause", d)
	}
	if got := reader.Do("GET", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("GET after pause: %q", got)
	}

	// UNPAUSE releases held commands at once, in order.
	admin.Do("CLIENT", "PAUSE", "100000", "WRITE")
	writer.Write(servertest.Encode("INCR", "n") + servertest.Encode("INCR", "n"))
	expectSilence(t, writer, 100*time.Millisecond)
	admin.Do("CLIENT", "UNPAUSE")
	if got := writer.Read() + writer.Read(); got != ":1\r\n:2\r\n" {
		t.Fatalf("INCRs after UNPAUSE: %q", got)
	}
}

func TestIdleTimeout(t *testing.T) {
	in := servertest.Start(t, "--timeout", "1")
	idle, sub, blocked, admin := in.Raw(t), in.Raw(t), in.Raw(t), in.Raw(t)
	idle.Do("PING")
	sub.Do("SUBSCRIBE", "ch")
	blocked.Write(servertest.Encode("BLPOP", "l", "0"))
	admin.WaitBlocked(1)
	expectClosed(t, idle)
	// Subscribed and blocked clients are exempt; admin idled too, so a
	// fresh connection checks them.
	admin = in.Raw(t)
	if got := admin.Do("PUBLISH", "ch", "m"); got != ":1\r\n" {
		t.Fatalf("subscriber gone: PUBLISH %q", got)
	}
	admin.Do("RPUSH", "l", "x")
	if got := blocked.Read(); got != "*2\r\n$1\r\nl\r\n$1\r\nx\r\n" {
		t.Fatalf("blocked client: %q", got)
	}
}

func TestMonitor(t *testing.T) {
	in := servertest.Start(t)
	mon := in.Raw(t)
	if got := mon.Do("MONITOR"); got != "+OK\r\n" {
		t.Fatalf("MONITOR: %q", got)
	}
	rdb := in.Client(t)
	ctx := context.Background()
	if err := rdb.Do(ctx, "SELECT", "2").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "key", "a \"b\"\n\x01\xff", 0).Err(); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\] (.*)\r\n$`)
	for {
		line := mon.Read()
		m := re.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("monitor line %q", line)
		}
		if strings.HasPrefix(m[2], `"set"`) {
			if m[1] != "2" || m[2] != `"set" "key" "a \"b\"\n\x01\xff"` {
				t.Fatalf("monitor line for SET: %q", line)
			}
			break
		}
	}
	// Admin commands are not shown; SELECT shows the db it selected.
	mon2 := in.Raw(t)
	mon2.Do("MONITOR")
	sel := in.Raw(t)
	sel.Do("SELECT", "3")
	if line := mon2.Read(); !regexp.MustCompile(`^\+\d+\.\d{6} \[3 127\.0\.0\.1:\d+\] "SELECT" "3"\r\n$`).MatchString(line) {
		t.Fatalf("monitor line for SELECT: %q", line)
	}
	mon.Read()
	rdb.Do(ctx, "CONFIG", "GET", "hz")
	rdb.Get(ctx, "key")
	if line := mon.Read(); !strings.Contains(line, `"get" "key"`) {
		t.Fatalf("after CONFIG GET and GET: %q", line)
	}
}

func TestClientPauseAll(t *testing.T) {
	in := servertest.Start(t)
	admin, c, pub := in.Raw(t), in.Raw(t), in.Raw(t)
	admin.Do("CLIENT", "PAUSE", "100000", "WRITE")
	// PUBLISH may replicate, so a WRITE pause holds it.
	pub.Write(servertest.Encode("PUBLISH", "ch", "m"))
	expectSilence(t, pub, 50*time.Millisecond)
	admin.Do("CLIENT", "UNPAUSE")
	if got := pub.Read(); got != ":0\r\n" {
		t.Fatalf("PUBLISH after UNPAUSE: %q", got)
	}

	start := time.Now()
	admin.Do("CLIENT", "PAUSE", "300", "ALL")
	c.Write(servertest.Encode("GET", "k"))
	expectSilence(t, c, 100*time.Millisecond)
	if got := c.Read(); got != "$-1\r\n" {
		t.Fatalf("GET after an ALL pause: %q", got)
	}
	if d := time.Since(start); d < 290*time.Millisecond {
		t.Fatalf("GET answered after %v, inside the ALL pause", d)
	}
	if got := listField(t, admin, clientID(t, c), "flags"); got != "N" {
		t.Fatalf("flags after the pause: %s", got)
	}
}

func TestIdleTimeoutFakeClock(t *testing.T) {
	in := servertest.StartFake(t, "--timeout", "10")
	c := in.Raw(t)
	c.Do("PING")
	in.Clock.Advance(9 * time.Second)
	in.Srv.Housekeep()
	if got := c.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after 9s idle: %q", got)
	}
	in.Clock.Advance(10*time.Second + time.Millisecond)
	in.Srv.Housekeep()
	expectClosed(t, c)
}
