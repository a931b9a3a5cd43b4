package command

import (
	"math"
	"strconv"

	"github.com/respd/respd/internal/ds/hash"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// hashCommands are the hash commands. The summaries are the ones the
// reference server (Redis 7.0) reports in COMMAND DOCS.
var hashCommands = []*Command{
	{Name: "hset", Fn: hsetCommand, Arity: -4, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatHash | CatFast, Group: "hash", Since: "2.0.0", Summary: "Set the string value of a hash field"},
	{Name: "hsetnx", Fn: hsetnxCommand, Arity: 4, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatHash | CatFast, Group: "hash", Since: "2.0.0", Summary: "Set the value of a hash field, only if the field does not exist"},
	{Name: "hget", Fn: hgetCommand, Arity: 3, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatHash | CatFast, Group: "hash", Since: "2.0.0", Summary: "Get the value of a hash field"},
	{Name: "hmset", Fn: hmsetCommand, Arity: -4, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatHash | CatFast, Group: "hash", Since: "2.0.0", Summary: "Set multiple hash fields to multiple values"},
	{Name: "hmget", Fn: hmgetCommand, Arity: -3, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatHash | CatFast, Group: "hash", Since: "2.0.0", Summary: "Get the values of all the given hash fields"},
	{Name: "hdel", Fn: hdelCommand, Arity: -3, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatHash | CatFast, Group: "hash", Since: "2.0.0", Summary: "Delete one or more hash fields"},
	{Name: "hlen", Fn: hlenCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatHash | CatFast, Group: "hash", Since: "2.0.0", Summary: "Get the number of fields in a hash"},
	{Name: "hstrlen", Fn: hstrlenCommand, Arity: 3, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatHash | CatFast, Group: "hash", Since: "3.2.0", Summary: "Get the length of the value of a hash field"},
	{Name: "hexists", Fn: hexistsCommand, Arity: 3, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatHash | CatFast, Group: "hash", Since: "2.0.0", Summary: "Determine if a hash field exists"},
	{Name: "hincrby", Fn: hincrbyCommand, Arity: 4, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatHash | CatFast, Group: "hash", Since: "2.0.0", Summary: "Increment the integer value of a hash field by the given number"},
	{Name: "hincrbyfloat", Fn: hincrbyfloatCommand, Arity: 4, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatHash | CatFast, Group: "hash", Since: "2.6.0", Summary: "Increment the float value of a hash field by the given amount"},
	{Name: "hkeys", Fn: hkeysCommand, Arity: 2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatHash | CatSlow, Group: "hash", Since: "2.0.0", Summary: "Get all the fields in a hash"},
	{Name: "hvals", Fn: hvalsCommand, Arity: 2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatHash | CatSlow, Group: "hash", Since: "2.0.0", Summary: "Get all the values in a hash"},
	{Name: "hgetall", Fn: hgetallCommand, Arity: 2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatHash | CatSlow, Group: "hash", Since: "2.0.0", Summary: "Get all the fields and values in a hash"},
	{Name: "hrandfield", Fn: hrandfieldCommand, Arity: -2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatHash | CatSlow, Group: "hash", Since: "6.2.0", Summary: "Get one or multiple random fields from a hash"},
	{Name: "hscan", Fn: hscanCommand, Arity: -3, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatHash | CatSlow, Group: "hash", Since: "2.8.0", Summary: "Incrementally iterate hash fields and associated values"},
}

// Errors only hash commands give.
var (
	errHashNotInt   = resp.Error("ERR hash value is not an integer")
	errHashNotFloat = resp.Error("ERR hash value is not a float")
	errIncrNaNOrInf = resp.Error("ERR value is NaN or Infinity")
)

// readHash looks key up for a read command. It returns nil, true for a
// missing key; on another type it replies WRONGTYPE and returns false.
func readHash(c *Ctx, key []byte) (*hash.Hash, bool) {
	return asHash(c, c.DB.Lookup(key))
}

// writeHash is readHash for a command that will change the hash: the
// lookup counts no hit or miss, as Redis's write lookups do not.
func writeHash(c *Ctx, key []byte) (*keyspace.Object, *hash.Hash, bool) {
	o := c.DB.LookupWrite(key)
	h, ok := asHash(c, o)
	return o, h, ok
}

func asHash(c *Ctx, o *keyspace.Object) (*hash.Hash, bool) {
	if o == nil {
		return nil, true
	}
	if o.Type != keyspace.TypeHash {
		c.Error(ErrWrongType)
		return nil, false
	}
	return o.Val.(*hash.Hash), true
}

func hashEncoding(h *hash.Hash) keyspace.Encoding {
	if h.Listpack() {
		return keyspace.EncListpack
	}
	return keyspace.EncHashtable
}

// hashWriter is a hash being changed by one command: the existing one, or
// a new one stored under the key when the command finishes.
type hashWriter struct {
	key []byte
	o   *keyspace.Object
	h   *hash.Hash
	lim hash.Limits
	// fresh is the Object a new hash will be stored in, when the
	// keyspace had a spare one.
	fresh *keyspace.Object
}

// openHash prepares key's hash for writing, creating an empty one
// (stored by done) when the key is missing. pairs, when not nil, are the
// fields and values about to be set: the hash's buffer is sized for them
// at once.
func openHash(c *Ctx, key []byte, pairs [][]byte) (hashWriter, bool) {
	o, h, ok := writeHash(c, key)
	if !ok {
		return hashWriter{}, false
	}
	w := hashWriter{key: key, o: o, h: h, lim: limits(c).hash}
	if h == nil {
		w.fresh = c.DB.Spare(keyspace.TypeHash)
	}
	switch {
	case w.fresh != nil:
		w.h = w.fresh.Val.(*hash.Hash)
		if pairs != nil {
			w.h.Reserve(pairs, w.lim)
		}
	case h == nil && pairs != nil:
		w.h = hash.NewFor(pairs, w.lim)
	case h == nil:
		w.h = hash.New()
	case pairs != nil:
		h.Reserve(pairs, w.lim)
	}
	return w, true
}

func (w *hashWriter) set(field, value []byte) bool { return w.h.Set(field, value, w.lim) }

// done stores a new hash or signals the change to an existing one, and
// publishes event.
func (w *hashWriter) done(c *Ctx, event string) {
	if w.o == nil {
		o := w.fresh
		if o == nil {
			o = &keyspace.Object{Type: keyspace.TypeHash, Val: w.h}
		}
		o.Enc = hashEncoding(w.h)
		c.DB.Set(w.key, o, false)
	} else {
		w.o.Enc = hashEncoding(w.h)
		c.DB.Touch(w.key)
	}
	c.Notify(NotifyHash, event, w.key)
}

func hsetCommand(c *Ctx)  { hset(c, false) }
func hmsetCommand(c *Ctx) { hset(c, true) }

// hset is HSET and HMSET: the same write, replying with the number of new
// fields or, for HMSET, OK.
func hset(c *Ctx, ok bool) {
	if len(c.Args)%2 != 0 {
		c.Error(ArityError(c.Cmd.FullName()))
		return
	}
	// A single field needs no reserving: an update in place must not
	// allocate.
	var pairs [][]byte
	if len(c.Args) > 4 {
		pairs = c.Args[2:]
	}
	w, found := openHash(c, c.Args[1], pairs)
	if !found {
		return
	}
	added := int64(0)
	for i := 2; i < len(c.Args); i += 2 {
		if w.set(c.Args[i], c.Args[i+1]) {
			added++
		}
	}
	w.done(c, "hset")
	if ok {
		c.OK()
	} else {
		c.Int(added)
	}
}

func hsetnxCommand(c *Ctx) {
	w, ok := openHash(c, c.Args[1], nil)
	if !ok {
		return
	}
	if w.h.Has(c.Args[2]) {
		c.Int(0)
		return
	}
	w.set(c.Args[2], c.Args[3])
	w.done(c, "hset")
	c.Int(1)
}

func hgetCommand(c *Ctx) {
	h, ok := readHash(c, c.Args[1])
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(c.Args[2]); found {
			c.Bulk(v)
			return
		}
	}
	c.Null()
}

