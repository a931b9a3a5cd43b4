package command

import (
	"bytes"

	"github.com/respd/respd/internal/ds/set"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// setCommands are the set commands: single-set ones here, the algebra
// (SINTER, SUNION, SDIFF and their STORE forms, SINTERCARD) in
// sets_algebra.go. The summaries are the ones the reference server (Redis
// 7.0) reports in COMMAND DOCS.
var setCommands = []*Command{
	{Name: "sadd", Fn: saddCommand, Arity: -3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatSet | CatFast, Group: "set", Since: "1.0.0", Summary: "Add one or more members to a set"},
	{Name: "srem", Fn: sremCommand, Arity: -3, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatSet | CatFast, Group: "set", Since: "1.0.0", Summary: "Remove one or more members from a set"},
	{Name: "smembers", Fn: smembersCommand, Arity: 2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatSet | CatSlow, Group: "set", Since: "1.0.0", Summary: "Get all the members in a set"},
	{Name: "sismember", Fn: sismemberCommand, Arity: 3, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatSet | CatFast, Group: "set", Since: "1.0.0", Summary: "Determine if a given value is a member of a set"},
	{Name: "smismember", Fn: smismemberCommand, Arity: -3, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatSet | CatFast, Group: "set", Since: "6.2.0", Summary: "Returns the membership associated with the given elements for a set"},
	{Name: "scard", Fn: scardCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatSet | CatFast, Group: "set", Since: "1.0.0", Summary: "Get the number of members in a set"},
	{Name: "spop", Fn: spopCommand, Arity: -2, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatSet | CatFast, Group: "set", Since: "1.0.0", Summary: "Remove and return one or multiple random members from a set"},
	{Name: "srandmember", Fn: srandmemberCommand, Arity: -2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatSet | CatSlow, Group: "set", Since: "1.0.0", Summary: "Get one or multiple random members from a set"},
	{Name: "smove", Fn: smoveCommand, Arity: 4, Flags: Write | Fast, Keys: keys(1, 2, 1), ACL: CatWrite | CatSet | CatFast, Group: "set", Since: "1.0.0", Summary: "Move a member from one set to another"},
	{Name: "sinter", Fn: sinterCommand, Arity: -2, Flags: ReadOnly, Keys: keys(1, -1, 1), ACL: CatRead | CatSet | CatSlow, Group: "set", Since: "1.0.0", Summary: "Intersect multiple sets"},
	// SINTERCARD's keys follow a count, which a first/last/step range
	// cannot express; Redis reports 0, 0, 0 for it too.
	{Name: "sintercard", Fn: sintercardCommand, Arity: -3, Flags: ReadOnly, Keys: keys(0, 0, 0), ACL: CatRead | CatSet | CatSlow, Group: "set", Since: "7.0.0", Summary: "Intersect multiple sets and return the cardinality of the result"},
	{Name: "sinterstore", Fn: sinterstoreCommand, Arity: -3, Flags: Write | DenyOOM, Keys: keys(1, -1, 1), ACL: CatWrite | CatSet | CatSlow, Group: "set", Since: "1.0.0", Summary: "Intersect multiple sets and store the resulting set in a key"},
	{Name: "sunion", Fn: sunionCommand, Arity: -2, Flags: ReadOnly, Keys: keys(1, -1, 1), ACL: CatRead | CatSet | CatSlow, Group: "set", Since: "1.0.0", Summary: "Add multiple sets"},
	{Name: "sunionstore", Fn: sunionstoreCommand, Arity: -3, Flags: Write | DenyOOM, Keys: keys(1, -1, 1), ACL: CatWrite | CatSet | CatSlow, Group: "set", Since: "1.0.0", Summary: "Add multiple sets and store the resulting set in a key"},
	{Name: "sdiff", Fn: sdiffCommand, Arity: -2, Flags: ReadOnly, Keys: keys(1, -1, 1), ACL: CatRead | CatSet | CatSlow, Group: "set", Since: "1.0.0", Summary: "Subtract multiple sets"},
	{Name: "sdiffstore", Fn: sdiffstoreCommand, Arity: -3, Flags: Write | DenyOOM, Keys: keys(1, -1, 1), ACL: CatWrite | CatSet | CatSlow, Group: "set", Since: "1.0.0", Summary: "Subtract multiple sets and store the resulting set in a key"},
	{Name: "sscan", Fn: sscanCommand, Arity: -3, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatSet | CatSlow, Group: "set", Since: "2.8.0", Summary: "Incrementally iterate Set elements"},
}

// spopMoveFactor is Redis's SPOP_MOVE_STRATEGY_MUL: SPOP with a count
// rebuilds the set from the members that stay once those are no more than
// a fifth of the ones popped.
const spopMoveFactor = 5

// asSet returns o's set: nil, true for a missing key; on another type it
// replies WRONGTYPE and returns false.
func asSet(c *Ctx, o *keyspace.Object) (*set.Set, bool) {
	if o == nil {
		return nil, true
	}
	if o.Type != keyspace.TypeSet {
		c.Error(ErrWrongType)
		return nil, false
	}
	return o.Val.(*set.Set), true
}

// readSet looks key up for a read command (counting a hit or a miss).
func readSet(c *Ctx, key []byte) (*set.Set, bool) { return asSet(c, c.DB.Lookup(key)) }

// writeSet looks key up for a command that changes it.
func writeSet(c *Ctx, key []byte) (*keyspace.Object, *set.Set, bool) {
	o := c.DB.LookupWrite(key)
	s, ok := asSet(c, o)
	return o, s, ok
}

func setEncoding(s *set.Set) keyspace.Encoding {
	if s.Intset() {
		return keyspace.EncIntset
	}
	return keyspace.EncHashtable
}

// newSetObject wraps s for storing under a key.
func newSetObject(s *set.Set) *keyspace.Object {
	return &keyspace.Object{Type: keyspace.TypeSet, Enc: setEncoding(s), Val: s}
}

// setChanged records an in-place change of the set under key: its
// encoding may have moved on, and watchers must hear of it. An emptied
// set is deleted, as no key holds an empty set.
// event is published for key, then "del" when the set went away.
func setChanged(c *Ctx, key []byte, o *keyspace.Object, event string) {
	s := o.Val.(*set.Set)
	if s.Len() == 0 {
		c.DB.Delete(key)
		c.Notify(NotifySet, event, key)
		c.Notify(NotifyGeneric, "del", key)
		return
	}
	o.Enc = setEncoding(s)
	c.DB.Touch(key)
	c.Notify(NotifySet, event, key)
}

func saddCommand(c *Ctx) {
	key := c.Args[1]
	o, s, ok := writeSet(c, key)
	if !ok {
		return
	}
	max := limits(c).maxIntset
	fresh := s == nil
	if fresh {
		s = set.New()
	}
	added := int64(0)
	for _, m := range c.Args[2:] {
		if s.Add(m, max) {
			added++
		}
	}
	switch {
	case fresh:
		c.DB.Set(key, newSetObject(s), false)
		c.Notify(NotifySet, "sadd", key)
	case added > 0:
		setChanged(c, key, o, "sadd")
	}
	c.Int(added)
}

func sremCommand(c *Ctx) {
	key := c.Args[1]
	o, s, ok := writeSet(c, key)
	if !ok {
		return
	}
	if s == nil {
		c.Int(0)
		return
	}
	n := int64(0)
	for _, m := range c.Args[2:] {
		if s.Remove(m) {
			n++
			if s.Len() == 0 {
				break
			}
		}
	}
	if n > 0 {
		setChanged(c, key, o, "srem")
	}
	c.Int(n)
}

// replySet writes s as a set reply (an array in RESP2), in its own order.
func replySet(c *Ctx, s *set.Set) {
	c.Set(s.Len())
	s.Range(func(m []byte) bool {
		c.Bulk(m)
		return true
	})
}

func smembersCommand(c *Ctx) {
	s, ok := readSet(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.Set(0)
		return
	}
	replySet(c, s)
}

func sismemberCommand(c *Ctx) {
	s, ok := readSet(c, c.Args[1])
	if !ok {
		return
	}
	if s != nil && s.Has(c.Args[2]) {
		c.Int(1)
		return
	}
	c.Int(0)
}

func smismemberCommand(c *Ctx) {
	s, ok := readSet(c, c.Args[1])
	if !ok {
		return
	}
	ms := c.Args[2:]
	c.Array(len(ms))
	for _, m := range ms {
		if s != nil && s.Has(m) {
			c.Int(1)
		} else {
			c.Int(0)
		}
	}
}

func scardCommand(c *Ctx) {
	s, ok := readSet(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.Int(0)
		return
	}
	c.Int(int64(s.Len()))
}

// spopCommand is SPOP key [count].
func spopCommand(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	key := c.Args[1]
	if len(c.Args) == 3 {
		spopCount(c, key)
		return
	}
	o, s, ok := writeSet(c, key)
	if !ok {
		return
	}
	if s == nil {
		c.Null()
		return
	}
	m := s.Pop()
	c.Bulk(m)
	// The member drawn at random is what replicas must remove.
	c.Rewrite(argSREM, key, m)
	setChanged(c, key, o, "spop")
}

// spopCount pops count distinct members, choosing as Redis does how: all
// of them (replied as a fresh union, so an all-integer result comes out
// sorted) and the key deleted; one at a time while many members stay; or
// else by moving the few that stay to a new set, whose encoding is then
// chosen afresh (a hashtable set of integers can come back an intset).
func spopCount(c *Ctx, key []byte) {
	n, ok := parsePositive(c.Args[2])
	if !ok {
		c.Error(ErrNotPositive)
		return
	}
	o, s, ok := writeSet(c, key)
	if !ok {
		return
	}
	if s == nil || n == 0 {
		c.Set(0)
		return
	}
	size := int64(s.Len())
	// Propagated as one SREM per member popped (a MULTI/EXEC when
	// several), or DEL when the whole set goes, as Redis 7.0 does.
	c.NoPropagate()
	if n >= size {
		replySet(c, unionOf(c, []*set.Set{s}))
		c.Also(argDEL, key)
		c.DB.Delete(key)
		c.Notify(NotifySet, "spop", key)
		c.Notify(NotifyGeneric, "del", key)
		return
	}
	remaining := size - n
	c.Set(int(n))
	if remaining*spopMoveFactor > n {
		for ; n > 0; n-- {
			m := s.Pop()
			c.Bulk(m)
			c.Also(argSREM, key, m)
		}
		setChanged(c, key, o, "spop")
		return
	}
	kept := set.New()
	max := limits(c).maxIntset
	for ; remaining > 0; remaining-- {
		kept.Add(s.Pop(), max)
	}
	s.Range(func(m []byte) bool {
		c.Bulk(m)
		c.Also(argSREM, key, m)
		return true
	})
	o.Val = kept
	setChanged(c, key, o, "spop")
}

// parsePositive reads a count that must be a non-negative integer.
func parsePositive(b []byte) (int64, bool) {
	n, ok := resp.ParseInt(b)
	return n, ok && n >= 0
}

// srandmemberCommand is SRANDMEMBER key [count]: a positive count asks
// for distinct members (the whole set, in its order, once count reaches
// its size), a negative one for that many independent draws.
func srandmemberCommand(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	if len(c.Args) == 2 {
		s, ok := readSet(c, c.Args[1])
		if !ok {
			return
		}
		if s == nil {
			c.Null()
			return
		}
		var buf [20]byte
		c.Bulk(s.Random(buf[:0]))
		return
	}
	count, ok := parseRandomCount(c, c.Args[2])
	if !ok {
		return
	}
	s, ok := readSet(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil || count == 0 {
		c.Array(0)
		return
	}
	emit := func(m []byte) { c.Bulk(m) }
	size := int64(s.Len())
	switch {
	case count < 0:
		c.Array(int(-count))
		s.Sample(int(-count), false, emit)
	case count == 1:
		c.Array(1)
		s.Sample(1, false, emit)
	case count >= size:
		c.Array(int(size))
		s.Range(func(m []byte) bool {
			emit(m)
			return true
		})
	default:
		c.Array(int(count))
		s.Sample(int(count), true, emit)
	}
}

// smoveCommand moves a member between sets. A missing source answers 0
// before the destination's type is looked at; the same key as source and
// destination only checks membership.
func smoveCommand(c *Ctx) {
	src, dst, m := c.Args[1], c.Args[2], c.Args[3]
	so, do := c.DB.LookupWrite(src), c.DB.LookupWrite(dst)
	if so == nil {
		c.Int(0)
		return
	}
	ss, ok := asSet(c, so)
	if !ok {
		return
	}
	ds, ok := asSet(c, do)
	if !ok {
		return
	}
	if bytes.Equal(src, dst) {
		if ss.Has(m) {
			c.Int(1)
		} else {
			c.Int(0)
		}
		return
	}
	if !ss.Remove(m) {
		c.Int(0)
		return
	}
	setChanged(c, src, so, "srem")
	max := limits(c).maxIntset
	if ds == nil {
		ds = set.New()
		ds.Add(m, max)
		c.DB.Set(dst, newSetObject(ds), false)
		c.Notify(NotifySet, "sadd", dst)
	} else if ds.Add(m, max) {
		setChanged(c, dst, do, "sadd")
	}
	c.Int(1)
}

// sscanCommand is SSCAN key cursor [MATCH pattern] [COUNT count]; the
// cursor is checked before the key and the options after it.
func sscanCommand(c *Ctx) {
	cursor, ok := parseCursor(c.Args[2])
	if !ok {
		c.Error(ErrInvalidCursor)
		return
	}
	s, ok := readSet(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.B = append(c.B, emptyScan...)
		return
	}
	sc := collScan{per: 1}
	if !parseCollScanOptions(c, &sc) {
		return
	}
	cursor = sc.run(cursor, func(cur uint64) uint64 {
		return s.ScanStep(cur, func(m []byte) {
			// Intset members are formatted into a scratch buffer.
			sc.add(append([]byte(nil), m...), nil)
		})
	})
	sc.reply(c, cursor)
}
