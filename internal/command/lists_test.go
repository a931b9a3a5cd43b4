package command

import (
	"slices"
	"testing"

	"github.com/respd/respd/internal/resp"
)

// TestBlockingListCommandsUnderNoBlock covers MULTI and scripts, where a
// blocking command must answer at once: BLPOP, BRPOP and BLMPOP as on a
// timeout (the null array), BLMOVE and BRPOPLPUSH as LMOVE would (the
// null bulk), as Redis 7.0 does; with data they serve it as usual.
func TestBlockingListCommandsUnderNoBlock(t *testing.T) {
	c := newStrCtx()
	c.NoBlock = true
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"BLPOP", "nokey", "0"}, "*-1\r\n"},
		{[]string{"BRPOP", "a", "b", "10"}, "*-1\r\n"},
		{[]string{"BLMPOP", "0", "1", "nokey", "LEFT"}, "*-1\r\n"},
		{[]string{"BLMOVE", "nokey", "d", "LEFT", "LEFT", "0"}, "$-1\r\n"},
		{[]string{"BRPOPLPUSH", "nokey", "d", "0"}, "$-1\r\n"},
		{[]string{"BLPOP", "nokey", "-1"}, "-ERR timeout is negative\r\n"},
		{[]string{"RPUSH", "k", "a", "b", "c"}, ":3\r\n"},
		{[]string{"BLPOP", "nokey", "k", "0"}, "*2\r\n$1\r\nk\r\n$1\r\na\r\n"},
		{[]string{"BLMOVE", "k", "d", "RIGHT", "LEFT", "0"}, "$1\r\nc\r\n"},
		{[]string{"BLMPOP", "0", "1", "k", "LEFT", "COUNT", "5"}, "*2\r\n$1\r\nk\r\n*1\r\n$1\r\nb\r\n"},
	} {
		c.expect(t, tc.want, tc.args...)
		if c.Blocked != nil {
			t.Fatalf("%v blocked under NoBlock", tc.args)
		}
	}
}

// TestBlockingListCommandsBlock checks what a handler hands the server
// when it must wait: its keys (copied), the deadline from its timeout,
// and a null-array timeout reply; and that it writes nothing itself.
func TestBlockingListCommandsBlock(t *testing.T) {
	c := newStrCtx()
	now := c.clock.NowMs()
	for _, tc := range []struct {
		args     []string
		keys     []string
		deadline int64
	}{
		{[]string{"BLPOP", "a", "b", "1.5"}, []string{"a", "b"}, now + 1500},
		{[]string{"BRPOP", "a", "0"}, []string{"a"}, 0},
		{[]string{"BLMOVE", "s", "d", "LEFT", "RIGHT", "0.001"}, []string{"s"}, now + 1},
		{[]string{"BRPOPLPUSH", "s", "d", "2"}, []string{"s"}, now + 2000},
		{[]string{"BLMPOP", "3", "2", "x", "y", "RIGHT", "COUNT", "4"}, []string{"x", "y"}, now + 3000},
	} {
		if got := c.do(tc.args...); got != "" {
			t.Fatalf("%v wrote %q while blocking", tc.args, got)
		}
		req := c.Blocked
		c.Blocked = nil
		if req == nil {
			t.Fatalf("%v did not block", tc.args)
		}
		var keys []string
		for _, k := range req.Keys {
			keys = append(keys, string(k))
		}
		if !slices.Equal(keys, tc.keys) || req.DeadlineMs != tc.deadline {
			t.Errorf("%v blocks on %q until %d, want %q until %d", tc.args, keys, req.DeadlineMs, tc.keys, tc.deadline)
		}
		var w resp.Writer
		req.OnTimeout(&w)
		if string(w.B) != "*-1\r\n" {
			t.Errorf("%v times out with %q", tc.args, w.B)
		}
	}
}

