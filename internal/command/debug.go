package command

import (
	"fmt"
	"strconv"
	"time"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// debugCommands holds DEBUG: one command whose subcommands it parses
// itself, as in Redis, so their errors are DEBUG's own.
var debugCommands = []*Command{
	{Name: "debug", Fn: debugCommand, Arity: -2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "1.0.0", Summary: "A container for debugging commands."},
}

var (
	errDebugNotAllowed = resp.Error(`ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`)
	errNoKey           = resp.Error("ERR no such key")
)

// debugAllowed applies enable-debug-command: "yes", or "local" for a
// client on a loopback address or unix socket.
func debugAllowed(c *Ctx) bool {
	switch c.Host.Config().Get("enable-debug-command") {
	case "yes":
		return true
	case "local":
		return isLocal(c.Sess)
	}
	return false
}

func debugCommand(c *Ctx) {
	if !debugAllowed(c) {
		c.Error(errDebugNotAllowed)
		return
	}
	n := len(c.Args)
	switch {
	case c.ArgIs(1, "help") && n == 2:
		debugHelp(c)
	case c.ArgIs(1, "sleep") && n == 3:
		debugSleep(c)
	case c.ArgIs(1, "set-active-expire") && n == 3:
		c.Host.SetActiveExpire(cAtoi(c.Args[2]) != 0)
		c.OK()
	case c.ArgIs(1, "object") && n == 3:
		debugObject(c)
	case c.ArgIs(1, "reload"):
		debugReload(c)
	default:
		c.Errorf("ERR unknown subcommand or wrong number of arguments for '" + cString(c.Args[1], 128) + "'. Try DEBUG HELP.")
	}
}

// debugReload saves the dataset, empties it and loads the file back,
// checking that everything survives the trip; NOSAVE, NOFLUSH and MERGE
// (loaded keys replace existing ones) vary it.
func debugReload(c *Ctx) {
	save, flush, merge := true, true, false
	for i := 2; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "merge"):
			merge = true
		case c.ArgIs(i, "noflush"):
			flush = false
		case c.ArgIs(i, "nosave"):
			save = false
		default:
			c.Errorf("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	if save {
		if err := c.Host.Save(); err != nil {
			c.Errorf(persistError(err))
			return
		}
	}
	if flush {
		c.KS.FlushAll()
	}
	if err := c.Host.LoadRDB(merge); err != nil {
		c.Errorf("ERR Error trying to load the RDB dump, check server logs.")
		return
	}
	c.OK()
}

// debugSleep stops the whole server for the given seconds (fractions
// allowed): the handler runs under the engine lock, so every client
// waits, as with Redis's single thread. Unparsable or negative times
// sleep not at all, as C's strtod would have it.
func debugSleep(c *Ctx) {
	secs := cStrtod(c.Args[2])
	if secs > 0 {
		time.Sleep(time.Duration(secs * float64(time.Second)))
	}
	c.OK()
}

