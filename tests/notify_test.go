package tests

import (
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/servertest"
)

// notifyCases are command sequences whose keyspace events respd must
// publish exactly as Redis does: same channels, messages and order.
// Commands are split on spaces; "!sleep MS" pauses; "!block CMD" sends
// CMD on a second connection and waits until it blocks (its reply is read
// at the end).
var notifyCases = []struct {
	name   string
	config string
	cmds   []string
}{
	{"strings", "KEA", []string{
		"SET s v", "SET s w EX 100", "SETEX s 100 x", "PSETEX s 100000 x", "SET s v KEEPTTL", "SETNX s v", "SETNX s2 v",
		"GETSET s y", "MSET a 1 b 2", "MSETNX a 1 c 3", "MSETNX c 3 d 4", "APPEND s z", "APPEND newa z",
		"SETRANGE s 1 q", "SETRANGE s 1 ''", "SETRANGE sr 2 x", "INCR n", "DECR n", "INCRBY n 5", "DECRBY n 2",
		"INCRBYFLOAT f 1.5", "INCRBYFLOAT f 1", "GETDEL s", "GETDEL s", "SET g 1", "GETEX g EX 100", "GETEX g PERSIST",
		"GETEX g PERSIST", "GETEX g PXAT 1", "INCR s2",
	}},
	{"generic", "KEA", []string{
		"SET a 1", "SET b 2", "DEL a b nokey", "SET a 1", "UNLINK a", "SET a 1", "RENAME a b", "SET c 3", "RENAME b c",
		"RENAMENX c d", "SET e 1", "RENAMENX d e", "RENAME d d", "COPY d f", "COPY d f", "COPY d f REPLACE", "COPY d g DB 1",
		"MOVE g 1", "MOVE d 1", "EXPIRE f 100", "PEXPIRE f 100000", "EXPIREAT f 99999999999", "EXPIRE f 100 NX",
		"PERSIST f", "PERSIST f", "EXPIRE f -1", "EXPIRE nokey 10", "SET h 1", "PEXPIREAT h 1",
	}},
	{"lists", "KEA", []string{
		"LPUSH l a b c", "RPUSH l d e", "LPUSHX l f", "RPUSHX l g", "LPUSHX nol f", "LPOP l", "RPOP l", "LPOP l 2",
		"LSET l 0 z", "LINSERT l BEFORE z y", "LINSERT l AFTER nothere y", "LREM l 1 y", "LREM l 0 nothere",
		"LTRIM l 0 1", "LMOVE l m LEFT RIGHT", "RPOPLPUSH l m", "LMOVE m m LEFT LEFT", "LMPOP 2 nol m RIGHT COUNT 5",
		"RPUSH t a b c", "LTRIM t 5 10", "RPUSH p a", "BLPOP p 1", "RPUSH q a b", "LREM q 0 a", "LREM q 0 b",
		"RPUSH srt 3 1 2", "SORT srt STORE sorted", "SORT nokey STORE sorted", "SORT nokey STORE sorted",
	}},
	{"hashes", "KEA", []string{
		"HSET h a 1 b 2", "HSET h a 1", "HSETNX h c 3", "HSETNX h c 3", "HMSET h d 4", "HINCRBY h n 5",
		"HINCRBYFLOAT h f 1.5", "HDEL h a nothere", "HDEL h nothere", "HDEL h b c d n f",
	}},
	{"sets", "KEA", []string{
		"SADD s a b c d", "SADD s a", "SREM s a", "SREM s zz", "SMOVE s t b", "SMOVE s t zz", "SADD u c x",
		"SINTERSTORE i s u", "SUNIONSTORE un s u", "SDIFFSTORE df s u", "SINTERSTORE i nokey s", "SDIFFSTORE df s s",
		"SPOP u", "SPOP t 5", "SREM s c d", "SADD r a b c", "SPOP r 2", "SADD q a", "SMOVE q q2 a",
	}},
	{"zsets", "KEA", []string{
		"ZADD z 1 a 2 b 3 c 4 d 5 e", "ZADD z 1 a", "ZADD z INCR 2 a", "ZINCRBY z 1 b", "ZREM z a nothere",
		"ZREM z nothere", "ZPOPMIN z", "ZPOPMAX z", "ZADD y 1 x 2 b", "ZUNIONSTORE u 2 z y", "ZINTERSTORE i 2 z y",
		"ZDIFFSTORE d 2 z y", "ZRANGESTORE r z 0 -1", "ZINTERSTORE i 2 z nokey", "ZREMRANGEBYRANK u 0 0",
		"ZREMRANGEBYSCORE u 0 2", "ZADD lx 0 a 0 b 0 c", "ZREMRANGEBYLEX lx [a [b", "ZREMRANGEBYLEX lx - +",
		"ZMPOP 1 u MIN COUNT 9", "ZADD bz 1 a", "BZPOPMIN bz 1", "ZADD z GT 0 c",
	}},
	{"streams", "KEA", []string{
		"XADD x 1-1 f v", "XADD x 2-1 f v", "XADD x 3-1 f v", "XADD x MAXLEN 2 4-1 f v", "XTRIM x MAXLEN 1",
		"XTRIM x MAXLEN 5", "XDEL x 4-1", "XDEL x 9-9", "XGROUP CREATE x g 0", "XGROUP CREATE nx g $ MKSTREAM",
		"XGROUP CREATECONSUMER x g c2", "XADD x 5-1 f v", "XREADGROUP GROUP g c COUNT 5 STREAMS x >",
		"XREADGROUP GROUP g c9 STREAMS x >", "XREADGROUP GROUP g c9 STREAMS x 0", "XCLAIM x g c3 0 5-1", "XAUTOCLAIM x g c4 0 0", "XGROUP DELCONSUMER x g c2", "XGROUP SETID x g 0",
		"XSETID x 9-9", "XGROUP DESTROY x g", "XADD x NOMKSTREAM 10-1 f v", "XADD nos NOMKSTREAM * f v",
	}},
	// Lazy expiry, in the order the keys are read (the cron is off: its
	// sampling order is Redis's hash order).
	{"bits-hll-geo", "KEA", []string{
		"SETBIT b 3 1", "SETBIT b 3 1", "SETBIT b 3 0", "BITFIELD bf SET u8 0 255", "BITFIELD bf GET u8 0",
		"BITFIELD bf OVERFLOW FAIL INCRBY u8 0 10", "BITOP OR o b bf", "BITOP AND o nokey nokey2", "BITOP AND o nokey",
		"PFADD h a b", "PFADD h a", "PFADD h2 c", "PFMERGE h3 h h2", "PFCOUNT h", "GEOADD g 13.36 38.11 p 15.08 37.50 q",
		"GEOSEARCHSTORE gs g FROMLONLAT 15 37 BYRADIUS 200 km ASC", "GEORADIUS g 15 37 200 km STORE gr",
		"GEOSEARCHSTORE gs g FROMLONLAT 0 0 BYRADIUS 1 km ASC", "GEOSEARCHSTORE gs nokey FROMLONLAT 0 0 BYRADIUS 1 km ASC",
		"GEORADIUS g 15 37 200 km STOREDIST gd",
	}},
	{"blocking-and-multi", "KEA", []string{
		"RPUSH src a b", "BLMOVE src dst RIGHT LEFT 1", "BRPOPLPUSH src dst 1", "BLMPOP 1 dst LEFT COUNT 5",
		"ZADD z 1 a 2 b", "BZMPOP 1 1 z MAX COUNT 5", "MULTI", "SET m 1", "INCR m", "DEL m", "EXEC",
	}},
	// Clients served when another pushes: the push's event comes first.
	{"blocked-served", "KEA", []string{
		"!block BLPOP l 5", "RPUSH l a b", "!block BLMOVE src dst LEFT RIGHT 5", "LPUSH src x",
		"!block BZPOPMIN z 5", "ZADD z 1 a", "!block XREAD BLOCK 5000 STREAMS x $", "XADD x 1-1 f v",
	}},
	{"flush-swap", "KEA", []string{"SET a 1", "FLUSHDB", "SET b 1", "SWAPDB 0 1", "SELECT 1", "SET c 1", "FLUSHALL"}},
	{"set-options", "KEA", []string{
		"SET a 1 NX", "SET a 2 NX", "SET a 3 XX GET", "SET b 1 XX", "SET a 4 EXAT 1", "SET c 5 PXAT 99999999999999",
		"SET c 6 KEEPTTL GET", "GETEX c", "GETEX c PX 5000", "GETEX nokey PERSIST",
	}},
	{"expired", "KEA", []string{
		"DEBUG SET-ACTIVE-EXPIRE 0", "SET e 1 PX 30", "SET f 1 PX 30", "RPUSH l a", "PEXPIRE l 30", "!sleep 120",
		"GET e", "EXISTS f", "LLEN l", "SET g 1 PX 30", "!sleep 60", "SET g 2", "DEBUG SET-ACTIVE-EXPIRE 1",
	}},
	// Active expiry of a key nobody reads.
	{"expired-active", "Ex", []string{"SET e 1 PX 20", "SET f 1", "!sleep 400"}},
	{"new", "KEA$ln", []string{
		"SET a 1", "SET a 2", "RPUSH l a", "RPUSH l b", "RENAME a b", "SET c 1", "RENAME b c", "COPY c d",
		"COPY c d REPLACE", "APPEND e x", "INCR n",
	}},
	{"keymiss", "KEm", []string{
		"GET a", "SET a 1", "GET a", "MGET a b c", "EXISTS b", "TYPE b", "TTL b", "LRANGE l 0 -1", "HGET h f",
		"SMEMBERS s", "ZSCORE z m", "XRANGE x - +", "STRLEN b", "GETRANGE b 0 1", "OBJECT ENCODING b", "MEMORY USAGE b", "DEL b", "INCR c",
		"LPUSH l a", "LPOP nol", "PFCOUNT nohll", "SCARD s", "SISMEMBER s a", "ZCARD z", "HLEN h", "LLEN l", "GETDEL b",
	}},
	{"new-only", "Kn", []string{"SET a 1", "SET a 2", "SADD s a", "DEL a"}},
	{"keyspace-only", "K$", []string{"SET a 1", "INCR a", "LPUSH l a", "DEL a"}},
	{"keyevent-only", "Eg", []string{"SET a 1", "DEL a", "SET b 1", "EXPIRE b 10", "PERSIST b"}},
	{"no-channel", "A", []string{"SET a 1", "DEL a"}},
	{"off", "", []string{"SET a 1", "DEL a", "LPUSH l a", "LPOP l", "SET e 1 PX 10", "!sleep 50", "GET e"}},
}

