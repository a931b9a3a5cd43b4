package acl

import (
	"strings"
	"testing"

	"github.com/respd/respd/internal/command"
)

func args(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

func check(t *testing.T, u *User, line string) (Result, int) {
	t.Helper()
	a := args(line)
	cmd, errText := command.Lookup(a)
	if errText != "" {
		t.Fatalf("%s: %s", line, errText)
	}
	return u.Check(cmd, a)
}

func TestDefaultUser(t *testing.T) {
	a := NewUsers()
	d := a.Get("default")
	if !d.AllowsAll() || d.RequiresPassword() || !d.CheckPassword([]byte("anything")) {
		t.Fatal("default user is not on nopass +@all ~* &*")
	}
	if got := a.Lines(); len(got) != 1 || got[0] != "user default on nopass ~* &* +@all" {
		t.Fatalf("Lines: %q", got)
	}
	a.SetRequirePass("secret")
	if d.AllowsAll() != true || !d.RequiresPassword() || d.CheckPassword([]byte("x")) || !d.CheckPassword([]byte("secret")) {
		t.Fatal("requirepass not applied")
	}
	a.SetRequirePass("")
	if d.RequiresPassword() {
		t.Fatal("empty requirepass left a password")
	}
}

// The default user's check is the fast path: no allocation.
func TestCheckAllowAllNoAllocs(t *testing.T) {
	d := NewUsers().Default
	a := args("SET k v")
	cmd, _ := command.Lookup(a)
	if n := testing.AllocsPerRun(100, func() { d.Check(cmd, a) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func TestSetUserIsAtomic(t *testing.T) {
	a := NewUsers()
	if _, err := a.SetUser("u", []string{"on", ">p", "+get"}); err != nil {
		t.Fatal(err)
	}
	_, err := a.SetUser("u", []string{"off", "+nosuch"})
	if err == nil || err.Error() != "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL" {
		t.Fatalf("error: %v", err)
	}
	if u := a.Get("u"); !u.Enabled || u.Describe() != "on #"+HashPassword("p")+" resetchannels -@all +get" {
		t.Fatalf("user changed by a failed SETUSER: %q", u.Describe())
	}
	if _, err := a.SetUser("v", []string{"("}); err == nil || a.Get("v") != nil {
		t.Fatal("failed SETUSER created the user")
	}
}

// Several single commands are rendered in name order (Redis's order
// there follows its hash table).
func TestDescribeSingles(t *testing.T) {
	a := NewUsers()
	u, _ := a.SetUser("u", []string{"+set", "+get", "+config|get", "+select|1", "+select|0"})
	if got := u.Root().Commands(); got != "-@all +config|get +get +select|1 +select|0 +set" {
		t.Fatalf("Commands: %q", got)
	}
	u, _ = a.SetUser("w", []string{"+@all", "-set", "-get"})
	if got := u.Root().Commands(); got != "+@all -get -set" {
		t.Fatalf("Commands: %q", got)
	}
}

func TestCheckSelectorsAndFirstArgs(t *testing.T) {
	a := NewUsers()
	u, err := a.SetUser("u", []string{"on", "nopass", "+get", "~k*", "+select|0", "(+set ~s*)", "(%W~w* +@write)"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		line string
		res  Result
		pos  int
	}{
		{"GET k1", OK, 0},
		{"GET x", DeniedKey, 1},
		{"SET s1 v", OK, 0},
		{"SET w1 v", OK, 0},
		// %W~ does not let INCR read the value; the root refuses the
		// command, the selectors the key: the key is reported.
		{"INCR w1", DeniedKey, 1},
		{"SET k1 v", DeniedKey, 1},
		{"SELECT 0", OK, 0},
		{"SELECT 1", DeniedCmd, 0},
		{"AUTH x", OK, 0},
		{"HELLO", OK, 0},
		{"PUBLISH ch m", DeniedCmd, 0},
	} {
		if res, pos := check(t, u, c.line); res != c.res || pos != c.pos {
			t.Errorf("%s: %v %d, want %v %d", c.line, res, pos, c.res, c.pos)
		}
	}
}

func TestChannels(t *testing.T) {
	a := NewUsers()
	u, _ := a.SetUser("u", []string{"on", "+@all", "~*", "&news.*"})
	for _, c := range []struct {
		line string
		res  Result
	}{
		{"PUBLISH news.1 m", OK},
		{"PUBLISH sport m", DeniedChannel},
		{"SUBSCRIBE news.1 news.2", OK},
		{"SUBSCRIBE news.1 sport", DeniedChannel},
		// A pattern subscription must name one of the user's patterns.
		{"PSUBSCRIBE news.*", OK},
		{"PSUBSCRIBE news.1*", DeniedChannel},
		{"UNSUBSCRIBE sport", OK},
	} {
		if res, _ := check(t, u, c.line); res != c.res {
			t.Errorf("%s: %v, want %v", c.line, res, c.res)
		}
	}
	if u.ChannelsAllowed([]string{"sport"}, nil) || !u.ChannelsAllowed([]string{"news.x"}, []string{"news.*"}) {
		t.Fatal("ChannelsAllowed")
	}
}

func TestLoad(t *testing.T) {
	_, err := Load([][]string{{"user", "a", "on", "foo"}, nil, {"user", "a"}, {"bad"}}, "f.acl", false)
	want := "f.acl:1: Syntax error. WARNING: Duplicate user 'a' found on line 3. f.acl:4 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if err == nil || err.Error() != want {
		t.Fatalf("Load error: %v", err)
	}
	u, err := Load([][]string{{"user", "default", "on", ">x", "+@all"}, {"user", "b", "on", "nopass", "allchannels"}}, "f.acl", false)
	if err != nil {
		t.Fatal(err)
	}
	want2 := []string{"user b on nopass &* -@all", "user default on #" + HashPassword("x") + " resetchannels +@all"}
	if got := u.Lines(); strings.Join(got, "\n") != strings.Join(want2, "\n") {
		t.Fatalf("Lines: %q", got)
	}
	old := NewUsers()
	def := old.Default
	old.SetUser("gone", []string{"on"})
	if gone := old.Replace(u); len(gone) != 1 || gone[0].Name != "gone" || old.Default != def || !def.RequiresPassword() {
		t.Fatal("Replace")
	}
}

func TestLogGrouping(t *testing.T) {
	var l Log
	e := LogEntry{Reason: "key", Context: "toplevel", Object: "k", Username: "u", CtimeMs: 1000}
	l.Add(e, 3)
	other := e
	other.Object = "j"
	l.Add(other, 3)
	e.CtimeMs = 2000
	l.Add(e, 3)
	if len(l.Entries) != 2 || l.Entries[0].Object != "k" || l.Entries[0].Count != 2 || l.Entries[0].CtimeMs != 2000 {
		t.Fatalf("grouping: %+v", l.Entries)
	}
	// Past the window a repeat is a new entry; the oldest fall off.
	e.CtimeMs = 2000 + groupWindowMs + 1
	l.Add(e, 2)
	if len(l.Entries) != 2 || l.Entries[0].Count != 1 || l.Entries[1].Count != 2 {
		t.Fatalf("window/trim: %+v", l.Entries)
	}
}
