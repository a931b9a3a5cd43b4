package tests

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/servertest"
)

// entryReply is the raw RESP2 reply of XREAD/XREADGROUP serving one stream
// with the given entries of a single field f.
func entryReply(key string, entries ...[2]string) string {
	var b strings.Builder
	b.WriteString("*1\r\n*2\r\n" + bulk(key))
	b.WriteString("*" + strconv.Itoa(len(entries)) + "\r\n")
	for _, e := range entries {
		b.WriteString("*2\r\n" + bulk(e[0]) + "*2\r\n" + bulk("f") + bulk(e[1]))
	}
	return b.String()
}

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

// startReader sends a blocking command on a new connection and waits until
// the server has parked it (the count of blocked clients reaches n).
func startReader(t *testing.T, addr string, ctl *servertest.Conn, n int, args ...string) *servertest.Conn {
	t.Helper()
	r := servertest.Dial(t, addr)
	r.Write(servertest.Encode(args...))
	ctl.WaitBlocked(n)
	return r
}

// bothServers runs a blocking test against respd and, as a check that the
// test expects what Redis does, against the real redis-server.
func bothServers(t *testing.T, fn func(t *testing.T, addr string)) {
	t.Run("respd", func(t *testing.T) { fn(t, servertest.Start(t).Addr) })
	t.Run("redis", func(t *testing.T) { fn(t, servertest.RedisServer(t)) })
}

