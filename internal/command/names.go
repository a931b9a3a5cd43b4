package command

import (
	"sort"
	"strings"

	"github.com/respd/respd/internal/config"
)

// Names maps the names clients call the top-level commands by to the
// commands, for a server whose configuration renames some
// (rename-command). The nil Names is the built-in table: every command
// under its own name.
type Names map[string]*Command

// Renamed applies the configuration's rename-command lines, in order, to
// the built-in names, as Redis does: each line's command must exist under
// its current name, and is then called by the new one, or not at all when
// that is empty; a name already taken cannot be the new one. Without
// renames it returns nil. A bad line gives a *config.LoadError with
// Redis's message.
func Renamed(renames []config.Rename) (Names, error) {
	if len(renames) == 0 {
		return nil, nil
	}
	n := make(Names, len(table))
	for name, c := range table {
		n[name] = c
	}
	for _, r := range renames {
		from, to := strings.ToLower(r.From), strings.ToLower(r.To)
		c := n[from]
		if c == nil {
			return nil, renameError(r, "No such command in rename-command")
		}
		delete(n, from)
		if to == "" {
			continue
		}
		if n[to] != nil {
			return nil, renameError(r, "Target command name already exists")
		}
		n[to] = c
	}
	return n, nil
}

// renameError is a bad rename-command line.
func renameError(r config.Rename, msg string) error {
	return &config.LoadError{Line: r.Line.Num, Text: r.Line.Text, Msg: msg}
}

// Find returns the top-level command called name (any case), or nil.
func (n Names) Find(name []byte) *Command {
	if n == nil {
		return Find(name)
	}
	return findIn(n, name)
}

// Lookup is the package's Lookup with these names.
func (n Names) Lookup(args [][]byte) (*Command, string) { return Resolve(n.Find(args[0]), args) }

// findFull returns the command or subcommand called name ("get",
// "config|get"; any case) with these names for the top-level part, or
// nil.
func (n Names) findFull(name string) *Command {
	parent, sub, ok := strings.Cut(strings.ToLower(name), "|")
	var c *Command
	if n == nil {
		c = table[parent]
	} else {
		c = n[parent]
	}
	if c == nil || !ok {
		return c
	}
	return c.subIndex[sub]
}

// commands returns the commands these names call, sorted by their own
// names, as COMMAND lists them.
func (n Names) commands() []*Command {
	if n == nil {
		return All()
	}
	out := make([]*Command, 0, len(n))
	for _, c := range n {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// count is how many commands these names call.
func (n Names) count() int {
	if n == nil {
		return len(table)
	}
	return len(n)
}
