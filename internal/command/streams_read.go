package command

import (
	"github.com/respd/respd/internal/ds/stream"
	"github.com/respd/respd/internal/resp"
)

// Errors of XREAD and XREADGROUP, with Redis's texts.
var (
	ErrXReadUnbalanced = resp.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
	ErrXReadGroupOpt   = resp.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
	ErrXReadNoAckOpt   = resp.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
	ErrXReadGroupless  = resp.Error("ERR Missing GROUP option for XREADGROUP")
	ErrXReadDollar     = resp.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
	ErrXReadGT         = resp.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
	ErrXReadKeyGone    = resp.Error("UNBLOCKED the stream key no longer exists")
	ErrXReadGroupGone  = resp.Error("NOGROUP the consumer group this client was blocked on no longer exists")
)

// xreadBlockedCount bounds what a woken XREAD without COUNT gets, so a
// reader that blocked with an old ID is not sent a huge backlog.
const xreadBlockedCount = 1000

// xreadWait is what a parked XREAD or XREADGROUP keeps in its
// BlockRequest's State: the IDs it waits past, resolved when it blocked.
// The server re-runs the command with its original arguments whenever
// one of the streams changes; resolving "$" again then would read the
// stream's new last ID and miss the very entry that woke the reader, so
// the re-run takes the IDs from here instead (c.Resumed). A ">" of
// XREADGROUP is kept as MaxID: it always means the group's last
// delivered ID at the time of serving.
type xreadWait struct {
	ids []stream.ID
}

// xreadArgs are the parsed options of XREAD and XREADGROUP.
type xreadArgs struct {
	block    bool
	deadline int64
	count    int64
	keys     [][]byte
	idArgs   [][]byte
	group    []byte
	consumer []byte
	noAck    bool
}

func xreadCommand(c *Ctx)      { xread(c, false) }
func xreadgroupCommand(c *Ctx) { xread(c, true) }

// parseXRead reads the options up to STREAMS, replying on error.
func parseXRead(c *Ctx, isGroup bool) (a xreadArgs, ok bool) {
	streamsAt := 0
	for i := 1; i < len(c.Args) && streamsAt == 0; i++ {
		more := len(c.Args) - 1 - i
		switch {
		case c.ArgIs(i, "block") && more > 0:
			i++
			d, ok := c.ParseTimeout(c.Args[i], false)
			if !ok {
				return a, false
			}
			a.block, a.deadline = true, d
		case c.ArgIs(i, "count") && more > 0:
			i++
			n, ok := resp.ParseInt(c.Args[i])
			if !ok {
				c.Error(ErrNotInt)
				return a, false
			}
			a.count = max(n, 0)
		case c.ArgIs(i, "streams") && more > 0:
			streamsAt = i + 1
			if (len(c.Args)-streamsAt)%2 != 0 {
				c.Error(ErrXReadUnbalanced)
				return a, false
			}
		case c.ArgIs(i, "group") && more >= 2:
			if !isGroup {
				c.Error(ErrXReadGroupOpt)
				return a, false
			}
			a.group, a.consumer = c.Args[i+1], c.Args[i+2]
			i += 2
		case c.ArgIs(i, "noack"):
			if !isGroup {
				c.Error(ErrXReadNoAckOpt)
				return a, false
			}
			a.noAck = true
		default:
			c.Error(ErrSyntax)
			return a, false
		}
	}
	if streamsAt == 0 {
		c.Error(ErrSyntax)
		return a, false
	}
	if isGroup && a.group == nil {
		c.Error(ErrXReadGroupless)
		return a, false
	}
	n := (len(c.Args) - streamsAt) / 2
	a.keys = c.Args[streamsAt : streamsAt+n]
	a.idArgs = c.Args[streamsAt+n:]
	return a, true
}

// xread is XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ... and
// XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS
// key ... id ...
func xread(c *Ctx, isGroup bool) {
	a, ok := parseXRead(c, isGroup)
	if !ok {
		return
	}
	if isGroup {
		// What it delivered goes out as XCLAIM / XGROUP SETID (see
		// serveStream), never as the read itself.
		c.NoPropagate()
	}
	if c.Resumed != nil {
		xreadResume(c, a, c.Resumed.State.(*xreadWait))
		return
	}
	ids := make([]stream.ID, len(a.keys))
	groups := make([]*stream.Group, len(a.keys))
	streams := make([]*stream.Stream, len(a.keys))
	for i, key := range a.keys {
		s, ok := streamFor(c, key, false)
		if !ok {
			return
		}
		streams[i] = s
		if isGroup {
			if s != nil {
				groups[i] = s.Group(a.group)
			}
			if groups[i] == nil {
				c.Errorf("NOGROUP No such key '" + cString(key, len(key)) + "' or consumer group '" + cString(a.group, len(a.group)) + "' in XREADGROUP with GROUP option")
				return
			}
		}
		arg := a.idArgs[i]
		switch {
		case len(arg) == 1 && arg[0] == '$':
			if isGroup {
				c.Error(ErrXReadDollar)
				return
			}
			if s != nil {
				ids[i] = s.LastID
			}
			continue
		case len(arg) == 1 && arg[0] == '>':
			if !isGroup {
				c.Error(ErrXReadGT)
				return
			}
			ids[i] = stream.MaxID
			continue
		}
		id, ok := parseStrictID(arg)
		if !ok {
			c.Error(ErrStreamID)
			return
		}
		ids[i] = id
	}

	mark := len(c.B)
	served := 0
	for i, s := range streams {
		if s == nil {
			continue
		}
		after, history := ids[i], false
		switch {
		case isGroup && ids[i] != stream.MaxID:
			history = true
		case isGroup:
			if s.Len() == 0 || !groups[i].LastID.Less(s.LastValid()) {
				continue
			}
			after = groups[i].LastID
		default:
			if s.Len() == 0 || !after.Less(s.LastValid()) {
				continue
			}
		}
		served++
		writeStreamHeader(c, a.keys[i])
		serveStream(c, a.keys[i], s, groups[i], a, after, a.count, history)
	}
	if served > 0 {
		if c.Proto >= 3 {
			insertHeader(c, mark, '%', served)
		} else {
			insertHeader(c, mark, '*', served)
		}
		return
	}
	if !a.block {
		c.NullArray()
		return
	}
	c.Block(a.keys, a.deadline, func(w *resp.Writer) { w.NullArray() })
	if c.Blocked != nil {
		c.Blocked.State = &xreadWait{ids: ids}
	}
}