func hmgetCommand(c *Ctx) {
	h, ok := readHash(c, c.Args[1])
	if !ok {
		return
	}
	fields := c.Args[2:]
	c.Array(len(fields))
	for _, f := range fields {
		if h != nil {
			if v, found := h.Get(f); found {
				c.Bulk(v)
				continue
			}
		}
		c.Null()
	}
}

// hdelCommand deletes fields, and the key with its last field.
func hdelCommand(c *Ctx) {
	key := c.Args[1]
	_, h, ok := writeHash(c, key)
	if !ok {
		return
	}
	if h == nil {
		c.Int(0)
		return
	}
	n := int64(0)
	for _, f := range c.Args[2:] {
		if h.Delete(f) {
			n++
			if h.Len() == 0 {
				c.DB.Delete(key)
				c.Notify(NotifyHash, "hdel", key)
				c.Notify(NotifyGeneric, "del", key)
				c.Int(n)
				return
			}
		}
	}
	if n > 0 {
		c.DB.Touch(key)
		c.Notify(NotifyHash, "hdel", key)
	}
	c.Int(n)
}

func hlenCommand(c *Ctx) {
	h, ok := readHash(c, c.Args[1])
	if !ok {
		return
	}
	if h == nil {
		c.Int(0)
		return
	}
	c.Int(int64(h.Len()))
}

func hstrlenCommand(c *Ctx) {
	h, ok := readHash(c, c.Args[1])
	if !ok {
		return
	}
	var v []byte
	if h != nil {
		v, _ = h.Get(c.Args[2])
	}
	c.Int(int64(len(v)))
}

func hexistsCommand(c *Ctx) {
	h, ok := readHash(c, c.Args[1])
	if !ok {
		return
	}
	if h != nil && h.Has(c.Args[2]) {
		c.Int(1)
		return
	}
	c.Int(0)
}

