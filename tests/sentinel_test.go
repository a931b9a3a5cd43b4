package tests

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/servertest"
)

// sentinel is one redis-sentinel process and its log file.
type sentinel struct {
	addr, log string
}

// startSentinel runs redis-sentinel monitoring the master at mport
// (quorum 2, down after a second), with its config file and log in a
// directory of its own.
func startSentinel(t *testing.T, bin string, mport int) *sentinel {
	t.Helper()
	return startSentinelQuorum(t, bin, mport, 2)
}

func startSentinelQuorum(t *testing.T, bin string, mport, quorum int) *sentinel {
	t.Helper()
	dir := t.TempDir()
	port := oracle.FreePort(t)
	s := &sentinel{addr: "127.0.0.1:" + strconv.Itoa(port), log: filepath.Join(dir, "sentinel.log")}
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf(`port %d
bind 127.0.0.1
dir %s
logfile %s
sentinel monitor mymaster 127.0.0.1 %d %d
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 5000
sentinel parallel-syncs mymaster 1
`, port, dir, s.log, mport, quorum)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(s.log)
			t.Logf("log of the sentinel on %s:\n%s", s.addr, b)
		}
	})
	c := redis.NewClient(&redis.Options{Addr: s.addr, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-sentinel on %s did not answer PING", s.addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// ask runs a SENTINEL subcommand; an error comes back as the reply.
func (s *sentinel) ask(args ...any) any {
	c := redis.NewClient(&redis.Options{Addr: s.addr, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	v, err := c.Do(context.Background(), append([]any{"SENTINEL"}, args...)...).Result()
	if err != nil {
		return err
	}
	return v
}

// masterField is one field of SENTINEL MASTER mymaster.
func (s *sentinel) masterField(name string) string {
	v, ok := s.ask("MASTER", "mymaster").([]any)
	if !ok {
		return ""
	}
	for i := 0; i+1 < len(v); i += 2 {
		if v[i] == name {
			return fmt.Sprint(v[i+1])
		}
	}
	return ""
}

// replicaField is one field of addr's entry in SENTINEL REPLICAS
// mymaster ("" when it is not listed).
func (s *sentinel) replicaField(addr, name string) string {
	v, ok := s.ask("REPLICAS", "mymaster").([]any)
	if !ok {
		return ""
	}
	for _, r := range v {
		f, ok := r.([]any)
		if !ok {
			continue
		}
		m := map[string]string{}
		for i := 0; i+1 < len(f); i += 2 {
			m[fmt.Sprint(f[i])] = fmt.Sprint(f[i+1])
		}
		if m["name"] == addr {
			return m[name]
		}
	}
	return ""
}

// masterAddr is what SENTINEL GET-MASTER-ADDR-BY-NAME answers, as host:port.
func (s *sentinel) masterAddr() string {
	v, ok := s.ask("GET-MASTER-ADDR-BY-NAME", "mymaster").([]any)
	if !ok || len(v) != 2 {
		return ""
	}
	return fmt.Sprintf("%v:%v", v[0], v[1])
}

// respdNode is a respd process with its own config file, which CONFIG
// REWRITE (sent by sentinel after each reconfiguration) rewrites.
type respdNode struct {
	port int
	addr string
	conf string
	proc *process
}

func startRespdNode(t *testing.T, bin string, port int, replicaOf int, extra ...string) *respdNode {
	t.Helper()
	dir := t.TempDir()
	n := &respdNode{port: port, addr: "127.0.0.1:" + strconv.Itoa(port), conf: filepath.Join(dir, "respd.conf")}
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\nsave \"\"\ndir %s\n", port, dir)
	if replicaOf != 0 {
		text += fmt.Sprintf("replicaof 127.0.0.1 %d\n", replicaOf)
	}
	for _, line := range extra {
		text += line + "\n"
	}
	if err := os.WriteFile(n.conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	n.restart(t, bin)
	return n
}

func (n *respdNode) restart(t *testing.T, bin string) {
	t.Helper()
	p, c := runRespd(t, bin, n.port, n.conf)
	c.Close()
	n.proc = p
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of respd on %s:\n%s", n.addr, p.stderr)
		}
	})
}

// kill ends the process at once, as a crash would.
func (n *respdNode) kill() {
	n.proc.cmd.Process.Kill()
	err := <-n.proc.done
	n.proc.done <- err
}

func isTimeoutErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// waitSettled waits until every sentinel has reported addr as an
// unflagged master for three seconds in a row.
func waitSettled(t *testing.T, sentinels []*sentinel, addr string) {
	t.Helper()
	var since time.Time
	waitFor(t, 60*time.Second, func() string { return "the sentinels did not settle on " + addr }, func() bool {
		for _, s := range sentinels {
			if s.masterAddr() != addr || s.masterField("flags") != "master" {
				since = time.Time{}
				return false
			}
		}
		if since.IsZero() {
			since = time.Now()
		}
		return time.Since(since) >= 3*time.Second
	})
}

// waitFor polls cond until it holds, failing with what() after within.
func waitFor(t *testing.T, within time.Duration, what func() string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSentinelFailover: three real redis-sentinels watch a respd master
// and two respd replicas (respd processes, as in production). The master
// is killed; the sentinels agree it is down, promote a replica (REPLICAOF
// NO ONE, CONFIG REWRITE, CLIENT KILL in a transaction) and repoint the
// other replica to it. A client that asks sentinel for the master finds
// the new one, can write to it, and finds every key written before the
// crash. The old master, restarted empty, is turned into a replica of
// the new one by sentinel and gets the data back; SENTINEL FAILOVER then
// gives it the master role back.
func TestSentinelFailover(t *testing.T) {
	sbin := oracle.Binary(t, "redis-sentinel")
	bin := buildRespd(t)
	master := startRespdNode(t, bin, oracle.FreePort(t), 0)
	// Before the replicas exist: stream consumers' seen-times are a
	// replica's own clock when it applies the stream (as in Redis), the
	// master's in a full sync.
	populate(t, master.addr)
	// The second replica may never be promoted (replica-priority 0, read
	// by sentinel from INFO's slave_priority).
	replicas := []*respdNode{
		startRespdNode(t, bin, oracle.FreePort(t), master.port),
		startRespdNode(t, bin, oracle.FreePort(t), master.port, "replica-priority 0"),
	}
	for i := 0; i < 100; i++ {
		do(t, master.addr, "SET", fmt.Sprint("before:", i), i)
	}
	waitSynced(t, 20*time.Second, master.addr, replicas[0].addr, replicas[1].addr)

	var sentinels []*sentinel
	for i := 0; i < 3; i++ {
		sentinels = append(sentinels, startSentinel(t, sbin, master.port))
	}
	// Each sentinel finds the replicas (INFO) and the other sentinels
	// (hello messages on __sentinel__:hello through the master).
	for _, s := range sentinels {
		waitFor(t, 60*time.Second, func() string {
			return fmt.Sprintf("sentinel %s sees %s replicas, %s other sentinels", s.addr, s.masterField("num-slaves"), s.masterField("num-other-sentinels"))
		}, func() bool {
			return s.masterField("num-slaves") == "2" && s.masterField("num-other-sentinels") == "2" && s.masterField("flags") == "master"
		})
	}
	// The sentinels' own connections, named by CLIENT SETNAME.
	if list := do(t, master.addr, "CLIENT", "LIST").(string); strings.Count(list, "name=sentinel-") != 6 {
		t.Fatalf("expected a command and a pubsub connection per sentinel:\n%s", list)
	}

	// Plain clients of the replicas, which sentinel's CLIENT KILL TYPE
	// normal disconnects when it reconfigures them.
	var plain []*servertest.Conn
	for _, r := range replicas {
		c := servertest.Dial(t, r.addr)
		if got := c.Do("PING"); got != "+PONG\r\n" {
			t.Fatal(got)
		}
		plain = append(plain, c)
	}

	master.kill()
	killed := time.Now()
	var newAddr string
	waitFor(t, 60*time.Second, func() string { return "no sentinel reports a new master" }, func() bool {
		for _, s := range sentinels {
			if a := s.masterAddr(); a != "" && a != master.addr {
				newAddr = a
				return true
			}
		}
		return false
	})
	elapsed := time.Since(killed)
	t.Logf("kill -> new master %s reported by sentinel: %v", newAddr, elapsed.Round(time.Millisecond))
	var promoted, other *respdNode
	for _, r := range replicas {
		if r.addr == newAddr {
			promoted = r
		} else {
			other = r
		}
	}
	if promoted != replicas[0] {
		t.Fatalf("sentinel reports %s, not the replica of non-zero priority %s", newAddr, replicas[0].addr)
	}
	// Every sentinel agrees, and the other replica follows the new master.
	for _, s := range sentinels {
		waitFor(t, 30*time.Second, func() string { return fmt.Sprintf("sentinel %s reports %s", s.addr, s.masterAddr()) },
			func() bool { return s.masterAddr() == newAddr })
	}
	waitFor(t, 30*time.Second, func() string {
		return fmt.Sprintf("other replica: master %s:%s link %s", info(t, other.addr, "master_host"), info(t, other.addr, "master_port"), info(t, other.addr, "master_link_status"))
	}, func() bool {
		return info(t, other.addr, "master_port") == strconv.Itoa(promoted.port) && info(t, other.addr, "master_link_status") == "up"
	})
	t.Logf("kill -> other replica linked to the new master: %v", time.Since(killed).Round(time.Millisecond))
	if role := info(t, promoted.addr, "role"); role != "master" {
		t.Fatalf("promoted replica's role: %s", role)
	}
	for i, c := range plain {
		if got, err := c.ReadErr(10 * time.Second); err == nil || isTimeoutErr(err) {
			t.Fatalf("client of %s not disconnected by sentinel's CLIENT KILL: %q %v", replicas[i].addr, got, err)
		}
	}

	// A client that asks sentinel for the master.
	var saddrs []string
	for _, s := range sentinels {
		saddrs = append(saddrs, s.addr)
	}
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: saddrs, Protocol: 2, DisableIdentity: true})
	defer fc.Close()
	ctx := context.Background()
	if err := fc.Set(ctx, "after:failover", "yes", 0).Err(); err != nil {
		t.Fatalf("write through sentinel: %v", err)
	}
	for i := 0; i < 100; i++ {
		if v, err := fc.Get(ctx, fmt.Sprint("before:", i)).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("before:%d on the new master: %q %v", i, v, err)
		}
	}
	if v := do(t, promoted.addr, "GET", "after:failover"); v != "yes" {
		t.Fatalf("the sentinel client wrote elsewhere: %v", v)
	}
	waitSynced(t, 20*time.Second, promoted.addr, other.addr)
	sameData(t, promoted.addr, other.addr)

	// Sentinel's CONFIG REWRITE recorded the new topology.
	if b, err := os.ReadFile(promoted.conf); err != nil || strings.Contains(string(b), "replicaof") {
		t.Fatalf("new master's config file (%v):\n%s", err, b)
	}
	if b, err := os.ReadFile(other.conf); err != nil || !strings.Contains(string(b), fmt.Sprintf("replicaof 127.0.0.1 %d", promoted.port)) {
		t.Fatalf("other replica's config file (%v):\n%s", err, b)
	}

	// The old master comes back (empty: no persistence) believing it is
	// a master; sentinel turns it into a replica of the new one. Not
	// before the sentinels are settled: with down-after-milliseconds as
	// short as 1000, a sentinel may flag the new master down for a moment
	// right after switching to it (seen with redis-server as well), and a
	// failover then would promote the empty old master.
	waitSettled(t, sentinels, newAddr)
	master.restart(t, bin)
	waitFor(t, 60*time.Second, func() string {
		return fmt.Sprintf("old master: role %s master_port %s link %s", info(t, master.addr, "role"), info(t, master.addr, "master_port"), info(t, master.addr, "master_link_status"))
	}, func() bool {
		return info(t, master.addr, "master_port") == strconv.Itoa(promoted.port) && info(t, master.addr, "master_link_status") == "up"
	})
	waitSynced(t, 20*time.Second, promoted.addr, master.addr)
	sameData(t, promoted.addr, master.addr)

	// SENTINEL FAILOVER moves the master role back while everything is
	// up: the old master (the only other replica sentinel may promote)
	// becomes the master, the current one is demoted by REPLICAOF. Only
	// once every sentinel has seen the old master as a replica: one that
	// still remembers it reporting the master role would turn it back
	// into a replica in the middle of the failover.
	for _, s := range sentinels {
		waitFor(t, 60*time.Second, func() string {
			return fmt.Sprintf("sentinel %s sees %s as %s (%s)", s.addr, master.addr, s.replicaField(master.addr, "role-reported"), s.replicaField(master.addr, "flags"))
		}, func() bool {
			return s.replicaField(master.addr, "role-reported") == "slave" && s.replicaField(master.addr, "flags") == "slave" &&
				s.replicaField(master.addr, "master-link-status") == "ok"
		})
	}
	start := time.Now()
	if v := sentinels[0].ask("FAILOVER", "mymaster"); v != "OK" {
		t.Fatalf("SENTINEL FAILOVER: %v", v)
	}
	for _, s := range sentinels {
		waitFor(t, 60*time.Second, func() string { return fmt.Sprintf("sentinel %s reports %s", s.addr, s.masterAddr()) },
			func() bool { return s.masterAddr() == master.addr })
	}
	for _, r := range replicas {
		waitFor(t, 60*time.Second, func() string {
			return fmt.Sprintf("%s: role %s master_port %s link %s", r.addr, info(t, r.addr, "role"), info(t, r.addr, "master_port"), info(t, r.addr, "master_link_status"))
		}, func() bool {
			return info(t, r.addr, "master_port") == strconv.Itoa(master.port) && info(t, r.addr, "master_link_status") == "up"
		})
	}
	t.Logf("SENTINEL FAILOVER -> every sentinel and replica on %s: %v", master.addr, time.Since(start).Round(time.Millisecond))
	do(t, master.addr, "SET", "after:sentinel-failover", "1")
	waitSynced(t, 20*time.Second, master.addr, replicas[0].addr, replicas[1].addr)
	sameData(t, master.addr, replicas[0].addr)
	sameData(t, master.addr, replicas[1].addr)

	// Nothing in the sentinels' logs says respd answered them wrong. A
	// failover that sentinel gives up for want of a leader or of a
	// promotable replica (after a momentary down flag, see waitSettled)
	// is sentinel's own business.
	for _, s := range sentinels {
		b, err := os.ReadFile(s.log)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "+switch-master mymaster") {
			t.Errorf("sentinel %s logged no +switch-master:\n%s", s.addr, b)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "-failover-abort") && !strings.Contains(line, "not-elected") && !strings.Contains(line, "no-good-slave") ||
				strings.Contains(line, "ERR") || strings.Contains(line, "WARNING") {
				t.Errorf("sentinel %s: %s", s.addr, line)
			}
		}
	}
}

