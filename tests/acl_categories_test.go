package tests

import (
	"context"
	"fmt"
	"testing"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/servertest"
)

// TestACLCategoriesCoverEveryCommand: every command and subcommand in the
// table has ACL categories, and for the ones real Redis 7.0 has, the same
// categories as COMMAND INFO reports there, so +@category rules select the
// same commands in both.
func TestACLCategoriesCoverEveryCommand(t *testing.T) {
	ctx := context.Background()
	ours := servertest.Start(t).Client(t)
	oracle := servertest.Client(t, servertest.RedisServer(t))
	compared := 0
	var check func(cmds []*command.Command)
	check = func(cmds []*command.Command) {
		for _, c := range cmds {
			if c.ACL == 0 {
				t.Errorf("%s has no ACL category", c.FullName())
			}
			want, err := oracle.Do(ctx, "COMMAND", "INFO", c.FullName()).Slice()
			if err == nil && len(want) == 1 && want[0] != nil {
				got, err := ours.Do(ctx, "COMMAND", "INFO", c.FullName()).Slice()
				if err != nil || len(got) != 1 {
					t.Fatalf("COMMAND INFO %s: %v", c.FullName(), err)
				}
				w, g := fmt.Sprint(want[0].([]any)[6]), fmt.Sprint(got[0].([]any)[6])
				if w != g {
					t.Errorf("%s: categories %s, Redis has %s", c.FullName(), g, w)
				}
				compared++
			}
			check(c.Sub)
		}
	}
	check(command.All())
	if compared < 200 {
		t.Fatalf("only %d commands compared with Redis", compared)
	}
	t.Logf("%d commands and subcommands have the categories Redis 7.0 gives them", compared)
}