// TestWokenListCommands runs handlers as the server re-runs a parked
// command: only the ready key is served from, and a ready key of another
// type makes the command wait on instead of failing.
func TestWokenListCommands(t *testing.T) {
	c := newStrCtx()
	rerun := func(ready string, args ...string) string {
		c.ReadyKey = []byte(ready)
		defer func() { c.ReadyKey = nil }()
		return c.do(args...)
	}
	c.do("SET", "str", "v")
	c.do("RPUSH", "list", "a", "b")
	c.do("RPUSH", "first", "x")

	if got := rerun("str", "BLPOP", "first", "str", "list", "0"); got != "" || c.Blocked == nil {
		t.Fatalf("woken by a string key: %q, blocked %v", got, c.Blocked != nil)
	}
	c.Blocked = nil
	// Served from the ready key even though an earlier key has data.
	if got := rerun("list", "BLPOP", "first", "str", "list", "0"); got != "*2\r\n$4\r\nlist\r\n$1\r\na\r\n" {
		t.Fatalf("woken by list: %q", got)
	}
	if got := rerun("list", "BLMPOP", "0", "2", "str", "list", "RIGHT", "COUNT", "9"); got != "*2\r\n$4\r\nlist\r\n*1\r\n$1\r\nb\r\n" {
		t.Fatalf("BLMPOP woken: %q", got)
	}
	if c.DB.Exists([]byte("list")) {
		t.Fatal("an emptied list was kept")
	}
	if got := rerun("list", "BLPOP", "list", "0"); got != "" || c.Blocked == nil {
		t.Fatalf("woken by a deleted key: %q", got)
	}
	c.Blocked = nil
	if got := rerun("str", "BLMOVE", "str", "d", "LEFT", "LEFT", "0"); got != "" || c.Blocked == nil {
		t.Fatalf("BLMOVE woken by a string source: %q", got)
	}
	c.Blocked = nil
	// The destination's type is checked when the move happens.
	if got := rerun("first", "BLMOVE", "first", "str", "LEFT", "LEFT", "0"); got != wrongType {
		t.Fatalf("BLMOVE onto a string: %q", got)
	}
	if got := rerun("first", "BRPOPLPUSH", "first", "d", "0"); got != "$1\r\nx\r\n" {
		t.Fatalf("BRPOPLPUSH woken: %q", got)
	}
}

// TestListWritesSignalChanges checks that in-place changes to a list fire
// the keyspace's change hook, which wakes blocked clients (and will feed
// WATCH), and that a write that changes nothing does not.
func TestListWritesSignalChanges(t *testing.T) {
	c := newStrCtx()
	var changed []string
	c.KS.OnChange = func(db int, key []byte) { changed = append(changed, string(key)) }
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"RPUSH", "l", "a", "b", "c", "d"}, []string{"l"}},
		{[]string{"LPUSH", "l", "z"}, []string{"l"}},
		{[]string{"RPUSHX", "l", "y"}, []string{"l"}},
		{[]string{"LPUSHX", "nokey", "y"}, nil},
		{[]string{"LSET", "l", "0", "Z"}, []string{"l"}},
		{[]string{"LINSERT", "l", "BEFORE", "b", "B"}, []string{"l"}},
		{[]string{"LINSERT", "l", "BEFORE", "nope", "B"}, nil},
		{[]string{"LREM", "l", "0", "B"}, []string{"l"}},
		{[]string{"LREM", "l", "0", "nope"}, nil},
		{[]string{"LPOP", "l"}, []string{"l"}},
		{[]string{"RPOP", "l", "1"}, []string{"l"}},
		{[]string{"LMOVE", "l", "m", "LEFT", "LEFT"}, []string{"m", "l"}},
		{[]string{"RPOPLPUSH", "m", "m"}, []string{"m"}},
		{[]string{"LTRIM", "l", "0", "0"}, []string{"l"}},
		{[]string{"LMPOP", "1", "l", "LEFT", "COUNT", "5"}, []string{"l"}},
		{[]string{"LRANGE", "m", "0", "-1"}, nil},
	} {
		changed = nil
		c.do(tc.args...)
		if !slices.Equal(changed, tc.want) {
			t.Errorf("%v signalled %q, want %q", tc.args, changed, tc.want)
		}
	}
	if c.DB.Exists([]byte("l")) {
		t.Fatal("l should be gone")
	}
}
