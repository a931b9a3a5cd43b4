package command

import (
	"strconv"
	"time"

	"github.com/respd/respd/internal/resp"
)

var connectionCommands = []*Command{
	{Name: "ping", Fn: pingCommand, Arity: -1, Flags: Fast | Sentinel | Subscribed | DiskCheck, ACL: CatFast | CatConnection, Group: "connection", Since: "1.0.0", Summary: "Returns the server's liveliness response."},
	{Name: "echo", Fn: echoCommand, Arity: 2, Flags: Loading | Stale | Fast, ACL: CatFast | CatConnection, Group: "connection", Since: "1.0.0", Summary: "Returns the given string."},
	{Name: "select", Fn: selectCommand, Arity: 2, Flags: Loading | Stale | Fast, ACL: CatFast | CatConnection, Group: "connection", Since: "1.0.0", Summary: "Changes the selected database."},
	{Name: "quit", Fn: quitCommand, Arity: -1, Flags: AllowBusy | NoAuth | Loading | Stale | NoScript | Fast | Unqueued | Subscribed, ACL: CatFast | CatConnection, Group: "connection", Since: "1.0.0", Summary: "Closes the connection."},
	{Name: "reset", Fn: resetCommand, Arity: 1, Flags: NoScript | Loading | Stale | NoAuth | Fast | AllowBusy | Unqueued | Subscribed, ACL: CatFast | CatConnection, Group: "connection", Since: "6.2.0", Summary: "Resets the connection."},
	{Name: "hello", Fn: helloCommand, Arity: -1, Flags: NoScript | Loading | Stale | Fast | NoAuth | Sentinel | AllowBusy, ACL: CatFast | CatConnection, Group: "connection", Since: "6.0.0", Summary: "Handshakes with the Redis server."},
	{Name: "client", Arity: -2, Flags: Sentinel, ACL: CatSlow, Group: "connection", Since: "2.4.0", Summary: "A container for client connection commands.", Sub: append([]*Command{
		{Name: "setname", Fn: clientSetName, Arity: 3, Flags: NoScript | Loading | Stale, ACL: CatSlow | CatConnection, Since: "2.6.9", Summary: "Sets the connection name."},
		{Name: "getname", Fn: clientGetName, Arity: 2, Flags: NoScript | Loading | Stale, ACL: CatSlow | CatConnection, Since: "2.6.9", Summary: "Returns the name of the connection."},
		{Name: "id", Fn: clientID, Arity: 2, Flags: NoScript | Loading | Stale, ACL: CatSlow | CatConnection, Since: "5.0.0", Summary: "Returns the unique client ID of the connection."},
		{Name: "list", Fn: clientList, Arity: -2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous | CatConnection, Since: "2.4.0", Summary: "Lists open connections."},
		{Name: "info", Fn: clientInfo, Arity: 2, Flags: NoScript | Loading | Stale, ACL: CatSlow | CatConnection, Since: "6.2.0", Summary: "Returns information about the connection."},
		{Name: "help", Fn: clientHelp, Arity: 2, Flags: Loading | Stale, ACL: CatSlow | CatConnection, Since: "5.0.0", Summary: "Returns helpful text about the different subcommands."},
	}, clientMgmtCommands...)},
	monitorCommand,
	{Name: "dbsize", Fn: dbsizeCommand, Arity: 1, Flags: ReadOnly | Fast, ACL: CatKeyspace | CatRead | CatFast, Group: "server", Since: "1.0.0", Summary: "Returns the number of keys in the database."},
	{Name: "flushdb", Fn: flushdbCommand, Arity: -1, Flags: Write, ACL: CatKeyspace | CatWrite | CatSlow | CatDangerous, Group: "server", Since: "1.0.0", Summary: "Removes all keys from the current database."},
	{Name: "flushall", Fn: flushallCommand, Arity: -1, Flags: Write, ACL: CatKeyspace | CatWrite | CatSlow | CatDangerous, Group: "server", Since: "1.0.0", Summary: "Removes all keys from all databases."},
	{Name: "time", Fn: timeCommand, Arity: 1, Flags: Loading | Stale | Fast, ACL: CatFast, Group: "server", Since: "2.6.0", Summary: "Returns the server time."},
	{Name: "swapdb", Fn: swapdbCommand, Arity: 3, Flags: Write | Fast, ACL: CatKeyspace | CatWrite | CatFast | CatDangerous, Group: "server", Since: "4.0.0", Summary: "Swaps two Redis databases."},
}

func pingCommand(c *Ctx) {
	if c.Sess.Subs > 0 && c.Proto < 3 {
		// In RESP2 subscribed mode replies must look like messages.
		c.Array(2)
		c.BulkString("pong")
		if len(c.Args) == 2 {
			c.Bulk(c.Args[1])
		} else {
			c.BulkString("")
		}
		return
	}
	switch len(c.Args) {
	case 1:
		c.Simple("PONG")
	case 2:
		c.Bulk(c.Args[1])
	default:
		c.Error(ArityError("ping"))
	}
}

