package server

import (
	"testing"

	"github.com/respd/respd/internal/command"
)

// CheckACL is what scripts call for redis.call: Redis 7.0's script
// errors, and a "lua" ACL LOG entry.
func TestCheckACLForScripts(t *testing.T) {
	c := benchClient(t)
	c.ctx.Conn = c
	s := c.s
	lookup := func(a ...string) (*command.Command, [][]byte) {
		var args [][]byte
		for _, x := range a {
			args = append(args, []byte(x))
		}
		cmd, _ := command.Lookup(args)
		return cmd, args
	}
	cmd, args := lookup("GET", "x")
	if got := s.CheckACL(&c.ctx, cmd, args); got != "" {
		t.Fatalf("default user refused: %q", got)
	}
	u, err := s.users.SetUser("lu", []string{"on", "nopass", "+get", "+publish", "~k*", "&c"})
	if err != nil {
		t.Fatal(err)
	}
	c.setUser(u)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"GET", "k1"}, ""},
		{[]string{"GET", "x"}, "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"},
		{[]string{"SET", "k1", "v"}, "ERR The user executing the script can't run this command or subcommand"},
		{[]string{"PUBLISH", "d", "m"}, "ERR The user executing the script can't publish to the channel mentioned in the command"},
	} {
		cmd, args := lookup(tc.args...)
		if got := s.CheckACL(&c.ctx, cmd, args); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.args, got, tc.want)
		}
	}
	if e := s.aclLog.Entries; len(e) != 3 || e[0].Context != "lua" || e[0].Object != "d" || e[2].Object != "x" || e[0].Username != "lu" {
		t.Fatalf("log: %+v", e)
	}
	// Internal clients (the master link) are never checked.
	c.superuser()
	cmd, args = lookup("SET", "x", "v")
	if got := s.CheckACL(&c.ctx, cmd, args); got != "" || !c.checkAuth(cmd, args) {
		t.Fatalf("superuser refused: %q", got)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:5": true, "127.1.2.3:5": true, "[::1]:5": true, "[::ffff:127.0.0.1]:5": true, "/tmp/redis.sock": true,
		"192.0.2.2:5": false, "[fd00::2]:5": false, "[fe80::1%eth0]:5": false, "[::ffff:192.0.2.2]:5": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("%s: %v", addr, got)
		}
	}
}
