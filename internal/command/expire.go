package command

import (
	"math"
	"strconv"

	"github.com/respd/respd/internal/resp"
)

// Expiry errors, with Redis's texts.
var (
	ErrExpireNXAndOthers = resp.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
	ErrExpireGTAndLT     = resp.Error("ERR GT and LT options at the same time are not compatible")
)

// errInvalidExpire is the reply when a time overflows once converted to
// absolute milliseconds; it names the command.
func errInvalidExpire(c *Ctx) {
	c.Errorf("ERR invalid expire time in '" + c.Cmd.FullName() + "' command")
}

// The conditions EXPIRE and friends take after the time.
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

func expireCommand(c *Ctx)    { expireGeneric(c, true, 1000) }
func pexpireCommand(c *Ctx)   { expireGeneric(c, true, 1) }
func expireatCommand(c *Ctx)  { expireGeneric(c, false, 1000) }
func pexpireatCommand(c *Ctx) { expireGeneric(c, false, 1) }

// expireOptions parses the NX|XX|GT|LT flags after the time. Redis reads
// them before the time itself, so a bad option wins over a bad number.
func expireOptions(c *Ctx) (int, bool) {
	flags := 0
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "nx"):
			flags |= expireNX
		case c.ArgIs(i, "xx"):
			flags |= expireXX
		case c.ArgIs(i, "gt"):
			flags |= expireGT
		case c.ArgIs(i, "lt"):
			flags |= expireLT
		default:
			c.Errorf("ERR Unsupported option " + cString(c.Args[i], len(c.Args[i])))
			return 0, false
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.Error(ErrExpireNXAndOthers)
		return 0, false
	}
	if flags&(expireGT|expireLT) == expireGT|expireLT {
		c.Error(ErrExpireGTAndLT)
		return 0, false
	}
	return flags, true
}

// expireGeneric sets a key's TTL from a time in unit ms, relative to now
// or absolute. A time already past deletes the key (except on a replica,
// which waits for its master's DEL).
func expireGeneric(c *Ctx, relative bool, unit int64) {
	key := c.Args[1]
	flags, ok := expireOptions(c)
	if !ok {
		return
	}
	when, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	// Negative times are allowed; only overflow is refused.
	if unit != 1 {
		if when > math.MaxInt64/unit || when < math.MinInt64/unit {
			errInvalidExpire(c)
			return
		}
		when *= unit
	}
	if relative {
		now := c.DB.Now()
		if when > math.MaxInt64-now {
			errInvalidExpire(c)
			return
		}
		when += now
	}
	if !c.DB.ExistsForWrite(key) {
		c.Int(0)
		return
	}
	if flags != 0 {
		cur := c.DB.Expire(key) // -1: no TTL, which counts as infinite
		switch {
		case flags&expireNX != 0 && cur != -1,
			flags&expireXX != 0 && cur == -1,
			flags&expireGT != 0 && (cur == -1 || when <= cur),
			flags&expireLT != 0 && cur != -1 && when >= cur:
			c.Int(0)
			return
		}
	}
	if when <= c.DB.Now() && !c.KS.Replica {
		c.DB.Delete(key)
		c.Notify(NotifyGeneric, "del", key)
		c.rewriteDelete(key, "lazyfree-lazy-expire")
	} else {
		c.DB.SetExpire(key, when)
		c.Notify(NotifyGeneric, "expire", key)
		if c.Propagating() && (relative || unit != 1) {
			// PEXPIREAT with the absolute time; the conditions stay.
			var num [20]byte
			var buf [8][]byte
			args := append(buf[:0], argPEXPIREAT, key, strconv.AppendInt(num[:0], when, 10))
			c.Rewrite(append(args, c.Args[3:]...)...)
		}
	}
	c.Int(1)
}

func ttlCommand(c *Ctx)         { ttlGeneric(c, false, false) }
func pttlCommand(c *Ctx)        { ttlGeneric(c, true, false) }
func expiretimeCommand(c *Ctx)  { ttlGeneric(c, false, true) }
func pexpiretimeCommand(c *Ctx) { ttlGeneric(c, true, true) }

// ttlGeneric replies -2 for a missing key, -1 for one without a TTL, else
// the remaining (or, with abs, the absolute) time; seconds are rounded to
// the nearest.
func ttlGeneric(c *Ctx, ms, abs bool) {
	key := c.Args[1]
	if c.DB.LookupNoTouch(key) == nil {
		c.Int(-2)
		return
	}
	at := c.DB.Expire(key)
	if at == -1 {
		c.Int(-1)
		return
	}
	t := at
	if !abs {
		t = max(at-c.DB.Now(), 0)
	}
	if !ms {
		t = (t + 500) / 1000
	}
	c.Int(t)
}

func persistCommand(c *Ctx) {
	key := c.Args[1]
	if c.DB.ExistsForWrite(key) && c.DB.Persist(key) {
		c.Notify(NotifyGeneric, "persist", key)
		c.Int(1)
		return
	}
	c.Int(0)
}