func echoCommand(c *Ctx) { c.Bulk(c.Args[1]) }

func selectCommand(c *Ctx) {
	n, ok := resp.ParseInt(c.Args[1])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if n != 0 && c.ClusterEnabled() {
		c.Error(ErrSelectCluster)
		return
	}
	if n < 0 || n >= int64(len(c.KS.DBs)) {
		c.Error(ErrDBIndex)
		return
	}
	c.Select(int(n))
	c.OK()
}

func quitCommand(c *Ctx) {
	c.Sess.CloseAfterReply = true
	c.OK()
}

func resetCommand(c *Ctx) {
	c.Conn.Reset(c)
	c.Simple("RESET")
}

func clientSetName(c *Ctx) {
	name := c.Args[2]
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			c.Errorf("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
	}
	c.Sess.Name = string(name)
	c.OK()
}

func clientGetName(c *Ctx) {
	if c.Sess.Name == "" {
		c.Null()
		return
	}
	c.BulkString(c.Sess.Name)
}

func clientID(c *Ctx) { c.Int(c.Sess.ID) }

func clientHelp(c *Ctx) {
	lines := []string{
		"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
		"HELP",
		"    Prints this help.",
	}
	c.Array(len(lines))
	for _, l := range lines {
		c.Simple(l)
	}
}

func dbsizeCommand(c *Ctx) { c.Int(int64(c.DB.Len())) }

// flushOption checks FLUSHDB/FLUSHALL's optional ASYNC|SYNC argument.
func flushOption(c *Ctx) bool {
	if len(c.Args) > 2 || (len(c.Args) == 2 && !c.ArgIs(1, "async") && !c.ArgIs(1, "sync")) {
		c.Error(ErrSyntax)
		return false
	}
	return true
}

func flushdbCommand(c *Ctx) {
	if !flushOption(c) {
		return
	}
	c.DB.Flush()
	c.OK()
}

func flushallCommand(c *Ctx) {
	if !flushOption(c) {
		return
	}
	c.KS.FlushAll()
	if c.Host != nil {
		c.Host.FlushedAll()
	}
	c.OK()
}

func timeCommand(c *Ctx) {
	now := time.Now()
	c.Array(2)
	c.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

func swapdbCommand(c *Ctx) {
	if c.ClusterEnabled() {
		c.Error(errSwapDBCluster)
		return
	}
	a, ok1 := resp.ParseInt(c.Args[1])
	if !ok1 {
		c.Errorf("ERR invalid first DB index")
		return
	}
	b, ok2 := resp.ParseInt(c.Args[2])
	if !ok2 {
		c.Errorf("ERR invalid second DB index")
		return
	}
	n := int64(len(c.KS.DBs))
	if a < 0 || a >= n || b < 0 || b >= n {
		c.Error(ErrDBIndex)
		return
	}
	c.KS.Swap(int(a), int(b))
	c.DB = c.KS.DBs[c.Sess.DB]
	c.OK()
}

// helloCommand switches the protocol and reports the server: HELLO
// [protover [AUTH username password] [SETNAME clientname]].
func helloCommand(c *Ctx) {
	proto := int64(c.Proto)
	if len(c.Args) >= 2 {
		n, ok := resp.ParseInt(c.Args[1])
		if !ok {
			c.Errorf("ERR Protocol version is not an integer or out of range")
			return
		}
		if n < 2 || n > 3 {
			c.Errorf("NOPROTO unsupported protocol version")
			return
		}
		proto = n
	}
	var name []byte
	setName := false
	for i := 2; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch {
		case c.ArgIs(i, "auth") && more >= 2:
			if !c.Conn.Authenticate(c, c.Args[i+1], c.Args[i+2]) {
				c.Errorf("WRONGPASS invalid username-password pair or user is disabled.")
				return
			}
			i += 2
		case c.ArgIs(i, "setname") && more >= 1:
			name, setName = c.Args[i+1], true
			i++
		default:
			c.Errorf("ERR Syntax error in HELLO option '" + cString(c.Args[i], 128) + "'")
			return
		}
	}
	if c.Sess.User != nil && !c.Sess.Authenticated {
		c.Errorf("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setName {
		for _, ch := range name {
			if ch < '!' || ch > '~' {
				c.Errorf("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
		}
		c.Sess.Name = string(name)
	}
	c.Proto = int(proto)
	c.Map(7)
	c.BulkString("server")
	c.BulkString("redis")
	c.BulkString("version")
	c.BulkString(c.Host.Version())
	c.BulkString("proto")
	c.Int(proto)
	c.BulkString("id")
	c.Int(c.Sess.ID)
	c.BulkString("mode")
	if c.ClusterEnabled() {
		c.BulkString("cluster")
	} else {
		c.BulkString("standalone")
	}
	c.BulkString("role")
	c.BulkString(c.Host.Role())
	c.BulkString("modules")
	c.Array(0)
}
