package command

import (
	"strings"
	"testing"
)

// TestFinderMatchesLookup: the Finder's memory of the last command never
// changes an answer, through repeats, other cases, unknown names, wrong
// arities and subcommands.
func TestFinderMatchesLookup(t *testing.T) {
	var f Finder
	for _, req := range []string{
		"get k", "GET k", "get", "gEt k", "set k v", "get k", "nosuch k", "get k",
		"config get maxmemory", "config nosuch", "CONFIG GET x", "get k k", "g k", "get k",
	} {
		args := [][]byte{}
		for _, a := range strings.Fields(req) {
			args = append(args, []byte(a))
		}
		c1, e1 := Resolve(f.Top(args[0]), args)
		c2, e2 := Lookup(args)
		if c1 != c2 || e1 != e2 {
			t.Fatalf("%q: Finder gave %v %q, Lookup %v %q", req, c1, e1, c2, e2)
		}
	}
}
