package command

import "github.com/respd/respd/internal/resp"

// CLIENT subcommands that act on other connections or on how this one is
// served: KILL, UNBLOCK, PAUSE, REPLY and the switches. The server does
// the acting through Host; here are the parsing and Redis's error texts.

var (
	errNoSuchClient    = resp.Error("ERR No such client")
	errClientIDPos     = resp.Error("ERR client-id should be greater than 0")
	errInvalidClientID = resp.Error("ERR Invalid client ID")
	errUnblockReason   = resp.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
	errPauseTimeout    = resp.Error("ERR timeout is not an integer or out of range")
	errPauseNegative   = resp.Error("ERR timeout is negative")
	errPauseMode       = resp.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
)

// clientMgmtCommands are the CLIENT subcommands of this file.
var clientMgmtCommands = []*Command{
	{Name: "kill", Fn: clientKill, Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous | CatConnection, Since: "2.4.0", Summary: "Terminates open connections."},
	{Name: "unblock", Fn: clientUnblock, Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous | CatConnection, Since: "5.0.0", Summary: "Unblocks a client blocked by a blocking command from a different connection."},
	{Name: "pause", Fn: clientPause, Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous | CatConnection, Since: "3.0.0", Summary: "Suspends commands processing."},
	{Name: "unpause", Fn: clientUnpause, Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous | CatConnection, Since: "6.2.0", Summary: "Resumes processing commands from paused clients."},
	{Name: "reply", Fn: clientReply, Arity: 3, Flags: NoScript | Loading | Stale, ACL: CatSlow | CatConnection, Since: "3.2.0", Summary: "Instructs the server whether to reply to commands."},
	{Name: "no-evict", Fn: clientNoEvict, Arity: 3, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous | CatConnection, Since: "7.0.0", Summary: "Sets the client eviction mode of the connection."},
	{Name: "no-touch", Fn: clientNoTouch, Arity: 3, Flags: NoScript | Loading | Stale, ACL: CatSlow | CatConnection, Since: "7.2.0", Summary: "Controls whether commands sent by the client affect the LRU/LFU of accessed keys."},
	{Name: "tracking", Fn: clientTracking, Arity: -3, Flags: NoScript | Loading | Stale, ACL: CatSlow | CatConnection, Since: "6.0.0", Summary: "Controls server-assisted client-side caching for the connection."},
	{Name: "caching", Fn: clientTracking, Arity: 3, Flags: NoScript | Loading | Stale, ACL: CatSlow | CatConnection, Since: "6.0.0", Summary: "Instructs the server whether to track the keys in the next request."},
	{Name: "getredir", Fn: clientTracking, Arity: 2, Flags: NoScript | Loading | Stale, ACL: CatSlow | CatConnection, Since: "6.0.0", Summary: "Returns the client ID to which the connection's tracking notifications are redirected."},
	{Name: "trackinginfo", Fn: clientTracking, Arity: 2, Flags: NoScript | Loading | Stale, ACL: CatSlow | CatConnection, Since: "6.2.0", Summary: "Returns information about server-assisted client-side caching for the connection."},
}

// monitorCommand is MONITOR's row.
var monitorCommand = &Command{Name: "monitor", Fn: func(c *Ctx) { c.Conn.Monitor(c) }, Arity: 1, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "1.0.0", Summary: "Listens for all requests received by the server in real-time."}

// parseClientType maps a TYPE argument to the filter's type name.
func parseClientType(c *Ctx, i int) (string, bool) {
	switch {
	case c.ArgIs(i, "normal"):
		return "normal", true
	case c.ArgIs(i, "replica"), c.ArgIs(i, "slave"):
		return "replica", true
	case c.ArgIs(i, "master"):
		return "master", true
	case c.ArgIs(i, "pubsub"):
		return "pubsub", true
	}
	c.Errorf("ERR Unknown client type '" + c.Arg(i) + "'")
	return "", false
}

