package tests

import (
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/servertest"
)

// Client-side caching: each scenario runs against respd and the real
// redis-server, and every byte each connection received (replies and
// invalidation messages, in order) must be the same on both.

// trackConn is a raw connection whose every received byte is logged.
type trackConn struct {
	name string
	c    *servertest.Conn
	log  *strings.Builder
}

func (tc *trackConn) do(args ...string) {
	tc.log.WriteString(tc.name + "> " + strings.Join(args, " ") + "\n")
	tc.log.WriteString(tc.c.Do(args...))
}

// hello3 switches to RESP3 without logging HELLO's reply, which names
// the server and the client id.
func (tc *trackConn) hello3() {
	tc.log.WriteString(tc.name + "> HELLO 3\n")
	tc.c.Do("HELLO", "3")
}

// clientFlags logs the flags and redir fields of CLIENT INFO, the rest
// of which differs between servers.
func (tc *trackConn) clientFlags() {
	info := tc.c.Do("CLIENT", "INFO")
	tc.log.WriteString(tc.name + "> CLIENT INFO\n")
	for _, f := range strings.Fields(info) {
		if strings.HasPrefix(f, "flags=") || strings.HasPrefix(f, "redir=") {
			tc.log.WriteString(f + "\n")
		}
	}
}

// sync logs whatever the connection received before a PING's reply, so
// a missing or extra invalidation shows up in the log.
func (tc *trackConn) sync() {
	tc.c.Write(servertest.Encode("PING", "synced"))
	tc.log.WriteString(tc.name + " sync\n")
	for {
		r := tc.c.Read()
		tc.log.WriteString(r)
		if strings.HasSuffix(r, "$6\r\nsynced\r\n") {
			return
		}
	}
}

// trackScenario runs one sequence against addr and returns its log.
type trackScenario func(t *testing.T, dial func(name string) *trackConn) string

func runTrackScenario(t *testing.T, addr string, sc trackScenario) string {
	var log strings.Builder
	dial := func(name string) *trackConn {
		return &trackConn{name: name, c: servertest.Dial(t, addr), log: &log}
	}
	dial("init").do("FLUSHALL")
	extra := sc(t, dial)
	return log.String() + extra
}

// trackID returns tc's id, unlogged (ids differ between servers).
func trackID(tc *trackConn) string {
	r := tc.c.Do("CLIENT", "ID")
	return strings.TrimSuffix(strings.TrimPrefix(r, ":"), "\r\n")
}

