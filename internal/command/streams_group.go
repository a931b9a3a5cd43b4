package command

import (
	"math"
	"slices"

	"github.com/respd/respd/internal/ds/stream"
	"github.com/respd/respd/internal/resp"
)

// xgroupCommand is XGROUP, the container for consumer group management.
var xgroupCommand = &Command{Name: "xgroup", Arity: -2, ACL: CatSlow, Group: "stream", Since: "5.0.0", Summary: "A container for consumer groups commands", Sub: []*Command{
	{Name: "create", Fn: xgroupCreate, Arity: -5, Flags: Write | DenyOOM, Keys: keys(2, 2, 1), ACL: CatWrite | CatStream | CatSlow, Since: "5.0.0", Summary: "Create a consumer group."},
	{Name: "setid", Fn: xgroupSetID, Arity: -5, Flags: Write, Keys: keys(2, 2, 1), ACL: CatWrite | CatStream | CatSlow, Since: "5.0.0", Summary: "Set a consumer group to an arbitrary last delivered ID value."},
	{Name: "destroy", Fn: xgroupDestroy, Arity: 4, Flags: Write, Keys: keys(2, 2, 1), ACL: CatWrite | CatStream | CatSlow, Since: "5.0.0", Summary: "Destroy a consumer group."},
	{Name: "createconsumer", Fn: xgroupCreateConsumer, Arity: 5, Flags: Write | DenyOOM, Keys: keys(2, 2, 1), ACL: CatWrite | CatStream | CatSlow, Since: "6.2.0", Summary: "Create a consumer in a consumer group."},
	{Name: "delconsumer", Fn: xgroupDelConsumer, Arity: 5, Flags: Write, Keys: keys(2, 2, 1), ACL: CatWrite | CatStream | CatSlow, Since: "5.0.0", Summary: "Delete a consumer from a consumer group."},
	{Name: "help", Fn: xgroupHelp, Arity: 2, Flags: Loading | Stale, ACL: CatStream | CatSlow, Since: "5.0.0", Summary: "Show helpful text about the different subcommands"},
}}

// Consumer group errors, with Redis's texts.
var (
	ErrXGroupNoKey     = resp.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
	ErrBusyGroup       = resp.Error("BUSYGROUP Consumer Group name already exists")
	ErrEntriesRead     = resp.Error("ERR value for ENTRIESREAD must be positive or -1")
	ErrXAutoClaimCount = resp.Error("ERR COUNT must be > 0")
	ErrXAutoClaimIdle  = resp.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM")
	ErrXAutoClaimMem   = resp.Error("ERR Insufficient memory, failed allocating transient memory, COUNT too high.")
	ErrXClaimIdle      = resp.Error("ERR Invalid min-idle-time argument for XCLAIM")
	ErrXClaimIdleOpt   = resp.Error("ERR Invalid IDLE option argument for XCLAIM")
	ErrXClaimTimeOpt   = resp.Error("ERR Invalid TIME option argument for XCLAIM")
	ErrXClaimRetryOpt  = resp.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM")
)

// subcommandSyntaxError is Redis's reply to a subcommand given the wrong
// arguments; it names the subcommand as the client spelled it.
func subcommandSyntaxError(c *Ctx, container string) {
	c.Errorf("ERR unknown subcommand or wrong number of arguments for '" + cString(c.Args[1], 128) + "'. Try " + container + " HELP.")
}

func noGroupError(c *Ctx, group, key []byte) {
	c.Errorf("NOGROUP No such consumer group '" + cString(group, len(group)) + "' for key name '" + cString(key, len(key)) + "'")
}

func noKeyOrGroupError(c *Ctx, key, group []byte) {
	c.Errorf("NOGROUP No such key '" + cString(key, len(key)) + "' or consumer group '" + cString(group, len(group)) + "'")
}

// xgroupTarget does what every XGROUP subcommand but HELP does first:
// look the stream up for writing and, unless MKSTREAM may create it,
// insist that it exists and, for the subcommands that need one, that the
// group does. It replies on failure.
func xgroupTarget(c *Ctx, needGroup, mkstream bool) (*stream.Stream, *stream.Group, bool) {
	s, ok := streamFor(c, c.Args[2], true)
	if !ok {
		return nil, nil, false
	}
	if mkstream {
		return s, nil, true
	}
	if s == nil {
		c.Error(ErrXGroupNoKey)
		return nil, nil, false
	}
	g := s.Group(c.Args[3])
	if g == nil && needGroup {
		noGroupError(c, c.Args[3], c.Args[2])
		return nil, nil, false
	}
	return s, g, true
}

