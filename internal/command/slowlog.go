package command

import (
	"math"

	"github.com/respd/respd/internal/resp"
)

// SlowlogEntry is one logged slow command, as SLOWLOG GET shows it.
type SlowlogEntry struct {
	ID int64
	// Time is when the command ran, in Unix seconds.
	Time int64
	// Micros is how long the handler ran.
	Micros int64
	// Args are the arguments as logged: truncated and redacted already.
	Args [][]byte
	// Addr and Name identify the client that sent the command.
	Addr, Name string
}

var slowlogCommands = []*Command{
	{Name: "slowlog", Arity: -2, ACL: CatSlow, Group: "server", Since: "2.2.12", Summary: "A container for slow log commands.", Sub: []*Command{
		{Name: "len", Fn: slowlogLen, Arity: 2, Flags: Admin | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.2.12", Summary: "Returns the number of entries in the slow log."},
		{Name: "get", Fn: slowlogGet, Arity: -2, Flags: Admin | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.2.12", Summary: "Returns the slow log's entries."},
		{Name: "reset", Fn: slowlogReset, Arity: 2, Flags: Admin | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.2.12", Summary: "Clears all entries from the slow log."},
		{Name: "help", Fn: slowlogHelp, Arity: 2, Flags: Loading | Stale, ACL: CatSlow, Since: "6.2.0", Summary: "Shows helpful text about the different subcommands."},
	}},
}

var errSlowlogCount = resp.Error("ERR count should be greater than or equal to -1")

// slowlogDefaultCount is how many entries GET returns without a count.
const slowlogDefaultCount = 10

func slowlogGet(c *Ctx) {
	count := int64(slowlogDefaultCount)
	switch len(c.Args) {
	case 2:
	case 3:
		n, ok := resp.ParseInt(c.Args[2])
		if !ok || n < -1 {
			c.Error(errSlowlogCount)
			return
		}
		count = n
	default:
		c.Errorf("ERR unknown subcommand or wrong number of arguments for '" + cString(c.Args[1], 128) + "'. Try SLOWLOG HELP.")
		return
	}
	if count == -1 {
		count = math.MaxInt64
	}
	entries := c.Host.Slowlog(count)
	c.Array(len(entries))
	for _, e := range entries {
		c.Array(6)
		c.Int(e.ID)
		c.Int(e.Time)
		c.Int(e.Micros)
		c.Array(len(e.Args))
		for _, a := range e.Args {
			c.Bulk(a)
		}
		c.BulkString(e.Addr)
		c.BulkString(e.Name)
	}
}

func slowlogLen(c *Ctx) { c.Int(int64(c.Host.SlowlogLen())) }

func slowlogReset(c *Ctx) {
	c.Host.SlowlogReset()
	c.OK()
}

func slowlogHelp(c *Ctx) {
	helpReply(c, "SLOWLOG",
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	)
}

// helpReply writes a HELP reply the way every Redis container does: a
// header naming the command, the given lines, then HELP's own entry.
func helpReply(c *Ctx, name string, lines ...string) {
	c.Array(len(lines) + 3)
	c.Simple(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.Simple(l)
	}
	c.Simple("HELP")
	c.Simple("    Prints this help.")
}
