package command

import (
	"github.com/respd/respd/internal/ds/stream"
	"github.com/respd/respd/internal/resp"
)

// xinfoCommand is XINFO, the container for stream introspection.
var xinfoCommand = &Command{Name: "xinfo", Arity: -2, ACL: CatSlow, Group: "stream", Since: "5.0.0", Summary: "A container for stream introspection commands", Sub: []*Command{
	{Name: "stream", Fn: xinfoStream, Arity: -3, Flags: ReadOnly, Keys: keys(2, 2, 1), ACL: CatRead | CatStream | CatSlow, Since: "5.0.0", Summary: "Get information about a stream"},
	{Name: "groups", Fn: xinfoGroups, Arity: 3, Flags: ReadOnly, Keys: keys(2, 2, 1), ACL: CatRead | CatStream | CatSlow, Since: "5.0.0", Summary: "List the consumer groups of a stream"},
	{Name: "consumers", Fn: xinfoConsumers, Arity: 4, Flags: ReadOnly, Keys: keys(2, 2, 1), ACL: CatRead | CatStream | CatSlow, Since: "5.0.0", Summary: "List the consumers in a consumer group"},
	{Name: "help", Fn: xinfoHelp, Arity: 2, Flags: Loading | Stale, ACL: CatStream | CatSlow, Since: "5.0.0", Summary: "Show helpful text about the different subcommands"},
}}

// xinfoCount is how many entries and pending records XINFO STREAM FULL
// shows without COUNT.
const xinfoCount = 10

// xinfoKey looks up XINFO's stream, replying "no such key" when missing.
func xinfoKey(c *Ctx) *stream.Stream {
	s, ok := streamFor(c, c.Args[2], false)
	if !ok {
		return nil
	}
	if s == nil {
		c.Error(ErrNoSuchKey)
	}
	return s
}

// xinfoStream is XINFO STREAM key [FULL [COUNT n]].
func xinfoStream(c *Ctx) {
	s := xinfoKey(c)
	if s == nil {
		return
	}
	opts := c.Args[3:]
	full, count := false, int64(xinfoCount)
	switch len(opts) {
	case 0:
	case 1, 3:
		if !EqualFold(opts[0], "full") {
			subcommandSyntaxError(c, "XINFO")
			return
		}
		full = true
		if len(opts) == 3 {
			if !EqualFold(opts[1], "count") {
				subcommandSyntaxError(c, "XINFO")
				return
			}
			n, ok := resp.ParseInt(opts[2])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			count = n
			if n < 0 {
				count = xinfoCount
			}
		}
	default:
		subcommandSyntaxError(c, "XINFO")
		return
	}
	if full {
		c.Map(9)
	} else {
		c.Map(10)
	}
	c.BulkString("length")
	c.Int(s.Len())
	c.BulkString("radix-tree-keys")
	c.Int(int64(s.Blocks()))
	c.BulkString("radix-tree-nodes")
	c.Int(int64(s.RadixNodes()))
	c.BulkString("last-generated-id")
	writeID(c, s.LastID)
	c.BulkString("max-deleted-entry-id")
	writeID(c, s.MaxDeletedID)
	c.BulkString("entries-added")
	c.Int(int64(s.EntriesAdded))
	c.BulkString("recorded-first-entry-id")
	writeID(c, s.FirstID())
	if !full {
		c.BulkString("groups")
		c.Int(int64(s.GroupCount()))
		c.BulkString("first-entry")
		if !writeEdgeEntry(c, s, false) {
			c.Null()
		}
		c.BulkString("last-entry")
		if !writeEdgeEntry(c, s, true) {
			c.Null()
		}
		return
	}
	limit := count
	if limit == 0 {
		limit = -1
	}
	c.BulkString("entries")
	writeRange(c, s, stream.ID{}, stream.MaxID, limit, false)
	c.BulkString("groups")
	groups := s.Groups()
	c.Array(len(groups))
	for _, g := range groups {
		xinfoFullGroup(c, s, g, count)
	}
}

func writeEdgeEntry(c *Ctx, s *stream.Stream, last bool) bool {
	found := false
	s.Range(stream.ID{}, stream.MaxID, last, func(id stream.ID, fv [][]byte) bool {
		writeEntry(c, id, fv)
		found = true
		return false
	})
	return found
}