// parseEntriesRead reads an ENTRIESREAD value: non-negative or -1.
func parseEntriesRead(c *Ctx, b []byte) (int64, bool) {
	n, ok := resp.ParseInt(b)
	if !ok {
		c.Error(ErrNotInt)
		return 0, false
	}
	if n < 0 && n != stream.InvalidEntriesRead {
		c.Error(ErrEntriesRead)
		return 0, false
	}
	return n, true
}

// xgroupCreate is XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n].
func xgroupCreate(c *Ctx) {
	mkstream := false
	entriesRead := int64(stream.InvalidEntriesRead)
	for i := 5; i < len(c.Args); {
		switch {
		case c.ArgIs(i, "mkstream"):
			mkstream = true
			i++
		case c.ArgIs(i, "entriesread") && i+1 < len(c.Args):
			n, ok := parseEntriesRead(c, c.Args[i+1])
			if !ok {
				return
			}
			entriesRead = n
			i += 2
		default:
			subcommandSyntaxError(c, "XGROUP")
			return
		}
	}
	s, _, ok := xgroupTarget(c, false, mkstream)
	if !ok {
		return
	}
	if len(c.Args) > 8 {
		subcommandSyntaxError(c, "XGROUP")
		return
	}
	var id stream.ID
	if arg := c.Args[4]; len(arg) == 1 && arg[0] == '$' {
		if s != nil {
			id = s.LastID
		}
	} else if id, ok = parseStrictID(arg); !ok {
		c.Error(ErrStreamID)
		return
	}
	key := c.Args[2]
	if s == nil {
		s = newStreamKey(c, key)
	}
	if _, ok := s.CreateGroup(string(c.Args[3]), id, entriesRead); !ok {
		c.Error(ErrBusyGroup)
		return
	}
	c.Notify(NotifyStream, "xgroup-create", key)
	c.MarkDirty()
	c.OK()
}

// xgroupSetID is XGROUP SETID key group id|$ [ENTRIESREAD n].
func xgroupSetID(c *Ctx) {
	// Like CREATE's options, these are checked before the key is looked up.
	if len(c.Args) != 5 && len(c.Args) != 7 {
		subcommandSyntaxError(c, "XGROUP")
		return
	}
	entriesRead := int64(stream.InvalidEntriesRead)
	if len(c.Args) == 7 {
		if !c.ArgIs(5, "entriesread") {
			subcommandSyntaxError(c, "XGROUP")
			return
		}
		n, ok := parseEntriesRead(c, c.Args[6])
		if !ok {
			return
		}
		entriesRead = n
	}
	s, g, ok := xgroupTarget(c, true, false)
	if !ok {
		return
	}
	var id stream.ID
	if arg := c.Args[4]; len(arg) == 1 && arg[0] == '$' {
		id = s.LastID
	} else if id, ok = parseLooseID(arg, 0); !ok {
		c.Error(ErrStreamID)
		return
	}
	g.LastID, g.EntriesRead = id, entriesRead
	c.Notify(NotifyStream, "xgroup-setid", c.Args[2])
	c.MarkDirty()
	c.OK()
}

// xgroupDestroy is XGROUP DESTROY key group; readers blocked on the group
// are woken (to an error) by the touch.
func xgroupDestroy(c *Ctx) {
	s, g, ok := xgroupTarget(c, false, false)
	if !ok {
		return
	}
	if g == nil {
		c.Int(0)
		return
	}
	s.DestroyGroup(c.Args[3])
	// Readers blocked on the group must wake to their error. Redis
	// signals them without WATCH seeing a change; the keyspace's change
	// signal is the only wake-up there is here, so WATCH will see it.
	c.DB.Touch(c.Args[2])
	c.Notify(NotifyStream, "xgroup-destroy", c.Args[2])
	c.Int(1)
}

// xgroupCreateConsumer is XGROUP CREATECONSUMER key group consumer.
func xgroupCreateConsumer(c *Ctx) {
	_, g, ok := xgroupTarget(c, true, false)
	if !ok {
		return
	}
	if _, created := g.CreateConsumer(c.Args[4], c.DB.Now()); !created {
		c.Int(0)
		return
	}
	c.Notify(NotifyStream, "xgroup-createconsumer", c.Args[2])
	c.MarkDirty()
	c.Int(1)
}

