package command

import (
	"strings"
)

var serverCommands = []*Command{
	{Name: "info", Fn: infoCommand, Arity: -1, Flags: Loading | Stale | Sentinel, ACL: CatSlow | CatDangerous, Group: "server", Since: "1.0.0", Summary: "Returns information and statistics about the server."},
	{Name: "command", Fn: commandCommand, Arity: -1, Flags: Loading | Stale | Sentinel, ACL: CatSlow | CatConnection, Group: "server", Since: "2.8.13", Summary: "Returns detailed information about all commands.", Sub: []*Command{
		{Name: "count", Fn: commandCount, Arity: 2, Flags: Loading | Stale | Sentinel, ACL: CatSlow | CatConnection, Since: "2.8.13", Summary: "Returns a count of commands."},
		{Name: "info", Fn: commandInfo, Arity: -2, Flags: Loading | Stale | Sentinel, ACL: CatSlow | CatConnection, Since: "2.8.13", Summary: "Returns information about one, multiple or all commands."},
		{Name: "docs", Fn: commandDocs, Arity: -2, Flags: Loading | Stale | Sentinel, ACL: CatSlow | CatConnection, Since: "7.0.0", Summary: "Returns documentary information about one, multiple or all commands."},
		{Name: "list", Fn: commandList, Arity: -2, Flags: Loading | Stale | Sentinel, ACL: CatSlow | CatConnection, Since: "7.0.0", Summary: "Returns a list of command names."},
		{Name: "getkeys", Fn: commandGetKeys, Arity: -4, Flags: Loading | Stale | Sentinel, ACL: CatSlow | CatConnection, Since: "2.8.13", Summary: "Extracts the key names from an arbitrary command."},
		{Name: "help", Fn: commandHelp, Arity: 2, Flags: Loading | Stale | Sentinel, ACL: CatSlow | CatConnection, Since: "5.0.0", Summary: "Returns helpful text about the different subcommands."},
	}},
}

func infoCommand(c *Ctx) {
	sections := make([]string, 0, len(c.Args)-1)
	for _, a := range c.Args[1:] {
		sections = append(sections, strings.ToLower(string(a)))
	}
	c.Verbatim("txt", c.Host.Info(sections))
}

// commandCommand with no subcommand lists every command.
func commandCommand(c *Ctx) {
	all := c.Host.CommandNames().commands()
	c.Array(len(all))
	for _, cmd := range all {
		writeCommandInfo(c, cmd)
	}
}

func commandCount(c *Ctx) { c.Int(int64(c.Host.CommandNames().count())) }

func commandInfo(c *Ctx) {
	if len(c.Args) == 2 {
		commandCommand(c)
		return
	}
	c.Array(len(c.Args) - 2)
	names := c.Host.CommandNames()
	for _, name := range c.Args[2:] {
		if cmd := names.findFull(string(name)); cmd != nil {
			writeCommandInfo(c, cmd)
		} else {
			c.Null()
		}
	}
}

func writeCommandInfo(c *Ctx, cmd *Command) {
	c.Array(10)
	c.BulkString(cmd.fullName)
	c.Int(int64(cmd.Arity))
	var flags []string
	for i, n := range flagNames {
		if cmd.Flags&(1<<i) != 0 {
			flags = append(flags, n)
		}
	}
	c.Set(len(flags))
	for _, f := range flags {
		c.Simple(f)
	}
	c.Int(int64(cmd.Keys.First))
	c.Int(int64(cmd.Keys.Last))
	c.Int(int64(cmd.Keys.Step))
	cats := cmd.categories()
	c.Set(len(cats))
	for _, n := range cats {
		c.Simple("@" + n)
	}
	c.Set(0) // tips
	c.Set(0) // key specs (RESP3 types them as a set, as Redis 7.0 does)
	c.Set(len(cmd.Sub))
	for _, s := range cmd.Sub {
		writeCommandInfo(c, s)
	}
}

func (cmd *Command) categories() []string {
	var out []string
	acl := cmd.ACLCategories()
	for i, n := range CategoryNames {
		if acl&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

func commandDocs(c *Ctx) {
	var cmds []*Command
	names := c.Host.CommandNames()
	if len(c.Args) == 2 {
		cmds = names.commands()
	} else {
		for _, name := range c.Args[2:] {
			if cmd := names.findFull(string(name)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.Map(len(cmds))
	for _, cmd := range cmds {
		c.BulkString(cmd.fullName)
		writeDocs(c, cmd)
	}
}

func writeDocs(c *Ctx, cmd *Command) {
	n := 3
	if len(cmd.Sub) > 0 {
		n++
	}
	c.Map(n)
	c.BulkString("summary")
	c.BulkString(cmd.Summary)
	c.BulkString("since")
	c.BulkString(cmd.Since)
	c.BulkString("group")
	c.BulkString(cmd.Group)
	if len(cmd.Sub) > 0 {
		c.BulkString("subcommands")
		c.Map(len(cmd.Sub))
		for _, s := range cmd.Sub {
			c.BulkString(s.fullName)
			writeDocs(c, s)
		}
	}
}

func commandList(c *Ctx) {
	all := c.Host.CommandNames().commands()
	if len(c.Args) != 2 {
		// FILTERBY arrives with ACL categories and modules; refuse rather
		// than ignore it.
		c.Error(ErrSyntax)
		return
	}
	c.Array(len(all))
	for _, cmd := range all {
		c.BulkString(cmd.Name)
	}
}

func commandGetKeys(c *Ctx) {
	args := c.Args[2:]
	cmd, errText := c.Host.CommandNames().Lookup(args)
	if errText != "" {
		if strings.HasPrefix(errText, "ERR wrong number") {
			c.Errorf("ERR Invalid number of arguments specified for command")
		} else {
			c.Errorf("ERR Invalid command specified")
		}
		return
	}
	idx := cmd.KeyIndexes(args)
	if len(idx) == 0 {
		c.Errorf("ERR The command has no key arguments")
		return
	}
	c.Array(len(idx))
	for _, i := range idx {
		c.Bulk(args[i])
	}
}

func commandHelp(c *Ctx) {
	lines := []string{
		"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"HELP",
		"    Print this help.",
	}
	c.Array(len(lines))
	for _, l := range lines {
		c.Simple(l)
	}
}
