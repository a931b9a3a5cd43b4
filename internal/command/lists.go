package command

import (
	"bytes"
	"strconv"

	"github.com/respd/respd/internal/ds/list"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// listCommands is the list family; the blocking ones live in
// lists_blocking.go. Flags, categories and summaries are the ones the
// reference server (Redis 7.0) reports in COMMAND INFO and COMMAND DOCS.
var listCommands = []*Command{
	{Name: "lpush", Fn: lpushCommand, Arity: -3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatList | CatFast, Group: "list", Since: "1.0.0", Summary: "Prepend one or multiple elements to a list"},
	{Name: "rpush", Fn: rpushCommand, Arity: -3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatList | CatFast, Group: "list", Since: "1.0.0", Summary: "Append one or multiple elements to a list"},
	{Name: "lpushx", Fn: lpushxCommand, Arity: -3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatList | CatFast, Group: "list", Since: "2.2.0", Summary: "Prepend an element to a list, only if the list exists"},
	{Name: "rpushx", Fn: rpushxCommand, Arity: -3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatList | CatFast, Group: "list", Since: "2.2.0", Summary: "Append an element to a list, only if the list exists"},
	{Name: "lpop", Fn: lpopCommand, Arity: -2, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatList | CatFast, Group: "list", Since: "1.0.0", Summary: "Remove and get the first elements in a list"},
	{Name: "rpop", Fn: rpopCommand, Arity: -2, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatList | CatFast, Group: "list", Since: "1.0.0", Summary: "Remove and get the last elements in a list"},
	{Name: "lrange", Fn: lrangeCommand, Arity: 4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatList | CatSlow, Group: "list", Since: "1.0.0", Summary: "Get a range of elements from a list"},
	{Name: "llen", Fn: llenCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatList | CatFast, Group: "list", Since: "1.0.0", Summary: "Get the length of a list"},
	{Name: "lindex", Fn: lindexCommand, Arity: 3, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatList | CatSlow, Group: "list", Since: "1.0.0", Summary: "Get an element from a list by its index"},
	{Name: "lset", Fn: lsetCommand, Arity: 4, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatWrite | CatList | CatSlow, Group: "list", Since: "1.0.0", Summary: "Set the value of an element in a list by its index"},
	{Name: "linsert", Fn: linsertCommand, Arity: 5, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatWrite | CatList | CatSlow, Group: "list", Since: "2.2.0", Summary: "Insert an element before or after another element in a list"},
	{Name: "lrem", Fn: lremCommand, Arity: 4, Flags: Write, Keys: keys(1, 1, 1), ACL: CatWrite | CatList | CatSlow, Group: "list", Since: "1.0.0", Summary: "Remove elements from a list"},
	{Name: "ltrim", Fn: ltrimCommand, Arity: 4, Flags: Write, Keys: keys(1, 1, 1), ACL: CatWrite | CatList | CatSlow, Group: "list", Since: "1.0.0", Summary: "Trim a list to the specified range"},
	{Name: "lpos", Fn: lposCommand, Arity: -3, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatList | CatSlow, Group: "list", Since: "6.0.6", Summary: "Return the index of matching elements on a list"},
	{Name: "lmove", Fn: lmoveCommand, Arity: 5, Flags: Write | DenyOOM, Keys: keys(1, 2, 1), ACL: CatWrite | CatList | CatSlow, Group: "list", Since: "6.2.0", Summary: "Pop an element from a list, push it to another list and return it"},
	{Name: "rpoplpush", Fn: rpoplpushCommand, Arity: 3, Flags: Write | DenyOOM, Keys: keys(1, 2, 1), ACL: CatWrite | CatList | CatSlow, Group: "list", Since: "1.2.0", Summary: "Remove the last element in a list, prepend it to another list and return it"},
	// LMPOP's keys follow its numkeys argument, which a KeySpec cannot
	// express; Redis too reports 0 0 0 (with the movablekeys flag).
	{Name: "lmpop", Fn: lmpopCommand, Arity: -4, Flags: Write, ACL: CatWrite | CatList | CatSlow, Group: "list", Since: "7.0.0", Summary: "Pop elements from a list"},
	{Name: "blpop", Fn: blpopCommand, Arity: -3, Flags: Write | NoScript | Blocking, Keys: keys(1, -2, 1), ACL: CatWrite | CatList | CatSlow | CatBlocking, Group: "list", Since: "2.0.0", Summary: "Remove and get the first element in a list, or block until one is available"},
	{Name: "brpop", Fn: brpopCommand, Arity: -3, Flags: Write | NoScript | Blocking, Keys: keys(1, -2, 1), ACL: CatWrite | CatList | CatSlow | CatBlocking, Group: "list", Since: "2.0.0", Summary: "Remove and get the last element in a list, or block until one is available"},
	{Name: "blmove", Fn: blmoveCommand, Arity: 6, Flags: Write | DenyOOM | NoScript | Blocking, Keys: keys(1, 2, 1), ACL: CatWrite | CatList | CatSlow | CatBlocking, Group: "list", Since: "6.2.0", Summary: "Pop an element from a list, push it to another list and return it; or block until one is available"},
	{Name: "brpoplpush", Fn: brpoplpushCommand, Arity: 4, Flags: Write | DenyOOM | NoScript | Blocking, Keys: keys(1, 2, 1), ACL: CatWrite | CatList | CatSlow | CatBlocking, Group: "list", Since: "2.2.0", Summary: "Pop an element from a list, push it to another list and return it; or block until one is available"},
	{Name: "blmpop", Fn: blmpopCommand, Arity: -5, Flags: Write | Blocking, ACL: CatWrite | CatList | CatSlow | CatBlocking, Group: "list", Since: "7.0.0", Summary: "Pop elements from a list, or block until one is available"},
}

// Errors of the list commands, with Redis's texts.
var (
	ErrRankZero      = resp.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
	ErrCountNegative = resp.Error("ERR COUNT can't be negative")
	ErrMaxlenNeg     = resp.Error("ERR MAXLEN can't be negative")
	ErrNumkeys       = resp.Error("ERR numkeys should be greater than 0")
	ErrCountPositive = resp.Error("ERR count should be greater than 0")
)

// defaultListFill is list-max-listpack-size's default: 8 KiB nodes.
const defaultListFill = -2

// newList returns an empty list shaped by list-max-listpack-size as it
// is now; like Redis, a list keeps the node size it was created with.
func newList(c *Ctx) *list.List {
	fill := int64(defaultListFill)
	if c.Host != nil {
		fill = c.Host.Config().Int("list-max-listpack-size")
	}
	return list.New(int(fill))
}

// storeList adds l, which must not be empty, under key. Redis 7.0 keeps
// every list as a quicklist, whatever its size.
func storeList(c *Ctx, key []byte, l *list.List) {
	c.DB.Set(key, &keyspace.Object{Type: keyspace.TypeList, Enc: keyspace.EncQuicklist, Val: l}, false)
}

// listDone records an in-place change to key's list and publishes event
// for it: a list left empty is then deleted (a "del" event), as Redis
// never keeps empty lists.
func listDone(c *Ctx, key []byte, l *list.List, event string) {
	if l.Len() == 0 {
		c.DB.Delete(key)
	} else {
		c.DB.Touch(key)
	}
	c.Notify(NotifyList, event, key)
	if l.Len() == 0 {
		c.Notify(NotifyGeneric, "del", key)
	}
}

// popEvent names a pop from one end of a list.
func popEvent(head bool) string {
	if head {
		return "lpop"
	}
	return "rpop"
}

// pushEvent names a push to one end of a list.
func pushEvent(head bool) string {
	if head {
		return "lpush"
	}
	return "rpush"
}

// asList returns o's list; for a value of another type it replies
// WRONGTYPE and returns nil. A nil o gives nil without a reply.
func asList(c *Ctx, o *keyspace.Object) (*list.List, bool) {
	if o == nil {
		return nil, true
	}
	if o.Type != keyspace.TypeList {
		c.Error(ErrWrongType)
		return nil, false
	}
	return o.Val.(*list.List), true
}

// readList looks key up for reading (counting a hit or miss).
func readList(c *Ctx, key []byte) (*list.List, bool) { return asList(c, c.DB.Lookup(key)) }

// writeList looks key up for a command about to change it.
func writeList(c *Ctx, key []byte) (*list.List, bool) { return asList(c, c.DB.LookupWrite(key)) }

// listLong parses an integer argument, replying as Redis's
// getLongFromObjectOrReply does.
func listLong(c *Ctx, b []byte) (int64, bool) {
	n, ok := resp.ParseInt(b)
	if !ok {
		c.Error(ErrNotInt)
	}
	return n, ok
}

// listPositive parses an argument that must be a non-negative integer;
// anything else, unparsable included, gets msg (Redis's
// getPositiveLongFromObjectOrReply with a message).
func listPositive(c *Ctx, b []byte, msg resp.Error) (int64, bool) {
	n, ok := resp.ParseInt(b)
	if !ok || n < 0 {
		c.Error(msg)
		return 0, false
	}
	return n, true
}

// listWhere parses LEFT or RIGHT: true for the head (LEFT).
func listWhere(c *Ctx, b []byte) (head, ok bool) {
	switch {
	case optIs(b, "left"):
		return true, true
	case optIs(b, "right"):
		return false, true
	}
	c.Error(ErrSyntax)
	return false, false
}

func lpushCommand(c *Ctx)  { pushGeneric(c, true, false) }
func rpushCommand(c *Ctx)  { pushGeneric(c, false, false) }
func lpushxCommand(c *Ctx) { pushGeneric(c, true, true) }
func rpushxCommand(c *Ctx) { pushGeneric(c, false, true) }

// pushGeneric is [LR]PUSH[X]: with onlyExisting a missing key is left
// alone and the reply is 0.
func pushGeneric(c *Ctx, head, onlyExisting bool) {
	key := c.Args[1]
	l, ok := writeList(c, key)
	if !ok {
		return
	}
	if l == nil && onlyExisting {
		c.Int(0)
		return
	}
	l = pushList(c, key, l, head, c.Args[2:]...)
	c.Int(int64(l.Len()))
}

// pushList pushes vals onto key's list l (nil: a new list, which it
// stores), signals the change and the push event, and returns the list.
func pushList(c *Ctx, key []byte, l *list.List, head bool, vals ...[]byte) *list.List {
	fresh := l == nil
	if fresh {
		l = newList(c)
	}
	for _, v := range vals {
		if head {
			l.PushFront(v)
		} else {
			l.PushBack(v)
		}
	}
	if fresh {
		storeList(c, key, l)
	} else {
		c.DB.Touch(key)
	}
	c.Notify(NotifyList, pushEvent(head), key)
	return l
}

func lpopCommand(c *Ctx) { popGeneric(c, true) }
func rpopCommand(c *Ctx) { popGeneric(c, false) }

// popGeneric is LPOP/RPOP key [count]. Without a count the reply is one
// bulk (null for a missing key); with one it is an array (the null array
// for a missing key, an empty one for count 0).
func popGeneric(c *Ctx, head bool) {
	if len(c.Args) > 3 {
		c.Error(ArityError(c.Cmd.FullName()))
		return
	}
	hasCount := len(c.Args) == 3
	var count int64
	if hasCount {
		var ok bool
		if count, ok = listPositive(c, c.Args[2], ErrNotPositive); !ok {
			return
		}
	}
	key := c.Args[1]
	l, ok := writeList(c, key)
	if !ok {
		return
	}
	if l == nil {
		if hasCount {
			c.NullArray()
		} else {
			c.Null()
		}
		return
	}
	if hasCount && count == 0 {
		c.Array(0)
		return
	}
	if !hasCount {
		if head {
			c.Bulk(l.Front())
			l.DeleteRange(0, 1)
		} else {
			c.Bulk(l.Back())
			l.DeleteRange(l.Len()-1, 1)
		}
	} else {
		popRangeReply(c, l, head, count)
	}
	listDone(c, key, l, popEvent(head))
}

// popRangeReply pops up to count elements from one end of l, replying
// with them in the order they were popped.
func popRangeReply(c *Ctx, l *list.List, head bool, count int64) {
	n := int(min(count, int64(l.Len())))
	c.Array(n)
	if head {
		it := l.Iter(0, false)
		for range n {
			v, _ := it.Next()
			c.Bulk(v)
		}
		l.DeleteRange(0, n)
	} else {
		it := l.Iter(l.Len()-1, true)
		for range n {
			v, _ := it.Next()
			c.Bulk(v)
		}
		l.DeleteRange(l.Len()-n, n)
	}
}

// listRange resolves LRANGE/LTRIM style indexes (negative ones count from
// the end) against a list of length n: the first index and how many
// elements follow it, 0 for an empty range.
func listRange(start, end int64, n int) (int, int) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, 0
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end - start + 1)
}

