package tests

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/servertest"
)

// The MIGRATE tests run the same steps on four source -> target pairs:
// redis-server -> redis-server is the reference, and respd -> respd,
// respd -> redis-server and redis-server -> respd must reply byte for
// byte as it does and leave the same data behind.

// migratePair is one source and one target.
type migratePair struct {
	name     string
	src, tgt string
}

// migrateNodes starts a source and a target for each pair (so what one
// pair does to its servers' connections cannot show in another's) and
// returns the pairs, the reference first.
func migrateNodes(t *testing.T) []migratePair {
	redis := func() string { return servertest.RedisServer(t) }
	respd := func() string { return servertest.Start(t).Addr }
	return []migratePair{
		{"redis->redis", redis(), redis()},
		{"respd->respd", respd(), respd()},
		{"respd->redis", respd(), redis()},
		{"redis->respd", redis(), respd()},
	}
}

// silentPort listens on a port that accepts connections and never
// answers, for MIGRATE's read timeout.
func silentPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	_, port := hostPort(t, ln.Addr().String())
	return port
}

var (
	totalConnsRe  = regexp.MustCompile(`total_connections_received:(\d+)`)
	selectCallsRe = regexp.MustCompile(`cmdstat_select:calls=(\d+)`)
)

func infoCount(t *testing.T, c *servertest.Conn, section string, re *regexp.Regexp) int {
	t.Helper()
	m := re.FindStringSubmatch(c.Do("INFO", section))
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// migrateScript is the step list of TestMigrateMatchesRedis. Each line
// runs on the source (s) or the target (t); $H $P are the target's host
// and port, $CLOSED a port nobody listens on, $SILENT one that never
// answers. Directives: "!conns" and "!selects" reply with how many
// connections the target accepted and SELECTs it ran since the last
// time they were asked; "!pttl t KEY" checks that KEY's TTL on the
// target is what the source had, give or take the time it took.
const migrateScript = `
s FLUSHALL
t FLUSHALL
!conns
!selects
s MIGRATE
s MIGRATE $H $P k 0
s MIGRATE $H $P k 0 1000 foo
s MIGRATE $H $P k 0 1000 COPY foo
s MIGRATE $H $P k 0 1000 AUTH
s MIGRATE $H $P k 0 1000 AUTH2 u
s MIGRATE $H $P k 0 1000 KEYS a
s MIGRATE $H $P k x 1000
s MIGRATE $H $P k 0 x
s MIGRATE $H $P k x x AUTH
s MIGRATE $H $P k 99999999999999999999 1000
s MIGRATE $H $P k 0 1000
s MIGRATE $H $P "" 0 1000
s MIGRATE $H $P "" 0 1000 KEYS
s MIGRATE $H $P "" 0 1000 KEYS n1 n2
s MIGRATE $H $P "" 0 1000 COPY REPLACE KEYS n1
!conns
s SET k v
s MIGRATE $H $P k 0 1000
s EXISTS k
t GET k
s SET k v2
s MIGRATE $H $P k 0 1000
s EXISTS k
s GET k
s MIGRATE $H $P k 0 1000 REPLACE
s EXISTS k
t GET k
s SET c 1
s MIGRATE $H $P c 0 1000 COPY
s EXISTS c
s MIGRATE $H $P c 0 1000 COPY
s MIGRATE $H $P c 0 1000 copy replace
s EXISTS c
t GET c
s SET "" empty
s MIGRATE $H $P "" 0 1000
t GET ""
s SET e v PX 50000
s MIGRATE $H $P e 0 1000
!pttl t e
s EXISTS e
!conns
!selects
s SET d v
s MIGRATE $H $P d 3 1000
t SELECT 3
t GET d
t SELECT 0
s SET d v
s MIGRATE $H $P d 3 1000
s MIGRATE $H $P d 99 1000
s MIGRATE $H $P d -1 1000
s MIGRATE $H $P d 0 0
s EXISTS d
!selects
s MSET a 1 b 2 {x}c 3
t SET b old
s MIGRATE $H $P "" 0 1000 KEYS a nokey b {x}c
s EXISTS a b {x}c
t MGET a b {x}c
s MIGRATE $H $P "" 0 -5 REPLACE KEYS b
t MGET a b {x}c
s SET x 1
s MIGRATE 127.0.0.1 $CLOSED x 0 200
s MIGRATE 127.0.0.1 $CLOSED "" 0 200 KEYS x
s MIGRATE 127.0.0.1 $SILENT x 0 300
s MIGRATE 256.256.256.256 $P x 0 300
s EXISTS x
t CLIENT KILL TYPE normal SKIPME yes
s MIGRATE $H $P x 0 1000
s EXISTS x
t GET x
!conns
t CONFIG SET requirepass secret
s SET p 1
s MIGRATE $H $P p 0 1000 AUTH secret
s SET p 2
s MIGRATE $H $P p 0 1000 AUTH2 default secret REPLACE
t GET p
s SET p 3
s MIGRATE $H $P p 0 1000 AUTH wrong REPLACE
s MIGRATE $H $P p 0 1000 AUTH2 nobody secret REPLACE
s EXISTS p
t CLIENT KILL TYPE normal SKIPME yes
s MIGRATE $H $P p 0 1000 REPLACE
s MIGRATE $H $P p 0 1000 REPLACE AUTH secret
s EXISTS p
t GET p
t CONFIG SET requirepass ""
!conns
`

// TestMigrateMatchesRedis runs migrateScript on every pair and compares
// each reply, and the final data of source and target, with
// redis-server -> redis-server.
func TestMigrateMatchesRedis(t *testing.T) {
	pairs := migrateNodes(t)
	closed, silent := closedPort(t), silentPort(t)
	type result struct {
		replies []string
		src     map[string]string
		tgt     map[string]string
	}
	var ref result
	for i, p := range pairs {
		host, port := hostPort(t, p.tgt)
		src, tgt := servertest.Dial(t, p.src), servertest.Dial(t, p.tgt)
		var res result
		conns := infoCount(t, tgt, "stats", totalConnsRe)
		selects := infoCount(t, tgt, "commandstats", selectCallsRe)
		lines := strings.Split(migrateScript, "\n")
		for n, line := range lines {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			where := fmt.Sprintf("%s: line %d: %s", p.name, n, line)
			var reply string
			switch f := strings.Fields(line); f[0] {
			case "!conns":
				c := infoCount(t, tgt, "stats", totalConnsRe)
				reply = fmt.Sprint("conns +", c-conns)
				conns = c
			case "!selects":
				c := infoCount(t, tgt, "commandstats", selectCallsRe)
				reply = fmt.Sprint("selects +", c-selects)
				selects = c
			case "!pttl":
				ms, err := strconv.Atoi(strings.Trim(tgt.Do("PTTL", f[2]), ":\r\n"))
				if err != nil || ms <= 40000 || ms > 50000 {
					t.Errorf("%s: target PTTL %d, want about 50000", where, ms)
				}
				continue
			default:
				line = strings.NewReplacer("$H", host, "$P", port, "$CLOSED", closed, "$SILENT", silent).Replace(line[2:])
				args := splitArgs(t, line)
				c := src
				if f[0] == "t" {
					c = tgt
				}
				reply = c.Do(args...)
			}
			res.replies = append(res.replies, where+" -> "+reply)
			if i > 0 {
				if want := ref.replies[len(res.replies)-1]; !strings.HasSuffix(want, " -> "+reply) {
					t.Errorf("%s\n got  %q\n want %q", where, reply, want[strings.Index(want, " -> ")+4:])
				}
			}
		}
		res.src, res.tgt = normDataset(servertest.Dataset(t, p.src)), normDataset(servertest.Dataset(t, p.tgt))
		if i == 0 {
			ref = res
			for _, r := range ref.replies {
				t.Log(r)
			}
			if len(ref.tgt) < 5 {
				t.Fatalf("reference target holds only %d keys", len(ref.tgt))
			}
			continue
		}
		if d := servertest.DiffDatasets(ref.src, res.src); d != "" {
			t.Errorf("%s: source data differs from redis->redis:\n%s", p.name, d)
		}
		if d := servertest.DiffDatasets(ref.tgt, res.tgt); d != "" {
			t.Errorf("%s: target data differs from redis->redis:\n%s", p.name, d)
		}
	}
}

// splitArgs parses a command line with redis-cli quoting.
func splitArgs(t *testing.T, line string) []string {
	var out []string
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		if line == "" {
			break
		}
		if line[0] == '"' {
			end := strings.Index(line[1:], `"`)
			if end < 0 {
				t.Fatalf("unterminated quote in %q", line)
			}
			out = append(out, line[1:end+1])
			line = line[end+2:]
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		out = append(out, word)
		line = rest
	}
	return out
}

var expRe = regexp.MustCompile(`exp=(\d+)`)

// normDataset hides absolute expiry times (set from a relative TTL a
// few ms apart on each pair) and stream node layouts (see sameData).
func normDataset(d map[string]string) map[string]string {
	for k, v := range d {
		v = expRe.ReplaceAllString(v, "exp=<set>")
		d[k] = streamLayout.ReplaceAllString(v, "")
	}
	return d
}

// typeSetup creates a value of every type and encoding, a TTL, a binary
// name and a value bigger than one 64 KB write.
func typeSetup(t *testing.T, c *servertest.Conn) {
	t.Helper()
	do := func(args ...string) {
		if r := c.Do(args...); strings.HasPrefix(r, "-") {
			t.Fatalf("%v: %q", args, r)
		}
	}
	do("SET", "str", "hello")
	do("SET", "int", "12345")
	do("SET", "raw", strings.Repeat("r", 100))
	do("SET", "big", strings.Repeat("0123456789", 30000))
	do("SET", "bin\x00\xff", "\x00\x01\xfe")
	do("SET", "ttl", "v", "PX", "100000")
	do("PFADD", "hll", "a", "b", "c")
	do("RPUSH", "list", "a", "b", "1", "2")
	do("HSET", "hash", "f", "v", "g", "1")
	do("SADD", "iset", "1", "2", "3")
	do("SADD", "lset", "a", "b", "c")
	do("ZADD", "zset", "1", "a", "2.5", "b", "-inf", "c")
	var many []string
	for i := range 600 {
		many = append(many, fmt.Sprint("m", i))
	}
	do(append([]string{"RPUSH", "biglist"}, many...)...)
	do(append([]string{"SADD", "bigset"}, many...)...)
	var pairs []string
	for i, m := range many {
		pairs = append(pairs, strconv.Itoa(i), m)
	}
	do(append([]string{"ZADD", "bigzset"}, pairs...)...)
	do(append([]string{"HSET", "bighash"}, pairs...)...)
	do("XADD", "stream", "1-1", "f", "v")
	do("XADD", "stream", "2-1", "f", "w", "g", "x")
	do("XADD", "stream", "3-1", "f", "y")
	do("XDEL", "stream", "2-1")
	do("XGROUP", "CREATE", "stream", "grp", "0")
	do("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "stream", ">")
	do("XGROUP", "CREATECONSUMER", "stream", "grp", "bob")
	do("XADD", "emptystream", "MAXLEN", "0", "5-5", "f", "v")
}

var typeKeys = []string{"str", "int", "raw", "big", "bin\x00\xff", "ttl", "hll", "list", "hash", "iset", "lset", "zset",
	"biglist", "bigset", "bigzset", "bighash", "stream", "emptystream"}

// TestMigrateEveryType moves a value of every type and encoding on each
// pair, first as a COPY into db 2 and then for good into db 0, and checks
// that the target holds what the source held: the DUMP payloads of each
// implementation must load in the other.
//
// Redis itself changes a few things on the way (a restored HyperLogLog
// string is embstr where the original was raw): what redis->redis
// changes, every pair must change the same way.
func TestMigrateEveryType(t *testing.T) {
	var refChanged map[string]string
	for i, p := range migrateNodes(t) {
		t.Run(p.name, func(t *testing.T) {
			host, port := hostPort(t, p.tgt)
			src, tgt := servertest.Dial(t, p.src), servertest.Dial(t, p.tgt)
			src.Do("FLUSHALL")
			tgt.Do("FLUSHALL")
			typeSetup(t, src)
			before := normDataset(servertest.Dataset(t, p.src))
			if len(before) != len(typeKeys) {
				t.Fatalf("source holds %d keys, want %d", len(before), len(typeKeys))
			}
			args := append([]string{"MIGRATE", host, port, "", "2", "5000", "COPY", "KEYS"}, typeKeys...)
			if r := src.Do(args...); r != "+OK\r\n" {
				t.Fatalf("MIGRATE COPY: %q", r)
			}
			args[4] = "0"
			args[6] = "REPLACE"
			if r := src.Do(args...); r != "+OK\r\n" {
				t.Fatalf("MIGRATE: %q", r)
			}
			if r := src.Do("DBSIZE"); r != ":0\r\n" {
				t.Errorf("source DBSIZE after MIGRATE: %q", r)
			}
			after := normDataset(servertest.Dataset(t, p.tgt))
			want := map[string]string{}
			for k, v := range before {
				want[k] = v
				want["2"+strings.TrimPrefix(k, "0")] = v
			}
			if i == 0 {
				refChanged = map[string]string{}
				for k, v := range after {
					if want[k] != v {
						refChanged[k] = v
						t.Logf("redis-server changes %s on the way: %q -> %q", k, want[k], v)
					}
				}
			}
			if refChanged == nil {
				t.Fatal("the reference pair did not run")
			}
			for k, v := range refChanged {
				want[k] = v
			}
			if d := servertest.DiffDatasets(want, after); d != "" {
				t.Errorf("target differs from what the source held:\n%s", d)
			}
			if ms, _ := strconv.Atoi(strings.Trim(tgt.Do("PTTL", "ttl"), ":\r\n")); ms <= 90000 || ms > 100000 {
				t.Errorf("TTL on the target: %d ms, want about 100000", ms)
			}
		})
	}
}

// TestMigrateIdleConnectionClosed: the cached connection is closed after
// 10 s without use, as Redis closes it, so the target sees it go.
func TestMigrateIdleConnectionClosed(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 10 s")
	}
	pairs := migrateNodes(t)
	for _, p := range pairs[:2] {
		host, port := hostPort(t, p.tgt)
		src := servertest.Dial(t, p.src)
		src.Do("SET", "k", "v")
		if r := src.Do("MIGRATE", host, port, "k", "0", "1000"); r != "+OK\r\n" {
			t.Fatalf("%s: MIGRATE: %q", p.name, r)
		}
	}
	start := time.Now()
	type watched struct {
		name   string
		tgt    *servertest.Conn
		closed time.Duration
	}
	var ws []*watched
	for _, p := range pairs[:2] {
		ws = append(ws, &watched{name: p.name, tgt: servertest.Dial(t, p.tgt)})
	}
	clients := func(c *servertest.Conn) int {
		list := c.Do("CLIENT", "LIST")
		body := list[strings.Index(list, "\r\n")+2 : len(list)-2]
		return strings.Count(body, "\n")
	}
	for _, w := range ws {
		if n := clients(w.tgt); n != 2 {
			t.Fatalf("%s: target has %d clients, want MIGRATE's and ours", w.name, n)
		}
	}
	for open := len(ws); open > 0; time.Sleep(100 * time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("MIGRATE's connections still open after %v", time.Since(start))
		}
		for _, w := range ws {
			if w.closed == 0 && clients(w.tgt) == 1 {
				w.closed = time.Since(start)
				open--
			}
		}
	}
	for _, w := range ws {
		t.Logf("%s: MIGRATE's connection closed after %v", w.name, w.closed)
		if w.closed < 9*time.Second {
			t.Errorf("%s: MIGRATE's connection closed after %v, before 10 s idle", w.name, w.closed)
		}
	}
}

