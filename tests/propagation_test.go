package tests

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
	"github.com/respd/respd/internal/servertest"
)

// TestPropagation runs every script in testdata/propagation against respd
// and the real redis-server and compares, command by command, what each
// propagates: the real server's stream is read as a replica reads it
// (PSYNC), respd's through Server.OnPropagate. The replies are compared
// too, since a reply that differs means the datasets already differ.
//
// Scripts use the redis-cli quoting of testdata/diff, plus:
//
//	@N CMD        send CMD on client N (client 0 without it)
//	@N &CMD       send CMD and wait until it blocks; its reply is read later
//	!read N       read and compare the pending reply of client N
//	!sleep MS     wait MS milliseconds and let the cron run (active expiry)
//	!shape CMD    compare only the names and argument counts of what CMD
//	              propagates, and not its reply (random choices: SPOP)
//	!anyreply CMD compare what CMD propagates but not its reply
//
// Absolute times near now (PXAT values, stream IDs made from the clock,
// XCLAIM's TIME) are compared as placeholders (see normalizeTimes).
func TestPropagation(t *testing.T) {
	oracle := servertest.RedisServer(t, "--repl-diskless-sync", "no", "--enable-debug-command", "yes")
	in := servertest.Start(t, "--enable-debug-command", "yes")
	ours := &collector{}
	in.Srv.Do(func(*keyspace.Keyspace) { in.Srv.OnPropagate(ours.add) })
	theirs := dialReplica(t, oracle)

	files, err := filepath.Glob("testdata/propagation/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatal("no propagation scripts")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			runPropScript(t, f, in, ours, oracle, theirs)
		})
	}
}

// collector keeps what respd propagates.
type collector struct {
	mu  sync.Mutex
	buf []byte
}

func (c *collector) add(b []byte) {
	c.mu.Lock()
	c.buf = append(c.buf, b...)
	c.mu.Unlock()
}

func (c *collector) take() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.buf
	c.buf = nil
	return b
}

// replica is a connection to redis-server that did PSYNC and reads the
// command stream; ctl is a second connection that asks for the offset.
type replica struct {
	t      *testing.T
	conn   net.Conn
	r      *bufio.Reader
	ctl    *servertest.Conn
	offset int64 // master offset of the next byte to read
}

func dialReplica(t *testing.T, addr string) *replica {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rp := &replica{t: t, conn: conn, r: bufio.NewReader(conn), ctl: servertest.Dial(t, addr)}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "PSYNC ? -1\r\n")
	line := rp.line()
	for line == "" {
		line = rp.line()
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "+FULLRESYNC" {
		t.Fatalf("PSYNC: %q", line)
	}
	start, _ := strconv.ParseInt(f[2], 10, 64)
	rp.offset = start + 1
	// The RDB payload: "$len\r\n" then len bytes without a CRLF; newlines
	// may come first while the master prepares it.
	line = rp.line()
	for line == "" {
		line = rp.line()
	}
	n, err := strconv.Atoi(strings.TrimPrefix(line, "$"))
	if err != nil {
		t.Fatalf("RDB header: %q", line)
	}
	if _, err := io.CopyN(io.Discard, rp.r, int64(n)); err != nil {
		t.Fatal(err)
	}
	return rp
}

func (rp *replica) line() string {
	l, err := rp.r.ReadString('\n')
	if err != nil {
		rp.t.Fatalf("replica stream: %v", err)
	}
	return strings.TrimRight(l, "\r\n")
}

// fence reads the stream up to the master's current offset and returns
// it, then acknowledges it so the master keeps the replica.
func (rp *replica) fence() []byte {
	info := rp.ctl.Do("INFO", "replication")
	m := regexp.MustCompile(`master_repl_offset:(\d+)`).FindStringSubmatch(info)
	if m == nil {
		rp.t.Fatalf("no offset in %q", info)
	}
	target, _ := strconv.ParseInt(m[1], 10, 64)
	want := target + 1 - rp.offset
	buf := make([]byte, want)
	rp.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(rp.r, buf); err != nil {
		rp.t.Fatalf("replica stream: %v", err)
	}
	rp.offset += want
	fmt.Fprintf(rp.conn, "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$%d\r\n%d\r\n", len(strconv.FormatInt(target, 10)), target)
	return buf
}

// decodeStream splits propagated bytes into commands, each rendered as
// one line with redis-cli quoting and its times normalised. PINGs and
// REPLCONF GETACK from the master are dropped.
func decodeStream(t *testing.T, b []byte) []string {
	var p resp.Parser
	var out []string
	for len(b) > 0 {
		args, n, err := p.Parse(b, nil)
		if err != nil {
			t.Fatalf("bad stream %q: %v", b, err)
		}
		b = b[n:]
		if len(args) == 0 {
			continue
		}
		name := strings.ToUpper(string(args[0]))
		if name == "PING" || (name == "REPLCONF" && len(args) > 1 && strings.EqualFold(string(args[1]), "GETACK")) {
			continue
		}
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = quoteArg(normalizeTimes(string(a)))
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \"'\\\r\n\t") && strconv.Quote(s) == `"`+s+`"` {
		return s
	}
	return strconv.Quote(s)
}

var timeLike = regexp.MustCompile(`\d{13}(-\d+)?`)