func hincrbyCommand(c *Ctx) {
	by, ok := resp.ParseInt(c.Args[3])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	w, ok := openHash(c, c.Args[1], nil)
	if !ok {
		return
	}
	var cur int64
	if v, found := w.h.Get(c.Args[2]); found {
		if cur, ok = resp.ParseInt(v); !ok {
			c.Error(errHashNotInt)
			return
		}
	}
	if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
		c.Error(ErrOverflow)
		return
	}
	cur += by
	var buf [20]byte
	w.set(c.Args[2], strconv.AppendInt(buf[:0], cur, 10))
	w.done(c, "hincrby")
	c.Int(cur)
}

// hincrbyfloatCommand does its arithmetic in long double, as INCRBYFLOAT
// does (see longdouble.go), and refuses an infinite increment up front.
func hincrbyfloatCommand(c *Ctx) {
	by, ok := parseLongDouble(c.Args[3])
	if !ok {
		c.Error(ErrNotFloat)
		return
	}
	if by.v != nil && by.v.IsInf() {
		c.Error(errIncrNaNOrInf)
		return
	}
	w, ok := openHash(c, c.Args[1], nil)
	if !ok {
		return
	}
	var cur longDouble
	if v, found := w.h.Get(c.Args[2]); found {
		if cur, ok = parseLongDouble(v); !ok {
			c.Error(errHashNotFloat)
			return
		}
	}
	sum, ok := cur.add(by)
	if !ok {
		c.Error(errNaNOrInf)
		return
	}
	s := sum.format()
	w.set(c.Args[2], s)
	w.done(c, "hincrbyfloat")
	c.Bulk(s)
	// Replicas get the result, not the float arithmetic to redo.
	c.Rewrite(argHSET, c.Args[1], c.Args[2], s)
}

func hkeysCommand(c *Ctx)   { hgetall(c, true, false) }
func hvalsCommand(c *Ctx)   { hgetall(c, false, true) }
func hgetallCommand(c *Ctx) { hgetall(c, true, true) }

// hgetall replies with the fields, the values or both (a map in RESP3).
func hgetall(c *Ctx, fields, values bool) {
	h, ok := readHash(c, c.Args[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if fields && values {
		c.Map(n)
	} else {
		c.Array(n)
	}
	if h == nil {
		return
	}
	h.Range(func(f, v []byte) bool {
		if fields {
			c.Bulk(f)
		}
		if values {
			c.Bulk(v)
		}
		return true
	})
}

// hrandfieldCommand is HRANDFIELD key [count [WITHVALUES]]. A positive
// count asks for distinct fields (the whole hash, in its order, when
// count reaches its size), a negative one for that many independent
// draws. With values, RESP3 gets [field, value] pairs and RESP2 a flat
// array.
func hrandfieldCommand(c *Ctx) {
	if len(c.Args) == 2 {
		h, ok := readHash(c, c.Args[1])
		if !ok {
			return
		}
		if h == nil {
			c.Null()
			return
		}
		f, _ := h.Random()
		c.Bulk(f)
		return
	}
	count, ok := parseRandomCount(c, c.Args[2])
	if !ok {
		return
	}
	withValues := false
	if len(c.Args) > 4 || (len(c.Args) == 4 && !c.ArgIs(3, "withvalues")) {
		c.Error(ErrSyntax)
		return
	} else if len(c.Args) == 4 {
		withValues = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.Error(errValueRange)
			return
		}
	}
	h, ok := readHash(c, c.Args[1])
	if !ok {
		return
	}
	if h == nil || count == 0 {
		c.Array(0)
		return
	}
	distinct := count > 0
	if !distinct {
		count = -count
	}
	pairs := withValues && c.Proto >= 3
	emit := func(f, v []byte) {
		if pairs {
			c.Array(2)
		}
		c.Bulk(f)
		if withValues {
			c.Bulk(v)
		}
	}
	size := int64(h.Len())
	n := count
	if distinct && count > size {
		n = size
	}
	if withValues && !pairs {
		c.Array(int(n * 2))
	} else {
		c.Array(int(n))
	}
	switch {
	case !distinct || count == 1:
		h.Sample(int(count), false, emit)
	case count >= size:
		h.Range(func(f, v []byte) bool {
			emit(f, v)
			return true
		})
	default:
		h.Sample(int(count), true, emit)
	}
}

// hscanCommand is HSCAN key cursor [MATCH pattern] [COUNT count]. As in
// Redis the cursor is checked before the key and the options after it.
func hscanCommand(c *Ctx) {
	cursor, ok := parseCursor(c.Args[2])
	if !ok {
		c.Error(ErrInvalidCursor)
		return
	}
	h, ok := readHash(c, c.Args[1])
	if !ok {
		return
	}
	if h == nil {
		c.B = append(c.B, emptyScan...)
		return
	}
	s := collScan{per: 2}
	if !parseCollScanOptions(c, &s) {
		return
	}
	cursor = s.run(cursor, func(cur uint64) uint64 {
		return h.ScanStep(cur, s.add)
	})
	s.reply(c, cursor)
}