// TestNotifyDifferential runs each case against respd and real Redis and
// compares the keyspace events a PSUBSCRIBE __key*__:* client receives.
func TestNotifyDifferential(t *testing.T) {
	oracle := servertest.RedisServer(t, "--enable-debug-command", "yes")
	in := servertest.Start(t, "--enable-debug-command", "yes")
	for _, tc := range notifyCases {
		t.Run(tc.name, func(t *testing.T) {
			want, wantReplies := notifyEvents(t, oracle, tc.config, tc.cmds)
			got, gotReplies := notifyEvents(t, in.Addr, tc.config, tc.cmds)
			for i := range wantReplies {
				g, w := gotReplies[i], wantReplies[i]
				what := "blocked command"
				if i < len(tc.cmds) {
					what = tc.cmds[i]
				}
				if strings.HasPrefix(what, "SPOP") && g != "" && w != "" {
					g, w = g[:1], w[:1] // random members: the reply type only
				}
				if g != w {
					t.Errorf("%s: respd replied %q, redis %q", what, gotReplies[i], wantReplies[i])
				}
			}
			if tc.name != "off" && tc.name != "no-channel" && len(want) == 0 {
				t.Fatalf("redis published nothing for %v", tc.cmds)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("events differ\nrespd:\n  %s\nredis:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// notifyEnd is published after a case's commands: a subscriber reading
// it has received every event before it.
const notifyEnd = "__keyspace@0__:__end__"

// notifyEvents runs cmds on a flushed server with the given
// notify-keyspace-events and returns the events received, as "channel
// message" lines, and the raw replies to cmds ("" for a sleep).
func notifyEvents(t *testing.T, addr, config string, cmds []string) (events, replies []string) {
	t.Helper()
	c := servertest.Dial(t, addr)
	defer c.Close()
	c.Do("CONFIG", "SET", "notify-keyspace-events", "")
	c.Do("FLUSHALL")
	if r := c.Do("CONFIG", "SET", "notify-keyspace-events", config); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET notify-keyspace-events %q: %q", config, r)
	}
	sub := servertest.Dial(t, addr)
	defer sub.Close()
	sub.Do("PSUBSCRIBE", "__key*__:*")
	var blocked []*servertest.Conn
	for _, cmd := range cmds {
		if rest, ok := strings.CutPrefix(cmd, "!block "); ok {
			b := servertest.Dial(t, addr)
			defer b.Close()
			b.Write(servertest.Encode(strings.Fields(rest)...))
			c.WaitBlocked(1)
			blocked = append(blocked, b)
			replies = append(replies, "")
			continue
		}
		if ms, ok := strings.CutPrefix(cmd, "!sleep "); ok {
			d, _ := time.ParseDuration(ms + "ms")
			time.Sleep(d)
			replies = append(replies, "")
			continue
		}
		args := strings.Fields(cmd)
		for i, a := range args {
			if a == "''" {
				args[i] = ""
			}
		}
		replies = append(replies, c.Do(args...))
	}
	for _, b := range blocked {
		replies = append(replies, b.Read())
	}
	c.Do("PUBLISH", notifyEnd, "end")
	for {
		parts := strings.Split(sub.Read(), "\r\n")
		// *4 $8 pmessage $n pattern $n channel $n message
		if len(parts) < 9 || parts[2] != "pmessage" {
			t.Fatalf("unexpected push %q", parts)
		}
		if parts[6] == notifyEnd {
			break
		}
		events = append(events, parts[6]+" "+parts[8])
	}
	c.Do("CONFIG", "SET", "notify-keyspace-events", "")
	return events, replies
}