// debugObject prints Redis's one-line summary of a value. The address is
// the Go object's; the serialized length is what Redis's RDB encoding of
// the value would take, estimated for non-strings; lru is the access
// time on Redis's 24-bit seconds clock.
func debugObject(c *Ctx) {
	o := c.DB.Peek(c.Args[2])
	if o == nil {
		c.Error(errNoKey)
		return
	}
	refcount := int64(1)
	if o.Type == keyspace.TypeString && o.Enc == keyspace.EncInt && !o.Unshared && sharesIntegers(c) {
		if v, ok := resp.ParseInt(o.Str); ok && v >= 0 && v < sharedIntegers {
			refcount = 2147483647
		}
	}
	const lruMask = 1<<24 - 1
	lru := (o.Access / 1000) & lruMask
	idle := max(c.DB.Now()/1000-o.Access/1000, 0)
	c.Simple(fmt.Sprintf("Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		o, refcount, o.Enc, serializedLength(o), lru, idle))
}

// serializedLength is the size of o in an RDB file, without compression.
func serializedLength(o *keyspace.Object) int64 {
	if o.Type == keyspace.TypeString {
		return rdbStringLen(o.Str)
	}
	var n int64
	elems := 0
	walkElements(o, func(b []byte) bool {
		n += rdbStringLen(b)
		elems++
		return true
	})
	return n + rdbLenLen(int64(elems))
}

// rdbStringLen is the RDB size of a string: integers that fit 32 bits
// take a tag byte and 1, 2 or 4 bytes, others a length and the bytes.
func rdbStringLen(b []byte) int64 {
	if len(b) <= 11 {
		if v, ok := resp.ParseInt(b); ok {
			switch {
			case v >= -1<<7 && v < 1<<7:
				return 2
			case v >= -1<<15 && v < 1<<15:
				return 3
			case v >= -1<<31 && v < 1<<31:
				return 5
			}
		}
	}
	return rdbLenLen(int64(len(b))) + int64(len(b))
}

// rdbLenLen is the size of an RDB length prefix for n.
func rdbLenLen(n int64) int64 {
	switch {
	case n < 1<<6:
		return 1
	case n < 1<<14:
		return 2
	case n <= 1<<32-1:
		return 5
	}
	return 9
}

// cAtoi parses as C's atoi: optional blanks and sign, then digits up to
// the first non-digit; anything else reads as 0.
func cAtoi(b []byte) int64 {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

// cStrtod parses the longest prefix of b that is a number, as C's strtod
// does; no number reads as 0.
func cStrtod(b []byte) float64 {
	s := string(b)
	for len(s) > 0 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')) {
		s = s[1:]
	}
	for end := len(s); end > 0; end-- {
		if f, err := strconv.ParseFloat(s[:end], 64); err == nil || isRangeErr(err) {
			return f
		}
	}
	return 0
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func debugHelp(c *Ctx) {
	helpReply(c, "DEBUG",
		"AOF-FLUSH-SLEEP <microsec>",
		"    Server will sleep before flushing the AOF, this is used for testing.",
		"ASSERT",
		"    Crash by assertion failed.",
		"CHANGE-REPL-ID",
		"    Change the replication IDs of the instance.",
		"    Dangerous: should be used only for testing the replication subsystem.",
		"CONFIG-REWRITE-FORCE-ALL",
		"    Like CONFIG REWRITE but writes all configuration options, including",
		"    keywords not listed in original configuration file or default values.",
		"CRASH-AND-RECOVER [<milliseconds>]",
		"    Hard crash and restart after a <milliseconds> delay (default 0).",
		"DIGEST",
		"    Output a hex signature representing the current DB content.",
		"DIGEST-VALUE <key> [<key> ...]",
		"    Output a hex signature of the values of all the specified keys.",
		"ERROR <string>",
		"    Return a Redis protocol error with <string> as message. Useful for clients",
		"    unit tests to simulate Redis errors.",
		"LEAK <string>",
		"    Create a memory leak of the input string.",
		"LOG <message>",
		"    Write <message> to the server log.",
		"HTSTATS <dbid>",
		"    Return hash table statistics of the specified Redis database.",
		"HTSTATS-KEY <key>",
		"    Like HTSTATS but for the hash table stored at <key>'s value.",
		"LOADAOF",
		"    Flush the AOF buffers on disk and reload the AOF in memory.",
		"REPLICATE <string>",
		"    Replicates the provided string to replicas, allowing data divergence.",
		"MALLCTL <key> [<val>]",
		"    Get or set a malloc tuning integer.",
		"MALLCTL-STR <key> [<val>]",
		"    Get or set a malloc tuning string.",
		"OBJECT <key>",
		"    Show low level info about `key` and associated value.",
		"DROP-CLUSTER-PACKET-FILTER <packet-type>",
		"    Drop all packets that match the filtered type. Set to -1 allow all packets.",
		"OOM",
		"    Crash the server simulating an out-of-memory error.",
		"PANIC",
		"    Crash the server simulating a panic.",
		"POPULATE <count> [<prefix>] [<size>]",
		"    Create <count> string keys named key:<num>. If <prefix> is specified then",
		"    it is used instead of the 'key' prefix. These are not propagated to",
		"    replicas. Cluster slots are not respected so keys not belonging to the",
		"    current node can be created in cluster mode.",
		"PROTOCOL <type>",
		"    Reply with a test value of the specified type. <type> can be: string,",
		"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
		"    true, false.",
		"RELOAD [option ...]",
		"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
		"    * MERGE: conflicting keys will be loaded from RDB.",
		"    * NOFLUSH: the existing database will not be removed before load, but",
		"      conflicting keys will generate an exception and kill the server.",
		"    * NOSAVE: the database will be loaded from an existing RDB file.",
		"    Examples:",
		"    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
		"      the database.",
		"    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
		"      existing RDB file.",
		"    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
		"      file to the database.",
		"RESTART [<milliseconds>]",
		"    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
		"SDSLEN <key>",
		"    Show low level SDS string info representing `key` and value.",
		"SEGFAULT",
		"    Crash the server with sigsegv.",
		"SET-ACTIVE-EXPIRE <0|1>",
		"    Setting it to 0 disables expiring keys in background when they are not",
		"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
		"    default.",
		"QUICKLIST-PACKED-THRESHOLD <size>",
		"    Sets the threshold for elements to be inserted as plain vs packed nodes",
		"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
		"SET-SKIP-CHECKSUM-VALIDATION <0|1>",
		"    Enables or disables checksum checks for RDB files and RESTORE's payload.",
		"SLEEP <seconds>",
		"    Stop the server for <seconds>. Decimals allowed.",
		"STRINGMATCH-TEST",
		"    Run a fuzz tester against the stringmatchlen() function.",
		"STRUCTSIZE",
		"    Return the size of different Redis core C structures.",
		"LISTPACK <key>",
		"    Show low level info about the listpack encoding of <key>.",
		"QUICKLIST <key> [<0|1>]",
		"    Show low level info about the quicklist encoding of <key>.",
		"    The optional argument (0 by default) sets the level of detail",
		"CLIENT-EVICTION",
		"    Show low level client eviction pools info (maxmemory-clients).",
		"PAUSE-CRON <0|1>",
		"    Stop periodic cron job processing.",
		"REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
		"    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
		"    In case NEVER is provided the last observed peak will never be reset",
		"    In case RESET is provided the peak reset time will be restored to the default value",
		"REPLYBUFFER RESIZING <0|1>",
		"    Enable or disable the reply buffer resize cron job",
		"CLUSTERLINK KILL <to|from|all> <node-id>",
		"    Kills the link based on the direction to/from (both) with the provided node.",
	)
}