// TestSentinelScriptKill: a master stuck in a script answers BUSY to
// sentinel's PINGs; once it counts as down, sentinel sends SCRIPT KILL,
// which respd honours, and the script's caller gets the error.
func TestSentinelScriptKill(t *testing.T) {
	sbin := oracle.Binary(t, "redis-sentinel")
	m := servertest.Start(t, "--busy-reply-threshold", "100")
	_, p := hostPort(t, m.Addr)
	port, _ := strconv.Atoi(p)
	s := startSentinelQuorum(t, sbin, port, 1)
	waitFor(t, 30*time.Second, func() string { return "sentinel does not see the master: " + s.masterField("flags") },
		func() bool { return s.masterField("flags") == "master" && s.masterField("role-reported") == "master" })
	c := servertest.Dial(t, m.Addr)
	start := time.Now()
	c.Write(servertest.Encode("EVAL", "while true do end", "0"))
	got, err := c.ReadErr(30 * time.Second)
	if err != nil || !strings.HasPrefix(got, "-ERR Script killed by user with SCRIPT KILL...") {
		t.Fatalf("busy script: %q %v", got, err)
	}
	t.Logf("script killed by sentinel after %v", time.Since(start).Round(time.Millisecond))
	if got := c.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after the kill: %q", got)
	}
}
