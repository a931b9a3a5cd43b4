package tests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/repl"
	"github.com/respd/respd/internal/servertest"
)

// waitInfo polls INFO until field has the value want.
func waitInfo(t *testing.T, addr, field, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := info(t, addr, field)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: INFO %s is %q after %v, want %q", addr, field, got, within, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fakeReplica syncs a hand-driven replica announcing port, acknowledging
// the sync's offset once, then never again unless told: a failover
// waiting for it waits as long as the test wants.
func fakeReplica(t *testing.T, addr string, port int) *rawReplica {
	t.Helper()
	rr := dialRawReplica(t, addr)
	for _, cmd := range [][]string{{"REPLCONF", "listening-port", strconv.Itoa(port)}, {"REPLCONF", "capa", "eof", "capa", "psync2"}} {
		rr.send(cmd...)
		if got := rr.line(); got != "+OK\r\n" {
			t.Fatalf("%v: %q", cmd, got)
		}
	}
	rr.send("PSYNC", "?", "-1")
	// A master waiting to start the snapshot keeps the link alive with
	// bare newlines before +FULLRESYNC, as Redis does.
	line := rr.line()
	for line == "\n" {
		line = rr.line()
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "+FULLRESYNC" {
		t.Fatalf("PSYNC reply %v", f)
	}
	if _, err := repl.ReadPayload(rr.r, 1<<30, nil); err != nil {
		t.Fatal(err)
	}
	// Redis starts the stream (and calls the replica online) on the
	// first ACK after its side of the transfer ended.
	time.Sleep(300 * time.Millisecond)
	rr.send("REPLCONF", "ACK", f[2])
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(info(t, addr, "slave0"), "port="+strconv.Itoa(port)+",state=online") {
		if time.Now().After(deadline) {
			t.Fatalf("fake replica not online: slave0:%s", info(t, addr, "slave0"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return rr
}

// fakeTarget is the test acting as the replica a failover promotes: it
// accepts the old master's link and answers its handshake by hand.
type fakeTarget struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func acceptTarget(t *testing.T, ln net.Listener) *fakeTarget {
	t.Helper()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatalf("the old master did not connect to its failover target: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &fakeTarget{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// command reads one multibulk command.
func (f *fakeTarget) command() []string {
	f.t.Helper()
	f.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := f.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "*") {
		f.t.Fatalf("reading a command: %q %v", line, err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	args := make([]string, n)
	for i := range args {
		hdr, err := f.r.ReadString('\n')
		if err != nil {
			f.t.Fatal(err)
		}
		size, _ := strconv.Atoi(strings.TrimSpace(hdr[1:]))
		b := make([]byte, size+2)
		if _, err := io.ReadFull(f.r, b); err != nil {
			f.t.Fatal(err)
		}
		args[i] = string(b[:size])
	}
	return args
}

func (f *fakeTarget) write(s string) {
	f.t.Helper()
	if _, err := f.conn.Write([]byte(s)); err != nil {
		f.t.Fatal(err)
	}
}

// handshake answers PING and the REPLCONFs and returns the PSYNC.
func (f *fakeTarget) handshake() []string {
	f.t.Helper()
	for {
		cmd := f.command()
		switch strings.ToUpper(cmd[0]) {
		case "PING":
			f.write("+PONG\r\n")
		case "REPLCONF":
			f.write("+OK\r\n")
		case "PSYNC":
			return cmd
		default:
			f.t.Fatalf("unexpected command from the old master: %q", cmd)
		}
	}
}

// failoverScenario drives a master through FAILOVER's states with a fake
// replica and a fake target, and returns what it saw, normalized, to be
// compared between respd and Redis.
func failoverScenario(t *testing.T, addr string) []string {
	var out []string
	rec := func(label, v string) {
		out = append(out, label+" => "+hexID.ReplaceAllString(v, "<id>"))
	}
	cl := servertest.Dial(t, addr)
	cl.Do("CONFIG", "SET", "repl-ping-replica-period", "3600")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fp := ln.Addr().(*net.TCPAddr).Port
	for i := 0; i < 20; i++ {
		cl.Do("SET", fmt.Sprint("k", i), strconv.Itoa(i))
	}

	// A replica still syncing is not online.
	cl.Do("CONFIG", "SET", "rdb-key-save-delay", "200000")
	slow := dialRawReplica(t, addr)
	slow.send("REPLCONF", "listening-port", "1")
	slow.line()
	slow.send("PSYNC", "?", "-1")
	slow.line()
	rec("to a syncing replica", cl.Do("FAILOVER", "TO", "127.0.0.1", "1"))
	slow.conn.Close()
	waitInfo(t, addr, "connected_slaves", "0", 10*time.Second)
	cl.Do("CONFIG", "SET", "rdb-key-save-delay", "0")

	rr := fakeReplica(t, addr, fp)
	target := []string{"TO", "127.0.0.1", strconv.Itoa(fp)}
	for _, cmd := range [][]string{
		{"FAILOVER", "TO", "127.0.0.1", "1"},
		{"FAILOVER", "TO", "localhost", strconv.Itoa(fp)},
		{"FAILOVER", "TO", "127.0.0.1", strconv.Itoa(fp), "FORCE"},
		{"FAILOVER", "TIMEOUT", "100", "FORCE"},
	} {
		rec(strings.ReplaceAll(strings.Join(cmd, " "), strconv.Itoa(fp), "<fake>"), cl.Do(cmd...))
	}

	// Waiting for a sync that never comes, then timing out: writes are
	// held meanwhile (CLIENT UNPAUSE does not end that), reads are not.
	cl.Do("SET", "x", "1")
	rec("FAILOVER TO fake TIMEOUT", cl.Do(append(append([]string{"FAILOVER"}, target...), "TIMEOUT", "3000")...))
	rec("state", info(t, addr, "master_failover_state"))
	rec("role", info(t, addr, "role"))
	for _, cmd := range [][]string{
		{"FAILOVER"}, {"FAILOVER", "TO", "127.0.0.1", "1"}, {"FAILOVER", "ABORT", "ABORT"}, {"FAILOVER", "foo"},
		{"REPLICAOF", "NO", "ONE"}, {"REPLICAOF", "h", "x"}, {"GET", "x"},
	} {
		rec(strings.Join(cmd, " "), cl.Do(cmd...))
	}
	other := servertest.Dial(t, addr)
	rec("PSYNC while failing over", other.Do("PSYNC", "?", "-1"))
	held := servertest.Dial(t, addr)
	held.Write(servertest.Encode("SET", "held", "1"))
	_, err = held.ReadErr(300 * time.Millisecond)
	rec("held write answered at once", strconv.FormatBool(err == nil))
	rec("CLIENT UNPAUSE", cl.Do("CLIENT", "UNPAUSE"))
	_, err = held.ReadErr(200 * time.Millisecond)
	rec("held write answered after CLIENT UNPAUSE", strconv.FormatBool(err == nil))
	rec("blocked_clients", info(t, addr, "blocked_clients"))
	rec("held write after the timeout", held.Read())
	rec("state after the timeout", info(t, addr, "master_failover_state"))

	// ABORT while waiting.
	rec("FAILOVER TIMEOUT 10000", cl.Do("FAILOVER", "TIMEOUT", "10000"))
	rec("FAILOVER ABORT", cl.Do("FAILOVER", "ABORT"))
	rec("state after ABORT", info(t, addr, "master_failover_state"))
	rec("FAILOVER ABORT again", cl.Do("FAILOVER", "ABORT"))

	// FORCE at the timeout: the master turns into a replica of the target
	// and asks it to take over; the target refuses, so it rolls back.
	cl.Do("SET", "y", "1")
	replid, offset := info(t, addr, "master_replid"), infoInt(t, addr, "master_repl_offset")
	rec("FAILOVER FORCE", cl.Do(append(append([]string{"FAILOVER"}, target...), "TIMEOUT", "1000", "FORCE")...))
	held.Write(servertest.Encode("SET", "held", "2"))
	ft := acceptTarget(t, ln)
	psync := ft.handshake()
	rec("PSYNC args", fmt.Sprintf("%d %s %s", len(psync), psync[0], psync[len(psync)-1]))
	rec("PSYNC replid is the master's", strconv.FormatBool(psync[1] == replid))
	rec("PSYNC offset is the master's + 1", strconv.FormatBool(psync[2] == strconv.FormatInt(offset+1, 10)))
	rec("state in progress", info(t, addr, "master_failover_state"))
	rec("role in progress", info(t, addr, "role"))
	rec("link in progress", info(t, addr, "master_link_status"))
	rec("write in progress", cl.Do("SET", "z", "1"))
	rec("FAILOVER in progress", cl.Do("FAILOVER"))
	ft.write("-ERR not today\r\n")
	rec("held write after the rollback", held.Read())
	waitInfo(t, addr, "role", "master", 10*time.Second)
	rec("state after the rollback", info(t, addr, "master_failover_state"))
	rec("new replid", strconv.FormatBool(info(t, addr, "master_replid") != replid))
	rec("replid2 is the old one", strconv.FormatBool(info(t, addr, "master_replid2") == replid))
	rec("connected_slaves after the rollback", info(t, addr, "connected_slaves"))
	rr.conn.Close()
	waitInfo(t, addr, "connected_slaves", "0", 10*time.Second)

	// ABORT while in progress (the target never answers): back to a
	// master with a new replid.
	rr = fakeReplica(t, addr, fp)
	replid = info(t, addr, "master_replid")
	rec("FAILOVER TO a silent target", cl.Do(append([]string{"FAILOVER"}, target...)...))
	ft = acceptTarget(t, ln)
	rec("first command", strings.Join(ft.command(), " "))
	rec("state with a silent target", info(t, addr, "master_failover_state"))
	rec("FAILOVER ABORT in progress", cl.Do("FAILOVER", "ABORT"))
	rec("role after ABORT", info(t, addr, "role"))
	rec("state after ABORT in progress", info(t, addr, "master_failover_state"))
	rec("new replid after ABORT", strconv.FormatBool(info(t, addr, "master_replid") != replid))
	rec("replid2 after ABORT", strconv.FormatBool(info(t, addr, "master_replid2") == replid))
	ft.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(ft.r)
	rec("link to the target closed", fmt.Sprint(err))
	rr.conn.Close()
	waitInfo(t, addr, "connected_slaves", "0", 10*time.Second)

	// A replica that caught up is switched to at once; the target
	// accepts and the old master follows its stream.
	rr = fakeReplica(t, addr, fp)
	defer rr.conn.Close()
	replid, offset = info(t, addr, "master_replid"), infoInt(t, addr, "master_repl_offset")
	rec("FAILOVER TO a synced replica", cl.Do(append([]string{"FAILOVER"}, target...)...))
	ft = acceptTarget(t, ln)
	psync = ft.handshake()
	rec("PSYNC args", fmt.Sprintf("%d %s %s", len(psync), psync[0], psync[len(psync)-1]))
	rec("PSYNC replid is the master's", strconv.FormatBool(psync[1] == replid))
	rec("PSYNC offset is the master's + 1", strconv.FormatBool(psync[2] == strconv.FormatInt(offset+1, 10)))
	ft.write("+CONTINUE 1234567890123456789012345678901234567890\r\n")
	waitInfo(t, addr, "master_failover_state", "no-failover", 10*time.Second)
	waitInfo(t, addr, "master_link_status", "up", 10*time.Second)
	rec("role after", info(t, addr, "role"))
	rec("master_port is the target's", strconv.FormatBool(info(t, addr, "master_port") == strconv.Itoa(fp)))
	rec("new replid adopted", info(t, addr, "master_replid"))
	rec("write after", cl.Do("SET", "z", "1"))
	ft.write(servertest.Encode("SET", "from", "target"))
	deadline := time.Now().Add(10 * time.Second)
	for cl.Do("GET", "from") != "$6\r\ntarget\r\n" {
		if time.Now().After(deadline) {
			t.Fatal("the old master did not apply its new master's stream")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// It acknowledges what it applied, as a replica does.
	want := strconv.FormatInt(offset+int64(len(servertest.Encode("SET", "from", "target"))), 10)
	deadline = time.Now().Add(5 * time.Second)
	for {
		cmd := ft.command()
		if len(cmd) == 3 && strings.EqualFold(cmd[1], "ACK") && cmd[2] == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no REPLCONF ACK %s from the old master (last %q)", want, cmd)
		}
	}
	rec("data kept", cl.Do("GET", "k19"))
	return out
}

// TestFailoverStates plays FAILOVER's whole state machine against respd
// and real Redis, with the test acting as the replica and as the target,
// and compares what both servers answer and do.
func TestFailoverStates(t *testing.T) {
	redisAddr := servertest.RedisServer(t, "--repl-diskless-sync-delay", "0")
	respdAddr := servertest.Start(t).Addr
	got := failoverScenario(t, respdAddr)
	want := failoverScenario(t, redisAddr)
	if len(got) != len(want) {
		t.Fatalf("transcripts differ in length: respd %d, redis %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("respd: %q\n       redis: %q", got[i], want[i])
		}
	}
	for _, line := range got {
		t.Log(line)
	}
}

// failoverNode is one server of an interop failover test.
type failoverNode struct {
	name, addr string
}

// counterWriter INCRs a counter on addr until stopped, counting the
// increments the server acknowledged; after a failover they must all be
// on the new master, no more and no fewer.
type counterWriter struct {
	stop chan struct{}
	done chan struct{}
	ok   atomic.Int64
}

func startCounter(addr string) *counterWriter {
	w := &counterWriter{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1, ReadTimeout: 30 * time.Second})
		defer c.Close()
		for {
			select {
			case <-w.stop:
				return
			default:
			}
			if err := c.Incr(context.Background(), "failover:counter").Err(); err == nil {
				w.ok.Add(1)
			} else {
				// READONLY once the old master is a replica.
				time.Sleep(time.Millisecond)
			}
		}
	}()
	return w
}

func (w *counterWriter) finish() int64 {
	close(w.stop)
	<-w.done
	return w.ok.Load()
}

// TestFailoverInterop: FAILOVER TO swaps the roles of a master and its
// replica, respd or real Redis on either side, under a write load: the
// old master follows the new one after a partial resync, no
// acknowledged write is lost, and the datasets match.
func TestFailoverInterop(t *testing.T) {
	cases := []struct {
		name           string
		masterIsRespd  bool
		replicaIsRespd bool
	}{
		{"respd-to-respd", true, true},
		{"respd-to-redis", true, false},
		{"redis-to-respd", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m, r failoverNode
			if tc.masterIsRespd {
				m = failoverNode{"respd", servertest.Start(t).Addr}
			} else {
				m = failoverNode{"redis", servertest.RedisServer(t, "--repl-diskless-sync-delay", "0")}
			}
			// Before the replica exists: stream consumers' seen-times
			// are the replica's own clock when it applies the stream,
			// as in Redis, but come from the master in a full sync.
			populate(t, m.addr)
			mh, mp := hostPort(t, m.addr)
			if tc.replicaIsRespd {
				r = failoverNode{"respd", servertest.Start(t, "--replicaof", mh+" "+mp).Addr}
			} else {
				r = failoverNode{"redis", servertest.RedisServer(t, "--replicaof", mh, mp)}
			}
			waitSynced(t, 20*time.Second, m.addr, r.addr)
			w := startCounter(m.addr)
			time.Sleep(200 * time.Millisecond)
			rh, rp := hostPort(t, r.addr)
			start := time.Now()
			if v := do(t, m.addr, "FAILOVER", "TO", rh, rp, "TIMEOUT", "10000"); v != "OK" {
				t.Fatalf("FAILOVER: %v", v)
			}
			waitInfo(t, r.addr, "role", "master", 15*time.Second)
			waitInfo(t, m.addr, "master_failover_state", "no-failover", 15*time.Second)
			waitInfo(t, m.addr, "master_link_status", "up", 15*time.Second)
			t.Logf("%s master -> %s replica: roles swapped in %v", m.name, r.name, time.Since(start).Round(time.Millisecond))
			time.Sleep(100 * time.Millisecond)
			acked := w.finish()
			if info(t, m.addr, "role") != "slave" || info(t, m.addr, "master_port") != rp {
				t.Fatalf("old master: role %s master_port %s", info(t, m.addr, "role"), info(t, m.addr, "master_port"))
			}
			if got := do(t, r.addr, "GET", "failover:counter"); got != strconv.FormatInt(acked, 10) {
				t.Fatalf("new master's counter %v, %d increments acknowledged", got, acked)
			}
			if acked == 0 {
				t.Fatal("no write was acknowledged before the failover")
			}
			// The new master takes writes, and the old one follows.
			do(t, r.addr, "SET", "after-failover", "1")
			waitSynced(t, 10*time.Second, r.addr, m.addr)
			sameData(t, r.addr, m.addr)
			if full, part := infoInt(t, r.addr, "sync_full"), infoInt(t, r.addr, "sync_partial_ok"); full != 0 || part != 1 {
				t.Fatalf("new master: sync_full %d sync_partial_ok %d (want a partial resync only)", full, part)
			}
			if info(t, r.addr, "master_replid2") != info(t, m.addr, "master_replid2") {
				t.Fatalf("replid2: new master %s, old master %s", info(t, r.addr, "master_replid2"), info(t, m.addr, "master_replid2"))
			}
		})
	}
}

// TestFailoverAnyReplica: FAILOVER without TO picks a replica that caught
// up; the other replica ends up following the new master too (through the
// old one), with every dataset equal.
func TestFailoverAnyReplica(t *testing.T) {
	m := servertest.Start(t)
	populate(t, m.Addr)
	mh, mp := hostPort(t, m.Addr)
	a := servertest.Start(t, "--replicaof", mh+" "+mp)
	b := servertest.Start(t, "--replicaof", mh+" "+mp)
	waitSynced(t, 20*time.Second, m.Addr, a.Addr, b.Addr)
	if v := do(t, m.Addr, "FAILOVER"); v != "OK" {
		t.Fatal(v)
	}
	waitInfo(t, m.Addr, "master_failover_state", "no-failover", 15*time.Second)
	waitInfo(t, m.Addr, "master_link_status", "up", 15*time.Second)
	newMaster := "127.0.0.1:" + info(t, m.Addr, "master_port")
	if newMaster != a.Addr && newMaster != b.Addr {
		t.Fatalf("old master follows %s, not one of its replicas", newMaster)
	}
	if info(t, newMaster, "role") != "master" {
		t.Fatalf("%s is %s", newMaster, info(t, newMaster, "role"))
	}
	do(t, newMaster, "SET", "after-failover", "1")
	waitSynced(t, 10*time.Second, newMaster, m.Addr)
	for _, x := range []string{a.Addr, b.Addr} {
		if x == newMaster {
			continue
		}
		deadline := time.Now().Add(15 * time.Second)
		for info(t, x, "master_link_status") != "up" || do2(x, "GET", "after-failover") != "1" {
			if time.Now().After(deadline) {
				t.Fatalf("the other replica %s did not follow: link %s", x, info(t, x, "master_link_status"))
			}
			time.Sleep(10 * time.Millisecond)
		}
		sameData(t, newMaster, x)
	}
	sameData(t, newMaster, m.Addr)
}

// do2 is do without failing: "" on an error reply.
func do2(addr string, args ...any) any {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	v, err := c.Do(context.Background(), args...).Result()
	if err != nil {
		return ""
	}
	return v
}

// TestPauseOnReadOnlyReplica: a write held by a pause on a read-only
// replica is refused with READONLY at once instead of waiting, as in
// Redis, where the READONLY check comes before the pause (which is what
// a failover's old master, a replica still under the failover's pause,
// answers).
func TestPauseOnReadOnlyReplica(t *testing.T) {
	deadPort := closedPort(t)
	targets := map[string]string{
		"respd": servertest.Start(t, "--replicaof", "127.0.0.1 "+deadPort).Addr,
		"redis": servertest.RedisServer(t, "--replicaof", "127.0.0.1", deadPort),
	}
	var replies [2][]string
	for i, name := range []string{"respd", "redis"} {
		c := servertest.Dial(t, targets[name])
		for _, cmd := range [][]string{{"CLIENT", "PAUSE", "3000", "WRITE"}, {"SET", "k", "v"}, {"GET", "k"}, {"CLIENT", "UNPAUSE"}} {
			start := time.Now()
			r := c.Do(cmd...)
			if time.Since(start) > 2*time.Second {
				t.Fatalf("%s: %v waited for the pause", name, cmd)
			}
			replies[i] = append(replies[i], r)
		}
	}
	for i := range replies[0] {
		if replies[0][i] != replies[1][i] {
			t.Errorf("reply %d: respd %q, redis %q", i, replies[0][i], replies[1][i])
		}
	}
	if replies[0][1] != "-READONLY You can't write against a read only replica.\r\n" {
		t.Fatalf("SET under the pause: %q", replies[0][1])
	}
}

// TestPSyncFailoverOnReplica: what a replica answers to PSYNC ...
// FAILOVER that does not come from its master's replication history, as
// in Redis: the replid must be its own; a refused request leaves it a
// replica.
func TestPSyncFailoverOnReplica(t *testing.T) {
	deadPort := closedPort(t)
	for name, addr := range map[string]string{
		"respd": servertest.Start(t, "--replicaof", "127.0.0.1 "+deadPort).Addr,
		"redis": servertest.RedisServer(t, "--replicaof", "127.0.0.1", deadPort),
	} {
		c := servertest.Dial(t, addr)
		for _, tc := range [][2]string{
			{"PSYNC 0123456789012345678901234567890123456789 1 FAILOVER", "-ERR PSYNC FAILOVER replid must match my replid.\r\n"},
			{"PSYNC ? -1 FAILOVER", "-ERR PSYNC FAILOVER replid must match my replid.\r\n"},
			{"PSYNC ? -1", "-NOMASTERLINK Can't SYNC while not connected with my master\r\n"},
			{"FAILOVER", "-ERR FAILOVER is not valid when server is a replica.\r\n"},
			{"FAILOVER TO h 1 TIMEOUT 5 FORCE", "-ERR FAILOVER is not valid when server is a replica.\r\n"},
			{"FAILOVER ABORT", "-ERR No failover in progress.\r\n"},
		} {
			if got := c.Do(strings.Fields(tc[0])...); got != tc[1] {
				t.Errorf("%s: %s: %q, want %q", name, tc[0], got, tc[1])
			}
		}
		if role := info(t, addr, "role"); role != "slave" {
			t.Errorf("%s: role %s after refused requests", name, role)
		}
	}
}

// TestRoleChangeUnblocks: a master turning into a replica (REPLICAOF, or
// the switch of a FAILOVER) ends its blocked commands with UNBLOCKED and
// closes their connections, as Redis does; BLPOP and WAIT alike.
func TestRoleChangeUnblocks(t *testing.T) {
	deadPort := closedPort(t)
	for name, addr := range map[string]string{
		"respd": servertest.Start(t).Addr,
		"redis": servertest.RedisServer(t),
	} {
		blpop, wait := servertest.Dial(t, addr), servertest.Dial(t, addr)
		blpop.Write(servertest.Encode("BLPOP", "q", "0"))
		wait.Write(servertest.Encode("WAIT", "1", "0"))
		admin := servertest.Dial(t, addr)
		admin.WaitBlocked(2)
		if got := admin.Do("REPLICAOF", "127.0.0.1", deadPort); got != "+OK\r\n" {
			t.Fatalf("%s: REPLICAOF: %q", name, got)
		}
		for _, c := range []*servertest.Conn{blpop, wait} {
			want := "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n"
			if got := c.Read(); got != want {
				t.Errorf("%s: %q, want %q", name, got, want)
			}
			if got, err := c.ReadErr(5 * time.Second); err != io.EOF {
				t.Errorf("%s: connection not closed after UNBLOCKED: %q %v", name, got, err)
			}
		}
	}
}

// TestPauseFreezesExpiry: while writes are paused (CLIENT PAUSE, or a
// failover waiting for its replica) expired keys read as missing but are
// not deleted, by reads or by the cron, so the replication stream stands
// still; they go once the pause ends. Compared with Redis.
func TestPauseFreezesExpiry(t *testing.T) {
	for name, addr := range map[string]string{
		"respd": servertest.Start(t).Addr,
		"redis": servertest.RedisServer(t),
	} {
		c := servertest.Dial(t, addr)
		for i := 0; i < 20; i++ {
			c.Do("SET", fmt.Sprint("k", i), "v", "PX", "100")
		}
		c.Do("SET", "keep", "v")
		if got := c.Do("CLIENT", "PAUSE", "1500", "WRITE"); got != "+OK\r\n" {
			t.Fatal(got)
		}
		time.Sleep(400 * time.Millisecond)
		for _, tc := range [][2]string{
			{"GET k1", "$-1\r\n"}, {"EXISTS k2", ":0\r\n"}, {"DBSIZE", ":21\r\n"}, {"RANDOMKEY", ""}, {"DBSIZE", ":21\r\n"},
		} {
			got := c.Do(strings.Fields(tc[0])...)
			if tc[1] != "" && got != tc[1] {
				t.Errorf("%s during the pause: %s: %q, want %q", name, tc[0], got, tc[1])
			}
		}
		if exp := infoInt(t, addr, "expired_keys"); exp != 0 {
			t.Errorf("%s: expired_keys %d during the pause", name, exp)
		}
		c.Do("CLIENT", "UNPAUSE")
		deadline := time.Now().Add(10 * time.Second)
		for c.Do("DBSIZE") != ":1\r\n" {
			if time.Now().After(deadline) {
				t.Fatalf("%s: expired keys not reclaimed after the pause: DBSIZE %q", name, c.Do("DBSIZE"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