// TestStreamBlockGroupFIFO parks three XREADGROUP readers on ">" and adds
// entries one at a time: each entry goes to exactly one reader, the one
// that has waited longest.
func TestStreamBlockGroupFIFO(t *testing.T) {
	bothServers(t, func(t *testing.T, addr string) {
		ctl := servertest.Dial(t, addr)
		if r := ctl.Do("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"); r != "+OK\r\n" {
			t.Fatal(r)
		}
		var readers []*servertest.Conn
		for i := 1; i <= 3; i++ {
			readers = append(readers, startReader(t, addr, ctl, i, "XREADGROUP", "GROUP", "g", "c"+strconv.Itoa(i), "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">"))
		}
		for i, r := range readers {
			id := strconv.Itoa(i+1) + "-1"
			if got := ctl.Do("XADD", "s", id, "f", "v"+id); got != bulk(id) {
				t.Fatalf("XADD: %q", got)
			}
			if got, want := r.Read(), entryReply("s", [2]string{id, "v" + id}); got != want {
				t.Fatalf("reader %d got %q, want %q", i+1, got, want)
			}
			ctl.WaitBlocked(2 - i)
		}
		// Each consumer has its one entry pending.
		want := "*4\r\n:3\r\n$3\r\n1-1\r\n$3\r\n3-1\r\n*3\r\n*2\r\n$2\r\nc1\r\n$1\r\n1\r\n*2\r\n$2\r\nc2\r\n$1\r\n1\r\n*2\r\n$2\r\nc3\r\n$1\r\n1\r\n"
		if got := ctl.Do("XPENDING", "s", "g"); got != want {
			t.Fatalf("XPENDING = %q, want %q", got, want)
		}
	})
}

// TestStreamBlockAllReaders: plain XREAD does not consume, so one XADD
// wakes every reader waiting on the stream with the same entry, and a
// pipeline of XADDs after them is answered in order.
func TestStreamBlockAllReaders(t *testing.T) {
	bothServers(t, func(t *testing.T, addr string) {
		ctl := servertest.Dial(t, addr)
		ctl.Do("XADD", "s", "1-1", "f", "old")
		var readers []*servertest.Conn
		for i := 1; i <= 3; i++ {
			readers = append(readers, startReader(t, addr, ctl, i, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"))
		}
		ctl.Write(servertest.Encode("XADD", "s", "2-1", "f", "new") + servertest.Encode("XADD", "s", "3-1", "f", "newer"))
		if got := ctl.Read(); got != bulk("2-1") {
			t.Fatalf("XADD: %q", got)
		}
		if got := ctl.Read(); got != bulk("3-1") {
			t.Fatalf("XADD: %q", got)
		}
		want := entryReply("s", [2]string{"2-1", "new"})
		for i, r := range readers {
			if got := r.Read(); got != want {
				t.Fatalf("reader %d got %q, want %q", i+1, got, want)
			}
		}
		ctl.WaitBlocked(0)
	})
}

// TestStreamBlockDollar checks that "$" means the last ID when the reader
// blocked, even though the server re-runs the command after every change
// to its keys: changes that bring nothing new (XDEL, XTRIM, a write to
// another key it waits on that is then undone) must not move it.
func TestStreamBlockDollar(t *testing.T) {
	bothServers(t, func(t *testing.T, addr string) {
		ctl := servertest.Dial(t, addr)
		ctl.Do("XADD", "s", "5-1", "f", "a")
		ctl.Do("XADD", "s", "6-1", "f", "b")
		r := startReader(t, addr, ctl, 1, "XREAD", "BLOCK", "0", "STREAMS", "s", "other", "$", "$")
		// These change the keys it waits on (the reader is re-run after the
		// ones that signal a change); none brings it anything new.
		ctl.Do("XDEL", "s", "5-1")
		ctl.Do("XTRIM", "s", "MAXLEN", "0")
		ctl.Do("XGROUP", "CREATE", "s", "g", "0")
		ctl.Do("SET", "other", "x")
		ctl.Do("DEL", "other")
		ctl.WaitBlocked(1)
		// "other" did not exist: its "$" is 0-0, so any entry serves.
		ctl.Do("XADD", "other", "1-1", "f", "first")
		if got, want := r.Read(), entryReply("other", [2]string{"1-1", "first"}); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}

		// A reader whose "$" was 6-1 is served 7-1, the entry that woke it.
		r = startReader(t, addr, ctl, 1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
		ctl.Do("XADD", "s", "7-1", "f", "c")
		if got, want := r.Read(), entryReply("s", [2]string{"7-1", "c"}); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}

		// An explicit ID older than the top is served at once, without blocking.
		if got, want := ctl.Do("XREAD", "BLOCK", "0", "STREAMS", "s", "6-1"), entryReply("s", [2]string{"7-1", "c"}); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// TestStreamBlockZeroThenAdd: BLOCK 0 waits as long as it takes.
func TestStreamBlockZeroThenAdd(t *testing.T) {
	bothServers(t, func(t *testing.T, addr string) {
		ctl := servertest.Dial(t, addr)
		r := startReader(t, addr, ctl, 1, "XREAD", "COUNT", "5", "BLOCK", "0", "STREAMS", "s", "$")
		time.Sleep(150 * time.Millisecond)
		if _, err := r.ReadErr(50 * time.Millisecond); err == nil {
			t.Fatal("BLOCK 0 replied before anything was added")
		}
		ctl.Do("XADD", "s", "1-1", "f", "v")
		if got, want := r.Read(), entryReply("s", [2]string{"1-1", "v"}); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// TestStreamBlockTimeout: a timed-out read replies with a RESP2 null
// array, for XREAD and XREADGROUP alike, and leaves the client usable.
func TestStreamBlockTimeout(t *testing.T) {
	bothServers(t, func(t *testing.T, addr string) {
		ctl := servertest.Dial(t, addr)
		ctl.Do("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
		for _, args := range [][]string{
			{"XREAD", "BLOCK", "100", "STREAMS", "s", "$"},
			{"XREADGROUP", "GROUP", "g", "c", "BLOCK", "100", "STREAMS", "s", ">"},
		} {
			r := servertest.Dial(t, addr)
			start := time.Now()
			if got := r.Do(args...); got != "*-1\r\n" {
				t.Fatalf("%v: %q, want *-1", args, got)
			}
			// Timeouts have millisecond resolution, in Redis as here: the
			// server's clock reading may lag the true time by under 1 ms.
			if el := time.Since(start); el < 99*time.Millisecond {
				t.Fatalf("%v timed out after %v, before its 100ms", args, el)
			}
			if got := r.Do("PING"); got != "+PONG\r\n" {
				t.Fatalf("after the timeout: %q", got)
			}
		}
		// A blocked XREADGROUP that timed out made no consumer.
		if got := ctl.Do("XINFO", "CONSUMERS", "s", "g"); got != "*0\r\n" {
			t.Fatalf("XINFO CONSUMERS = %q", got)
		}
	})
}

// TestStreamBlockTimeoutFakeClock: timeouts follow the keyspace clock.
func TestStreamBlockTimeoutFakeClock(t *testing.T) {
	in := servertest.StartFake(t)
	ctl := in.Raw(t)
	r := startReader(t, in.Addr, ctl, 1, "XREAD", "BLOCK", "60000", "STREAMS", "s", "$")
	in.Clock.Advance(59 * time.Second)
	if _, err := r.ReadErr(300 * time.Millisecond); err == nil {
		t.Fatal("replied a second before the deadline")
	}
	in.Clock.Advance(2 * time.Second)
	if got := r.Read(); got != "*-1\r\n" {
		t.Fatalf("got %q, want *-1", got)
	}
}

// TestStreamBlockGroupGone: a blocked XREADGROUP whose group is destroyed
// or whose key is deleted (or overwritten, flushed, swapped away) gets
// Redis's errors; a plain
// XREAD on a deleted key keeps waiting for the key to come back.
func TestStreamBlockGroupGone(t *testing.T) {
	bothServers(t, func(t *testing.T, addr string) {
		ctl := servertest.Dial(t, addr)
		setup := func() {
			ctl.Do("DEL", "s")
			ctl.Do("XADD", "s", "1-1", "f", "v")
			ctl.Do("XGROUP", "CREATE", "s", "g", "$")
		}
		setup()
		r := startReader(t, addr, ctl, 1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
		ctl.Do("XGROUP", "DESTROY", "s", "g")
		if got := r.Read(); got != "-NOGROUP the consumer group this client was blocked on no longer exists\r\n" {
			t.Fatalf("after DESTROY: %q", got)
		}
		setup()
		r = startReader(t, addr, ctl, 1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
		ctl.Do("DEL", "s")
		if got := r.Read(); got != "-UNBLOCKED the stream key no longer exists\r\n" {
			t.Fatalf("after DEL: %q", got)
		}
		setup()
		r = startReader(t, addr, ctl, 1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
		ctl.Do("SET", "s", "x")
		if got := r.Read(); got != "-UNBLOCKED the stream key no longer exists\r\n" {
			t.Fatalf("after SET: %q", got)
		}

		for _, wipe := range [][]string{{"FLUSHALL"}, {"SWAPDB", "0", "1"}} {
			ctl.Do("FLUSHALL")
			setup()
			r = startReader(t, addr, ctl, 1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
			ctl.Do(wipe...)
			if got := r.Read(); got != "-UNBLOCKED the stream key no longer exists\r\n" {
				t.Fatalf("after %v: %q", wipe, got)
			}
		}

		ctl.Do("FLUSHALL")
		setup()
		r = startReader(t, addr, ctl, 1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
		ctl.Do("SET", "s", "x")
		ctl.Do("DEL", "s")
		ctl.Do("XADD", "s", "1-0", "f", "too old")
		ctl.WaitBlocked(1)
		ctl.Do("XADD", "s", "2-0", "f", "new")
		// The reader blocked past 1-1: of the new stream, only 2-0 is after it.
		if got, want := r.Read(), entryReply("s", [2]string{"2-0", "new"}); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// TestStreamBlockGroupDelivery: a woken XREADGROUP delivers as a
// synchronous one does (pending entries, group last ID), and NOACK
// delivers without making the entry pending.
func TestStreamBlockGroupDelivery(t *testing.T) {
	bothServers(t, func(t *testing.T, addr string) {
		ctl := servertest.Dial(t, addr)
		ctl.Do("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
		r1 := startReader(t, addr, ctl, 1, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "NOACK", "STREAMS", "s", ">")
		ctl.Do("XADD", "s", "1-1", "f", "a")
		if got, want := r1.Read(), entryReply("s", [2]string{"1-1", "a"}); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		r2 := startReader(t, addr, ctl, 1, "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">")
		ctl.Do("XADD", "s", "2-1", "f", "b")
		if got, want := r2.Read(), entryReply("s", [2]string{"2-1", "b"}); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		want := "*4\r\n:1\r\n$3\r\n2-1\r\n$3\r\n2-1\r\n*1\r\n*2\r\n$3\r\nbob\r\n$1\r\n1\r\n"
		if got := ctl.Do("XPENDING", "s", "g"); got != want {
			t.Fatalf("XPENDING = %q, want %q", got, want)
		}
		want = "*1\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:2\r\n$7\r\npending\r\n:1\r\n$17\r\nlast-delivered-id\r\n$3\r\n2-1\r\n$12\r\nentries-read\r\n:2\r\n$3\r\nlag\r\n:0\r\n"
		if got := ctl.Do("XINFO", "GROUPS", "s"); got != want {
			t.Fatalf("XINFO GROUPS = %q, want %q", got, want)
		}
		// History reads never block, even with BLOCK.
		if got, want := ctl.Do("XREADGROUP", "GROUP", "g", "carol", "BLOCK", "0", "STREAMS", "s", "0"), "*1\r\n*2\r\n$1\r\ns\r\n*0\r\n"; got != want {
			t.Fatalf("history read = %q, want %q", got, want)
		}
	})
}

// TestStreamBlockSeveralStreams: a reader on two streams is served the
// one that changed, alone.
func TestStreamBlockSeveralStreams(t *testing.T) {
	bothServers(t, func(t *testing.T, addr string) {
		ctl := servertest.Dial(t, addr)
		ctl.Do("XADD", "a", "1-1", "f", "x")
		r := startReader(t, addr, ctl, 1, "XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "0")
		ctl.Do("XADD", "b", "3-3", "f", "y")
		if got, want := r.Read(), entryReply("b", [2]string{"3-3", "y"}); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}