// TestMigrateRestoreAsking: in cluster mode MIGRATE sends RESTORE-ASKING;
// both servers take it as RESTORE.
func TestMigrateRestoreAsking(t *testing.T) {
	for _, addr := range []string{servertest.RedisServer(t), servertest.Start(t).Addr} {
		c := servertest.Dial(t, addr)
		c.Do("SET", "k", "v")
		payload := c.Do("DUMP", "k")
		payload = payload[strings.Index(payload, "\r\n")+2 : len(payload)-2]
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"RESTORE-ASKING", "k", "0", payload}, "-BUSYKEY Target key name already exists.\r\n"},
			{[]string{"RESTORE-ASKING", "k2", "0", payload}, "+OK\r\n"},
			{[]string{"RESTORE-ASKING", "k2", "0", payload, "REPLACE", "ABSTTL"}, "+OK\r\n"},
			{[]string{"RESTORE-ASKING", "k3", "0", "bad"}, "-ERR DUMP payload version or checksum are wrong\r\n"},
			{[]string{"RESTORE-ASKING", "k3", "0"}, "-ERR wrong number of arguments for 'restore-asking' command\r\n"},
			{[]string{"GET", "k2"}, "$1\r\nv\r\n"},
		} {
			if got := c.Do(tc.args...); got != tc.want {
				t.Errorf("%s: %q: got %q, want %q", addr, tc.args[:min(len(tc.args), 3)], got, tc.want)
			}
		}
	}
}

