package acl

import (
	"strings"

	"github.com/respd/respd/internal/command"
)

// The access each key argument of a command needs, after Redis 7.0's key
// specs: R when the command reads the value (ACCESS), W when it inserts,
// deletes or updates, both, or neither ("0": any pattern that matches the
// name will do, as for EXISTS or TYPE). Each space-separated entry is one
// key spec; the keys ACLKeys finds take them in order, the last entry
// covering the rest. Commands missing here (respd's own) fall back to
// their read/write flags.
var keySpecPerms = map[string]string{
	"append":                "W",
	"bitcount":              "R",
	"bitfield":              "RW",
	"bitfield_ro":           "R",
	"bitop":                 "W R",
	"bitpos":                "R",
	"blmove":                "RW W",
	"blmpop":                "RW",
	"blpop":                 "RW",
	"brpop":                 "RW",
	"brpoplpush":            "RW W",
	"bzmpop":                "RW",
	"bzpopmax":              "RW",
	"bzpopmin":              "RW",
	"copy":                  "R W",
	"decr":                  "RW",
	"decrby":                "RW",
	"del":                   "W",
	"dump":                  "R",
	"eval":                  "RW",
	"eval_ro":               "R",
	"evalsha":               "RW",
	"evalsha_ro":            "R",
	"exists":                "0",
	"expire":                "W",
	"expireat":              "W",
	"expiretime":            "R",
	"fcall":                 "RW",
	"fcall_ro":              "R",
	"geoadd":                "W",
	"geodist":               "R",
	"geohash":               "R",
	"geopos":                "R",
	"georadius":             "R W W",
	"georadius_ro":          "R",
	"georadiusbymember":     "R W W",
	"georadiusbymember_ro":  "R",
	"geosearch":             "R",
	"geosearchstore":        "W R",
	"get":                   "R",
	"getbit":                "R",
	"getdel":                "RW",
	"getex":                 "RW",
	"getrange":              "R",
	"getset":                "RW",
	"hdel":                  "W",
	"hexists":               "0",
	"hget":                  "R",
	"hgetall":               "R",
	"hincrby":               "RW",
	"hincrbyfloat":          "RW",
	"hkeys":                 "R",
	"hlen":                  "0",
	"hmget":                 "R",
	"hmset":                 "W",
	"hrandfield":            "R",
	"hscan":                 "R",
	"hset":                  "W",
	"hsetnx":                "W",
	"hstrlen":               "0",
	"hvals":                 "R",
	"incr":                  "RW",
	"incrby":                "RW",
	"incrbyfloat":           "RW",
	"lcs":                   "R",
	"lindex":                "R",
	"linsert":               "W",
	"llen":                  "0",
	"lmove":                 "RW W",
	"lmpop":                 "RW",
	"lpop":                  "RW",
	"lpos":                  "R",
	"lpush":                 "W",
	"lpushx":                "W",
	"lrange":                "R",
	"lrem":                  "W",
	"lset":                  "W",
	"ltrim":                 "W",
	"memory|usage":          "0",
	"mget":                  "R",
	"migrate":               "RW RW",
	"move":                  "RW",
	"mset":                  "W",
	"msetnx":                "W",
	"object|encoding":       "0",
	"object|freq":           "0",
	"object|idletime":       "0",
	"object|refcount":       "0",
	"persist":               "W",
	"pexpire":               "W",
	"pexpireat":             "W",
	"pexpiretime":           "R",
	"pfadd":                 "W",
	"pfcount":               "R",
	"pfdebug":               "R",
	"pfmerge":               "RW R",
	"psetex":                "W",
	"pttl":                  "R",
	"rename":                "RW W",
	"renamenx":              "RW W",
	"restore":               "W",
	"restore-asking":        "W",
	"rpop":                  "RW",
	"rpoplpush":             "RW W",
	"rpush":                 "W",
	"rpushx":                "W",
	"sadd":                  "W",
	"scard":                 "0",
	"sdiff":                 "R",
	"sdiffstore":            "W R",
	"set":                   "RW",
	"setbit":                "RW",
	"setex":                 "W",
	"setnx":                 "W",
	"setrange":              "W",
	"sinter":                "R",
	"sintercard":            "R",
	"sinterstore":           "W R",
	"sismember":             "0",
	"smembers":              "R",
	"smismember":            "R",
	"smove":                 "RW W",
	"sort":                  "R W",
	"sort_ro":               "R",
	"spop":                  "RW",
	"spublish":              "-",
	"srandmember":           "R",
	"srem":                  "W",
	"sscan":                 "R",
	"ssubscribe":            "-",
	"strlen":                "0",
	"substr":                "R",
	"sunion":                "R",
	"sunionstore":           "W R",
	"sunsubscribe":          "-",
	"touch":                 "0",
	"ttl":                   "R",
	"type":                  "0",
	"unlink":                "W",
	"watch":                 "0",
	"xack":                  "W",
	"xadd":                  "W",
	"xautoclaim":            "W",
	"xclaim":                "W",
	"xdel":                  "W",
	"xgroup|create":         "W",
	"xgroup|createconsumer": "W",
	"xgroup|delconsumer":    "W",
	"xgroup|destroy":        "W",
	"xgroup|setid":          "W",
	"xinfo|consumers":       "R",
	"xinfo|groups":          "R",
	"xinfo|stream":          "R",
	"xlen":                  "0",
	"xpending":              "R",
	"xrange":                "R",
	"xread":                 "R",
	"xreadgroup":            "R",
	"xrevrange":             "R",
	"xsetid":                "W",
	"xtrim":                 "W",
	"zadd":                  "W",
	"zcard":                 "0",
	"zcount":                "R",
	"zdiff":                 "R",
	"zdiffstore":            "W R",
	"zincrby":               "RW",
	"zinter":                "R",
	"zintercard":            "R",
	"zinterstore":           "W R",
	"zlexcount":             "R",
	"zmpop":                 "RW",
	"zmscore":               "R",
	"zpopmax":               "RW",
	"zpopmin":               "RW",
	"zrandmember":           "R",
	"zrange":                "R",
	"zrangebylex":           "R",
	"zrangebyscore":         "R",
	"zrangestore":           "W R",
	"zrank":                 "R",
	"zrem":                  "W",
	"zremrangebylex":        "W",
	"zremrangebyrank":       "W",
	"zremrangebyscore":      "W",
	"zrevrange":             "R",
	"zrevrangebylex":        "R",
	"zrevrangebyscore":      "R",
	"zrevrank":              "R",
	"zscan":                 "R",
	"zscore":                "R",
	"zunion":                "R",
	"zunionstore":           "W R",
}

// keyPerm returns the permission the ordinal-th key of cmd needs.
func keyPerm(cmd *command.Command, args [][]byte, ordinal int) uint8 {
	name := cmd.FullName()
	switch name {
	case "set":
		// GET makes SET read the old value.
		for _, a := range args[3:] {
			if command.EqualFold(a, "get") {
				return permAll
			}
		}
		return permWrite
	case "bitfield":
		for _, a := range args[2:] {
			if command.EqualFold(a, "set") || command.EqualFold(a, "incrby") {
				return permAll
			}
		}
		return permRead
	}
	spec, ok := keySpecPerms[name]
	if !ok {
		switch {
		case cmd.Has(command.Write):
			return permAll
		case cmd.Has(command.ReadOnly):
			return permRead
		}
		return permAll
	}
	entries := strings.Fields(spec)
	e := entries[min(ordinal, len(entries)-1)]
	var p uint8
	if strings.Contains(e, "R") {
		p |= permRead
	}
	if strings.Contains(e, "W") {
		p |= permWrite
	}
	return p
}