// clientKill is CLIENT KILL ip:port (the old form, replying OK) or
// CLIENT KILL <filter> <value> ... (replying the count killed).
func clientKill(c *Ctx) {
	if len(c.Args) == 3 {
		addr := c.Arg(2)
		if c.Host.KillClients(&ClientFilter{Addr: &addr}, c.Sess.ID) == 0 {
			c.Error(errNoSuchClient)
			return
		}
		c.OK()
		return
	}
	var f ClientFilter
	skipMe := true
	for i := 2; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			c.Error(ErrSyntax)
			return
		}
		switch {
		case c.ArgIs(i, "id"):
			id, ok := resp.ParseInt(c.Args[i+1])
			if !ok || id <= 0 {
				c.Error(errClientIDPos)
				return
			}
			f.IDs = []int64{id}
		case c.ArgIs(i, "type"):
			t, ok := parseClientType(c, i+1)
			if !ok {
				return
			}
			f.Type = t
		case c.ArgIs(i, "addr"):
			v := c.Arg(i + 1)
			f.Addr = &v
		case c.ArgIs(i, "laddr"):
			v := c.Arg(i + 1)
			f.LAddr = &v
		case c.ArgIs(i, "user"):
			v := c.Arg(i + 1)
			if !c.Host.ACLUserExists(v) {
				c.Errorf("ERR No such user '" + v + "'")
				return
			}
			f.User = &v
		case c.ArgIs(i, "skipme"):
			switch {
			case c.ArgIs(i+1, "yes"):
				skipMe = true
			case c.ArgIs(i+1, "no"):
				skipMe = false
			default:
				c.Error(ErrSyntax)
				return
			}
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if skipMe {
		f.SkipID = c.Sess.ID
	}
	c.Int(int64(c.Host.KillClients(&f, c.Sess.ID)))
}

// clientList is CLIENT LIST [TYPE type | ID id [id ...]].
func clientList(c *Ctx) {
	var f ClientFilter
	switch {
	case len(c.Args) == 2:
	case len(c.Args) == 4 && c.ArgIs(2, "type"):
		t, ok := parseClientType(c, 3)
		if !ok {
			return
		}
		f.Type = t
	case len(c.Args) >= 4 && c.ArgIs(2, "id"):
		for i := 3; i < len(c.Args); i++ {
			id, ok := resp.ParseInt(c.Args[i])
			if !ok {
				c.Error(errInvalidClientID)
				return
			}
			f.IDs = append(f.IDs, id)
		}
	default:
		c.Error(ErrSyntax)
		return
	}
	c.Verbatim("txt", c.Host.ClientList(&f))
}

func clientInfo(c *Ctx) {
	c.Verbatim("txt", c.Host.ClientList(&ClientFilter{IDs: []int64{c.Sess.ID}}))
}

// clientUnblock is CLIENT UNBLOCK id [TIMEOUT|ERROR].
func clientUnblock(c *Ctx) {
	id, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	withError := false
	if len(c.Args) == 4 {
		switch {
		case c.ArgIs(3, "timeout"):
		case c.ArgIs(3, "error"):
			withError = true
		default:
			c.Error(errUnblockReason)
			return
		}
	} else if len(c.Args) > 4 {
		subcommandArity(c)
		return
	}
	if c.Host.UnblockClient(id, withError) {
		c.Int(1)
	} else {
		c.Int(0)
	}
}

// clientPause is CLIENT PAUSE timeout-ms [WRITE|ALL].
func clientPause(c *Ctx) {
	ms, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(errPauseTimeout)
		return
	}
	if ms < 0 {
		c.Error(errPauseNegative)
		return
	}
	all := true
	if len(c.Args) == 4 {
		switch {
		case c.ArgIs(3, "write"):
			all = false
		case c.ArgIs(3, "all"):
		default:
			c.Error(errPauseMode)
			return
		}
	} else if len(c.Args) > 4 {
		subcommandArity(c)
		return
	}
	c.Host.PauseClients(ms, all)
	c.OK()
}

func clientUnpause(c *Ctx) {
	c.Host.UnpauseClients()
	c.OK()
}

// clientReply is CLIENT REPLY ON|OFF|SKIP; only ON answers.
func clientReply(c *Ctx) {
	switch {
	case c.ArgIs(2, "on"):
		c.Sess.Reply = ReplyOn
		c.OK()
	case c.ArgIs(2, "off"):
		c.Sess.Reply = ReplyOff
	case c.ArgIs(2, "skip"):
		if c.Sess.Reply != ReplyOff {
			c.Sess.Reply = ReplySkipNext
		}
	default:
		c.Error(ErrSyntax)
	}
}

// subcommandArity is Redis's reply to extra arguments that the arity
// check let through.
func subcommandArity(c *Ctx) {
	c.Errorf("ERR unknown subcommand or wrong number of arguments for '" + cString(c.Args[1], 128) + "'. Try CLIENT HELP.")
}

// onOff parses argument 2 as ON or OFF, replying a syntax error otherwise.
func onOff(c *Ctx) (bool, bool) {
	switch {
	case c.ArgIs(2, "on"):
		return true, true
	case c.ArgIs(2, "off"):
		return false, true
	}
	c.Error(ErrSyntax)
	return false, false
}

func clientNoEvict(c *Ctx) {
	if on, ok := onOff(c); ok {
		c.Sess.NoEvict = on
		c.OK()
	}
}

func clientNoTouch(c *Ctx) {
	if on, ok := onOff(c); ok {
		c.Sess.NoTouch = on
		c.OK()
	}
}

// clientTracking hands the tracking subcommands to the connection.
func clientTracking(c *Ctx) { c.Conn.Tracking(c) }