// normalizeTimes replaces absolute ms times within two days of now by
// their distance from now in whole seconds ("<now+100s>"), and stream IDs
// made from the clock by "<id>": the two servers read their clocks a few
// ms apart.
func normalizeTimes(s string) string {
	now := time.Now().UnixMilli()
	const window = 2 * 24 * 3600 * 1000
	return timeLike.ReplaceAllStringFunc(s, func(m string) string {
		ms, _ := strconv.ParseInt(m[:13], 10, 64)
		if ms < now-window || ms > now+window {
			return m
		}
		if len(m) > 13 {
			return "<id>"
		}
		return fmt.Sprintf("<now%+ds>", int64(math.Round(float64(ms-now)/1000)))
	})
}

// shape reduces commands to their names and argument counts.
func shape(cmds []string) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		f := strings.Fields(c)
		out[i] = fmt.Sprintf("%s/%d", strings.ToUpper(f[0]), len(f)-1)
	}
	return out
}

func runPropScript(t *testing.T, file string, in *servertest.Instance, ours *collector, oracle string, theirs *replica) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	type pair struct{ ours, theirs *servertest.Conn }
	clients := map[int]pair{}
	client := func(n int) pair {
		if c, ok := clients[n]; ok {
			return c
		}
		c := pair{in.Raw(t), servertest.Dial(t, oracle)}
		clients[n] = c
		return c
	}
	c0 := client(0)
	for _, c := range []*servertest.Conn{c0.ours, c0.theirs} {
		for _, cmd := range [][]string{{"DEBUG", "SET-ACTIVE-EXPIRE", "1"}, {"CONFIG", "SET", "lazyfree-lazy-expire", "no"}} {
			if r := c.Do(cmd...); r != "+OK\r\n" {
				t.Fatalf("%v: %q", cmd, r)
			}
		}
		if r := c.Do("FLUSHALL"); r != "+OK\r\n" {
			t.Fatalf("FLUSHALL: %q", r)
		}
	}
	theirs.fence()
	ours.take()

	var p resp.Parser
	name := filepath.Base(file)
	compared := 0
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		where := fmt.Sprintf("%s:%d: %s", name, n+1, line)
		mode := ""
		if line[0] == '!' {
			mode, line, _ = strings.Cut(line[1:], " ")
			switch mode {
			case "sleep":
				ms, _ := strconv.Atoi(line)
				time.Sleep(time.Duration(ms) * time.Millisecond)
				in.Srv.Housekeep()
				compared += compareProp(t, where, "", ours, theirs)
				continue
			case "read":
				id, _ := strconv.Atoi(line)
				c := client(id)
				compareReply(t, where, c.ours.Read(), c.theirs.Read())
				compared += compareProp(t, where, "", ours, theirs)
				continue
			case "shape", "anyreply":
			default:
				t.Fatalf("%s: unknown directive", where)
			}
		}
		id := 0
		if line[0] == '@' {
			var num string
			num, line, _ = strings.Cut(line[1:], " ")
			id, _ = strconv.Atoi(num)
		}
		blocks := strings.HasPrefix(line, "&")
		line = strings.TrimPrefix(line, "&")
		args, _, err := p.Parse([]byte(line+"\n"), nil)
		if err != nil || len(args) == 0 {
			t.Fatalf("%s: cannot parse", where)
		}
		strs := make([]string, len(args))
		for i, a := range args {
			strs[i] = string(a)
		}
		c := client(id)
		if blocks {
			before := [2]int{propBlocked(t, c0.ours), propBlocked(t, c0.theirs)}
			req := servertest.Encode(strs...)
			c.ours.Write(req)
			c.theirs.Write(req)
			waitBlocked(t, where, c0.ours, before[0]+1)
			waitBlocked(t, where, c0.theirs, before[1]+1)
		} else {
			got, want := c.ours.Do(strs...), c.theirs.Do(strs...)
			if mode == "" {
				compareReply(t, where, got, want)
			}
		}
		compared += compareProp(t, where, mode, ours, theirs)
	}
	// A script whose commands propagate nothing proves nothing.
	if compared == 0 {
		t.Errorf("%s: redis-server propagated nothing", name)
	}
	t.Logf("%s: %d propagated commands compared", name, compared)
	// Leave every client unblocked and the switches as found.
	for _, c := range []*servertest.Conn{c0.ours, c0.theirs} {
		c.Do("DEBUG", "SET-ACTIVE-EXPIRE", "1")
	}
}

func compareReply(t *testing.T, where, got, want string) {
	if normalizeTimes(got) != normalizeTimes(want) {
		t.Errorf("%s: reply\n respd: %q\n redis: %q", where, got, want)
	}
}

// compareProp compares what both servers propagated since the last call
// and returns how many commands redis-server sent.
func compareProp(t *testing.T, where, mode string, ours *collector, theirs *replica) int {
	want := decodeStream(t, theirs.fence())
	got := decodeStream(t, ours.take())
	n := len(want)
	if mode == "shape" {
		got, want = shape(got), shape(want)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: propagated\n respd: %s\n redis: %s", where, strings.Join(got, " | "), strings.Join(want, " | "))
	}
	return n
}

var blockedRe = regexp.MustCompile(`blocked_clients:(\d+)`)

func propBlocked(t *testing.T, c *servertest.Conn) int {
	m := blockedRe.FindStringSubmatch(c.Do("INFO", "clients"))
	if m == nil {
		t.Fatal("no blocked_clients in INFO")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func waitBlocked(t *testing.T, where string, c *servertest.Conn, want int) {
	deadline := time.Now().Add(5 * time.Second)
	for propBlocked(t, c) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the command did not block", where)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
