package command

import (
	"strconv"

	"github.com/respd/respd/internal/rdb"
	"github.com/respd/respd/internal/resp"
)

var dumpCommands = []*Command{
	{Name: "dump", Fn: dumpCommand, Arity: 2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatRead | CatSlow, Group: "generic", Since: "2.6.0", Summary: "Returns a serialized representation of the value stored at a key."},
	{Name: "restore", Fn: restoreCommand, Arity: -4, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatWrite | CatSlow | CatDangerous, Group: "generic", Since: "2.6.0", Summary: "Creates a key from the serialized representation of a value."},
}

var (
	errBusyKey     = resp.Error("BUSYKEY Target key name already exists.")
	errBadTTL      = resp.Error("ERR Invalid TTL value, must be >= 0")
	errBadIdle     = resp.Error("ERR Invalid IDLETIME value, must be >= 0")
	errBadFreq     = resp.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
	errBadPayload  = resp.Error("ERR DUMP payload version or checksum are wrong")
	errBadDataForm = resp.Error("ERR Bad data format")
)

func dumpCommand(c *Ctx) {
	o := c.DB.Lookup(c.Args[1])
	if o == nil {
		c.Null()
		return
	}
	c.Bulk(rdb.Dump(o))
}

func restoreCommand(c *Ctx) {
	key := c.Args[1]
	replace, absTTL := false, false
	idle, freq := int64(-1), int64(-1)
	for i := 4; i < len(c.Args); i++ {
		more := i+1 < len(c.Args)
		switch {
		case c.ArgIs(i, "replace"):
			replace = true
		case c.ArgIs(i, "absttl"):
			absTTL = true
		case c.ArgIs(i, "idletime") && more && freq == -1:
			i++
			v, ok := resp.ParseInt(c.Args[i])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			if v < 0 {
				c.Error(errBadIdle)
				return
			}
			idle = v
		case c.ArgIs(i, "freq") && more && idle == -1:
			i++
			v, ok := resp.ParseInt(c.Args[i])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			if v < 0 || v > 255 {
				c.Error(errBadFreq)
				return
			}
			freq = v
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	ttl, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if ttl < 0 {
		c.Error(errBadTTL)
		return
	}
	if !replace && c.DB.Exists(key) {
		c.Error(errBusyKey)
		return
	}
	payload := c.Args[3]
	if rdb.CheckPayload(payload) != nil {
		c.Error(errBadPayload)
		return
	}
	o, err := rdb.Restore(payload, rdbLimits(c))
	if err != nil {
		c.Error(errBadDataForm)
		return
	}
	now := c.DB.Now()
	if ttl > 0 && !absTTL {
		ttl += now
	}
	if ttl > 0 && ttl <= now {
		// Already expired: the key is gone, and the reply is still OK.
		if replace && c.DB.Delete(key) {
			c.rewriteDelete(key, "lazyfree-lazy-server-del")
			c.Notify(NotifyGeneric, "del", key)
		}
		c.OK()
		return
	}
	c.DB.Set(key, o, false)
	if ttl > 0 {
		c.DB.SetExpire(key, ttl)
		if !absTTL && c.Propagating() {
			// Propagated with the absolute time, as Redis does.
			args := append([][]byte{}, c.Args...)
			args[2] = strconv.AppendInt(nil, ttl, 10)
			c.Rewrite(append(args, []byte("ABSTTL"))...)
		}
	}
	c.KS.SetAccessHints(o, freq, idle)
	c.Notify(NotifyGeneric, "restore", key)
	if ttl > 0 {
		c.Notify(NotifyGeneric, "expire", key)
	}
	c.OK()
}

// rdbLimits are the encoding thresholds restored values follow.
func rdbLimits(c *Ctx) rdb.Limits {
	if c.Host == nil {
		return rdb.DefaultLimits
	}
	return rdb.ConfigLimits(c.Host.Config())
}
