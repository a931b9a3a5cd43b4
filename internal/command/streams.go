package command

import (
	"math"
	"slices"

	"github.com/respd/respd/internal/ds/stream"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// The summaries are the ones the reference server (Redis 7.0) reports in
// COMMAND DOCS.
var streamCommands = []*Command{
	{Name: "xadd", Fn: xaddCommand, Arity: -5, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatStream | CatFast, Group: "stream", Since: "5.0.0", Summary: "Appends a new entry to a stream"},
	{Name: "xlen", Fn: xlenCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatStream | CatFast, Group: "stream", Since: "5.0.0", Summary: "Return the number of entries in a stream"},
	{Name: "xrange", Fn: xrangeCommand, Arity: -4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatStream | CatSlow, Group: "stream", Since: "5.0.0", Summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval"},
	{Name: "xrevrange", Fn: xrevrangeCommand, Arity: -4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatStream | CatSlow, Group: "stream", Since: "5.0.0", Summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE"},
	{Name: "xdel", Fn: xdelCommand, Arity: -3, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatStream | CatFast, Group: "stream", Since: "5.0.0", Summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist."},
	{Name: "xtrim", Fn: xtrimCommand, Arity: -4, Flags: Write, Keys: keys(1, 1, 1), ACL: CatWrite | CatStream | CatSlow, Group: "stream", Since: "5.0.0", Summary: "Trims the stream to (approximately if '~' is passed) a certain size"},
	{Name: "xsetid", Fn: xsetidCommand, Arity: -3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatStream | CatFast, Group: "stream", Since: "5.0.0", Summary: "An internal command for replicating stream values"},
	{Name: "xread", Fn: xreadCommand, Arity: -4, Flags: ReadOnly | Blocking, ACL: CatRead | CatStream | CatSlow | CatBlocking, Group: "stream", Since: "5.0.0", Summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block."},
	{Name: "xreadgroup", Fn: xreadgroupCommand, Arity: -7, Flags: Write | Blocking, ACL: CatWrite | CatStream | CatSlow | CatBlocking, Group: "stream", Since: "5.0.0", Summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block."},
	{Name: "xack", Fn: xackCommand, Arity: -4, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatStream | CatFast, Group: "stream", Since: "5.0.0", Summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL."},
	{Name: "xpending", Fn: xpendingCommand, Arity: -3, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatStream | CatSlow, Group: "stream", Since: "5.0.0", Summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged."},
	{Name: "xclaim", Fn: xclaimCommand, Arity: -6, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatStream | CatFast, Group: "stream", Since: "5.0.0", Summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer."},
	{Name: "xautoclaim", Fn: xautoclaimCommand, Arity: -6, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatStream | CatFast, Group: "stream", Since: "6.2.0", Summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer."},
	xgroupCommand,
	xinfoCommand,
}

// Stream errors, with Redis's texts.
var (
	ErrStreamID            = resp.Error("ERR Invalid stream ID specified as stream command argument")
	ErrXAddZeroID          = resp.Error("ERR The ID specified in XADD must be greater than 0-0")
	ErrXAddSmallID         = resp.Error("ERR The ID specified in XADD is equal or smaller than the target stream top item")
	ErrStreamExhausted     = resp.Error("ERR The stream has exhausted the last possible ID, unable to add more items")
	ErrElementsTooLarge    = resp.Error("ERR Elements are too large to be stored")
	ErrMaxLenNegative      = resp.Error("ERR The MAXLEN argument must be >= 0.")
	ErrStreamLimitNegative = resp.Error("ERR The LIMIT argument must be >= 0.")
	ErrTrimBoth            = resp.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
	ErrLimitNoStrategy     = resp.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
	ErrLimitNoApprox       = resp.Error("ERR syntax error, LIMIT cannot be used without the special ~ option")
	ErrXTrimNoStrategy     = resp.Error("ERR syntax error, XTRIM must be called with a trimming strategy")
	ErrStartID             = resp.Error("ERR invalid start ID for the interval")
	ErrEndID               = resp.Error("ERR invalid end ID for the interval")
	ErrXSetIDSmall         = resp.Error("ERR The ID specified in XSETID is smaller than the target stream top item")
	ErrXSetIDGivenMaxDel   = resp.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
	ErrXSetIDAdded         = resp.Error("ERR The entries_added specified in XSETID is smaller than the target stream length")
	ErrEntriesAdded        = resp.Error("ERR entries_added must be positive")
)

// streamFor looks up key's stream. A missing key gives nil and true; a
// key of another type replies WRONGTYPE and gives false.
func streamFor(c *Ctx, key []byte, write bool) (*stream.Stream, bool) {
	var o *keyspace.Object
	if write {
		o = c.DB.LookupWrite(key)
	} else {
		o = c.DB.Lookup(key)
	}
	if o == nil {
		return nil, true
	}
	if o.Type != keyspace.TypeStream {
		c.Error(ErrWrongType)
		return nil, false
	}
	return o.Val.(*stream.Stream), true
}

// newStreamKey stores a fresh empty stream under key.
func newStreamKey(c *Ctx, key []byte) *stream.Stream {
	s := stream.New()
	c.DB.Set(key, &keyspace.Object{Type: keyspace.TypeStream, Enc: keyspace.EncStream, Val: s}, false)
	return s
}

// parseStrictID reads an ID argument where "-" and "+" are not allowed
// (XADD, XDEL, XACK, XGROUP CREATE, ...); a missing sequence is 0.
func parseStrictID(b []byte) (stream.ID, bool) {
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		return stream.ID{}, false
	}
	id, _, ok := stream.ParseID(b, 0, false)
	return id, ok
}

// parseLooseID also takes "-" (0-0) and "+" (the greatest ID).
func parseLooseID(b []byte, missingSeq uint64) (stream.ID, bool) {
	if len(b) == 1 && b[0] == '-' {
		return stream.ID{}, true
	}
	if len(b) == 1 && b[0] == '+' {
		return stream.MaxID, true
	}
	id, _, ok := stream.ParseID(b, missingSeq, false)
	return id, ok
}

// parseRangeStart and parseRangeEnd read the bounds of XRANGE and
// XPENDING: "-", "+", IDs, and "(ID" for an exclusive bound (which moves
// to the next or previous ID). They reply on error.
// parseIDList parses the explicit IDs XDEL and XACK take, all of them
// before anything changes, replying the error on the first bad one.
func parseIDList(c *Ctx, args [][]byte) ([]stream.ID, bool) {
	ids := make([]stream.ID, 0, len(args))
	for _, a := range args {
		id, ok := parseStrictID(a)
		if !ok {
			c.Error(ErrStreamID)
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

func parseRangeStart(c *Ctx, b []byte) (stream.ID, bool) {
	id, excl, ok := parseRangeBound(b, 0)
	if !ok {
		c.Error(ErrStreamID)
		return id, false
	}
	if excl {
		if id, ok = id.Incr(); !ok {
			c.Error(ErrStartID)
			return id, false
		}
	}
	return id, true
}

func parseRangeEnd(c *Ctx, b []byte) (stream.ID, bool) {
	id, excl, ok := parseRangeBound(b, math.MaxUint64)
	if !ok {
		c.Error(ErrStreamID)
		return id, false
	}
	if excl {
		if id, ok = id.Decr(); !ok {
			c.Error(ErrEndID)
			return id, false
		}
	}
	return id, true
}

func parseRangeBound(b []byte, missingSeq uint64) (id stream.ID, excl, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, ok = parseStrictIDSeq(b[1:], missingSeq)
		return id, true, ok
	}
	id, ok = parseLooseID(b, missingSeq)
	return id, false, ok
}

func parseStrictIDSeq(b []byte, missingSeq uint64) (stream.ID, bool) {
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		return stream.ID{}, false
	}
	id, _, ok := stream.ParseID(b, missingSeq, false)
	return id, ok
}

// writeID replies with id as a bulk string.
func writeID(c *Ctx, id stream.ID) {
	var tmp [48]byte
	c.Bulk(id.Append(tmp[:0]))
}

// writeEntry replies with one entry: its ID and its field, value pairs.
func writeEntry(c *Ctx, id stream.ID, fv [][]byte) {
	c.Array(2)
	writeID(c, id)
	c.Array(len(fv))
	for _, x := range fv {
		c.Bulk(x)
	}
}

// writeOneEntry replies with the entry id, which must exist.
func writeOneEntry(c *Ctx, s *stream.Stream, id stream.ID) bool {
	found := false
	s.Range(id, id, false, func(eid stream.ID, fv [][]byte) bool {
		writeEntry(c, eid, fv)
		found = true
		return false
	})
	return found
}

// insertHeader puts an aggregate header of n elements at mark, for replies
// whose length is known only once written (Redis's deferred lengths).
func insertHeader(c *Ctx, mark int, kind byte, n int) {
	var tmp [24]byte
	hdr := resp.AppendHeader(tmp[:0], kind, n)
	c.B = slices.Insert(c.B, mark, hdr...)
}

// nodeLimits are the configured bounds on a stream's blocks.
func nodeLimits(c *Ctx) stream.NodeLimits {
	if c.Host == nil {
		return stream.NodeLimits{MaxBytes: 4096, MaxEntries: 100}
	}
	cfg := c.Host.Config()
	return stream.NodeLimits{MaxBytes: cfg.Int("stream-node-max-bytes"), MaxEntries: cfg.Int("stream-node-max-entries")}
}

// trimArgs are the parsed options of XADD and XTRIM.
type trimArgs struct {
	stream.TrimArgs
	strategy   bool // MAXLEN or MINID given
	noMkStream bool
	idGiven    bool
	autoSeq    bool // <ms>-*
	id         stream.ID
	// approxAt is the position of a "~" argument (0: none); the
	// threshold follows it.
	approxAt int
}

// parseTrimArgs reads the options of XADD (xadd) or XTRIM from argument
// 2 on, in Redis's order of checks. For XADD it stops at the ID and
// returns its position.
func parseTrimArgs(c *Ctx, xadd bool) (a trimArgs, idPos int, ok bool) {
	limitGiven := false
	i := 2
	for ; i < len(c.Args); i++ {
		more := len(c.Args) - 1 - i
		arg := c.Args[i]
		switch {
		case xadd && len(arg) == 1 && arg[0] == '*':
			goto done
		case (c.ArgIs(i, "maxlen") || c.ArgIs(i, "minid")) && more > 0:
			if a.strategy {
				c.Error(ErrTrimBoth)
				return a, 0, false
			}
			minid := c.ArgIs(i, "minid")
			a.Approx = false
			if next := c.Args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.Approx = next[0] == '~'
				i++
				a.approxAt = 0
				if a.Approx {
					a.approxAt = i
				}
			}
			if minid {
				id, ok := parseStrictID(c.Args[i+1])
				if !ok {
					c.Error(ErrStreamID)
					return a, 0, false
				}
				a.ByMinID, a.MinID = true, id
			} else {
				n, ok := resp.ParseInt(c.Args[i+1])
				if !ok {
					c.Error(ErrNotInt)
					return a, 0, false
				}
				if n < 0 {
					c.Error(ErrMaxLenNegative)
					return a, 0, false
				}
				a.MaxLen = n
			}
			i++
			a.strategy = true
		case c.ArgIs(i, "limit") && more > 0:
			n, ok := resp.ParseInt(c.Args[i+1])
			if !ok {
				c.Error(ErrNotInt)
				return a, 0, false
			}
			if n < 0 {
				c.Error(ErrStreamLimitNegative)
				return a, 0, false
			}
			a.Limit, limitGiven = n, true
			i++
		case xadd && c.ArgIs(i, "nomkstream"):
			a.noMkStream = true
		case xadd:
			id, auto, ok := stream.ParseID(arg, 0, true)
			if !ok || len(arg) == 1 && (arg[0] == '-' || arg[0] == '+') {
				c.Error(ErrStreamID)
				return a, 0, false
			}
			a.idGiven, a.autoSeq, a.id = true, auto, id
			goto done
		default:
			c.Error(ErrSyntax)
			return a, 0, false
		}
	}
done:
	if a.Limit != 0 && !a.strategy {
		c.Error(ErrLimitNoStrategy)
		return a, 0, false
	}
	if !xadd && !a.strategy {
		c.Error(ErrXTrimNoStrategy)
		return a, 0, false
	}
	switch {
	case limitGiven && !a.Approx:
		c.Error(ErrLimitNoApprox)
		return a, 0, false
	case !limitGiven && a.Approx:
		maxEntries := int64(100)
		if c.Host != nil {
			maxEntries = c.Host.Config().Int("stream-node-max-entries")
		}
		a.Limit = 100 * maxEntries
		if maxEntries > math.MaxInt64/100 || a.Limit <= 0 {
			a.Limit = 10000
		}
		a.Limit = min(a.Limit, 1000000)
	case !a.Approx:
		a.Limit = 0
	}
	return a, i, true
}

// xaddCommand is XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold
// [LIMIT count]] *|id field value [field value ...].
func xaddCommand(c *Ctx) {
	a, idPos, ok := parseTrimArgs(c, true)
	if !ok {
		return
	}
	fields := c.Args[min(idPos+1, len(c.Args)):]
	if len(fields) < 2 || len(fields)%2 == 1 {
		c.Error(ArityError("xadd"))
		return
	}
	if a.idGiven && !a.autoSeq && a.id.IsZero() {
		c.Error(ErrXAddZeroID)
		return
	}
	key := c.Args[1]
	s, ok := streamFor(c, key, true)
	if !ok {
		return
	}
	if s == nil && a.noMkStream {
		c.Null()
		return
	}
	var last stream.ID
	if s != nil {
		last = s.LastID
	}
	if last == stream.MaxID {
		c.Error(ErrStreamExhausted)
		return
	}
	if a.autoSeq && a.id.Ms == last.Ms && last.Seq == math.MaxUint64 {
		// Redis 7.0 fails here without saying why, and its caller then
		// reports the one other failure it knows.
		c.Error(ErrElementsTooLarge)
		return
	}
	id, ok := nextStreamID(c, last, a)
	if !ok {
		c.Error(ErrXAddSmallID)
		return
	}
	if s == nil {
		s = newStreamKey(c, key)
	}
	s.Add(id, fields, nodeLimits(c))
	writeID(c, id)
	trimmed := int64(0)
	if a.strategy {
		trimmed = s.Trim(a.TrimArgs)
	}
	c.DB.Touch(key)
	c.Notify(NotifyStream, "xadd", key)
	if trimmed > 0 {
		c.Notify(NotifyStream, "xtrim", key)
	}
	if c.Propagating() {
		rewriteXAdd(c, s, a, idPos, id)
	}
}

// nextStreamID picks the new entry's ID: from the clock for "*" (the
// sequence goes on from the last ID when the clock has not moved past
// it, or went backwards), the next sequence for "<ms>-*", or the given
// one; false when it would not be greater than last.
func nextStreamID(c *Ctx, last stream.ID, a trimArgs) (stream.ID, bool) {
	var id stream.ID
	switch {
	case !a.idGiven:
		now := uint64(max(c.DB.Now(), 0))
		if now > last.Ms {
			return stream.ID{Ms: now}, true
		}
		return last.Incr()
	case a.autoSeq:
		if a.id.Ms == last.Ms {
			id = stream.ID{Ms: last.Ms, Seq: last.Seq + 1}
		} else {
			id = stream.ID{Ms: a.id.Ms}
		}
	default:
		id = a.id
	}
	return id, last.Less(id)
}

func xlenCommand(c *Ctx) {
	s, ok := streamFor(c, c.Args[1], false)
	if !ok {
		return
	}
	if s == nil {
		c.Int(0)
		return
	}
	c.Int(s.Len())
}

func xrangeCommand(c *Ctx)    { xrange(c, false) }
func xrevrangeCommand(c *Ctx) { xrange(c, true) }

// xrange is XRANGE key start end [COUNT n] and XREVRANGE key end start
// [COUNT n].
func xrange(c *Ctx, rev bool) {
	startArg, endArg := c.Args[2], c.Args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ok := parseRangeStart(c, startArg)
	if !ok {
		return
	}
	end, ok := parseRangeEnd(c, endArg)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(c.Args); j++ {
		if c.ArgIs(j, "count") && j+1 < len(c.Args) {
			n, ok := resp.ParseInt(c.Args[j+1])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			count = max(n, 0)
			j++
			continue
		}
		c.Error(ErrSyntax)
		return
	}
	s, ok := streamFor(c, c.Args[1], false)
	if !ok {
		return
	}
	if s == nil {
		c.Array(0)
		return
	}
	if count == 0 {
		c.NullArray()
		return
	}
	writeRange(c, s, start, end, count, rev)
}

// writeRange replies with the entries in [start, end], at most count
// (unlimited when count < 0).
func writeRange(c *Ctx, s *stream.Stream, start, end stream.ID, count int64, rev bool) {
	mark := len(c.B)
	n := int64(0)
	s.Range(start, end, rev, func(id stream.ID, fv [][]byte) bool {
		writeEntry(c, id, fv)
		n++
		return count < 0 || n < count
	})
	insertHeader(c, mark, '*', int(n))
}

// xdelCommand is XDEL key id [id ...].
func xdelCommand(c *Ctx) {
	key := c.Args[1]
	s, ok := streamFor(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.Int(0)
		return
	}
	ids, ok := parseIDList(c, c.Args[2:])
	if !ok {
		return
	}
	deleted := int64(0)
	for _, id := range ids {
		if s.Delete(id) {
			deleted++
		}
	}
	if deleted > 0 {
		c.DB.Touch(key)
		c.Notify(NotifyStream, "xdel", key)
	}
	c.Int(deleted)
}

// xtrimCommand is XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count].
func xtrimCommand(c *Ctx) {
	a, _, ok := parseTrimArgs(c, false)
	if !ok {
		return
	}
	key := c.Args[1]
	s, ok := streamFor(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.Int(0)
		return
	}
	n := s.Trim(a.TrimArgs)
	if n > 0 {
		c.DB.Touch(key)
		c.Notify(NotifyStream, "xtrim", key)
		if c.Propagating() {
			rewriteXAdd(c, s, a, -1, stream.ID{})
		}
	}
	c.Int(n)
}

// xsetidCommand is XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id].
func xsetidCommand(c *Ctx) {
	id, ok := parseStrictID(c.Args[2])
	if !ok {
		c.Error(ErrStreamID)
		return
	}
	entriesAdded := int64(-1)
	var maxDel stream.ID
	for i := 3; i < len(c.Args); i += 2 {
		more := i+1 < len(c.Args)
		switch {
		case c.ArgIs(i, "entriesadded") && more:
			n, ok := resp.ParseInt(c.Args[i+1])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			if n < 0 {
				c.Error(ErrEntriesAdded)
				return
			}
			entriesAdded = n
		case c.ArgIs(i, "maxdeletedid") && more:
			md, ok := parseStrictID(c.Args[i+1])
			if !ok {
				c.Error(ErrStreamID)
				return
			}
			if id.Less(md) {
				c.Error(ErrXSetIDGivenMaxDel)
				return
			}
			maxDel = md
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	key := c.Args[1]
	s, ok := streamFor(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.Error(ErrNoSuchKey)
		return
	}
	if s.Len() > 0 {
		if id.Less(s.LastValid()) {
			c.Error(ErrXSetIDSmall)
			return
		}
		if entriesAdded != -1 && s.Len() > entriesAdded {
			c.Error(ErrXSetIDAdded)
			return
		}
	}
	s.LastID = id
	if entriesAdded != -1 {
		s.EntriesAdded = uint64(entriesAdded)
	}
	if !maxDel.IsZero() {
		s.MaxDeletedID = maxDel
	}
	// Redis 7.0 signals nothing here: neither WATCH nor blocked readers
	// see XSETID; only the keyspace event goes out.
	c.Notify(NotifyStream, "xsetid", key)
	c.MarkDirty()
	c.OK()
}