// xreadResume serves a parked reader when one of its streams changed:
// the first stream with an entry past the reader's ID (or, for a group,
// past the group's last delivered ID) is served alone, as Redis serves the
// key that woke it. A stream that is gone leaves an XREAD waiting, but
// ends an XREADGROUP with an error, as does a deleted group.
func xreadResume(c *Ctx, a xreadArgs, w *xreadWait) {
	count := a.count
	if count == 0 {
		count = xreadBlockedCount
	}
	for i, key := range a.keys {
		o := c.DB.Peek(key)
		var s *stream.Stream
		if o != nil {
			s, _ = o.Val.(*stream.Stream)
		}
		var g *stream.Group
		after := w.ids[i]
		if a.group != nil {
			if s == nil {
				c.Error(ErrXReadKeyGone)
				return
			}
			if g = s.Group(a.group); g == nil {
				c.Error(ErrXReadGroupGone)
				return
			}
			after = g.LastID
		}
		if s == nil || !after.Less(s.LastID) {
			continue
		}
		if c.Proto >= 3 {
			c.Map(1)
		} else {
			c.Array(1)
		}
		writeStreamHeader(c, key)
		serveStream(c, key, s, g, a, after, count, false)
		return
	}
	c.Block(a.keys, a.deadline, func(w *resp.Writer) { w.NullArray() })
}

// writeStreamHeader starts one stream's part of an XREAD reply: a
// [key, entries] pair in RESP2, a map key in RESP3.
func writeStreamHeader(c *Ctx, key []byte) {
	if c.Proto < 3 {
		c.Array(2)
	}
	c.Bulk(key)
}

// serveStream replies with the entries after ID after (count 0: all of
// them). For a group it delivers them: the group's last ID and read
// counter move on and, unless NOACK, each entry becomes pending for the
// consumer (created if need be). With history it instead replays the
// consumer's own pending entries after after, deleted ones as nil.
func serveStream(c *Ctx, key []byte, s *stream.Stream, g *stream.Group, a xreadArgs, after stream.ID, count int64, history bool) {
	now := c.DB.Now()
	var consumer *stream.Consumer
	if g != nil {
		var created bool
		consumer, created = touchConsumer(c, key, g, a.consumer, now)
		if created && a.noAck {
			// Without NOACK the XCLAIMs create it on the replica.
			c.Also(argXGROUP, argCREATECONSUMER, key, a.group, a.consumer)
		}
	}
	start, ok := after.Incr()
	mark := len(c.B)
	n := int64(0)
	if !ok {
		insertHeader(c, mark, '*', 0)
		return
	}
	if history {
		g.PendingRange(consumer, start, stream.MaxID, func(p *stream.Pending) bool {
			if !writeOneEntry(c, s, p.ID) {
				c.Array(2)
				writeID(c, p.ID)
				c.NullArray()
			} else {
				p.DeliveryTime = now
				p.DeliveryCount++
			}
			n++
			return count == 0 || n < count
		})
		insertHeader(c, mark, '*', int(n))
		return
	}
	s.Range(start, stream.MaxID, false, func(id stream.ID, fv [][]byte) bool {
		writeEntry(c, id, fv)
		if g != nil {
			s.Delivered(g, id)
			if !a.noAck {
				g.Deliver(id, consumer, now)
				if c.Propagating() {
					alsoXClaim(c, key, a.group, nil, g.Pending(id), g)
				}
			}
		}
		n++
		return count == 0 || n < count
	})
	if g != nil && a.noAck && n > 0 && c.Propagating() {
		alsoSetID(c, key, a.group, g)
	}
	insertHeader(c, mark, '*', int(n))
}

// touchConsumer returns the named consumer of key's group g, marked seen
// now, creating it if need be (an "xgroup-createconsumer" event).
func touchConsumer(c *Ctx, key []byte, g *stream.Group, name []byte, now int64) (*stream.Consumer, bool) {
	cons, created := g.CreateConsumer(name, now)
	if !created {
		cons.SeenTime = now
	} else {
		c.Notify(NotifyStream, "xgroup-createconsumer", key)
	}
	return cons, created
}