// TestMigratePropagation: MIGRATE propagates as DEL of the keys the
// target accepted (nothing with COPY or when nothing moved), compared
// with what redis-server sends its replicas.
func TestMigratePropagation(t *testing.T) {
	oracleSrc := servertest.RedisServer(t, "--repl-diskless-sync", "no")
	in := servertest.Start(t)
	ours := &collector{}
	in.Srv.Do(func(*keyspace.Keyspace) { in.Srv.OnPropagate(ours.add) })
	theirs := dialReplica(t, oracleSrc)
	// Each source has its own target, holding the same data.
	tgts := []string{servertest.RedisServer(t), servertest.RedisServer(t)}
	srcs := []*servertest.Conn{in.Raw(t), servertest.Dial(t, oracleSrc)}
	theirs.fence()
	ours.take()
	steps := [][]string{
		{"s", "MSET", "a", "1", "b", "2", "c", "3", "d", "4"},
		{"t", "SET", "c", "old"},
		{"s", "MIGRATE", "$H", "$P", "a", "0", "1000"},
		{"s", "MIGRATE", "$H", "$P", "b", "0", "1000", "COPY"},
		{"s", "MIGRATE", "$H", "$P", "", "0", "1000", "KEYS", "b", "c", "d", "nokey"},
		{"s", "MIGRATE", "$H", "$P", "c", "0", "1000"},
		{"s", "MIGRATE", "$H", "$P", "nokey", "0", "1000"},
		{"s", "SET", "e", "5"},
		{"s", "MIGRATE", "$H", "$P", "e", "4", "1000", "REPLACE"},
	}
	compared := 0
	for _, st := range steps {
		var replies [2]string
		for i, src := range srcs {
			host, port := hostPort(t, tgts[i])
			args := make([]string, len(st)-1)
			for j, a := range st[1:] {
				args[j] = strings.NewReplacer("$H", host, "$P", port).Replace(a)
			}
			c := src
			if st[0] == "t" {
				c = servertest.Dial(t, tgts[i])
			}
			replies[i] = c.Do(args...)
		}
		where := strings.Join(st, " ")
		compareReply(t, where, replies[0], replies[1])
		compared += compareProp(t, where, "", ours, theirs)
	}
	if compared < 3 {
		t.Fatalf("redis-server propagated only %d commands", compared)
	}
}