// rangeReply writes elements [start, start+n) of l as an array.
func rangeReply(c *Ctx, l *list.List, start, n int) {
	c.Array(n)
	it := l.Iter(start, false)
	for range n {
		v, _ := it.Next()
		c.Bulk(v)
	}
}

func lrangeCommand(c *Ctx) {
	start, ok := listLong(c, c.Args[2])
	if !ok {
		return
	}
	end, ok := listLong(c, c.Args[3])
	if !ok {
		return
	}
	l, ok := readList(c, c.Args[1])
	if !ok {
		return
	}
	if l == nil {
		c.Array(0)
		return
	}
	from, n := listRange(start, end, l.Len())
	rangeReply(c, l, from, n)
}

func llenCommand(c *Ctx) {
	l, ok := readList(c, c.Args[1])
	if !ok {
		return
	}
	if l == nil {
		c.Int(0)
		return
	}
	c.Int(int64(l.Len()))
}

// listIndex resolves a possibly negative index against length n; ok is
// false when it falls outside the list.
func listIndex(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

func lindexCommand(c *Ctx) {
	l, ok := readList(c, c.Args[1])
	if !ok {
		return
	}
	if l == nil {
		c.Null()
		return
	}
	i, ok := listLong(c, c.Args[2])
	if !ok {
		return
	}
	if idx, in := listIndex(i, l.Len()); in {
		c.Bulk(l.Index(idx))
	} else {
		c.Null()
	}
}

func lsetCommand(c *Ctx) {
	key := c.Args[1]
	l, ok := writeList(c, key)
	if !ok {
		return
	}
	if l == nil {
		c.Error(ErrNoSuchKey)
		return
	}
	i, ok := listLong(c, c.Args[2])
	if !ok {
		return
	}
	idx, in := listIndex(i, l.Len())
	if !in {
		c.Error(ErrOutOfRange)
		return
	}
	l.Set(idx, c.Args[3])
	c.DB.Touch(key)
	c.Notify(NotifyList, "lset", key)
	c.OK()
}

// linsertCommand is LINSERT key BEFORE|AFTER pivot element: the length
// after inserting, 0 for a missing key, -1 when the pivot is not found.
func linsertCommand(c *Ctx) {
	var after bool
	switch {
	case optIs(c.Args[2], "after"):
		after = true
	case optIs(c.Args[2], "before"):
	default:
		c.Error(ErrSyntax)
		return
	}
	key := c.Args[1]
	l, ok := writeList(c, key)
	if !ok {
		return
	}
	if l == nil {
		c.Int(0)
		return
	}
	pivot := c.Args[3]
	it := l.Iter(0, false)
	for i := 0; ; i++ {
		v, more := it.Next()
		if !more {
			c.Int(-1)
			return
		}
		if bytes.Equal(v, pivot) {
			if after {
				i++
			}
			l.Insert(i, c.Args[4])
			break
		}
	}
	c.DB.Touch(key)
	c.Notify(NotifyList, "linsert", key)
	c.Int(int64(l.Len()))
}

// lremCommand is LREM key count element: count > 0 removes the first
// count matches, < 0 the last -count, 0 all of them.
func lremCommand(c *Ctx) {
	count, ok := listLong(c, c.Args[2])
	if !ok {
		return
	}
	key := c.Args[1]
	l, ok := writeList(c, key)
	if !ok {
		return
	}
	if l == nil {
		c.Int(0)
		return
	}
	fromTail := count < 0
	if fromTail {
		// -MinInt64 stays negative, which removes every match: so it
		// does in Redis, whose count of removals never reaches it.
		count = -count
	}
	var removed int
	if count < 0 {
		removed = l.Remove(c.Args[3], 0, true)
	} else {
		removed = l.Remove(c.Args[3], limitInt(count), fromTail)
	}
	if removed > 0 {
		listDone(c, key, l, "lrem")
	}
	c.Int(int64(removed))
}

// limitInt converts a count to int for the list package, where 0 means
// no limit; counts beyond any list's length are the same as no limit.
func limitInt(n int64) int {
	if n > int64(^uint(0)>>2) {
		return 0
	}
	return int(n)
}

func ltrimCommand(c *Ctx) {
	start, ok := listLong(c, c.Args[2])
	if !ok {
		return
	}
	end, ok := listLong(c, c.Args[3])
	if !ok {
		return
	}
	key := c.Args[1]
	l, ok := writeList(c, key)
	if !ok {
		return
	}
	if l == nil {
		c.OK()
		return
	}
	from, n := listRange(start, end, l.Len())
	if n == l.Len() {
		// Nothing trimmed: WATCH still sees a write, as in Redis, but
		// there is nothing to propagate.
		c.NoPropagate()
	}
	if n == 0 {
		l.DeleteRange(0, l.Len())
	} else {
		l.DeleteRange(from+n, l.Len()-from-n)
		l.DeleteRange(0, from)
	}
	listDone(c, key, l, "ltrim")
	c.OK()
}

// lposCommand is LPOS key element [RANK rank] [COUNT num] [MAXLEN len].
func lposCommand(c *Ctx) {
	rank, count, maxlen := int64(1), int64(-1), int64(0) // count -1: not given
	for j := 3; j < len(c.Args); j++ {
		opt := c.Args[j]
		more := j+1 < len(c.Args)
		var ok bool
		switch {
		case optIs(opt, "rank") && more:
			j++
			// Redis 7.0 takes any long here, LONG_MIN included (whose
			// negation below stays negative: it ranks as -1 does).
			if rank, ok = listLong(c, c.Args[j]); !ok {
				return
			}
			if rank == 0 {
				c.Error(ErrRankZero)
				return
			}
		case optIs(opt, "count") && more:
			j++
			if count, ok = listPositive(c, c.Args[j], ErrCountNegative); !ok {
				return
			}
		case optIs(opt, "maxlen") && more:
			j++
			if maxlen, ok = listPositive(c, c.Args[j], ErrMaxlenNeg); !ok {
				return
			}
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	fromTail := rank < 0
	if fromTail {
		rank = -rank
	}
	l, ok := readList(c, c.Args[1])
	if !ok {
		return
	}
	if l == nil {
		if count != -1 {
			c.Array(0)
		} else {
			c.Null()
		}
		return
	}
	ele := c.Args[2]
	n := l.Len()
	var it list.Iter
	if fromTail {
		it = l.Iter(n-1, true)
	} else {
		it = l.Iter(0, false)
	}
	// With COUNT the matches are collected first: the array's length
	// comes before them.
	var found []int64
	matches, match := int64(0), int64(-1)
	for i := int64(0); maxlen == 0 || i < maxlen; i++ {
		v, more := it.Next()
		if !more {
			break
		}
		if !bytes.Equal(v, ele) {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		match = i
		if fromTail {
			match = int64(n) - i - 1
		}
		if count == -1 {
			break
		}
		found = append(found, match)
		if count != 0 && matches-rank+1 >= count {
			break
		}
		match = -1
	}
	if count != -1 {
		c.Array(len(found))
		for _, m := range found {
			c.Int(m)
		}
		return
	}
	if match >= 0 {
		c.Int(match)
	} else {
		c.Null()
	}
}

// lmoveCommand is LMOVE source destination LEFT|RIGHT LEFT|RIGHT.
func lmoveCommand(c *Ctx) {
	from, ok := listWhere(c, c.Args[3])
	if !ok {
		return
	}
	to, ok := listWhere(c, c.Args[4])
	if !ok {
		return
	}
	lmoveGeneric(c, from, to)
}

func rpoplpushCommand(c *Ctx) { lmoveGeneric(c, false, true) }

// lmoveGeneric moves one element from the source list (argument 1) to the
// destination (argument 2), which may be the same list, replying with it;
// a missing source gives a null reply. The destination's type is checked
// only when there is something to move.
func lmoveGeneric(c *Ctx, fromHead, toHead bool) {
	srcKey, dstKey := c.Args[1], c.Args[2]
	src, ok := writeList(c, srcKey)
	if !ok {
		return
	}
	if src == nil {
		c.Null()
		return
	}
	dst, ok := writeList(c, dstKey)
	if !ok {
		return
	}
	var v []byte
	if fromHead {
		v = src.PopFront()
	} else {
		v = src.PopBack()
	}
	dst = pushList(c, dstKey, dst, toHead, v)
	c.Bulk(v)
	if src != dst {
		listDone(c, srcKey, src, popEvent(fromHead))
	} else {
		c.Notify(NotifyList, popEvent(fromHead), srcKey)
	}
}

// lmpopArgs parses the arguments LMPOP and BLMPOP share, from numkeys at
// index at: the keys, the end to pop from and the count (1 by default).
func lmpopArgs(c *Ctx, at int) (keys [][]byte, head bool, count int64, ok bool) {
	numkeys, valid := resp.ParseInt(c.Args[at])
	if !valid || numkeys < 1 {
		c.Error(ErrNumkeys)
		return nil, false, 0, false
	}
	if numkeys >= int64(len(c.Args)-at-1) {
		// The LEFT|RIGHT argument would be past the end.
		c.Error(ErrSyntax)
		return nil, false, 0, false
	}
	where := at + 1 + int(numkeys)
	if head, ok = listWhere(c, c.Args[where]); !ok {
		return nil, false, 0, false
	}
	if count, ok = mpopCount(c, where+1); !ok {
		return nil, false, 0, false
	}
	return c.Args[at+1 : where], head, count, true
}

// mpopCount reads the optional COUNT of LMPOP/ZMPOP and their blocking
// forms from argument from on (default 1), replying on error.
func mpopCount(c *Ctx, from int) (int64, bool) {
	count := int64(-1)
	for j := from; j < len(c.Args); j++ {
		if count == -1 && optIs(c.Args[j], "count") && j+1 < len(c.Args) {
			j++
			n, valid := resp.ParseInt(c.Args[j])
			if !valid || n < 1 {
				c.Error(ErrCountPositive)
				return 0, false
			}
			count = n
			continue
		}
		c.Error(ErrSyntax)
		return 0, false
	}
	if count == -1 {
		count = 1
	}
	return count, true
}

// lmpopCommand is LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]:
// pops from the first non-empty list, replying [key, [elements]], or the
// null array when every list is empty.
func lmpopCommand(c *Ctx) {
	keys, head, count, ok := lmpopArgs(c, 1)
	if !ok {
		return
	}
	for _, k := range keys {
		l, ok := writeList(c, k)
		if !ok {
			return
		}
		if l == nil {
			continue
		}
		popWithKeyReply(c, k, l, head, count)
		return
	}
	c.NullArray()
}

// popWithKeyReply pops up to count elements of key's list, replying
// [key, [elements]] as LMPOP and BLMPOP do.
// Both propagate LPOP or RPOP key with the number of elements popped.
func popWithKeyReply(c *Ctx, key []byte, l *list.List, head bool, count int64) {
	if c.Propagating() {
		rewritePop(c, argLPOP, argRPOP, head, key, min(count, int64(l.Len())))
	}
	c.Array(2)
	c.Bulk(key)
	popRangeReply(c, l, head, count)
	listDone(c, key, l, popEvent(head))
}

// rewritePop propagates the call as first or second (by head) with key
// and a count: the form [LR]MPOP and [BZ]MPOP are replicated in.
func rewritePop(c *Ctx, first, second []byte, head bool, key []byte, n int64) {
	var num [20]byte
	if !head {
		first = second
	}
	c.Rewrite(first, key, strconv.AppendInt(num[:0], n, 10))
}
