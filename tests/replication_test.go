package tests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/repl"
	"github.com/respd/respd/internal/servertest"
)

// info returns one field of INFO from the server at addr ("" if absent).
func info(t *testing.T, addr, field string) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	s, err := c.Info(context.Background(), "everything").Result()
	if err != nil {
		t.Fatalf("INFO on %s: %v", addr, err)
	}
	for _, line := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

func infoInt(t *testing.T, addr, field string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(info(t, addr, field), 10, 64)
	if err != nil {
		t.Fatalf("INFO %s on %s: %v", field, addr, err)
	}
	return n
}

// waitSynced waits until each replica's link is up and it has applied
// everything the master produced.
func waitSynced(t *testing.T, within time.Duration, master string, replicas ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		mo := info(t, master, "master_repl_offset")
		ok := true
		for _, r := range replicas {
			if info(t, r, "master_link_status") != "up" || info(t, r, "slave_repl_offset") != mo {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, r := range replicas {
				fmt.Fprintf(&b, " %s: link %s offset %s;", r, info(t, r, "master_link_status"), info(t, r, "slave_repl_offset"))
			}
			t.Fatalf("replicas not in sync with %s (offset %s) after %v:%s", master, mo, within, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// streamLayout matches the XINFO fields that describe how a stream's
// entries are split into nodes. A full sync rebuilds them: respd's RDB
// writer packs stream nodes afresh instead of keeping the master's node
// boundaries, so a replica's later appends may split differently while
// holding the same entries.
var streamLayout = regexp.MustCompile(`radix-tree-keys \d+ radix-tree-nodes \d+ `)

func sameData(t *testing.T, a, b string) {
	t.Helper()
	da, db := servertest.Dataset(t, a), servertest.Dataset(t, b)
	for _, d := range []map[string]string{da, db} {
		for k, v := range d {
			d[k] = streamLayout.ReplaceAllString(v, "")
		}
	}
	if d := servertest.DiffDatasets(da, db); d != "" {
		t.Fatalf("datasets of %s and %s differ:\n%s", a, b, d)
	}
	if len(da) == 0 {
		t.Fatal("empty datasets compared")
	}
}

// bulkKeys adds n plain keys to db 0, so a snapshot of the dataset takes
// a while with rdb-key-save-delay.
func bulkKeys(t *testing.T, addr string, n int) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	p := c.Pipeline()
	for i := 0; i < n; i++ {
		p.Set(context.Background(), fmt.Sprint("bulk:", i), i, 0)
	}
	if _, err := p.Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// writer runs a mixed write workload (every type, several databases,
// TTLs, transactions, deletions) against addr until stopped.
type writer struct {
	stop chan struct{}
	wg   sync.WaitGroup
	n    atomic.Int64
	err  atomic.Value
}

func startWriter(addr string, id int) *writer {
	w := &writer{stop: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		ctx := context.Background()
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
		defer c.Close()
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			k := fmt.Sprintf("w%d:%d", id, i%50)
			db := i % 3
			p := c.Pipeline()
			p.Do(ctx, "SELECT", db)
			p.Do(ctx, "SET", k, i)
			p.Do(ctx, "INCRBY", "w:counter", 3)
			p.Do(ctx, "RPUSH", "w:list:"+k, i, "x")
			p.Do(ctx, "LPOP", "w:list:"+k)
			p.Do(ctx, "HINCRBY", "w:hash", k, 1)
			p.Do(ctx, "SADD", "w:set", i%200)
			p.Do(ctx, "ZINCRBY", "w:zset", 1.5, k)
			p.Do(ctx, "XADD", "w:stream", "MAXLEN", "100", "*", "i", i)
			p.Do(ctx, "SET", "w:ttl:"+k, "v", "EX", 100)
			p.Do(ctx, "MULTI")
			p.Do(ctx, "INCR", "w:tx")
			p.Do(ctx, "APPEND", "w:tx:log", "x")
			p.Do(ctx, "EXEC")
			if i%7 == 0 {
				p.Do(ctx, "DEL", fmt.Sprintf("w%d:%d", id, (i+25)%50))
			}
			if _, err := p.Exec(ctx); err != nil {
				w.err.Store(err)
				return
			}
			w.n.Add(1)
		}
	}()
	return w
}

func (w *writer) finish(t *testing.T) int64 {
	t.Helper()
	close(w.stop)
	w.wg.Wait()
	if err, _ := w.err.Load().(error); err != nil {
		t.Fatalf("writer: %v", err)
	}
	return w.n.Load()
}

// closedPort returns a local port nothing listens on: a master address
// a replica can never reach.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port := hostPort(t, ln.Addr().String())
	ln.Close()
	return port
}

func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

func do(t *testing.T, addr string, args ...any) any {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	v, err := c.Do(context.Background(), args...).Result()
	if err != nil {
		t.Fatalf("%v on %s: %v", args, addr, err)
	}
	return v
}

// TestRedisReplicaOfRespd: real redis-server follows respd through a full
// sync under writes, then a partial resync after its link is killed.
func TestRedisReplicaOfRespd(t *testing.T) {
	// A backlog far bigger than what the writer sends while the link
	// is down: the partial resync below must not depend on speed.
	master := servertest.Start(t, "--rdb-key-save-delay", "100", "--repl-backlog-size", "64mb")
	populate(t, master.Addr)
	bulkKeys(t, master.Addr, 3000)
	w := startWriter(master.Addr, 1)
	h, p := hostPort(t, master.Addr)
	start := time.Now()
	replica := servertest.RedisServer(t, "--replicaof", h, p)
	time.Sleep(200 * time.Millisecond)
	if n := w.finish(t); n == 0 {
		t.Fatal("no writes ran during the sync")
	}
	waitSynced(t, 60*time.Second, master.Addr, replica)
	t.Logf("full sync of %s keys under writes: %v", info(t, master.Addr, "db0"), time.Since(start))
	sameData(t, master.Addr, replica)
	if info(t, replica, "master_sync_in_progress") != "0" || infoInt(t, master.Addr, "sync_full") != 1 {
		t.Fatalf("sync_full %s", info(t, master.Addr, "sync_full"))
	}

	// Partial resync: drop the link, write meanwhile.
	full, partial := infoInt(t, master.Addr, "sync_full"), infoInt(t, master.Addr, "sync_partial_ok")
	if n := do(t, master.Addr, "CLIENT", "KILL", "TYPE", "replica").(int64); n != 1 {
		t.Fatalf("killed %d replicas", n)
	}
	w = startWriter(master.Addr, 2)
	time.Sleep(300 * time.Millisecond)
	w.finish(t)
	waitSynced(t, 10*time.Second, master.Addr, replica)
	sameData(t, master.Addr, replica)
	if f, p2 := infoInt(t, master.Addr, "sync_full"), infoInt(t, master.Addr, "sync_partial_ok"); f != full || p2 != partial+1 {
		t.Fatalf("after the dropped link: sync_full %d (was %d), sync_partial_ok %d (was %d)", f, full, p2, partial)
	}
	// WAIT: the real replica answers our GETACK with an offset that
	// covers the write.
	raw := master.Raw(t)
	raw.Do("SET", "waited", "1")
	if got := raw.Do("WAIT", "1", "5000"); got != ":1\r\n" {
		t.Fatalf("WAIT through redis-server: %q", got)
	}
	// ROLE lists it with its offset.
	role := do(t, master.Addr, "ROLE").([]any)
	if role[0] != "master" || len(role[2].([]any)) != 1 {
		t.Fatalf("ROLE %v", role)
	}
}

// TestRespdReplicaOfRedis: respd follows real redis-server, with both
// payload forms, then resyncs partially after its link is killed.
func TestRespdReplicaOfRedis(t *testing.T) {
	for _, diskless := range []string{"yes", "no"} {
		t.Run("diskless-"+diskless, func(t *testing.T) {
			// The backlog holds far more than the writer sends while the
			// link is down (about 1 MB here, Redis's default backlog
			// size), so a partial resync is always possible.
			master := servertest.RedisServer(t, "--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0", "--rdb-key-save-delay", "100", "--repl-backlog-size", "64mb")
			populate(t, master)
			bulkKeys(t, master, 3000)
			w := startWriter(master, 1)
			h, p := hostPort(t, master)
			start := time.Now()
			replica := servertest.Start(t, "--replicaof", h+" "+p)
			time.Sleep(200 * time.Millisecond)
			w.finish(t)
			waitSynced(t, 60*time.Second, master, replica.Addr)
			t.Logf("full sync under writes: %v", time.Since(start))
			sameData(t, master, replica.Addr)
			// Read-only for clients, and ROLE.
			c := replica.Client(t)
			if err := c.Set(context.Background(), "x", 1, 0).Err(); err == nil || err.Error() != "READONLY You can't write against a read only replica." {
				t.Fatalf("SET on the replica: %v", err)
			}
			role := do(t, replica.Addr, "ROLE").([]any)
			if role[0] != "slave" || role[3] != "connected" {
				t.Fatalf("ROLE %v", role)
			}
			// WAIT on the real master: respd answers GETACK with the
			// offset it applied.
			mraw := servertest.Dial(t, master)
			mraw.Do("SET", "waited", "1")
			if got := mraw.Do("WAIT", "1", "5000"); got != ":1\r\n" {
				t.Fatalf("WAIT on redis-server through respd: %q", got)
			}

			full, partial := infoInt(t, master, "sync_full"), infoInt(t, master, "sync_partial_ok")
			if n := do(t, replica.Addr, "CLIENT", "KILL", "TYPE", "master").(int64); n != 1 {
				t.Fatalf("killed %d masters", n)
			}
			w = startWriter(master, 2)
			time.Sleep(300 * time.Millisecond)
			w.finish(t)
			waitSynced(t, 10*time.Second, master, replica.Addr)
			sameData(t, master, replica.Addr)
			if f, p2 := infoInt(t, master, "sync_full"), infoInt(t, master, "sync_partial_ok"); f != full || p2 != partial+1 {
				t.Fatalf("after the dropped link: sync_full %d (was %d), sync_partial_ok %d (was %d)", f, full, p2, partial)
			}
		})
	}
}

// TestReplicationChain: respd -> respd -> respd under concurrent writers
// converges within a second of the writers stopping; the middle replica
// proxies its master's stream byte for byte (same replid and offsets).
func TestReplicationChain(t *testing.T) {
	a := servertest.Start(t)
	populate(t, a.Addr)
	b := servertest.Start(t, "--replicaof", strings.Replace(a.Addr, ":", " ", 1))
	c := servertest.Start(t, "--replicaof", strings.Replace(b.Addr, ":", " ", 1))
	var ws []*writer
	for i := 0; i < 4; i++ {
		ws = append(ws, startWriter(a.Addr, i))
	}
	time.Sleep(time.Second)
	for _, w := range ws {
		w.finish(t)
	}
	stopped := time.Now()
	waitSynced(t, time.Second, a.Addr, b.Addr)
	waitSynced(t, time.Second-time.Since(stopped), b.Addr, c.Addr)
	t.Logf("chain converged %v after the writers stopped", time.Since(stopped))
	sameData(t, a.Addr, c.Addr)
	sameData(t, a.Addr, b.Addr)
	if ida, idc := info(t, a.Addr, "master_replid"), info(t, c.Addr, "master_replid"); ida != idc {
		t.Fatalf("replids %s %s", ida, idc)
	}
}

// TestPromotionPSYNC2: a replica promoted with REPLICAOF NO ONE lets its
// former sibling continue from it without a full sync.
func TestPromotionPSYNC2(t *testing.T) {
	a := servertest.Start(t)
	populate(t, a.Addr)
	b := servertest.Start(t, "--replicaof", strings.Replace(a.Addr, ":", " ", 1))
	c := servertest.Start(t, "--replicaof", strings.Replace(a.Addr, ":", " ", 1))
	w := startWriter(a.Addr, 1)
	time.Sleep(200 * time.Millisecond)
	w.finish(t)
	waitSynced(t, 10*time.Second, a.Addr, b.Addr, c.Addr)
	old := info(t, b.Addr, "master_replid")
	off := infoInt(t, b.Addr, "master_repl_offset")
	if v := do(t, b.Addr, "REPLICAOF", "NO", "ONE"); v != "OK" {
		t.Fatal(v)
	}
	if info(t, b.Addr, "master_replid2") != old || infoInt(t, b.Addr, "second_repl_offset") != off+1 || info(t, b.Addr, "master_replid") == old {
		t.Fatalf("promotion: replid2 %s second %s", info(t, b.Addr, "master_replid2"), info(t, b.Addr, "second_repl_offset"))
	}
	h, p := hostPort(t, b.Addr)
	if v := do(t, c.Addr, "REPLICAOF", h, p); v != "OK" {
		t.Fatal(v)
	}
	if v := do(t, c.Addr, "REPLICAOF", h, p); v != "OK Already connected to specified master" {
		t.Fatal(v)
	}
	do(t, b.Addr, "SET", "after-promotion", "1")
	waitSynced(t, 10*time.Second, b.Addr, c.Addr)
	sameData(t, b.Addr, c.Addr)
	if f, pok := infoInt(t, b.Addr, "sync_full"), infoInt(t, b.Addr, "sync_partial_ok"); f != 0 || pok != 1 {
		t.Fatalf("on the promoted master: sync_full %d sync_partial_ok %d", f, pok)
	}
}

// TestWait covers WAIT's replies: no write since, enough acks, timeout,
// no replicas, on a replica.
func TestWait(t *testing.T) {
	m := servertest.Start(t)
	r1 := m.Raw(t)
	r1.Do("SET", "k", "v")
	start := time.Now()
	if got := r1.Do("WAIT", "1", "100"); got != ":0\r\n" {
		t.Fatalf("WAIT without replicas: %q", got)
	}
	if time.Since(start) < 90*time.Millisecond {
		t.Fatal("WAIT did not wait for its timeout")
	}
	rep := servertest.Start(t, "--replicaof", strings.Replace(m.Addr, ":", " ", 1))
	waitSynced(t, 10*time.Second, m.Addr, rep.Addr)
	fresh := m.Raw(t)
	start = time.Now()
	if got := fresh.Do("WAIT", "1", "0"); got != ":1\r\n" || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("WAIT with no write since: %q after %v", got, time.Since(start))
	}
	r1.Do("SET", "k", "v2")
	start = time.Now()
	if got := r1.Do("WAIT", "1", "0"); got != ":1\r\n" {
		t.Fatalf("WAIT 1: %q", got)
	}
	t.Logf("WAIT 1 after a write answered in %v", time.Since(start))
	r1.Do("SET", "k", "v3")
	start = time.Now()
	if got := r1.Do("WAIT", "2", "200"); got != ":1\r\n" || time.Since(start) < 190*time.Millisecond {
		t.Fatalf("WAIT 2 200: %q after %v", got, time.Since(start))
	}
	if got := rep.Raw(t).Do("WAIT", "1", "0"); !strings.HasPrefix(got, "-ERR WAIT cannot be used with replica instances.") {
		t.Fatalf("WAIT on a replica: %q", got)
	}
	if got := r1.Do("WAIT", "1", "-1"); got != "-ERR timeout is negative\r\n" {
		t.Fatalf("%q", got)
	}
}

// TestMinReplicasToWrite: writes are refused until enough replicas are
// connected and acknowledging.
func TestMinReplicasToWrite(t *testing.T) {
	m := servertest.Start(t, "--min-replicas-to-write", "1")
	raw := m.Raw(t)
	want := "-NOREPLICAS Not enough good replicas to write.\r\n"
	if got := raw.Do("SET", "k", "v"); got != want {
		t.Fatalf("SET without replicas: %q", got)
	}
	if got := raw.Do("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("GET: %q", got)
	}
	rep := servertest.Start(t, "--replicaof", strings.Replace(m.Addr, ":", " ", 1))
	waitSynced(t, 10*time.Second, m.Addr, rep.Addr)
	if got := raw.Do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("SET with a replica: %q", got)
	}
	if got := raw.Do("CONFIG", "SET", "min-replicas-to-write", "2"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := raw.Do("SET", "k", "v"); got != want {
		t.Fatalf("SET with too few replicas: %q", got)
	}
	// The same refusal from real Redis.
	oracle := servertest.Dial(t, servertest.RedisServer(t, "--min-replicas-to-write", "1"))
	if got := oracle.Do("SET", "k", "v"); got != want {
		t.Fatalf("redis-server says %q", got)
	}
}

// TestReplicaAOF: a replica's AOF gets what it applies from its master
// (rewritten after the full sync), so restarting from it alone gives the
// master's dataset.
func TestReplicaAOF(t *testing.T) {
	m := servertest.Start(t)
	populate(t, m.Addr)
	dir := t.TempDir()
	rep := servertest.Start(t, "--dir", dir, "--appendonly", "yes", "--replicaof", strings.Replace(m.Addr, ":", " ", 1))
	waitSynced(t, 10*time.Second, m.Addr, rep.Addr)
	w := startWriter(m.Addr, 1)
	time.Sleep(200 * time.Millisecond)
	w.finish(t)
	waitSynced(t, 10*time.Second, m.Addr, rep.Addr)
	// Let the rewrite that followed the sync finish.
	deadline := time.Now().Add(10 * time.Second)
	for info(t, rep.Addr, "aof_rewrite_in_progress") != "0" || info(t, rep.Addr, "aof_rewrite_scheduled") != "0" {
		if time.Now().After(deadline) {
			t.Fatal("AOF rewrite did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	rep.Srv.Close()
	restarted := servertest.Start(t, "--dir", dir, "--appendonly", "yes")
	sameData(t, m.Addr, restarted.Addr)
}

// rawReplica speaks the replica side of the protocol by hand.
type rawReplica struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialRawReplica(t *testing.T, addr string) *rawReplica {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawReplica{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (rr *rawReplica) send(args ...string) {
	rr.t.Helper()
	rr.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := rr.conn.Write([]byte(servertest.Encode(args...))); err != nil {
		rr.t.Fatal(err)
	}
}

func (rr *rawReplica) line() string {
	rr.t.Helper()
	rr.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := rr.r.ReadString('\n')
	if err != nil {
		rr.t.Fatal(err)
	}
	return s
}

// exactly reads len(want) bytes and compares them.
func (rr *rawReplica) exactly(want string) {
	rr.t.Helper()
	rr.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(rr.r, got); err != nil {
		rr.t.Fatalf("reading %q: %v (got %q)", want, err, got)
	}
	if string(got) != want {
		rr.t.Fatalf("stream: got %q want %q", got, want)
	}
}

// TestReplicaProtocolTranscript plays a replica by hand against respd and
// real Redis and checks the same bytes come back: handshake replies,
// payload form, no reply to the replica's own commands, the stream of a
// write, and +CONTINUE with the missing bytes on a second connection.
func TestReplicaProtocolTranscript(t *testing.T) {
	targets := map[string]string{
		"respd": servertest.Start(t).Addr,
		"redis": servertest.RedisServer(t, "--repl-diskless-sync-delay", "0"),
	}
	for name, addr := range targets {
		t.Run(name, func(t *testing.T) {
			do(t, addr, "SET", "before", "1")
			rr := dialRawReplica(t, addr)
			for _, cmd := range [][]string{{"REPLCONF", "listening-port", "4321"}, {"REPLCONF", "capa", "eof", "capa", "psync2"}} {
				rr.send(cmd...)
				if got := rr.line(); got != "+OK\r\n" {
					t.Fatalf("%v: %q", cmd, got)
				}
			}
			rr.send("PSYNC", "?", "-1")
			f := strings.Fields(rr.line())
			if len(f) != 3 || f[0] != "+FULLRESYNC" || len(f[1]) != 40 {
				t.Fatalf("PSYNC reply %v", f)
			}
			if peek, _ := rr.r.Peek(5); string(peek) != "$EOF:" {
				t.Fatalf("payload starts %q", peek)
			}
			rdbBytes, err := repl.ReadPayload(rr.r, 1<<30, nil)
			if err != nil || !strings.HasPrefix(string(rdbBytes), "REDIS0010") {
				t.Fatalf("payload: %v %q", err, rdbBytes[:min(len(rdbBytes), 9)])
			}
			// Redis starts the stream on the first ACK after its side
			// of the transfer has ended, a moment after the payload.
			time.Sleep(300 * time.Millisecond)
			rr.send("REPLCONF", "ACK", f[2]) // no reply
			do(t, addr, "SET", "k", "v")
			set := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
			rr.exactly(set)
			off, _ := strconv.ParseInt(f[2], 10, 64)
			if got := infoInt(t, addr, "master_repl_offset"); got != off+int64(len(set)) {
				t.Fatalf("master_repl_offset %d, want %d", got, off+int64(len(set)))
			}
			// Lists it as a replica, with the port it announced.
			if got := info(t, addr, "slave0"); !strings.Contains(got, "port=4321,state=online") {
				t.Fatalf("slave0:%s", got)
			}
			// A second replica continues from the FULLRESYNC offset.
			rr2 := dialRawReplica(t, addr)
			rr2.send("PSYNC", f[1], strconv.FormatInt(off+1, 10))
			// Without "capa psync2" the id is not repeated.
			if got := rr2.line(); got != "+CONTINUE\r\n" {
				t.Fatalf("partial PSYNC: %q", got)
			}
			rr2.exactly(set)
			// WAIT sends REPLCONF GETACK * after the write, and counts
			// the replica once it acknowledges the offset.
			cl := servertest.Dial(t, addr)
			cl.Do("SET", "k2", "v")
			if got := cl.Do("WAIT", "1", "100"); got != ":0\r\n" {
				t.Fatalf("WAIT before any ACK: %q", got)
			}
			rr.exactly("*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$1\r\nv\r\n*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n")
			rr.send("REPLCONF", "ACK", info(t, addr, "master_repl_offset"))
			if got := cl.Do("WAIT", "1", "2000"); got != ":1\r\n" {
				t.Fatalf("WAIT after the ACK: %q", got)
			}
			// A replica's command that would get a reply costs it the
			// link: a replica only gets the stream.
			rr2.send("PING")
			rr2.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if rest, err := io.ReadAll(rr2.r); err != nil || strings.Contains(string(rest), "PONG") {
				t.Fatalf("after PING from a replica: %q %v", rest, err)
			}
			// One outside the backlog gets a full sync.
			rr3 := dialRawReplica(t, addr)
			rr3.send("PSYNC", f[1], strconv.FormatInt(off+1000, 10))
			if got := rr3.line(); !strings.HasPrefix(got, "+FULLRESYNC "+f[1]+" ") {
				t.Fatalf("PSYNC past the end: %q", got)
			}
		})
	}
}

// TestSyncCommand: the old SYNC gets the disk form without +FULLRESYNC.
func TestSyncCommand(t *testing.T) {
	m := servertest.Start(t)
	rr := dialRawReplica(t, m.Addr)
	rr.send("SYNC")
	if peek, _ := rr.r.Peek(1); string(peek) != "$" {
		t.Fatalf("SYNC reply starts %q", peek)
	}
	data, err := repl.ReadPayload(rr.r, 1<<30, nil)
	if err != nil || !strings.HasPrefix(string(data), "REDIS0010") {
		t.Fatalf("SYNC payload: %v", err)
	}
	do(t, m.Addr, "SET", "k", "v")
	rr.exactly("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
}

// TestReplicaOutputLimit: a replica whose pending stream outgrows
// client-output-buffer-limit replica during its sync is disconnected
// (and then resynchronizes).
func TestReplicaOutputLimit(t *testing.T) {
	m := servertest.Start(t, "--rdb-key-save-delay", "1000", "--client-output-buffer-limit", "replica 65536 0 0")
	bulkKeys(t, m.Addr, 500)
	rep := servertest.Start(t, "--replicaof", strings.Replace(m.Addr, ":", " ", 1))
	deadline := time.Now().Add(5 * time.Second)
	for info(t, m.Addr, "connected_slaves") != "1" {
		if time.Now().After(deadline) {
			t.Fatal("replica never connected")
		}
		time.Sleep(5 * time.Millisecond)
	}
	big := strings.Repeat("x", 20000)
	for i := 0; i < 5; i++ {
		do(t, m.Addr, "SET", fmt.Sprint("big", i), big)
	}
	do(t, m.Addr, "CONFIG", "SET", "rdb-key-save-delay", "0")
	waitSynced(t, 10*time.Second, m.Addr, rep.Addr)
	sameData(t, m.Addr, rep.Addr)
	if n := infoInt(t, m.Addr, "sync_full"); n < 2 {
		t.Fatalf("sync_full %d", n)
	}
}

var hexID = regexp.MustCompile("[0-9a-f]{40}")

// TestReplicaRefusals: what a replica whose master is unreachable answers,
// compared with real Redis: READONLY, MASTERDOWN under
// replica-serve-stale-data no, WAIT, ROLE, REPLICAOF replies, and CONFIG
// GET replicaof following REPLICAOF.
func TestReplicaRefusals(t *testing.T) {
	deadPort := closedPort(t)
	respd := servertest.Start(t, "--replicaof", "127.0.0.1 "+deadPort).Addr
	redisAddr := servertest.RedisServer(t, "--replicaof", "127.0.0.1", deadPort)
	script := [][]string{
		{"CONFIG", "SET", "replica-serve-stale-data", "no"},
		{"GET", "a"}, {"PING"}, {"SET", "a", "b"}, {"DEL", "a"}, {"WAIT", "1", "0"},
		{"CONFIG", "GET", "replicaof"}, {"INFO", "replication"},
		{"REPLICAOF", "127.0.0.1", deadPort}, {"REPLICAOF", "127.0.0.1", "abc"}, {"REPLICAOF", "127.0.0.1", "70000"},
		{"REPLICAOF", "no"}, {"PSYNC", "?", "x"}, {"PSYNC", "?"}, {"REPLCONF", "nonsense", "1"}, {"REPLCONF", "listening-port"}, {"REPLCONF", "listening-port", "x"},
		{"CONFIG", "SET", "replica-serve-stale-data", "yes"}, {"GET", "a"}, {"PING"},
		{"REPLICAOF", "NO", "ONE"}, {"CONFIG", "GET", "replicaof"}, {"SET", "a", "b"}, {"ROLE"}, {"REPLICAOF", "no", "one"},
	}
	a, b := servertest.Dial(t, respd), servertest.Dial(t, redisAddr)
	for _, cmd := range script {
		got, want := a.Do(cmd...), b.Do(cmd...)
		if cmd[0] == "INFO" {
			// Replication ids are random; the rest must match.
			got, want = hexID.ReplaceAllString(got, "<id>"), hexID.ReplaceAllString(want, "<id>")
		}
		if cmd[0] == "ROLE" {
			// The offset differs; the shape must not.
			got, want = strings.SplitN(got, ":", 2)[0], strings.SplitN(want, ":", 2)[0]
		}
		if got != want {
			t.Errorf("%v: respd %q, redis %q", cmd, got, want)
		}
	}
}

// TestFullSyncWaitsForSnapshot: a replica arriving during a BGSAVE waits
// for it (wait_bgsave), then gets its own snapshot.
func TestFullSyncWaitsForSnapshot(t *testing.T) {
	m := servertest.Start(t, "--rdb-key-save-delay", "300")
	bulkKeys(t, m.Addr, 2000)
	if got := do(t, m.Addr, "BGSAVE"); got != "Background saving started" {
		t.Fatal(got)
	}
	rep := servertest.Start(t, "--replicaof", strings.Replace(m.Addr, ":", " ", 1))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(info(t, m.Addr, "slave0"), "state=wait_bgsave") {
		if time.Now().After(deadline) {
			t.Fatalf("slave0:%s", info(t, m.Addr, "slave0"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	do(t, m.Addr, "SET", "during-bgsave", "1")
	do(t, m.Addr, "CONFIG", "SET", "rdb-key-save-delay", "0")
	waitSynced(t, 30*time.Second, m.Addr, rep.Addr)
	sameData(t, m.Addr, rep.Addr)
}

// TestReplicaPing: masters PING their replicas every
// repl-ping-replica-period seconds, in the stream (and the offset).
func TestReplicaPing(t *testing.T) {
	targets := map[string]string{
		"respd": servertest.Start(t, "--repl-ping-replica-period", "1").Addr,
		"redis": servertest.RedisServer(t, "--repl-ping-replica-period", "1", "--repl-diskless-sync", "no"),
	}
	for name, addr := range targets {
		t.Run(name, func(t *testing.T) {
			rr := dialRawReplica(t, addr)
			rr.send("PSYNC", "?", "-1")
			f := strings.Fields(rr.line())
			if len(f) != 3 || f[0] != "+FULLRESYNC" {
				t.Fatalf("PSYNC: %v", f)
			}
			if _, err := repl.ReadPayload(rr.r, 1<<30, nil); err != nil {
				t.Fatal(err)
			}
			rr.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			rr.exactly("*1\r\n$4\r\nping\r\n")
		})
	}
}

// TestRestartPartialResync: the replication position saved in the RDB
// file lets a restarted replica, and the replicas of a restarted master,
// continue with PSYNC instead of a full sync, as in Redis.
func TestRestartPartialResync(t *testing.T) {
	mdir, rdir := t.TempDir(), t.TempDir()
	m := servertest.Start(t, "--dir", mdir)
	populate(t, m.Addr)
	r := servertest.Start(t, "--dir", rdir, "--replicaof", strings.Replace(m.Addr, ":", " ", 1))
	waitSynced(t, 10*time.Second, m.Addr, r.Addr)

	// The replica restarts from its RDB file and continues.
	do(t, r.Addr, "SAVE")
	r.Srv.Close()
	do(t, m.Addr, "SET", "while-replica-down", "1")
	r = servertest.Start(t, "--dir", rdir, "--replicaof", strings.Replace(m.Addr, ":", " ", 1))
	waitSynced(t, 10*time.Second, m.Addr, r.Addr)
	sameData(t, m.Addr, r.Addr)
	if f, p := infoInt(t, m.Addr, "sync_full"), infoInt(t, m.Addr, "sync_partial_ok"); f != 1 || p != 1 {
		t.Fatalf("replica restart: sync_full %d sync_partial_ok %d", f, p)
	}

	// The master restarts from its RDB file (on another port); its
	// replica, pointed at it, continues.
	do(t, m.Addr, "SAVE")
	off := info(t, m.Addr, "master_repl_offset")
	oldID := info(t, m.Addr, "master_replid")
	waitSynced(t, 10*time.Second, m.Addr, r.Addr)
	m.Srv.Close()
	m2 := servertest.Start(t, "--dir", mdir)
	if info(t, m2.Addr, "master_replid2") != oldID || info(t, m2.Addr, "master_repl_offset") != off {
		t.Fatalf("restarted master: replid2 %s offset %s (was %s %s)", info(t, m2.Addr, "master_replid2"), info(t, m2.Addr, "master_repl_offset"), oldID, off)
	}
	h, p := hostPort(t, m2.Addr)
	do(t, r.Addr, "REPLICAOF", h, p)
	do(t, m2.Addr, "SET", "after-master-restart", "1")
	waitSynced(t, 10*time.Second, m2.Addr, r.Addr)
	sameData(t, m2.Addr, r.Addr)
	if f, p := infoInt(t, m2.Addr, "sync_full"), infoInt(t, m2.Addr, "sync_partial_ok"); f != 0 || p != 1 {
		t.Fatalf("master restart: sync_full %d sync_partial_ok %d", f, p)
	}
}

// replicaStates returns the state= of each slaveN line of the master's
// INFO replication, in order.
func replicaStates(t *testing.T, addr string) []string {
	t.Helper()
	var states []string
	for i := 0; ; i++ {
		line := info(t, addr, fmt.Sprint("slave", i))
		if line == "" {
			return states
		}
		_, rest, _ := strings.Cut(line, "state=")
		st, _, _ := strings.Cut(rest, ",")
		states = append(states, st)
	}
}

// waitStates polls the master until its replicas' states are want.
func waitStates(t *testing.T, addr string, within time.Duration, want ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := replicaStates(t, addr)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica states %v, want %v", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDisklessSyncDelayShares: with repl-diskless-sync-delay, replicas
// asking for a full sync within the delay wait (wait_bgsave) and then
// share one snapshot: both are in send_bulk at once, which only a shared
// snapshot allows (there is one at a time). A replica arriving once the
// transfer started waits for the next one.
func TestDisklessSyncDelayShares(t *testing.T) {
	m := servertest.Start(t, "--repl-diskless-sync-delay", "2", "--rdb-key-save-delay", "300")
	bulkKeys(t, m.Addr, 3000)
	replicaOf := strings.Replace(m.Addr, ":", " ", 1)
	start := time.Now()
	r1 := servertest.Start(t, "--replicaof", replicaOf)
	r2 := servertest.Start(t, "--replicaof", replicaOf)
	waitStates(t, m.Addr, 10*time.Second, "wait_bgsave", "wait_bgsave")
	if time.Since(start) > 1500*time.Millisecond {
		t.Skipf("machine too slow: the replicas took %v to attach", time.Since(start))
	}
	waitStates(t, m.Addr, 20*time.Second, "send_bulk", "send_bulk")
	if d := time.Since(start); d < 1900*time.Millisecond {
		t.Fatalf("the sync started %v after the first replica asked, before the delay", d)
	}
	do(t, m.Addr, "SET", "during-transfer", "1")
	r3 := servertest.Start(t, "--replicaof", replicaOf)
	waitStates(t, m.Addr, 10*time.Second, "send_bulk", "send_bulk", "wait_bgsave")
	do(t, m.Addr, "CONFIG", "SET", "rdb-key-save-delay", "0")
	waitSynced(t, 30*time.Second, m.Addr, r1.Addr, r2.Addr, r3.Addr)
	for _, r := range []string{r1.Addr, r2.Addr, r3.Addr} {
		sameData(t, m.Addr, r)
	}
	if n := infoInt(t, m.Addr, "sync_full"); n != 3 {
		t.Fatalf("sync_full %d", n)
	}
}

// TestDisklessSyncMaxReplicas: repl-diskless-sync-max-replicas starts
// the shared sync as soon as that many replicas wait, without waiting
// for the rest of the delay.
func TestDisklessSyncMaxReplicas(t *testing.T) {
	m := servertest.Start(t, "--repl-diskless-sync-delay", "60", "--repl-diskless-sync-max-replicas", "2")
	populate(t, m.Addr)
	replicaOf := strings.Replace(m.Addr, ":", " ", 1)
	r1 := servertest.Start(t, "--replicaof", replicaOf)
	waitStates(t, m.Addr, 10*time.Second, "wait_bgsave")
	time.Sleep(300 * time.Millisecond)
	if got := replicaStates(t, m.Addr); fmt.Sprint(got) != "[wait_bgsave]" {
		t.Fatalf("one replica of two did not wait: %v", got)
	}
	r2 := servertest.Start(t, "--replicaof", replicaOf)
	waitSynced(t, 30*time.Second, m.Addr, r1.Addr, r2.Addr)
	sameData(t, m.Addr, r1.Addr)
	sameData(t, m.Addr, r2.Addr)
}

// TestReplicaLoadingReplies: while a replica loads its master's RDB,
// commands without the loading flag get -LOADING, those with it (INFO,
// ECHO, SELECT, ...) run, INFO persistence shows the load's progress,
// and GET then serves the data. respd and redis-server, each a replica
// of a respd master, answer the same commands alike during their load.
func TestReplicaLoadingReplies(t *testing.T) {
	m := servertest.Start(t)
	bulkKeys(t, m.Addr, 2000)
	h, p := hostPort(t, m.Addr)
	const loadingErr = "-LOADING Redis is loading the dataset in memory\r\n"
	probe := [][]string{
		{"PING"}, {"ECHO", "x"}, {"DBSIZE"}, {"SELECT", "0"}, {"SET", "k", "v"},
		{"MULTI"}, {"GET", "bulk:1"}, {"EXEC"}, {"CONFIG", "GET", "key-load-delay"},
	}
	replies := map[string][]string{}
	for _, name := range []string{"respd", "redis"} {
		t.Run(name, func(t *testing.T) {
			var addr string
			if name == "respd" {
				addr = servertest.Start(t, "--key-load-delay", "1000").Addr
			} else {
				// redis-server serves clients during a load once per
				// loading-process-events-interval-bytes.
				addr = servertest.RedisServer(t, "--key-load-delay", "1000", "--loading-process-events-interval-bytes", "1024")
			}
			c := servertest.Dial(t, addr)
			if got := c.Do("REPLICAOF", h, p); got != "+OK\r\n" {
				t.Fatal(got)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				got := c.Do("GET", "bulk:1")
				if got == loadingErr {
					break
				}
				if got != "$-1\r\n" {
					t.Fatalf("GET before the load: %q", got)
				}
				if time.Now().After(deadline) {
					t.Fatal("never saw -LOADING")
				}
				time.Sleep(2 * time.Millisecond)
			}
			if info(t, addr, "loading") != "1" || infoInt(t, addr, "loading_total_bytes") <= 0 || info(t, addr, "loading_loaded_perc") == "" {
				t.Fatalf("INFO during the load: loading %s loading_total_bytes %s loading_loaded_perc %s",
					info(t, addr, "loading"), info(t, addr, "loading_total_bytes"), info(t, addr, "loading_loaded_perc"))
			}
			var got []string
			for _, cmd := range probe {
				got = append(got, c.Do(cmd...))
			}
			if info(t, addr, "loading") != "1" {
				t.Skip("the load ended during the probe: machine too slow")
			}
			replies[name] = got
			t.Logf("during the load: %q", got)
			for {
				got := c.Do("GET", "bulk:1")
				if got == "$1\r\n1\r\n" {
					break
				}
				if got != loadingErr {
					t.Fatalf("GET during the load: %q", got)
				}
				if time.Now().After(deadline) {
					t.Fatal("the load did not end")
				}
				time.Sleep(10 * time.Millisecond)
			}
			waitSynced(t, 30*time.Second, m.Addr, addr)
			sameData(t, m.Addr, addr)
			if info(t, addr, "loading") != "0" || info(t, addr, "loading_total_bytes") != "" {
				t.Fatal("INFO still shows the load")
			}
		})
	}
	if r, ok := replies["respd"]; ok && replies["redis"] != nil {
		for i, cmd := range probe {
			if r[i] != replies["redis"][i] {
				t.Errorf("%v during the load: respd %q, redis %q", cmd, r[i], replies["redis"][i])
			}
		}
	} else if !ok {
		t.Fatal("respd's replies were not recorded")
	}
}

// TestSharedSyncReplicaLeaves: a replica dropping out of a shared full
// sync does not disturb the others sharing it.
func TestSharedSyncReplicaLeaves(t *testing.T) {
	m := servertest.Start(t, "--repl-diskless-sync-delay", "1", "--rdb-key-save-delay", "300")
	bulkKeys(t, m.Addr, 2000)
	r1 := servertest.Start(t, "--replicaof", strings.Replace(m.Addr, ":", " ", 1))
	rr := dialRawReplica(t, m.Addr)
	rr.send("REPLCONF", "capa", "eof", "capa", "psync2")
	rr.exactly("+OK\r\n")
	rr.send("PSYNC", "?", "-1")
	waitStates(t, m.Addr, 20*time.Second, "send_bulk", "send_bulk")
	line := rr.line()
	for strings.TrimSpace(line) == "" { // newlines kept the link alive while waiting
		line = rr.line()
	}
	if f := strings.Fields(line); len(f) != 3 || f[0] != "+FULLRESYNC" {
		t.Fatalf("PSYNC: %q", line)
	}
	rr.conn.Close()
	waitStates(t, m.Addr, 10*time.Second, "send_bulk")
	do(t, m.Addr, "CONFIG", "SET", "rdb-key-save-delay", "0")
	waitSynced(t, 30*time.Second, m.Addr, r1.Addr)
	sameData(t, m.Addr, r1.Addr)
}

// TestShutdownWhileLoading: SHUTDOWN SAVE during a replica's load stops
// the server without saving the half-loaded dataset, as in Redis.
func TestShutdownWhileLoading(t *testing.T) {
	m := servertest.Start(t)
	bulkKeys(t, m.Addr, 2000)
	dir := t.TempDir()
	r := servertest.Start(t, "--dir", dir, "--key-load-delay", "1000")
	c := servertest.Dial(t, r.Addr)
	h, p := hostPort(t, m.Addr)
	c.Do("REPLICAOF", h, p)
	deadline := time.Now().Add(20 * time.Second)
	for c.Do("GET", "bulk:1") != "-LOADING Redis is loading the dataset in memory\r\n" {
		if time.Now().After(deadline) {
			t.Fatal("never saw -LOADING")
		}
		time.Sleep(2 * time.Millisecond)
	}
	c.Write(servertest.Encode("SHUTDOWN", "SAVE"))
	if got, err := c.ReadErr(10 * time.Second); err == nil {
		t.Fatalf("SHUTDOWN replied %q", got)
	}
	select {
	case <-r.Srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); !os.IsNotExist(err) {
		t.Fatalf("dump.rdb after SHUTDOWN during the load: %v", err)
	}
}