// xgroupDelConsumer is XGROUP DELCONSUMER key group consumer: it replies
// with the number of entries the consumer still had pending.
func xgroupDelConsumer(c *Ctx) {
	_, g, ok := xgroupTarget(c, true, false)
	if !ok {
		return
	}
	pending := g.DeleteConsumer(c.Args[4])
	if pending >= 0 {
		c.Notify(NotifyStream, "xgroup-delconsumer", c.Args[2])
		c.MarkDirty()
	}
	c.Int(int64(max(pending, 0)))
}

func xgroupHelp(c *Ctx) {
	lines := [...]string{
		"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CREATE <key> <groupname> <id|$> [option]",
		"    Create a new consumer group. Options are:",
		"    * MKSTREAM",
		"      Create the empty stream if it does not exist.",
		"    * ENTRIESREAD entries_read",
		"      Set the group's entries_read counter (internal use).",
		"CREATECONSUMER <key> <groupname> <consumer>",
		"    Create a new consumer in the specified group.",
		"DELCONSUMER <key> <groupname> <consumer>",
		"    Remove the specified consumer.",
		"DESTROY <key> <groupname>",
		"    Remove the specified group.",
		"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
		"    Set the current group ID and entries_read counter.",
		"HELP",
		"    Prints this help.",
	}
	c.Array(len(lines))
	for _, l := range lines {
		c.Simple(l)
	}
}

// groupFor looks up key's stream and group for XACK, XPENDING, XCLAIM and
// XAUTOCLAIM: WRONGTYPE is replied here; a missing key or group gives nil.
func groupFor(c *Ctx, write bool) (*stream.Stream, *stream.Group, bool) {
	s, ok := streamFor(c, c.Args[1], write)
	if !ok {
		return nil, nil, false
	}
	if s == nil {
		return nil, nil, true
	}
	return s, s.Group(c.Args[2]), true
}

// xackCommand is XACK key group id [id ...].
func xackCommand(c *Ctx) {
	_, g, ok := groupFor(c, false)
	if !ok {
		return
	}
	if g == nil {
		c.Int(0)
		return
	}
	ids, ok := parseIDList(c, c.Args[3:])
	if !ok {
		return
	}
	n := int64(0)
	for _, id := range ids {
		if g.Ack(id) {
			n++
		}
	}
	if n > 0 {
		c.MarkDirty()
	}
	c.Int(n)
}

// xpendingCommand is XPENDING key group [[IDLE min-idle] start end count
// [consumer]].
func xpendingCommand(c *Ctx) {
	argc := len(c.Args)
	if argc != 3 && (argc < 6 || argc > 9) {
		c.Error(ErrSyntax)
		return
	}
	var start, end stream.ID
	var count, minIdle int64
	var consumerName []byte
	if argc >= 6 {
		at := 3
		if c.ArgIs(3, "idle") {
			n, ok := resp.ParseInt(c.Args[4])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			minIdle = n
			if argc < 8 {
				c.Error(ErrSyntax)
				return
			}
			at += 2
		}
		n, ok := resp.ParseInt(c.Args[at+2])
		if !ok {
			c.Error(ErrNotInt)
			return
		}
		count = max(n, 0)
		if start, ok = parseRangeStart(c, c.Args[at]); !ok {
			return
		}
		if end, ok = parseRangeEnd(c, c.Args[at+1]); !ok {
			return
		}
		if at+3 < argc {
			consumerName = c.Args[at+3]
		}
	}
	_, g, ok := groupFor(c, false)
	if !ok {
		return
	}
	if g == nil {
		noKeyOrGroupError(c, c.Args[1], c.Args[2])
		return
	}
	if argc == 3 {
		xpendingSummary(c, g)
		return
	}
	var cons *stream.Consumer
	if consumerName != nil {
		if cons = g.Consumer(consumerName); cons == nil {
			c.Array(0)
			return
		}
	}
	now := c.DB.Now()
	mark := len(c.B)
	n := 0
	if count > 0 {
		g.PendingRange(cons, start, end, func(p *stream.Pending) bool {
			idle := now - p.DeliveryTime
			if minIdle != 0 && idle < minIdle {
				return true
			}
			c.Array(4)
			writeID(c, p.ID)
			c.BulkString(p.Consumer.Name)
			c.Int(max(idle, 0))
			c.Int(p.DeliveryCount)
			n++
			return int64(n) < count
		})
	}
	insertHeader(c, mark, '*', n)
}

