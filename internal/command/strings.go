package command

import (
	"bytes"
	"math"
	"strconv"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// The summaries are the ones the reference server (Redis 7.0) reports in
// COMMAND DOCS.
var stringCommands = []*Command{
	{Name: "get", Fn: getCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatString | CatFast, Group: "string", Since: "1.0.0", Summary: "Get the value of a key"},
	{Name: "set", Fn: setCommand, Arity: -3, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatSlow, Group: "string", Since: "1.0.0", Summary: "Set the string value of a key"},
	{Name: "getex", Fn: getexCommand, Arity: -2, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatFast, Group: "string", Since: "6.2.0", Summary: "Get the value of a key and optionally set its expiration"},
	{Name: "getdel", Fn: getdelCommand, Arity: 2, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatFast, Group: "string", Since: "6.2.0", Summary: "Get the value of a key and delete the key"},
	{Name: "getset", Fn: getsetCommand, Arity: 3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatFast, Group: "string", Since: "1.0.0", Summary: "Set the string value of a key and return its old value"},
	{Name: "mget", Fn: mgetCommand, Arity: -2, Flags: ReadOnly | Fast, Keys: keys(1, -1, 1), ACL: CatRead | CatString | CatFast, Group: "string", Since: "1.0.0", Summary: "Get the values of all the given keys"},
	{Name: "mset", Fn: msetCommand, Arity: -3, Flags: Write | DenyOOM, Keys: keys(1, -1, 2), ACL: CatWrite | CatString | CatSlow, Group: "string", Since: "1.0.1", Summary: "Set multiple keys to multiple values"},
	{Name: "msetnx", Fn: msetnxCommand, Arity: -3, Flags: Write | DenyOOM, Keys: keys(1, -1, 2), ACL: CatWrite | CatString | CatSlow, Group: "string", Since: "1.0.1", Summary: "Set multiple keys to multiple values, only if none of the keys exist"},
	{Name: "setnx", Fn: setnxCommand, Arity: 3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatFast, Group: "string", Since: "1.0.0", Summary: "Set the value of a key, only if the key does not exist"},
	{Name: "setex", Fn: setexCommand, Arity: 4, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatSlow, Group: "string", Since: "2.0.0", Summary: "Set the value and expiration of a key"},
	{Name: "psetex", Fn: psetexCommand, Arity: 4, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatSlow, Group: "string", Since: "2.6.0", Summary: "Set the value and expiration in milliseconds of a key"},
	{Name: "append", Fn: appendCommand, Arity: 3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatFast, Group: "string", Since: "2.0.0", Summary: "Append a value to a key"},
	{Name: "strlen", Fn: strlenCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatRead | CatString | CatFast, Group: "string", Since: "2.2.0", Summary: "Get the length of the value stored in a key"},
	{Name: "getrange", Fn: getrangeCommand, Arity: 4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatString | CatSlow, Group: "string", Since: "2.4.0", Summary: "Get a substring of the string stored at a key"},
	{Name: "substr", Fn: getrangeCommand, Arity: 4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatString | CatSlow, Group: "string", Since: "1.0.0", Summary: "Get a substring of the string stored at a key"},
	{Name: "setrange", Fn: setrangeCommand, Arity: 4, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatSlow, Group: "string", Since: "2.2.0", Summary: "Overwrite part of a string at key starting at the specified offset"},
	{Name: "incr", Fn: incrCommand, Arity: 2, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatFast, Group: "string", Since: "1.0.0", Summary: "Increment the integer value of a key by one"},
	{Name: "decr", Fn: decrCommand, Arity: 2, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatFast, Group: "string", Since: "1.0.0", Summary: "Decrement the integer value of a key by one"},
	{Name: "incrby", Fn: incrbyCommand, Arity: 3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatFast, Group: "string", Since: "1.0.0", Summary: "Increment the integer value of a key by the given amount"},
	{Name: "decrby", Fn: decrbyCommand, Arity: 3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatFast, Group: "string", Since: "1.0.0", Summary: "Decrement the integer value of a key by the given number"},
	{Name: "incrbyfloat", Fn: incrbyfloatCommand, Arity: 3, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatString | CatFast, Group: "string", Since: "2.6.0", Summary: "Increment the float value of a key by the given amount"},
	{Name: "lcs", Fn: lcsCommand, Arity: -3, Flags: ReadOnly, Keys: keys(1, 2, 1), ACL: CatRead | CatString | CatSlow, Group: "string", Since: "7.0.0", Summary: "Find longest common substring"},
}

// setOpt is one of the SET/GETEX options.
type setOpt uint16

const (
	optNX setOpt = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT

	optAnyExpire = optEX | optPX | optEXAT | optPXAT
)

// parseSetOptions reads the options of SET (forSet) or GETEX starting at
// argument from. It returns the options and the expire argument (nil
// without one), or replies with a syntax error and returns ok false.
//
// An option is refused when it contradicts one already given (NX with XX,
// two different expire forms, KEEPTTL or PERSIST with an expire); repeating
// the same expire form is allowed and the last value wins.
func parseSetOptions(c *Ctx, from int, forSet bool) (opts setOpt, expire []byte, ok bool) {
	args := c.Args
	for j := from; j < len(args); j++ {
		a := args[j]
		hasNext := j+1 < len(args)
		switch {
		case forSet && optIs(a, "nx") && opts&optXX == 0:
			opts |= optNX
		case forSet && optIs(a, "xx") && opts&optNX == 0:
			opts |= optXX
		case forSet && optIs(a, "get"):
			opts |= optGet
		case forSet && optIs(a, "keepttl") && opts&(optPersist|optAnyExpire) == 0:
			opts |= optKeepTTL
		case !forSet && optIs(a, "persist") && opts&(optKeepTTL|optAnyExpire) == 0:
			opts |= optPersist
		case hasNext && opts&(optKeepTTL|optPersist) == 0 && expireOpt(a) != 0 && opts&optAnyExpire&^expireOpt(a) == 0:
			opts |= expireOpt(a)
			expire = args[j+1]
			j++
		default:
			c.Error(ErrSyntax)
			return 0, nil, false
		}
	}
	return opts, expire, true
}

// optIs reports whether argument b is the option s, compared as Redis's C
// code compares it: ignoring ASCII case and as a NUL-terminated string, so
// whatever follows a zero byte does not count.
func optIs(b []byte, s string) bool {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return EqualFold(b, s)
}

// expireOpt names the expire form a is, or 0.
func expireOpt(a []byte) setOpt {
	switch {
	case optIs(a, "ex"):
		return optEX
	case optIs(a, "px"):
		return optPX
	case optIs(a, "exat"):
		return optEXAT
	case optIs(a, "pxat"):
		return optPXAT
	}
	return 0
}

// invalidExpire is the error for an expire time out of range in cmd.
func invalidExpire(cmd string) resp.Error {
	return resp.Error("ERR invalid expire time in '" + cmd + "' command")
}

// expireAt turns an expire argument of the given form into an absolute
// time in ms. Relative forms are added to the current time; a value that
// is not positive, or that overflows once converted, is refused.
func expireAt(c *Ctx, form setOpt, arg []byte, cmd string) (int64, bool) {
	ms, ok := resp.ParseInt(arg)
	if !ok {
		c.Error(ErrNotInt)
		return 0, false
	}
	seconds := form&(optEX|optEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		c.Error(invalidExpire(cmd))
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if form&(optEX|optPX) != 0 {
		// Wraps on overflow, which the check below catches.
		ms += c.DB.Now()
	}
	if ms <= 0 {
		c.Error(invalidExpire(cmd))
		return 0, false
	}
	return ms, true
}

// lookupString reads key for a command that only accepts strings. It
// returns the object (nil when missing) and false after replying
// WRONGTYPE.
func lookupString(c *Ctx, key []byte) (*keyspace.Object, bool) {
	o := c.DB.Lookup(key)
	if o != nil && o.Type != keyspace.TypeString {
		c.Error(ErrWrongType)
		return nil, false
	}
	return o, true
}

// lookupStringWrite is lookupString for a command about to change key.
func lookupStringWrite(c *Ctx, key []byte) (*keyspace.Object, bool) {
	o := c.DB.LookupWrite(key)
	if o != nil && o.Type != keyspace.TypeString {
		c.Error(ErrWrongType)
		return nil, false
	}
	return o, true
}

// replyValue replies with key's string value or null; false after a
// WRONGTYPE reply.
func replyValue(c *Ctx, key []byte) bool {
	o, ok := lookupString(c, key)
	if !ok {
		return false
	}
	if o == nil {
		c.Null()
	} else {
		c.Bulk(o.Str)
	}
	return true
}

func getCommand(c *Ctx) { replyValue(c, c.Args[1]) }

func setCommand(c *Ctx) {
	opts, expire, ok := parseSetOptions(c, 3, true)
	if !ok {
		return
	}
	setGeneric(c, opts, c.Args[1], c.Args[2], expire, "set", false)
}

func setnxCommand(c *Ctx) { setGeneric(c, optNX, c.Args[1], c.Args[2], nil, "setnx", true) }

func setexCommand(c *Ctx) { setGeneric(c, optEX, c.Args[1], c.Args[3], c.Args[2], "setex", false) }

func psetexCommand(c *Ctx) { setGeneric(c, optPX, c.Args[1], c.Args[3], c.Args[2], "psetex", false) }

// setGeneric is SET and its variants: validate the expire time, reply
// with the old value for GET, honour NX/XX, store, then set the TTL.
// intReply makes the outcome :1/:0 (SETNX) instead of +OK/null.
func setGeneric(c *Ctx, opts setOpt, key, val, expire []byte, cmd string, intReply bool) {
	var at int64
	if expire != nil {
		var ok bool
		if at, ok = expireAt(c, opts&optAnyExpire, expire, cmd); !ok {
			return
		}
	}
	if opts&optGet != 0 && !replyValue(c, key) {
		return
	}
	if opts&(optNX|optXX) != 0 {
		// One access per SET, as in Redis: the overwrite below counts it
		// (LFU), so only a refused SET counts its lookup.
		found := c.DB.Exists(key)
		if (opts&optNX != 0 && found) || (opts&optXX != 0 && !found) {
			if found {
				c.DB.ExistsForWrite(key)
			}
			if opts&optGet == 0 {
				if intReply {
					c.Int(0)
				} else {
					c.Null()
				}
			}
			return
		}
	}
	c.DB.SetString(key, val, opts&optKeepTTL != 0)
	c.Notify(NotifyString, "set", key)
	if expire != nil {
		c.DB.SetExpire(key, at)
		c.Notify(NotifyGeneric, "expire", key)
	}
	if c.Propagating() {
		propagateSet(c, key, val, expire != nil, at, opts&optGet != 0)
	}
	if opts&optGet == 0 {
		if intReply {
			c.Int(1)
		} else {
			c.OK()
		}
	}
}

// propagateSet gives what a SET (or SETEX, PSETEX) that happened
// propagates, as Redis 7.0: with an expire, SET key value PXAT abs-ms;
// otherwise the command less its GET options, so a replica does not
// build a reply nobody reads.
func propagateSet(c *Ctx, key, val []byte, expire bool, at int64, get bool) {
	if expire {
		var num [20]byte
		c.Rewrite(argSET, key, val, argPXAT, strconv.AppendInt(num[:0], at, 10))
		return
	}
	if !get {
		return
	}
	var buf [8][]byte
	args := append(buf[:0], c.Args[:3]...)
	for _, a := range c.Args[3:] {
		if !optIs(a, "get") {
			args = append(args, a)
		}
	}
	c.Rewrite(args...)
}

func getexCommand(c *Ctx) {
	opts, expire, ok := parseSetOptions(c, 2, false)
	if !ok {
		return
	}
	key := c.Args[1]
	o, ok := lookupString(c, key)
	if !ok {
		return
	}
	if o == nil {
		c.Null()
		return
	}
	var at int64
	if expire != nil {
		if at, ok = expireAt(c, opts&optAnyExpire, expire, "getex"); !ok {
			return
		}
	}
	c.Bulk(o.Str)
	switch {
	case opts&(optEXAT|optPXAT) != 0 && at <= c.DB.Now() && !c.KS.Replica:
		// An absolute time already past deletes the key right away.
		c.DB.Delete(key)
		c.Notify(NotifyGeneric, "del", key)
		c.rewriteDelete(key, "lazyfree-lazy-expire")
	case expire != nil:
		c.DB.SetExpire(key, at)
		c.Notify(NotifyGeneric, "expire", key)
		c.rewriteExpireAt(key, at)
	case opts&optPersist != 0:
		if c.DB.Persist(key) {
			c.Notify(NotifyGeneric, "persist", key)
			c.Rewrite(argPERSIST, key)
		}
	}
}

func getdelCommand(c *Ctx) {
	key := c.Args[1]
	o, ok := lookupString(c, key)
	if !ok {
		return
	}
	if o == nil {
		c.Null()
		return
	}
	c.Bulk(o.Str)
	c.DB.Delete(key)
	c.Notify(NotifyGeneric, "del", key)
	c.rewriteDelete(key, "lazyfree-lazy-user-del")
}

func getsetCommand(c *Ctx) {
	if !replyValue(c, c.Args[1]) {
		return
	}
	c.DB.SetString(c.Args[1], c.Args[2], false)
	c.Notify(NotifyString, "set", c.Args[1])
	c.Rewrite(argSET, c.Args[1], c.Args[2])
}

func mgetCommand(c *Ctx) {
	c.Array(len(c.Args) - 1)
	for _, key := range c.Args[1:] {
		// Keys of another type read as missing rather than failing the
		// whole reply.
		if o := c.DB.Lookup(key); o != nil && o.Type == keyspace.TypeString {
			c.Bulk(o.Str)
		} else {
			c.Null()
		}
	}
}

func msetCommand(c *Ctx) {
	if len(c.Args)%2 == 0 {
		c.Error(ArityError("mset"))
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		c.DB.SetString(c.Args[i], c.Args[i+1], false)
		c.Notify(NotifyString, "set", c.Args[i])
	}
	c.OK()
}

func msetnxCommand(c *Ctx) {
	if len(c.Args)%2 == 0 {
		c.Error(ArityError("msetnx"))
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		if c.DB.ExistsForWrite(c.Args[i]) {
			c.Int(0)
			return
		}
	}
	for i := 1; i < len(c.Args); i += 2 {
		c.DB.SetString(c.Args[i], c.Args[i+1], false)
		c.Notify(NotifyString, "set", c.Args[i])
	}
	c.Int(1)
}

// protoMaxBulk is the configured proto-max-bulk-len, the largest string a
// command may build.
func protoMaxBulk(c *Ctx) int64 {
	if c.Host != nil {
		if cfg := c.Host.Config(); cfg != nil {
			if n := cfg.Int("proto-max-bulk-len"); n > 0 {
				return n
			}
		}
	}
	return resp.DefaultMaxBulk
}

// tooLong reports whether a string of size+extra bytes would exceed
// proto-max-bulk-len, replying with the error if so.
func tooLong(c *Ctx, size, extra int64) bool {
	if size > protoMaxBulk(c)-extra {
		c.Error(ErrStringTooBig)
		return true
	}
	return false
}

func appendCommand(c *Ctx) {
	key, val := c.Args[1], c.Args[2]
	o, ok := lookupStringWrite(c, key)
	if !ok {
		return
	}
	if o == nil {
		c.DB.SetString(key, val, false)
		c.Notify(NotifyString, "append", key)
		c.Int(int64(len(val)))
		return
	}
	if tooLong(c, int64(len(o.Str)), int64(len(val))) {
		return
	}
	o.Str = append(o.Str, val...)
	// A string changed in place is no longer shared or embedded.
	o.Enc = keyspace.EncRaw
	c.DB.Touch(key)
	c.Notify(NotifyString, "append", key)
	c.Int(int64(len(o.Str)))
}

func strlenCommand(c *Ctx) {
	o, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if o == nil {
		c.Int(0)
		return
	}
	c.Int(int64(len(o.Str)))
}

func getrangeCommand(c *Ctx) {
	start, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	end, ok := resp.ParseInt(c.Args[3])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	o, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if o == nil {
		c.Bulk(nil)
		return
	}
	n := int64(len(o.Str))
	// Both ends counted from the end with the start after the end is
	// empty before clamping; otherwise negative ends clamp to 0.
	if start < 0 && end < 0 && start > end {
		c.Bulk(nil)
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = max(start, 0)
	end = max(end, 0)
	if end >= n {
		end = n - 1
	}
	if n == 0 || start > end {
		c.Bulk(nil)
		return
	}
	c.Bulk(o.Str[start : end+1])
}

func setrangeCommand(c *Ctx) {
	key, val := c.Args[1], c.Args[3]
	offset, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if offset < 0 {
		c.Error(ErrOffsetRange)
		return
	}
	o, ok := lookupStringWrite(c, key)
	if !ok {
		return
	}
	if o == nil {
		if len(val) == 0 {
			c.Int(0)
			return
		}
		if tooLong(c, offset, int64(len(val))) {
			return
		}
		buf := make([]byte, offset+int64(len(val)))
		copy(buf[offset:], val)
		c.DB.Set(key, &keyspace.Object{Type: keyspace.TypeString, Enc: keyspace.EncRaw, Str: buf}, false)
		c.Notify(NotifyString, "setrange", key)
		c.Int(int64(len(buf)))
		return
	}
	if len(val) == 0 {
		c.Int(int64(len(o.Str)))
		return
	}
	if tooLong(c, offset, int64(len(val))) {
		return
	}
	if need := int(offset) + len(val); need > len(o.Str) {
		o.Str = append(o.Str, make([]byte, need-len(o.Str))...)
	}
	copy(o.Str[offset:], val)
	o.Enc = keyspace.EncRaw
	c.DB.Touch(key)
	c.Notify(NotifyString, "setrange", key)
	c.Int(int64(len(o.Str)))
}
