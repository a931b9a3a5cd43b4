package command

import (
	"crypto/rand"
	"encoding/hex"
	"slices"

	"github.com/respd/respd/internal/resp"
)

// AUTH and ACL. The users live in the server (package acl); handlers that
// read or change them delegate to the connection (Conn.ACL), while ACL
// CAT, GENPASS and HELP need only the command table.

var aclCommands = []*Command{
	{Name: "auth", Fn: func(c *Ctx) { c.Conn.ACL(c) }, Arity: -2, Flags: NoScript | Loading | Stale | Fast | NoAuth | AllowBusy, ACL: CatFast | CatConnection, Group: "connection", Since: "1.0.0", Summary: "Authenticate to the server"},
	{Name: "acl", Arity: -2, ACL: CatSlow, Group: "server", Since: "6.0.0", Summary: "A container for Access List Control commands ", Sub: []*Command{
		{Name: "cat", Fn: aclCat, Arity: -2, Flags: NoScript | Loading | Stale, ACL: CatSlow, Since: "6.0.0", Summary: "List the ACL categories or the commands inside a category"},
		{Name: "deluser", Fn: aclConn, Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "6.0.0", Summary: "Remove the specified ACL users and the associated rules"},
		{Name: "dryrun", Fn: aclConn, Arity: -4, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "7.0.0", Summary: "Returns whether the user can execute the given command without executing the command."},
		{Name: "genpass", Fn: aclGenPass, Arity: -2, Flags: NoScript | Loading | Stale, ACL: CatSlow, Since: "6.0.0", Summary: "Generate a pseudorandom secure password to use for ACL users"},
		{Name: "getuser", Fn: aclConn, Arity: 3, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "6.0.0", Summary: "Get the rules for a specific ACL user"},
		{Name: "help", Fn: aclHelp, Arity: 2, Flags: Loading | Stale, ACL: CatSlow, Since: "6.0.0", Summary: "Show helpful text about the different subcommands"},
		{Name: "list", Fn: aclConn, Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "6.0.0", Summary: "List the current ACL rules in ACL config file format"},
		{Name: "load", Fn: aclConn, Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "6.0.0", Summary: "Reload the ACLs from the configured ACL file"},
		{Name: "log", Fn: aclConn, Arity: -2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "6.0.0", Summary: "List latest events denied because of ACLs in place"},
		{Name: "save", Fn: aclConn, Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "6.0.0", Summary: "Save the current ACL rules in the configured ACL file"},
		{Name: "setuser", Fn: aclConn, Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "6.0.0", Summary: "Modify or create the rules for a specific ACL user"},
		{Name: "users", Fn: aclConn, Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "6.0.0", Summary: "List the username of all the configured ACL rules"},
		{Name: "whoami", Fn: aclConn, Arity: 2, Flags: NoScript | Loading | Stale, ACL: CatSlow, Since: "6.0.0", Summary: "Return the name of the user associated to the current connection"},
	}},
}

func aclConn(c *Ctx) { c.Conn.ACL(c) }

// ACLSubArity is the reply to optional arguments in excess, which Redis
// words like an unknown subcommand, naming it as the client spelled it.
func ACLSubArity(c *Ctx) {
	c.Errorf("ERR unknown subcommand or wrong number of arguments for '" + cString(c.Args[1], 128) + "'. Try ACL HELP.")
}

// aclCat lists the categories, or the commands (and subcommands, as
// "container|sub") of one.
func aclCat(c *Ctx) {
	if len(c.Args) > 3 {
		ACLSubArity(c)
		return
	}
	if len(c.Args) == 2 {
		c.Array(len(CategoryNames))
		for _, n := range CategoryNames {
			c.BulkString(n)
		}
		return
	}
	i := slices.IndexFunc(CategoryNames, func(n string) bool { return EqualFold(c.Args[2], n) })
	if i < 0 {
		c.Errorf("ERR Unknown category '" + cString(c.Args[2], 128) + "'")
		return
	}
	var names []string
	Walk(func(cmd *Command) {
		if cmd.ACLCategories()&(1<<i) != 0 {
			names = append(names, cmd.fullName)
		}
	})
	c.Array(len(names))
	for _, n := range names {
		c.BulkString(n)
	}
}

// aclGenPass replies with bits (default 256) random bits in hex.
func aclGenPass(c *Ctx) {
	bits := int64(256)
	if len(c.Args) > 3 {
		ACLSubArity(c)
		return
	}
	if len(c.Args) == 3 {
		n, ok := resp.ParseInt(c.Args[2])
		if !ok {
			c.Error(ErrNotInt)
			return
		}
		if n <= 0 || n > 4096 {
			c.Errorf("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		bits = n
	}
	chars := (bits + 3) / 4
	b := make([]byte, (chars+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	c.BulkString(hex.EncodeToString(b)[:chars])
}

func aclHelp(c *Ctx) {
	lines := []string{
		"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.",
		"HELP",
		"    Prints this help.",
	}
	c.Array(len(lines))
	for _, l := range lines {
		c.Simple(l)
	}
}
