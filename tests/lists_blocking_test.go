package tests

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// blockedClients reads INFO's blocked_clients.
func blockedClients(t *testing.T, c *servertest.Conn) string {
	t.Helper()
	info := c.Do("INFO", "clients")
	i := strings.Index(info, "blocked_clients:")
	if i < 0 {
		t.Fatalf("INFO clients has no blocked_clients: %q", info)
	}
	v, _, _ := strings.Cut(info[i+len("blocked_clients:"):], "\r\n")
	return v
}

// block sends a blocking command on a fresh connection and waits until
// the server has parked it (blocked_clients reaches n).
func block(t *testing.T, in *servertest.Instance, admin *servertest.Conn, n int, args ...string) *servertest.Conn {
	t.Helper()
	c := in.Raw(t)
	c.Write(servertest.Encode(args...))
	admin.WaitBlocked(n)
	return c
}

// expectSilence fails if c receives a reply within d.
func expectSilence(t *testing.T, c *servertest.Conn, d time.Duration) {
	t.Helper()
	got, err := c.ReadErr(d)
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("expected no reply yet, got %q (%v)", got, err)
	}
}

func expect(t *testing.T, c *servertest.Conn, want string) {
	t.Helper()
	if got := c.Read(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestBlockedClientsServedFIFO(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	w1 := block(t, in, admin, 1, "BLPOP", "q", "0")
	w2 := block(t, in, admin, 2, "BRPOP", "q", "0")
	w3 := block(t, in, admin, 3, "BLPOP", "other", "q", "0")

	// Successive pushes go to the waiters in the order they blocked.
	if got := admin.Do("RPUSH", "q", "first"); got != ":1\r\n" {
		t.Fatalf("RPUSH = %q (the pusher sees the length before anyone is served)", got)
	}
	expect(t, w1, "*2\r\n$1\r\nq\r\n$5\r\nfirst\r\n")
	expectSilence(t, w2, 50*time.Millisecond)
	admin.Do("RPUSH", "q", "second")
	expect(t, w2, "*2\r\n$1\r\nq\r\n$6\r\nsecond\r\n")
	admin.Do("LPUSH", "q", "third")
	expect(t, w3, "*2\r\n$1\r\nq\r\n$5\r\nthird\r\n")
	admin.WaitBlocked(0)
	if got := admin.Do("EXISTS", "q"); got != ":0\r\n" {
		t.Fatalf("every element was served, yet EXISTS q = %q", got)
	}

	// One push of several elements serves several waiters, one each, in
	// order, each from its own end.
	w1 = block(t, in, admin, 1, "BLPOP", "q", "0")
	w2 = block(t, in, admin, 2, "BRPOP", "q", "0")
	w3 = block(t, in, admin, 3, "BLPOP", "q", "0")
	admin.Do("RPUSH", "q", "a", "b", "c", "d")
	expect(t, w1, "*2\r\n$1\r\nq\r\n$1\r\na\r\n")
	expect(t, w2, "*2\r\n$1\r\nq\r\n$1\r\nd\r\n")
	expect(t, w3, "*2\r\n$1\r\nq\r\n$1\r\nb\r\n")
	if got := admin.Do("LRANGE", "q", "0", "-1"); got != "*1\r\n$1\r\nc\r\n" {
		t.Fatalf("left over: %q", got)
	}
}

func TestOneElementToExactlyOneWaiter(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	w1 := block(t, in, admin, 1, "BLPOP", "k", "0")
	w2 := block(t, in, admin, 2, "BLPOP", "k", "0")
	admin.Do("RPUSH", "k", "only")
	expect(t, w1, "*2\r\n$1\r\nk\r\n$4\r\nonly\r\n")
	expectSilence(t, w2, 100*time.Millisecond)
	if got := blockedClients(t, admin); got != "1" {
		t.Fatalf("blocked_clients = %s after one element, want 1", got)
	}
	if got := admin.Do("LLEN", "k"); got != ":0\r\n" {
		t.Fatalf("LLEN = %q", got)
	}
	admin.Do("RPUSH", "k", "next")
	expect(t, w2, "*2\r\n$1\r\nk\r\n$4\r\nnext\r\n")
}

func TestDisconnectedWaiterIsSkipped(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	gone := block(t, in, admin, 1, "BLPOP", "k", "0")
	w := block(t, in, admin, 2, "BRPOPLPUSH", "k", "dst", "0")
	gone.Close()
	admin.WaitBlocked(1)
	admin.Do("RPUSH", "k", "v")
	expect(t, w, "$1\r\nv\r\n")
	if got := admin.Do("LRANGE", "dst", "0", "-1"); got != "*1\r\n$1\r\nv\r\n" {
		t.Fatalf("dst = %q: the element went to the closed connection?", got)
	}
	if got := admin.Do("EXISTS", "k"); got != ":0\r\n" {
		t.Fatalf("EXISTS k = %q", got)
	}
}

func TestBlockingTimeoutsReturnNullArray(t *testing.T) {
	in := servertest.Start(t)
	c := in.Raw(t)
	for _, cmd := range [][]string{
		{"BLPOP", "a", "b", "0.2"},
		{"BRPOP", "a", ".2"},
		{"BLMOVE", "a", "b", "LEFT", "RIGHT", "0.2"},
		{"BRPOPLPUSH", "a", "b", "0.2"},
		{"BLMPOP", "0.2", "2", "a", "b", "LEFT", "COUNT", "2"},
	} {
		start := time.Now()
		got := c.Do(cmd...)
		took := time.Since(start)
		if got != "*-1\r\n" {
			t.Errorf("%v timed out with %q, want the null array", cmd, got)
		}
		if took < 190*time.Millisecond || took > 2*time.Second {
			t.Errorf("%v took %v for a 0.2 s timeout", cmd, took)
		}
	}
	if got := c.Do("DBSIZE"); got != ":0\r\n" {
		t.Fatalf("timed-out commands created keys: DBSIZE %q", got)
	}
}

func TestBlockingZeroWaitsUntilPush(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	w := block(t, in, admin, 1, "BLPOP", "k", "0")
	expectSilence(t, w, 1200*time.Millisecond)
	admin.Do("LPUSH", "k", "late")
	expect(t, w, "*2\r\n$1\r\nk\r\n$4\r\nlate\r\n")
}

func TestBlmoveChainWakesNextWaiter(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	mover := block(t, in, admin, 1, "BLMOVE", "src", "mid", "LEFT", "RIGHT", "0")
	mover2 := block(t, in, admin, 2, "BRPOPLPUSH", "mid", "end", "0")
	popper := block(t, in, admin, 3, "BLPOP", "end", "0")
	admin.Do("RPUSH", "src", "x")
	expect(t, mover, "$1\r\nx\r\n")
	expect(t, mover2, "$1\r\nx\r\n")
	expect(t, popper, "*2\r\n$3\r\nend\r\n$1\r\nx\r\n")
	if got := admin.Do("DBSIZE"); got != ":0\r\n" {
		t.Fatalf("DBSIZE = %q after the element went through the chain", got)
	}
}

func TestPipelinedCommandAfterBlpopRunsAfterIt(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	w := in.Raw(t)
	w.Write(servertest.Encode("BLPOP", "k", "0") + servertest.Encode("LLEN", "k") + servertest.Encode("PING"))
	admin.WaitBlocked(1)
	expectSilence(t, w, 100*time.Millisecond)
	admin.Do("RPUSH", "k", "a", "b")
	// LLEN runs after BLPOP took its element.
	expect(t, w, "*2\r\n$1\r\nk\r\n$1\r\na\r\n")
	expect(t, w, ":1\r\n")
	expect(t, w, "+PONG\r\n")
}

func TestBlockingTimeoutByFakeClock(t *testing.T) {
	in := servertest.StartFake(t)
	admin := in.Raw(t)
	w := block(t, in, admin, 1, "BLPOP", "k", "10")
	in.Clock.Advance(9 * time.Second)
	// The cron runs ten times a second; give it a few runs.
	expectSilence(t, w, 300*time.Millisecond)
	in.Clock.Advance(1 * time.Second)
	start := time.Now()
	expect(t, w, "*-1\r\n")
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the cron took %v to time the client out", took)
	}
	admin.WaitBlocked(0)

	// A fractional timeout, too: 1.5 s is 1500 ms.
	w = block(t, in, admin, 1, "BRPOP", "k", "1.5")
	in.Clock.Advance(1499 * time.Millisecond)
	expectSilence(t, w, 300*time.Millisecond)
	in.Clock.Advance(time.Millisecond)
	expect(t, w, "*-1\r\n")
}

// TestWaiterKeepsWaitingWhenKeyTurnsToOtherType follows Redis 7.0: a key
// a client waits on that becomes a string does not fail the waiter, which
// is served later from a list.
func TestWaiterKeepsWaitingWhenKeyTurnsToOtherType(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	w := block(t, in, admin, 1, "BLPOP", "k1", "k2", "0")
	admin.Do("SET", "k1", "string")
	expectSilence(t, w, 100*time.Millisecond)
	admin.Do("RPUSH", "k2", "v")
	expect(t, w, "*2\r\n$2\r\nk2\r\n$1\r\nv\r\n")
	// A first run, in contrast, reports the wrong type.
	if got := admin.Do("BLPOP", "k1", "k2", "0"); !strings.HasPrefix(got, "-WRONGTYPE") {
		t.Fatalf("BLPOP on a string key = %q", got)
	}
}

func TestWokenBlmoveOntoStringFails(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	admin.Do("SET", "dst", "string")
	w := block(t, in, admin, 1, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
	next := block(t, in, admin, 2, "BLPOP", "src", "0")
	admin.Do("RPUSH", "src", "v")
	expect(t, w, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
	expect(t, next, "*2\r\n$3\r\nsrc\r\n$1\r\nv\r\n")
}

func TestBlmpopWokenWithCount(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	w := block(t, in, admin, 1, "BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2")
	admin.Do("RPUSH", "b", "1", "2", "3")
	expect(t, w, "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n")
	if got := admin.Do("LRANGE", "b", "0", "-1"); got != "*1\r\n$1\r\n1\r\n" {
		t.Fatalf("left over %q", got)
	}
}

func TestWaitersAreServedPerDatabase(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	w := in.Raw(t)
	if got := w.Do("SELECT", "1"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	w.Write(servertest.Encode("BLPOP", "k", "0"))
	admin.WaitBlocked(1)
	admin.Do("RPUSH", "k", "db0")
	expectSilence(t, w, 100*time.Millisecond)
	admin.Do("SELECT", "1")
	admin.Do("RPUSH", "k", "db1")
	expect(t, w, "*2\r\n$1\r\nk\r\n$3\r\ndb1\r\n")
}

// TestBlockingWithGoRedis drives the blocking commands through a
// client library, as applications do.
func TestBlockingWithGoRedis(t *testing.T) {
	in := servertest.Start(t)
	ctx := context.Background()
	producer, consumer := in.Client(t), in.Client(t)
	got := make(chan []string, 1)
	go func() {
		v, err := consumer.BLPop(ctx, 0, "jobs").Result()
		if err != nil {
			v = []string{"error", err.Error()}
		}
		got <- v
	}()
	in.Raw(t).WaitBlocked(1)
	if err := producer.RPush(ctx, "jobs", "job-1").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-got:
		if len(v) != 2 || v[0] != "jobs" || v[1] != "job-1" {
			t.Fatalf("BLPOP = %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("BLPOP was not served")
	}
	// go-redis rounds durations up to whole seconds; a fraction goes raw.
	v, err := consumer.Do(ctx, "BLMOVE", "none", "x", "LEFT", "LEFT", "0.05").Result()
	if !errors.Is(err, redis.Nil) {
		t.Fatalf("BLMOVE timeout = %v, %v; want redis.Nil", v, err)
	}
}

// TestSwapdbWakesWaiters: SWAPDB brings a list under a waited key, which
// serves the waiter; FLUSHALL, removing keys, wakes no one.
func TestSwapdbWakesWaiters(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	w := block(t, in, admin, 1, "BRPOP", "k", "0")
	admin.Do("FLUSHALL")
	expectSilence(t, w, 100*time.Millisecond)
	admin.Do("SELECT", "1")
	admin.Do("RPUSH", "k", "from-db1", "tail")
	expectSilence(t, w, 100*time.Millisecond)
	if got := admin.Do("SWAPDB", "0", "1"); got != "+OK\r\n" {
		t.Fatalf("SWAPDB = %q", got)
	}
	expect(t, w, "*2\r\n$1\r\nk\r\n$4\r\ntail\r\n")
	admin.Do("SELECT", "0")
	if got := admin.Do("LRANGE", "k", "0", "-1"); got != "*1\r\n$8\r\nfrom-db1\r\n" {
		t.Fatalf("db0 k = %q", got)
	}
}

// TestRepliesAroundAParkAreKept races a push against a client that
// parks right after other pipelined replies: those replies and the served
// one must all arrive, in order. (Under -race this also checks that the
// parked client's output is never touched by two goroutines at once.)
func TestRepliesAroundAParkAreKept(t *testing.T) {
	in := servertest.Start(t)
	pusher := in.Raw(t)
	for i := range 200 {
		w := in.Raw(t)
		w.Write(servertest.Encode("PING") + servertest.Encode("ECHO", "before") + servertest.Encode("BLPOP", "k", "0"))
		if i%2 == 0 {
			time.Sleep(time.Duration(i%7) * 100 * time.Microsecond)
		}
		pusher.Do("RPUSH", "k", "v")
		expect(t, w, "+PONG\r\n")
		expect(t, w, "$6\r\nbefore\r\n")
		expect(t, w, "*2\r\n$1\r\nk\r\n$1\r\nv\r\n")
		w.Close()
	}
}
