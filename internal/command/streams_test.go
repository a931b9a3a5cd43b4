package command

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/ds/stream"
)

// TestStreamsRESP3 covers what the differential scripts cannot reach
// while the server speaks only RESP2: XREAD's reply is a map keyed by
// stream in RESP3, XINFO's records are maps, and the nulls are RESP3's.
func TestStreamsRESP3(t *testing.T) {
	c := newStrCtx()
	c.Proto = 3
	c.expect(t, "$3\r\n1-1\r\n", "XADD", "s", "1-1", "f", "v")
	c.expect(t, "%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n", "XREAD", "STREAMS", "s", "nokey", "0", "0")
	c.expect(t, "_\r\n", "XREAD", "STREAMS", "s", "1-1")
	c.expect(t, "_\r\n", "XRANGE", "s", "-", "+", "COUNT", "0")
	c.expect(t, "_\r\n", "XADD", "nokey", "NOMKSTREAM", "*", "f", "v")
	c.expect(t, "+OK\r\n", "XGROUP", "CREATE", "s", "g", "$")
	c.expect(t, "*1\r\n%6\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n$12\r\nentries-read\r\n_\r\n$3\r\nlag\r\n:0\r\n", "XINFO", "GROUPS", "s")
	c.expect(t, "*4\r\n:0\r\n_\r\n_\r\n_\r\n", "XPENDING", "s", "g")
	got := c.do("XINFO", "STREAM", "s")
	if !strings.HasPrefix(got, "%10\r\n$6\r\nlength\r\n:1\r\n") {
		t.Fatalf("XINFO STREAM in RESP3: %q", got)
	}
	c.DB.Delete([]byte("s"))
	c.do("XADD", "s", "1-1", "f", "v")
	c.do("XDEL", "s", "1-1")
	if got := c.do("XINFO", "STREAM", "s"); !strings.HasSuffix(got, "$11\r\nfirst-entry\r\n_\r\n$10\r\nlast-entry\r\n_\r\n") {
		t.Fatalf("XINFO STREAM of an empty stream: %q", got)
	}
}

