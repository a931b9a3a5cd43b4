package command

import (
	"github.com/respd/respd/internal/ds/hll"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

var hllCommands = []*Command{
	{Name: "pfadd", Fn: pfaddCommand, Arity: -2, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatWrite | CatHyperLogLog | CatFast, Group: "hyperloglog", Since: "2.8.9", Summary: "Adds the specified elements to the specified HyperLogLog."},
	{Name: "pfcount", Fn: pfcountCommand, Arity: -2, Flags: ReadOnly, Keys: keys(1, -1, 1), ACL: CatRead | CatHyperLogLog | CatSlow, Group: "hyperloglog", Since: "2.8.9", Summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s)."},
	{Name: "pfmerge", Fn: pfmergeCommand, Arity: -2, Flags: Write | DenyOOM, Keys: keys(1, -1, 1), ACL: CatWrite | CatHyperLogLog | CatSlow, Group: "hyperloglog", Since: "2.8.9", Summary: "Merge N different HyperLogLogs into a single one."},
	{Name: "pfdebug", Fn: pfdebugCommand, Arity: 3, Flags: Write | DenyOOM | Admin, Keys: keys(2, 2, 1), ACL: CatWrite | CatHyperLogLog | CatAdmin | CatSlow | CatDangerous, Group: "hyperloglog", Since: "2.8.9", Summary: "Internal commands for debugging HyperLogLog values"},
	{Name: "pfselftest", Fn: pfselftestCommand, Arity: 1, Flags: Admin, ACL: CatHyperLogLog | CatAdmin | CatSlow | CatDangerous, Group: "hyperloglog", Since: "2.8.9", Summary: "An internal command for testing HyperLogLog values"},
}

// Errors of the HyperLogLog commands, with Redis's texts.
var (
	errNotHLL     = resp.Error("WRONGTYPE Key is not a valid HyperLogLog string value.")
	errCorruptHLL = resp.Error("INVALIDOBJ Corrupted HLL object detected")
)

// checkHLL replies with the right error and returns false unless o (not
// nil) is a string holding a HyperLogLog. An integer-encoded string never
// is one, whatever its digits.
func checkHLL(c *Ctx, o *keyspace.Object) bool {
	if o.Type != keyspace.TypeString {
		c.Error(ErrWrongType)
		return false
	}
	if o.Enc == keyspace.EncInt || !hll.IsHLL(o.Str) {
		c.Error(errNotHLL)
		return false
	}
	return true
}

// sparseMaxBytes is hll-sparse-max-bytes, the size past which a sparse
// value turns dense.
func sparseMaxBytes(c *Ctx) int64 {
	if c.Host != nil {
		if cfg := c.Host.Config(); cfg != nil {
			return cfg.Int("hll-sparse-max-bytes")
		}
	}
	return 3000
}

// newHLL stores an empty HyperLogLog under key and returns it.
func newHLL(c *Ctx, key []byte) *keyspace.Object {
	o := &keyspace.Object{Type: keyspace.TypeString, Enc: keyspace.EncRaw, Str: hll.New()}
	c.DB.Set(key, o, false)
	return o
}

func pfaddCommand(c *Ctx) {
	key := c.Args[1]
	o := c.DB.LookupWrite(key)
	updated := false
	if o == nil {
		o = newHLL(c, key)
		updated = true
	} else if !checkHLL(c, o) {
		return
	}
	// Redis unshares the value before changing it, which leaves it raw.
	o.Enc = keyspace.EncRaw
	max := sparseMaxBytes(c)
	for _, ele := range c.Args[2:] {
		h, changed, err := hll.Add(o.Str, ele, max)
		o.Str = h
		if err != nil {
			c.Error(errCorruptHLL)
			return
		}
		updated = updated || changed
	}
	if updated {
		hll.Invalidate(o.Str)
		c.DB.Touch(key)
		c.Notify(NotifyString, "pfadd", key)
		c.Int(1)
	} else {
		c.Int(0)
	}
}

func pfcountCommand(c *Ctx) {
	if len(c.Args) > 2 {
		var max [hll.Registers]uint8
		for _, key := range c.Args[1:] {
			o := c.DB.Lookup(key)
			if o == nil {
				continue
			}
			if !checkHLL(c, o) {
				return
			}
			if hll.Merge(&max, o.Str) != nil {
				c.Error(errCorruptHLL)
				return
			}
		}
		c.Int(int64(hll.CountRegisters(&max)))
		return
	}
	key := c.Args[1]
	o := c.DB.Lookup(key)
	if o == nil {
		c.Int(0)
		return
	}
	if !checkHLL(c, o) {
		return
	}
	card, ok := hll.Cached(o.Str)
	if ok && o.Enc == keyspace.EncRaw {
		c.Int(int64(card))
		return
	}
	// The encoding or the cached count changes: that needs the stored
	// object itself.
	o = c.DB.LookupWrite(key)
	o.Enc = keyspace.EncRaw
	if ok {
		c.Int(int64(card))
		return
	}
	card, err := hll.Count(o.Str)
	if err != nil {
		c.Error(errCorruptHLL)
		return
	}
	// Storing the count changes the value, so watchers see a write.
	hll.SetCache(o.Str, card)
	c.DB.Touch(key)
	// Not a write command, but the stored count is a change replicas
	// must see: Redis propagates PFCOUNT itself then.
	c.Rewrite(c.Args...)
	c.Int(int64(card))
}

func pfmergeCommand(c *Ctx) {
	var max [hll.Registers]uint8
	dense := false
	for _, key := range c.Args[1:] {
		o := c.DB.Lookup(key)
		if o == nil {
			continue
		}
		if !checkHLL(c, o) {
			return
		}
		// A dense input makes the result dense at once, rather than
		// growing a sparse one into it.
		dense = dense || hll.IsDense(o.Str)
		if hll.Merge(&max, o.Str) != nil {
			c.Error(errCorruptHLL)
			return
		}
	}
	dst := c.Args[1]
	o := c.DB.LookupWrite(dst)
	if o == nil {
		o = newHLL(c, dst)
	}
	o.Enc = keyspace.EncRaw
	if dense {
		h, err := hll.ToDense(o.Str)
		if err != nil {
			c.Error(errCorruptHLL)
			return
		}
		o.Str = h
	}
	limit := sparseMaxBytes(c)
	for i, v := range max {
		if v != 0 {
			// The destination was checked as a source, so it decodes.
			o.Str, _, _ = hll.Set(o.Str, i, v, limit)
		}
	}
	hll.Invalidate(o.Str)
	c.DB.Touch(dst)
	c.Notify(NotifyString, "pfadd", dst)
	c.OK()
}

func pfdebugCommand(c *Ctx) {
	key := c.Args[2]
	o := c.DB.LookupWrite(key)
	if o == nil {
		c.Errorf("ERR The specified key does not exist")
		return
	}
	if !checkHLL(c, o) {
		return
	}
	o.Enc = keyspace.EncRaw
	switch {
	case optIs(c.Args[1], "getreg"):
		if !pfdebugToDense(c, o, key) {
			return
		}
		c.Array(hll.Registers)
		for i := 0; i < hll.Registers; i++ {
			c.Int(int64(hll.Register(o.Str, i)))
		}
	case optIs(c.Args[1], "decode"):
		if hll.IsDense(o.Str) {
			c.Errorf("ERR HLL encoding is not sparse")
			return
		}
		c.BulkString(hll.Decode(o.Str))
	case optIs(c.Args[1], "encoding"):
		if hll.IsDense(o.Str) {
			c.Simple("dense")
		} else {
			c.Simple("sparse")
		}
	case optIs(c.Args[1], "todense"):
		wasSparse := !hll.IsDense(o.Str)
		if !pfdebugToDense(c, o, key) {
			return
		}
		if wasSparse {
			c.Int(1)
		} else {
			c.Int(0)
		}
	default:
		c.Errorf("ERR Unknown PFDEBUG subcommand '" + cString(c.Args[1], len(c.Args[1])) + "'")
	}
}

// pfdebugToDense converts key's value to dense in place, replying with
// the corruption error and returning false when it cannot.
func pfdebugToDense(c *Ctx, o *keyspace.Object, key []byte) bool {
	if hll.IsDense(o.Str) {
		return true
	}
	h, err := hll.ToDense(o.Str)
	if err != nil {
		c.Error(errCorruptHLL)
		return false
	}
	o.Str = h
	c.DB.Touch(key)
	return true
}

func pfselftestCommand(c *Ctx) {
	if err := hll.SelfTest(); err != nil {
		c.Errorf(err.Error())
		return
	}
	c.OK()
}
