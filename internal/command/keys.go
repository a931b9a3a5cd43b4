package command

import (
	"math"

	"github.com/respd/respd/internal/ds/glob"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// keyCommands are the generic keyspace commands (Redis's "generic"
// group): deleting, inspecting, renaming, copying and moving keys here;
// expiry in expire.go, SCAN in scan.go, OBJECT in object.go.
var keyCommands = []*Command{
	{Name: "del", Fn: delCommand, Arity: -2, Flags: Write, Keys: keys(1, -1, 1), ACL: CatKeyspace | CatWrite | CatSlow, Group: "generic", Since: "1.0.0", Summary: "Deletes one or more keys."},
	{Name: "unlink", Fn: delCommand, Arity: -2, Flags: Write | Fast, Keys: keys(1, -1, 1), ACL: CatKeyspace | CatWrite | CatFast, Group: "generic", Since: "4.0.0", Summary: "Asynchronously deletes one or more keys."},
	{Name: "exists", Fn: existsCommand, Arity: -2, Flags: ReadOnly | Fast, Keys: keys(1, -1, 1), ACL: CatKeyspace | CatRead | CatFast, Group: "generic", Since: "1.0.0", Summary: "Determines whether one or more keys exist."},
	{Name: "type", Fn: typeCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatRead | CatFast, Group: "generic", Since: "1.0.0", Summary: "Determines the type of value stored at a key."},
	{Name: "keys", Fn: keysCommand, Arity: 2, Flags: ReadOnly, ACL: CatKeyspace | CatRead | CatSlow | CatDangerous, Group: "generic", Since: "1.0.0", Summary: "Returns all key names that match a pattern."},
	{Name: "scan", Fn: scanCommand, Arity: -2, Flags: ReadOnly, ACL: CatKeyspace | CatRead | CatSlow, Group: "generic", Since: "2.8.0", Summary: "Iterates over the key names in the database."},
	{Name: "randomkey", Fn: randomkeyCommand, Arity: 1, Flags: ReadOnly, ACL: CatKeyspace | CatRead | CatSlow, Group: "generic", Since: "1.0.0", Summary: "Returns a random key name from the database."},
	{Name: "rename", Fn: renameCommand, Arity: 3, Flags: Write, Keys: keys(1, 2, 1), ACL: CatKeyspace | CatWrite | CatSlow, Group: "generic", Since: "1.0.0", Summary: "Renames a key and overwrites the destination."},
	{Name: "renamenx", Fn: renamenxCommand, Arity: 3, Flags: Write | Fast, Keys: keys(1, 2, 1), ACL: CatKeyspace | CatWrite | CatFast, Group: "generic", Since: "1.0.0", Summary: "Renames a key only when the target key name doesn't exist."},
	{Name: "copy", Fn: copyCommand, Arity: -3, Flags: Write | DenyOOM, Keys: keys(1, 2, 1), ACL: CatKeyspace | CatWrite | CatSlow, Group: "generic", Since: "6.2.0", Summary: "Copies the value of a key to a new key."},
	{Name: "move", Fn: moveCommand, Arity: 3, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatWrite | CatFast, Group: "generic", Since: "1.0.0", Summary: "Moves a key to another database."},
	{Name: "touch", Fn: touchCommand, Arity: -2, Flags: ReadOnly | Fast, Keys: keys(1, -1, 1), ACL: CatKeyspace | CatRead | CatFast, Group: "generic", Since: "3.2.1", Summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed."},
	{Name: "expire", Fn: expireCommand, Arity: -3, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatWrite | CatFast, Group: "generic", Since: "1.0.0", Summary: "Sets the expiration time of a key in seconds."},
	{Name: "pexpire", Fn: pexpireCommand, Arity: -3, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatWrite | CatFast, Group: "generic", Since: "2.6.0", Summary: "Sets the expiration time of a key in milliseconds."},
	{Name: "expireat", Fn: expireatCommand, Arity: -3, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatWrite | CatFast, Group: "generic", Since: "1.2.0", Summary: "Sets the expiration time of a key to a Unix timestamp."},
	{Name: "pexpireat", Fn: pexpireatCommand, Arity: -3, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatWrite | CatFast, Group: "generic", Since: "2.6.0", Summary: "Sets the expiration time of a key to a Unix milliseconds timestamp."},
	{Name: "ttl", Fn: ttlCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatRead | CatFast, Group: "generic", Since: "1.0.0", Summary: "Returns the expiration time in seconds of a key."},
	{Name: "pttl", Fn: pttlCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatRead | CatFast, Group: "generic", Since: "2.6.0", Summary: "Returns the expiration time in milliseconds of a key."},
	{Name: "expiretime", Fn: expiretimeCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatRead | CatFast, Group: "generic", Since: "7.0.0", Summary: "Returns the expiration time of a key as a Unix timestamp."},
	{Name: "pexpiretime", Fn: pexpiretimeCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatRead | CatFast, Group: "generic", Since: "7.0.0", Summary: "Returns the expiration time of a key as a Unix milliseconds timestamp."},
	{Name: "persist", Fn: persistCommand, Arity: 2, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatWrite | CatFast, Group: "generic", Since: "2.2.0", Summary: "Removes the expiration time of a key."},
	objectCommand,
}

// ErrSameObject is the reply when a command's source and destination are
// the same key (COPY) or the same database (MOVE).
var ErrSameObject = resp.Error("ERR source and destination objects are the same")

// delCommand is DEL and UNLINK: values are freed by the garbage collector
// either way, so UNLINK's background freeing has nothing to add.
func delCommand(c *Ctx) {
	n := int64(0)
	for _, k := range c.Args[1:] {
		if c.DB.Delete(k) {
			c.Notify(NotifyGeneric, "del", k)
			n++
		}
	}
	c.Int(n)
}

// existsCommand counts every argument that names a key, duplicates again.
func existsCommand(c *Ctx) {
	n := int64(0)
	for _, k := range c.Args[1:] {
		if c.DB.LookupNoTouch(k) != nil {
			n++
		}
	}
	c.Int(n)
}

func typeCommand(c *Ctx) {
	o := c.DB.LookupNoTouch(c.Args[1])
	if o == nil {
		c.Simple("none")
		return
	}
	c.Simple(o.Type.String())
}

func keysCommand(c *Ctx) {
	pattern := c.Args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	var out []string
	c.DB.Range(func(k string, _ *keyspace.Object) bool {
		if all || glob.MatchString(pattern, k, false) {
			out = append(out, k)
		}
		return true
	})
	c.Array(len(out))
	for _, k := range out {
		c.BulkString(k)
	}
}

func randomkeyCommand(c *Ctx) {
	k, ok := c.DB.RandomKey()
	if !ok {
		c.Null()
		return
	}
	c.BulkString(k)
}

func renameCommand(c *Ctx)   { rename(c, false) }
func renamenxCommand(c *Ctx) { rename(c, true) }

// rename moves a key's value and TTL to a new name; with nx it refuses to
// replace an existing key. Renaming a key onto itself checks only that it
// exists.
func rename(c *Ctx, nx bool) {
	src, dst := c.Args[1], c.Args[2]
	if !c.DB.ExistsForWrite(src) {
		c.Error(ErrNoSuchKey)
		return
	}
	if string(src) == string(dst) {
		if nx {
			c.Int(0)
		} else {
			c.OK()
		}
		return
	}
	if nx && c.DB.ExistsForWrite(dst) {
		c.Int(0)
		return
	}
	// Redis deletes an existing destination and adds the key anew,
	// which is a "new" event.
	c.DB.Delete(dst)
	c.DB.Relocate(src, c.DB, dst)
	c.Notify(NotifyGeneric, "rename_from", src)
	c.Notify(NotifyGeneric, "rename_to", dst)
	if nx {
		c.Int(1)
	} else {
		c.OK()
	}
}

// ErrIntRange is getIntFromObject's reply to an integer that does not fit
// in 32 bits (Redis's wording, grammar included).
var ErrIntRange = resp.Error("ERR value is out of range, value must between -2147483648 and 2147483647")

// parseDBIndex parses a database number as Redis's getIntFromObject does:
// a strict integer that fits in 32 bits, replying with the matching error
// otherwise. The range against the configured databases is checked
// separately, with its own error.
func parseDBIndex(c *Ctx, b []byte) (int64, bool) {
	n, ok := resp.ParseInt(b)
	if !ok {
		c.Error(ErrNotInt)
		return 0, false
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.Error(ErrIntRange)
		return 0, false
	}
	return n, true
}

// db returns database n, or nil when n is not a configured index.
func (c *Ctx) db(n int64) *keyspace.DB {
	if n < 0 || n >= int64(len(c.KS.DBs)) {
		return nil
	}
	return c.KS.DBs[n]
}

// copyCommand is COPY source destination [DB index] [REPLACE].
func copyCommand(c *Ctx) {
	src, dst := c.Args[1], c.Args[2]
	dbIndex := int64(c.DB.ID)
	replace := false
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "replace"):
			replace = true
		case c.ArgIs(i, "db") && i+1 < len(c.Args):
			n, ok := parseDBIndex(c, c.Args[i+1])
			if !ok {
				return
			}
			dbIndex = n
			i++
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if dbIndex != int64(c.DB.ID) && c.ClusterEnabled() {
		c.Error(errCopyCluster)
		return
	}
	to := c.db(dbIndex)
	if to == nil {
		c.Error(ErrDBIndex)
		return
	}
	if to == c.DB && string(src) == string(dst) {
		c.Error(ErrSameObject)
		return
	}
	o := c.DB.Lookup(src)
	if o == nil {
		c.Int(0)
		return
	}
	at := c.DB.Expire(src)
	if to.ExistsForWrite(dst) && !replace {
		c.Int(0)
		return
	}
	to.Delete(dst) // replaced keys are added anew ("new" event)
	to.Set(dst, o.Copy(), false)
	if at >= 0 {
		to.SetExpire(dst, at)
	}
	c.NotifyIn(to.ID, NotifyGeneric, "copy_to", dst)
	c.Int(1)
}

// moveCommand is MOVE key db: the key must not exist in the target.
func moveCommand(c *Ctx) {
	if c.ClusterEnabled() {
		c.Error(errMoveCluster)
		return
	}
	key := c.Args[1]
	n, ok := parseDBIndex(c, c.Args[2])
	if !ok {
		return
	}
	to := c.db(n)
	if to == nil {
		c.Error(ErrDBIndex)
		return
	}
	if to == c.DB {
		c.Error(ErrSameObject)
		return
	}
	if !c.DB.ExistsForWrite(key) || to.ExistsForWrite(key) {
		c.Int(0)
		return
	}
	c.DB.Relocate(key, to, key)
	c.Notify(NotifyGeneric, "move_from", key)
	c.NotifyIn(to.ID, NotifyGeneric, "move_to", key)
	c.Int(1)
}

// touchCommand counts the keys that exist, refreshing their access time.
func touchCommand(c *Ctx) {
	n := int64(0)
	for _, k := range c.Args[1:] {
		if c.DB.Lookup(k) != nil {
			n++
		}
	}
	c.Int(n)
}