var trackScenarios = map[string]trackScenario{
	"default": func(t *testing.T, dial func(string) *trackConn) string {
		a, b := dial("a"), dial("b")
		a.hello3()
		a.do("CLIENT", "TRACKINGINFO")
		a.do("CLIENT", "GETREDIR")
		a.do("CLIENT", "TRACKING", "ON")
		a.do("CLIENT", "TRACKINGINFO")
		a.do("CLIENT", "GETREDIR")
		a.do("MGET", "k1", "k2", "k3")
		a.do("GET", "k4")
		b.do("MSET", "k1", "1", "k2", "2")
		a.sync()
		b.do("SET", "k1", "again") // forgotten after one invalidation
		a.sync()
		a.do("GET", "k3")
		a.do("SET", "k3", "x") // own change: reply first, then the push
		a.do("DEL", "k4", "k3")
		a.sync()
		// Keys found by numkeys or STREAMS are tracked too.
		a.do("SINTERCARD", "2", "s1", "s2", "LIMIT", "1")
		a.do("ZUNION", "1", "z1", "WEIGHTS", "2")
		a.do("XREAD", "COUNT", "1", "STREAMS", "x1", "x2", "0", "0")
		b.do("SADD", "s2", "m")
		b.do("ZADD", "z1", "1", "m")
		b.do("XADD", "x2", "1-1", "f", "v")
		b.do("ZADD", "WEIGHTS", "1", "m")
		a.sync()
		a.do("STRLEN", "s")
		a.do("EXISTS", "e1", "e2")
		b.do("APPEND", "s", "abc")
		b.do("SET", "e2", "v")
		b.do("INCR", "nothing-read")
		a.sync()
		a.do("CLIENT", "TRACKING", "OFF")
		a.do("GET", "k1")
		b.do("SET", "k1", "off")
		a.sync()
		a.do("CLIENT", "TRACKINGINFO")
		// A RESP2 client without redirect receives nothing.
		c := dial("c")
		c.do("CLIENT", "TRACKING", "ON")
		c.do("GET", "r2")
		b.do("SET", "r2", "v")
		c.sync()
		return ""
	},
	"redirect": func(t *testing.T, dial func(string) *trackConn) string {
		r, tr, b := dial("r"), dial("t"), dial("b")
		rid := trackID(r)
		r.do("SUBSCRIBE", "__redis__:invalidate")
		tr.do("CLIENT", "TRACKING", "ON", "REDIRECT", rid)
		tr.do("CLIENT", "TRACKINGINFO")
		tr.do("CLIENT", "GETREDIR")
		tr.do("GET", "x")
		tr.do("MGET", "y", "z")
		b.do("SET", "x", "1")
		b.do("DEL", "y", "z")
		r.sync()
		tr.sync()
		b.do("FLUSHALL")
		r.sync()
		// A RESP3 target gets pushes even without subscribing.
		p := dial("p")
		pid := trackID(p)
		p.hello3()
		tr.do("CLIENT", "TRACKING", "ON", "REDIRECT", pid)
		tr.do("GET", "q")
		b.do("SET", "q", "1")
		p.sync()
		// A gone target: RESP3 trackers are told, RESP2 ones only flagged.
		tr.do("GET", "gone")
		b.do("CLIENT", "KILL", "ID", pid)
		b.do("SET", "gone", "1")
		tr.sync()
		tr.do("CLIENT", "TRACKINGINFO")
		tr.clientFlags()
		h := dial("h")
		h.hello3()
		hid := trackID(h)
		q := dial("q")
		q.hello3()
		q.do("CLIENT", "TRACKING", "ON", "REDIRECT", hid)
		q.do("GET", "gone3")
		b.do("CLIENT", "KILL", "ID", hid)
		b.do("SET", "gone3", "1")
		q.sync()
		q.do("CLIENT", "TRACKINGINFO")
		return "ids " + rid + " " + pid + " " + hid
	},
	"bcast": func(t *testing.T, dial func(string) *trackConn) string {
		a, b := dial("a"), dial("b")
		a.hello3()
		a.do("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b", "PREFIX", "a")
		a.do("CLIENT", "TRACKINGINFO")
		a.clientFlags()
		b.do("MSET", "a2", "1", "b1", "2", "a1", "3", "c1", "4")
		a.sync()
		a.do("SET", "a3", "own") // no NOLOOP: own changes too
		a.sync()
		b.do("SET", "zz", "1")
		a.sync()
		a.do("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "c")
		a.do("CLIENT", "TRACKINGINFO")
		b.do("DEL", "c1", "a1")
		a.sync()
		a.do("CLIENT", "TRACKING", "OFF")
		a.do("CLIENT", "TRACKING", "ON", "BCAST")
		a.do("CLIENT", "TRACKINGINFO")
		b.do("SET", "anything", "1")
		a.sync()
		return ""
	},
	"noloop": func(t *testing.T, dial func(string) *trackConn) string {
		a, b := dial("a"), dial("b")
		a.hello3()
		a.do("CLIENT", "TRACKING", "ON", "NOLOOP")
		a.do("CLIENT", "TRACKINGINFO")
		a.do("GET", "n")
		a.do("SET", "n", "mine")
		a.sync()
		a.do("GET", "n")
		b.do("SET", "n", "theirs")
		a.sync()
		a.do("CLIENT", "TRACKING", "OFF")
		a.do("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP", "PREFIX", "x")
		a.do("SET", "x1", "mine")
		a.sync()
		b.do("SET", "x2", "theirs")
		a.sync()
		return ""
	},
	"optin-optout": func(t *testing.T, dial func(string) *trackConn) string {
		a, b := dial("a"), dial("b")
		a.hello3()
		a.do("CLIENT", "CACHING", "YES")
		a.do("CLIENT", "TRACKING", "ON", "OPTIN")
		a.do("CLIENT", "CACHING", "NO")
		a.do("CLIENT", "CACHING", "MAYBE")
		a.do("GET", "o1")
		a.do("CLIENT", "CACHING", "YES")
		a.do("CLIENT", "TRACKINGINFO")
		a.do("GET", "o2")
		a.do("GET", "o3")
		a.do("CLIENT", "TRACKINGINFO")
		a.do("CLIENT", "CACHING", "YES")
		a.do("NOSUCHCOMMAND")
		a.do("GET", "o4")
		a.do("CLIENT", "CACHING", "YES")
		a.do("CLIENT", "TRACKINGINFO")
		a.do("MULTI")
		a.do("GET", "o5")
		a.do("GET", "o6")
		a.do("EXEC")
		b.do("MSET", "o1", "1", "o2", "2", "o3", "3", "o4", "4", "o5", "5", "o6", "6")
		a.sync()
		a.do("CLIENT", "TRACKING", "ON", "OPTOUT")
		a.do("CLIENT", "TRACKING", "OFF")
		a.do("CLIENT", "TRACKING", "ON", "OPTOUT")
		a.do("CLIENT", "CACHING", "YES")
		a.do("CLIENT", "CACHING", "NO")
		a.do("GET", "p1")
		a.do("GET", "p2")
		b.do("MSET", "p1", "1", "p2", "2")
		a.sync()
		return ""
	},
	"flush": func(t *testing.T, dial func(string) *trackConn) string {
		a, b, c := dial("a"), dial("b"), dial("c")
		a.hello3()
		c.hello3()
		a.do("CLIENT", "TRACKING", "ON")
		c.do("CLIENT", "TRACKING", "ON", "BCAST")
		a.do("GET", "f")
		b.do("FLUSHDB")
		a.sync()
		c.sync()
		b.do("SET", "f", "1") // the flush forgot f
		a.sync()
		a.do("FLUSHALL")
		a.sync()
		c.sync()
		// Tracking turned on inside a transaction that flushes.
		d := dial("d")
		d.hello3()
		d.do("MULTI")
		d.do("CLIENT", "TRACKING", "ON")
		d.do("FLUSHDB")
		d.do("EXEC")
		d.sync()
		b.do("FLUSHALL")
		a.sync()
		c.sync()
		d.sync()
		return ""
	},
	"multi-swapdb-expiry": func(t *testing.T, dial func(string) *trackConn) string {
		a, b, c := dial("a"), dial("b"), dial("c")
		a.hello3()
		c.hello3()
		a.do("CLIENT", "TRACKING", "ON")
		c.do("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "m")
		// Inside EXEC: keys read are remembered, own invalidations follow
		// EXEC's reply.
		a.do("MULTI")
		a.do("GET", "m1")
		a.do("SET", "m1", "x")
		a.do("GET", "m2")
		a.do("EXEC")
		a.sync()
		c.sync()
		// Names are tracked whatever the database.
		b.do("SELECT", "1")
		b.do("SET", "m2", "db1")
		a.sync()
		// SWAPDB invalidates nothing.
		a.do("GET", "sw")
		b.do("SWAPDB", "0", "1")
		a.sync()
		c.sync()
		b.do("SET", "sw", "1")
		a.sync()
		// Expiry, found by a read of another client.
		b.do("SET", "m-exp", "1", "PX", "30")
		a.do("GET", "m-exp")
		time.Sleep(100 * time.Millisecond)
		b.do("GET", "m-exp")
		a.sync()
		c.sync()
		// A pipeline's BCAST keys go out together, sorted.
		b.c.Write(servertest.Encode("SET", "m9", "1") + servertest.Encode("SET", "m3", "1") + servertest.Encode("DEL", "m9"))
		b.log.WriteString(b.c.Read() + b.c.Read() + b.c.Read())
		c.sync()
		return ""
	},
	"errors": func(t *testing.T, dial func(string) *trackConn) string {
		a := dial("a")
		for _, cmd := range [][]string{
			{"CLIENT", "TRACKING"},
			{"CLIENT", "TRACKING", "MAYBE"},
			{"CLIENT", "TRACKING", "MAYBE", "FOO"},
			{"CLIENT", "TRACKING", "ON", "FOO"},
			{"CLIENT", "TRACKING", "ON", "PREFIX"},
			{"CLIENT", "TRACKING", "ON", "REDIRECT"},
			{"CLIENT", "TRACKING", "ON", "REDIRECT", "x"},
			{"CLIENT", "TRACKING", "ON", "REDIRECT", "0"},
			{"CLIENT", "TRACKING", "ON", "REDIRECT", "-1"},
			{"CLIENT", "TRACKING", "ON", "REDIRECT", "999999"},
			{"CLIENT", "TRACKING", "ON", "PREFIX", "a"},
			{"CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"},
			{"CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"},
			{"CLIENT", "TRACKING", "ON", "BCAST", "OPTOUT"},
			{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab"},
			{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"},
			{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "a"},
			{"CLIENT", "TRACKING", "OFF", "PREFIX", "a"},
			{"CLIENT", "TRACKING", "OFF"},
			{"CLIENT", "CACHING"},
			{"CLIENT", "CACHING", "YES"},
			{"CLIENT", "CACHING", "maybe"},
			{"CLIENT", "GETREDIR", "x"},
			{"CLIENT", "TRACKINGINFO", "x"},
			{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "z"},
			{"CLIENT", "TRACKING", "ON"},
			{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "zz"},
			{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "y"},
			{"CLIENT", "TRACKINGINFO"},
			{"CLIENT", "TRACKING", "OFF"},
			{"CLIENT", "TRACKING", "ON", "OPTIN"},
			{"CLIENT", "TRACKING", "ON", "OPTOUT"},
			{"CLIENT", "TRACKING", "ON", "BCAST"},
			{"CLIENT", "TRACKING", "ON", "NOLOOP"},
			{"CLIENT", "TRACKINGINFO"},
			{"RESET"},
			{"CLIENT", "TRACKINGINFO"},
		} {
			a.do(cmd...)
		}
		return ""
	},
}

func TestTrackingMatchesRedis(t *testing.T) {
	oracle := servertest.RedisServer(t)
	in := servertest.Start(t)
	for name, sc := range trackScenarios {
		t.Run(name, func(t *testing.T) {
			want := runTrackScenario(t, oracle, sc)
			got := runTrackScenario(t, in.Addr, sc)
			want, got = normalizeIDs(want), normalizeIDs(got)
			if got != want {
				line, g, w := firstDiff(got, want)
				t.Errorf("respd and redis differ from line %d\n--- respd:\n%s\n--- redis:\n%s", line, g, w)
			}
		})
	}
}

// normalizeIDs replaces the client ids listed on the log's last line
// ("ids 5 7") by placeholders, as the servers number clients differently.
func normalizeIDs(log string) string {
	i := strings.LastIndex(log, "ids ")
	if i < 0 {
		return log
	}
	ids := strings.Fields(log[i+4:])
	log = log[:i]
	for n, id := range ids {
		ph := "ID" + string(rune('A'+n))
		log = strings.ReplaceAll(log, ":"+id+"\r\n", ":"+ph+"\r\n")
		log = strings.ReplaceAll(log, " "+id+"\n", " "+ph+"\n")
		log = strings.ReplaceAll(log, "="+id+"\n", "="+ph+"\n")
	}
	return log
}

// TestTrackingExpiry: a key a client read is invalidated when it
// expires, lazily or by the cron.
func TestTrackingExpiry(t *testing.T) {
	in := servertest.StartFake(t)
	a, b := in.Raw(t), in.Raw(t)
	a.Do("HELLO", "3")
	if r := a.Do("CLIENT", "TRACKING", "ON"); r != "+OK\r\n" {
		t.Fatalf("TRACKING ON: %q", r)
	}
	b.Do("SET", "lazy", "1", "PX", "100")
	b.Do("SET", "active", "1", "PX", "100")
	a.Do("MGET", "lazy", "active")
	in.Clock.Advance(time.Second)
	b.Do("GET", "lazy")
	const lazy = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nlazy\r\n"
	if r := a.Read(); r != lazy {
		t.Fatalf("lazy expiry: %q, want %q", r, lazy)
	}
	in.Srv.Housekeep()
	const active = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nactive\r\n"
	if r := a.Read(); r != active {
		t.Fatalf("active expiry: %q, want %q", r, active)
	}
}

// firstDiff returns the line where a and b part and a few lines of each
// from there.
func firstDiff(a, b string) (int, string, string) {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	i := 0
	for i < len(la) && i < len(lb) && la[i] == lb[i] {
		i++
	}
	from := max(0, i-8)
	return i + 1, strings.Join(la[from:min(len(la), i+12)], "\n"), strings.Join(lb[from:min(len(lb), i+12)], "\n")
}