// TestStreamsNoBlock: where blocking is not allowed (MULTI, scripts) a
// read that would block replies as on timeout at once.
func TestStreamsNoBlock(t *testing.T) {
	c := newStrCtx()
	c.NoBlock = true
	c.expect(t, "*-1\r\n", "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	c.do("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
	c.expect(t, "*-1\r\n", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
	if c.Blocked != nil {
		t.Fatal("a command blocked under NoBlock")
	}
}

// TestStreamsResume drives the blocking protocol by hand, as the server
// does: the first run blocks and keeps "$" resolved in its request's
// State; a re-run (Resumed set) after changes that bring nothing new
// blocks again, and after an XADD serves exactly the new entry.
func TestStreamsResume(t *testing.T) {
	c := newStrCtx()
	c.do("XADD", "s", "1-1", "f", "old")
	read := []string{"XREAD", "BLOCK", "5000", "STREAMS", "s", "$"}
	if got := c.do(read...); got != "" || c.Blocked == nil {
		t.Fatalf("first run replied %q instead of blocking", got)
	}
	req := c.Blocked
	c.Blocked = nil
	if req.DeadlineMs != c.DB.Now()+5000 || len(req.Keys) != 1 || string(req.Keys[0]) != "s" {
		t.Fatalf("block request %+v", req)
	}
	rerun := func() string {
		c.Resumed = req
		defer func() { c.Resumed = nil }()
		return c.do(read...)
	}
	c.do("XADD", "s", "2-1", "f", "new")
	c.do("XADD", "s", "3-1", "f", "newer")
	want := "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nf\r\n$3\r\nnew\r\n*2\r\n$3\r\n3-1\r\n*2\r\n$1\r\nf\r\n$5\r\nnewer\r\n"
	if got := rerun(); got != want {
		t.Fatalf("re-run after XADD: %q, want %q", got, want)
	}
	if c.Blocked != nil {
		t.Fatal("served and blocked")
	}
	// Re-run with nothing new: it blocks again rather than reply.
	c.do("XDEL", "s", "1-1")
	req.State.(*xreadWait).ids[0] = c.DB.Peek([]byte("s")).Val.(*stream.Stream).LastID
	if got := rerun(); got != "" || c.Blocked == nil {
		t.Fatalf("re-run with nothing new replied %q", got)
	}
	c.Blocked = nil
	// The timeout reply is a null array.
	c.clock.Advance(6 * time.Second)
	c.B = c.B[:0]
	req.OnTimeout(&c.Writer)
	if string(c.B) != "*-1\r\n" {
		t.Fatalf("timeout reply %q", c.B)
	}
}

// TestStreamsChangeSignals pins which commands signal a change to their
// key (what WATCH and blocked readers see), as observed on Redis 7.0 with
// WATCH: writes to entries do; group bookkeeping does not, except XGROUP
// DESTROY, which must wake readers blocked on the group.
func TestStreamsChangeSignals(t *testing.T) {
	cases := []struct {
		cmd    []string
		signal bool
	}{
		{[]string{"XADD", "s", "3-3", "a", "b"}, true},
		{[]string{"XDEL", "s", "1-1"}, true},
		{[]string{"XDEL", "s", "9-9"}, false},
		{[]string{"XTRIM", "s", "MAXLEN", "1"}, true},
		{[]string{"XTRIM", "s", "MAXLEN", "5"}, false},
		{[]string{"XSETID", "s", "5-5"}, false},
		{[]string{"XACK", "s", "g", "1-1"}, false},
		{[]string{"XCLAIM", "s", "g", "c2", "0", "1-1"}, false},
		{[]string{"XAUTOCLAIM", "s", "g", "c2", "0", "0"}, false},
		{[]string{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"}, false},
		{[]string{"XREADGROUP", "GROUP", "g", "c3", "STREAMS", "s", ">"}, false},
		{[]string{"XGROUP", "SETID", "s", "g", "0"}, false},
		{[]string{"XGROUP", "CREATECONSUMER", "s", "g", "c9"}, false},
		{[]string{"XGROUP", "DELCONSUMER", "s", "g", "c"}, false},
		{[]string{"XGROUP", "CREATE", "s", "g2", "0"}, false},
		{[]string{"XGROUP", "CREATE", "s", "g2", "0", "MKSTREAM"}, false},
		{[]string{"XGROUP", "CREATE", "new", "g2", "0", "MKSTREAM"}, true},
		{[]string{"XGROUP", "DESTROY", "s", "g"}, true},
	}
	for _, tc := range cases {
		c := newStrCtx()
		c.do("XADD", "s", "1-1", "f", "v")
		c.do("XADD", "s", "2-1", "f", "v")
		c.do("XGROUP", "CREATE", "s", "g", "0")
		c.do("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
		signalled := false
		c.KS.OnChange = func(db int, key []byte) { signalled = true }
		reply := c.do(tc.cmd...)
		if strings.HasPrefix(reply, "-") {
			t.Fatalf("%v: %q", tc.cmd, reply)
		}
		if signalled != tc.signal {
			t.Errorf("%v signalled a change: %v, want %v", tc.cmd, signalled, tc.signal)
		}
	}
}

// TestStreamsTimes checks the time-dependent replies the differential
// scripts can only compare by type, on a fake clock: idle times, delivery
// times and seen-times, in the layout redis-server gives them.
func TestStreamsTimes(t *testing.T) {
	c := newStrCtx()
	t0 := c.DB.Now()
	ts := func(d int64) string { return ":" + strconv.FormatInt(t0+d, 10) + "\r\n" }
	c.do("XADD", "s", "1-1", "f", "v")
	c.do("XADD", "s", "1-2", "f", "w")
	c.do("XGROUP", "CREATE", "s", "g", "0")
	c.do("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", ">")
	c.clock.Advance(500 * time.Millisecond)
	c.expect(t, "*1\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc1\r\n:500\r\n:1\r\n", "XPENDING", "s", "g", "-", "+", "10")
	c.expect(t, "*1\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc1\r\n:500\r\n:1\r\n", "XPENDING", "s", "g", "IDLE", "500", "-", "+", "10")
	c.expect(t, "*0\r\n", "XPENDING", "s", "g", "IDLE", "501", "-", "+", "10")
	c.expect(t, "*1\r\n*6\r\n$4\r\nname\r\n$2\r\nc1\r\n$7\r\npending\r\n:1\r\n$4\r\nidle\r\n:500\r\n", "XINFO", "CONSUMERS", "s", "g")
	want := "*18\r\n" +
		"$6\r\nlength\r\n:2\r\n" +
		"$15\r\nradix-tree-keys\r\n:1\r\n" +
		"$16\r\nradix-tree-nodes\r\n:2\r\n" +
		"$17\r\nlast-generated-id\r\n$3\r\n1-2\r\n" +
		"$20\r\nmax-deleted-entry-id\r\n$3\r\n0-0\r\n" +
		"$13\r\nentries-added\r\n:2\r\n" +
		"$23\r\nrecorded-first-entry-id\r\n$3\r\n1-1\r\n" +
		"$7\r\nentries\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nw\r\n" +
		"$6\r\ngroups\r\n*1\r\n*14\r\n" +
		"$4\r\nname\r\n$1\r\ng\r\n" +
		"$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n" +
		"$12\r\nentries-read\r\n:1\r\n" +
		"$3\r\nlag\r\n:1\r\n" +
		"$9\r\npel-count\r\n:1\r\n" +
		"$7\r\npending\r\n*1\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc1\r\n" + ts(0) + ":1\r\n" +
		"$9\r\nconsumers\r\n*1\r\n*8\r\n" +
		"$4\r\nname\r\n$2\r\nc1\r\n" +
		"$9\r\nseen-time\r\n" + ts(0) +
		"$9\r\npel-count\r\n:1\r\n" +
		"$7\r\npending\r\n*1\r\n*3\r\n$3\r\n1-1\r\n" + ts(0) + ":1\r\n"
	c.expect(t, want, "XINFO", "STREAM", "s", "FULL")

	// XCLAIM IDLE sets the delivery time back; TIME sets it outright; the
	// claim counts as the consumer being seen.
	c.do("XCLAIM", "s", "g", "c2", "0", "1-1", "IDLE", "100", "JUSTID")
	c.expect(t, "*1\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc2\r\n:100\r\n:1\r\n", "XPENDING", "s", "g", "-", "+", "10")
	c.do("XCLAIM", "s", "g", "c2", "0", "1-1", "TIME", strconv.FormatInt(t0, 10))
	c.expect(t, "*1\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc2\r\n:500\r\n:2\r\n", "XPENDING", "s", "g", "-", "+", "10")
	c.clock.Advance(250 * time.Millisecond)
	c.expect(t, "*2\r\n*6\r\n$4\r\nname\r\n$2\r\nc1\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:750\r\n*6\r\n$4\r\nname\r\n$2\r\nc2\r\n$7\r\npending\r\n:1\r\n$4\r\nidle\r\n:250\r\n", "XINFO", "CONSUMERS", "s", "g")
	// XAUTOCLAIM takes only what has been idle long enough.
	c.expect(t, "*3\r\n$3\r\n0-0\r\n*0\r\n*0\r\n", "XAUTOCLAIM", "s", "g", "c3", "751", "0", "JUSTID")
	c.expect(t, "*3\r\n$3\r\n0-0\r\n*1\r\n$3\r\n1-1\r\n*0\r\n", "XAUTOCLAIM", "s", "g", "c3", "750", "0", "JUSTID")

	// Entry IDs from the clock, and Redis's rule when it goes backwards:
	// the sequence goes on from the last ID.
	c.expect(t, "$15\r\n"+strconv.FormatInt(t0+750, 10)+"-0\r\n", "XADD", "auto", "*", "f", "v")
	c.expect(t, "$15\r\n"+strconv.FormatInt(t0+750, 10)+"-1\r\n", "XADD", "auto", "*", "f", "v")
	c.do("XADD", "auto", strconv.FormatInt(t0+5000, 10)+"-7", "f", "v")
	c.clock.Advance(time.Millisecond)
	c.expect(t, "$15\r\n"+strconv.FormatInt(t0+5000, 10)+"-8\r\n", "XADD", "auto", "*", "f", "v")
}