// xinfoFullGroup is one group of XINFO STREAM FULL, with at most count
// pending records for the group and for each consumer (0: all).
func xinfoFullGroup(c *Ctx, s *stream.Stream, g *stream.Group, count int64) {
	c.Map(7)
	c.BulkString("name")
	c.BulkString(g.Name)
	c.BulkString("last-delivered-id")
	writeID(c, g.LastID)
	c.BulkString("entries-read")
	writeEntriesRead(c, g)
	c.BulkString("lag")
	writeLag(c, s, g)
	c.BulkString("pel-count")
	c.Int(int64(g.PendingLen()))
	c.BulkString("pending")
	mark, n := len(c.B), int64(0)
	g.PendingRange(nil, stream.ID{}, stream.MaxID, func(p *stream.Pending) bool {
		c.Array(4)
		writeID(c, p.ID)
		c.BulkString(p.Consumer.Name)
		c.Int(p.DeliveryTime)
		c.Int(p.DeliveryCount)
		n++
		return count == 0 || n < count
	})
	insertHeader(c, mark, '*', int(n))
	c.BulkString("consumers")
	consumers := g.Consumers()
	c.Array(len(consumers))
	for _, cons := range consumers {
		c.Map(4)
		c.BulkString("name")
		c.BulkString(cons.Name)
		c.BulkString("seen-time")
		c.Int(cons.SeenTime)
		c.BulkString("pel-count")
		c.Int(int64(cons.PendingLen()))
		c.BulkString("pending")
		mark, n := len(c.B), int64(0)
		g.PendingRange(cons, stream.ID{}, stream.MaxID, func(p *stream.Pending) bool {
			c.Array(3)
			writeID(c, p.ID)
			c.Int(p.DeliveryTime)
			c.Int(p.DeliveryCount)
			n++
			return count == 0 || n < count
		})
		insertHeader(c, mark, '*', int(n))
	}
}

func writeEntriesRead(c *Ctx, g *stream.Group) {
	if g.EntriesRead == stream.InvalidEntriesRead {
		c.Null()
		return
	}
	c.Int(g.EntriesRead)
}

func writeLag(c *Ctx, s *stream.Stream, g *stream.Group) {
	if lag, ok := s.Lag(g); ok {
		c.Int(lag)
		return
	}
	c.Null()
}

// xinfoGroups is XINFO GROUPS key.
func xinfoGroups(c *Ctx) {
	s := xinfoKey(c)
	if s == nil {
		return
	}
	groups := s.Groups()
	c.Array(len(groups))
	for _, g := range groups {
		c.Map(6)
		c.BulkString("name")
		c.BulkString(g.Name)
		c.BulkString("consumers")
		c.Int(int64(g.ConsumerCount()))
		c.BulkString("pending")
		c.Int(int64(g.PendingLen()))
		c.BulkString("last-delivered-id")
		writeID(c, g.LastID)
		c.BulkString("entries-read")
		writeEntriesRead(c, g)
		c.BulkString("lag")
		writeLag(c, s, g)
	}
}

// xinfoConsumers is XINFO CONSUMERS key group.
func xinfoConsumers(c *Ctx) {
	s := xinfoKey(c)
	if s == nil {
		return
	}
	g := s.Group(c.Args[3])
	if g == nil {
		noGroupError(c, c.Args[3], c.Args[2])
		return
	}
	now := c.DB.Now()
	consumers := g.Consumers()
	c.Array(len(consumers))
	for _, cons := range consumers {
		c.Map(3)
		c.BulkString("name")
		c.BulkString(cons.Name)
		c.BulkString("pending")
		c.Int(int64(cons.PendingLen()))
		c.BulkString("idle")
		c.Int(max(now-cons.SeenTime, 0))
	}
}

func xinfoHelp(c *Ctx) {
	lines := [...]string{
		"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CONSUMERS <key> <groupname>",
		"    Show consumers of <groupname>.",
		"GROUPS <key>",
		"    Show the stream consumer groups.",
		"STREAM <key> [FULL [COUNT <count>]",
		"    Show information about the stream.",
		"HELP",
		"    Prints this help.",
	}
	c.Array(len(lines))
	for _, l := range lines {
		c.Simple(l)
	}
}