// xpendingSummary is the short form: the count, the smallest and greatest
// pending IDs, and each consumer with entries pending and how many.
func xpendingSummary(c *Ctx, g *stream.Group) {
	c.Array(4)
	c.Int(int64(g.PendingLen()))
	if g.PendingLen() == 0 {
		c.Null()
		c.Null()
		c.NullArray()
		return
	}
	writeID(c, g.FirstPending().ID)
	writeID(c, g.LastPending().ID)
	mark := len(c.B)
	n := 0
	for _, cons := range g.Consumers() {
		if cons.PendingLen() == 0 {
			continue
		}
		c.Array(2)
		c.BulkString(cons.Name)
		c.BulkInt(int64(cons.PendingLen()))
		n++
	}
	insertHeader(c, mark, '*', n)
}

// xclaimCommand is XCLAIM key group consumer min-idle-time id [id ...]
// [IDLE ms] [TIME ms-unix-time] [RETRYCOUNT count] [FORCE] [JUSTID]
// [LASTID id].
func xclaimCommand(c *Ctx) {
	s, g, ok := groupFor(c, false)
	if !ok {
		return
	}
	if g == nil {
		noKeyOrGroupError(c, c.Args[1], c.Args[2])
		return
	}
	minIdle, ok := resp.ParseInt(c.Args[4])
	if !ok {
		c.Error(ErrXClaimIdle)
		return
	}
	minIdle = max(minIdle, 0)
	// The IDs come first; the first argument that is not one starts the
	// options. Nothing is claimed before all of them parse.
	j := 5
	var ids []stream.ID
	for ; j < len(c.Args); j++ {
		id, ok := parseStrictID(c.Args[j])
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := c.DB.Now()
	deliveryTime, retryCount := int64(-1), int64(-1)
	force, justID := false, false
	var lastID stream.ID
	for ; j < len(c.Args); j++ {
		more := j+1 < len(c.Args)
		switch {
		case c.ArgIs(j, "force"):
			force = true
		case c.ArgIs(j, "justid"):
			justID = true
		case c.ArgIs(j, "idle") && more:
			j++
			n, ok := resp.ParseInt(c.Args[j])
			if !ok {
				c.Error(ErrXClaimIdleOpt)
				return
			}
			deliveryTime = now - n
		case c.ArgIs(j, "time") && more:
			j++
			n, ok := resp.ParseInt(c.Args[j])
			if !ok {
				c.Error(ErrXClaimTimeOpt)
				return
			}
			deliveryTime = n
		case c.ArgIs(j, "retrycount") && more:
			j++
			n, ok := resp.ParseInt(c.Args[j])
			if !ok {
				c.Error(ErrXClaimRetryOpt)
				return
			}
			retryCount = n
		case c.ArgIs(j, "lastid") && more:
			j++
			id, ok := parseStrictID(c.Args[j])
			if !ok {
				c.Error(ErrStreamID)
				return
			}
			lastID = id
		default:
			c.Errorf("ERR Unrecognized XCLAIM option '" + cString(c.Args[j], len(c.Args[j])) + "'")
			return
		}
	}
	// A delivery time from the future or before the epoch is taken as now
	// rather than refused: clients compute it from their own clocks.
	if deliveryTime < 0 || deliveryTime > now {
		deliveryTime = now
	}
	// Propagated as one XCLAIM per entry claimed or dropped (with the ID
	// as given), or the new last ID alone when nothing was.
	c.NoPropagate()
	setID := false
	if g.LastID.Less(lastID) {
		g.LastID = lastID
		setID = true
	}
	var cons *stream.Consumer
	mark := len(c.B)
	n := 0
	for k, id := range ids {
		p := g.Pending(id)
		if !s.Exists(id) {
			// The entry is gone: it can only be dropped from the PEL.
			if p != nil {
				if c.Propagating() {
					alsoXClaim(c, c.Args[1], c.Args[2], c.Args[5+k], p, g)
				}
				setID = false
				g.Remove(p)
			}
			continue
		}
		if p == nil {
			if !force {
				continue
			}
			p = g.AddOrphan(id)
		}
		if p.Consumer != nil && minIdle > 0 && now-p.DeliveryTime < minIdle {
			continue
		}
		if cons == nil {
			cons, _ = touchConsumer(c, c.Args[1], g, c.Args[3], now)
		}
		g.Assign(p, cons)
		p.DeliveryTime = deliveryTime
		if retryCount >= 0 {
			p.DeliveryCount = retryCount
		} else if !justID {
			p.DeliveryCount++
		}
		if justID {
			writeID(c, id)
		} else {
			writeOneEntry(c, s, id)
		}
		if c.Propagating() {
			alsoXClaim(c, c.Args[1], c.Args[2], c.Args[5+k], p, g)
		}
		setID = false
		n++
	}
	if setID && c.Propagating() {
		alsoSetID(c, c.Args[1], c.Args[2], g)
	}
	insertHeader(c, mark, '*', n)
}

// xautoclaimAttempts is how many PEL records XAUTOCLAIM may look at per
// entry it is asked for, bounding its work when few are idle enough.
const xautoclaimAttempts = 10

// xautoclaimMaxAlloc stands for the memory Redis fails to reserve for the
// deleted-ID list when COUNT is huge: past it we report the same error.
const xautoclaimMaxAlloc = 1 << 40

// xautoclaimCommand is XAUTOCLAIM key group consumer min-idle-time start
// [COUNT count] [JUSTID]: it claims idle pending entries from start on,
// drops the ones whose entries were deleted (listing them third), and
// returns the cursor to continue from.
func xautoclaimCommand(c *Ctx) {
	minIdle, ok := resp.ParseInt(c.Args[4])
	if !ok {
		c.Error(ErrXAutoClaimIdle)
		return
	}
	minIdle = max(minIdle, 0)
	start, ok := parseRangeStart(c, c.Args[5])
	if !ok {
		return
	}
	count, justID := int64(100), false
	for j := 6; j < len(c.Args); j++ {
		switch {
		case c.ArgIs(j, "count") && j+1 < len(c.Args):
			n, ok := resp.ParseInt(c.Args[j+1])
			if !ok || n < 1 || n > math.MaxInt64/16 {
				c.Error(ErrXAutoClaimCount)
				return
			}
			count = n
			j++
		case c.ArgIs(j, "justid"):
			justID = true
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	s, g, ok := groupFor(c, false)
	if !ok {
		return
	}
	if g == nil {
		noKeyOrGroupError(c, c.Args[1], c.Args[2])
		return
	}
	if count > xautoclaimMaxAlloc/16 {
		c.Error(ErrXAutoClaimMem)
		return
	}
	attempts := count * xautoclaimAttempts
	now := c.DB.Now()
	// Propagated as one XCLAIM per entry claimed or dropped.
	c.NoPropagate()
	var cons *stream.Consumer
	var deleted []stream.ID
	c.Array(3)
	idAt := len(c.B)
	mark := len(c.B)
	n := 0
	next := start
	cursor := stream.ID{}
	for {
		p := g.NextPending(next)
		if p == nil {
			break
		}
		if attempts == 0 || count == 0 {
			cursor = p.ID
			break
		}
		attempts--
		id := p.ID
		following, more := id.Incr()
		if !s.Exists(id) {
			if c.Propagating() {
				alsoXClaim(c, c.Args[1], c.Args[2], nil, p, g)
			}
			g.Remove(p)
			deleted = append(deleted, id)
			count--
		} else if minIdle == 0 || now-p.DeliveryTime >= minIdle {
			if cons == nil {
				cons, _ = touchConsumer(c, c.Args[1], g, c.Args[3], now)
			}
			g.Assign(p, cons)
			p.DeliveryTime = now
			if !justID {
				p.DeliveryCount++
			}
			if justID {
				writeID(c, id)
			} else {
				writeOneEntry(c, s, id)
			}
			if c.Propagating() {
				alsoXClaim(c, c.Args[1], c.Args[2], nil, p, g)
			}
			n++
			count--
		}
		if !more {
			break
		}
		next = following
	}
	insertHeader(c, mark, '*', n)
	var tmp [48]byte
	var bulk [64]byte
	c.B = slices.Insert(c.B, idAt, resp.AppendBulk(bulk[:0], cursor.Append(tmp[:0]))...)
	c.Array(len(deleted))
	for _, id := range deleted {
		writeID(c, id)
	}
}
