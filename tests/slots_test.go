package tests

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/servertest"
	"github.com/respd/respd/internal/slot"
)

// enableSlots turns the per-slot key index on, as cluster mode does at
// start-up.
func enableSlots(in *servertest.Instance) {
	in.Srv.Do(func(ks *keyspace.Keyspace) { ks.EnableSlots() })
}

// checkSlots verifies a server's slot index against its key tables:
// every slot's keys exist, hash to it and are counted once, and the
// counts add up to every key stored. It returns how many keys db 0 has.
func checkSlots(t *testing.T, in *servertest.Instance, where string) int {
	t.Helper()
	var problems []string
	keys0 := 0
	in.Srv.Do(func(ks *keyspace.Keyspace) {
		if !ks.SlotsEnabled() {
			problems = append(problems, "index off")
			return
		}
		for _, d := range ks.DBs {
			total := 0
			for s := range slot.Count {
				n := d.CountKeysInSlot(s)
				if n == 0 {
					continue
				}
				total += n
				got := d.KeysInSlot(s, n+5)
				if len(got) != n {
					problems = append(problems, fmt.Sprintf("db %d slot %d: %d keys listed, %d counted", d.ID, s, len(got), n))
				}
				seen := map[string]bool{}
				for _, k := range got {
					if seen[string(k)] || !d.Present(k) || slot.Of(k) != s {
						problems = append(problems, fmt.Sprintf("db %d slot %d lists %q (twice, absent or of another slot)", d.ID, s, k))
					}
					seen[string(k)] = true
				}
			}
			if total != d.Len() {
				problems = append(problems, fmt.Sprintf("db %d: slots count %d keys, the table holds %d", d.ID, total, d.Len()))
			}
			if d.ID == 0 {
				keys0 = total
			}
		}
	})
	if len(problems) > 0 {
		t.Fatalf("%s: slot index wrong:\n%s", where, strings.Join(problems[:min(len(problems), 10)], "\n"))
	}
	return keys0
}

// slotWorkload writes n keys of every type, some sharing slots through
// hash tags, some with TTLs.
func slotWorkload(t *testing.T, c *servertest.Conn, prefix string, n int) {
	t.Helper()
	for i := range n {
		k := fmt.Sprintf("%s{t%d}%d", prefix, i%7, i)
		var r string
		switch i % 5 {
		case 0:
			r = c.Do("SET", k, "v")
		case 1:
			r = c.Do("RPUSH", k, "a", "b")
		case 2:
			r = c.Do("HSET", k, "f", "v")
		case 3:
			r = c.Do("ZADD", k, "1", "m")
		case 4:
			r = c.Do("SET", k, "v", "PX", fmt.Sprint(100000+i))
		}
		if strings.HasPrefix(r, "-") {
			t.Fatalf("write %s: %q", k, r)
		}
	}
}

// TestSlotIndexThroughServer keeps the per-slot index on while keys come
// and go every way a server moves them: commands of every kind, lazy and
// active expiry, RENAME/MOVE/COPY/SWAPDB, flushes, RESTORE, DEBUG RELOAD
// (an RDB load), eviction, MIGRATE out, and a replica's full sync and
// stream.
func TestSlotIndexThroughServer(t *testing.T) {
	in := servertest.Start(t, "--enable-debug-command", "yes")
	c := in.Raw(t)
	slotWorkload(t, c, "pre", 200)
	enableSlots(in)
	if n := checkSlots(t, in, "enabled on 200 keys"); n != 200 {
		t.Fatalf("index holds %d keys, want 200", n)
	}
	k := func(i int) string { return fmt.Sprintf("pre{t%d}%d", i%7, i) }
	steps := []struct {
		name string
		cmds [][]string
	}{
		{"writes", nil},
		{"deletes", [][]string{{"DEL", k(0), k(1), "nokey"}, {"UNLINK", k(2)}, {"GETDEL", k(5)}}},
		{"pops to empty", [][]string{{"RPOP", k(6), "5"}, {"HDEL", k(7), "f"}, {"ZPOPMIN", k(8)}}},
		{"rename", [][]string{{"RENAME", k(10), "renamed"}, {"RENAME", "renamed", k(12)}, {"RENAMENX", k(11), "rnx"}}},
		{"move/copy", [][]string{{"MOVE", k(15), "3"}, {"COPY", k(16), "copied"}, {"COPY", k(16), "copied", "DB", "5", "REPLACE"}}},
		{"swapdb", [][]string{{"SWAPDB", "0", "3"}, {"SWAPDB", "0", "5"}, {"SWAPDB", "5", "0"}, {"SWAPDB", "3", "0"}}},
		{"expire lazily", [][]string{{"PEXPIRE", k(20), "1"}, {"PEXPIRE", k(21), "1"}, {"!sleep"}, {"GET", k(20)}, {"EXISTS", k(21)}}},
		{"restore", [][]string{{"!restore", k(22), "restored"}, {"!restore", k(22), k(23), "REPLACE"}}},
		{"flushdb", [][]string{{"SELECT", "5"}, {"FLUSHDB"}, {"SELECT", "0"}}},
		{"debug reload", [][]string{{"DEBUG", "RELOAD"}}},
		{"expire actively", [][]string{{"!expireall"}, {"!waitempty"}}},
		{"flushall", [][]string{{"FLUSHALL"}}},
	}
	for _, st := range steps {
		if st.cmds == nil {
			slotWorkload(t, c, "w", 300)
		}
		for _, cmd := range st.cmds {
			switch cmd[0] {
			case "!sleep":
				time.Sleep(20 * time.Millisecond)
			case "!restore":
				dump := c.Do("DUMP", cmd[1])
				payload := dump[strings.Index(dump, "\r\n")+2 : len(dump)-2]
				args := append([]string{"RESTORE", cmd[2], "0", payload}, cmd[3:]...)
				if r := c.Do(args...); r != "+OK\r\n" {
					t.Fatalf("%v: %q", args[:2], r)
				}
			case "!expireall":
				for _, k := range strings.Split(c.Do("KEYS", "*"), "\r\n") {
					if k != "" && k[0] != '*' && k[0] != '$' {
						c.Do("PEXPIRE", k, "1")
					}
				}
			case "!waitempty":
				deadline := time.Now().Add(20 * time.Second)
				for c.Do("DBSIZE") != ":0\r\n" {
					if time.Now().After(deadline) {
						t.Fatalf("active expiry left %q keys", c.Do("DBSIZE"))
					}
					time.Sleep(20 * time.Millisecond)
					in.Srv.Housekeep()
				}
			default:
				if r := c.Do(cmd...); strings.HasPrefix(r, "-") {
					t.Fatalf("%s: %v: %q", st.name, cmd, r)
				}
			}
			checkSlots(t, in, fmt.Sprint(st.name, ": ", cmd))
		}
		checkSlots(t, in, st.name)
	}
	if n := checkSlots(t, in, "end"); n != 0 {
		t.Fatalf("%d keys indexed after FLUSHALL", n)
	}
}

// TestSlotIndexEviction: keys evicted under maxmemory leave the index.
func TestSlotIndexEviction(t *testing.T) {
	in := servertest.Start(t)
	enableSlots(in)
	c := in.Raw(t)
	c.Do("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
	slotWorkload(t, c, "e", 2000)
	before := checkSlots(t, in, "before eviction")
	c.Do("CONFIG", "SET", "maxmemory", "1")
	for i := range 50 {
		c.Do("SET", fmt.Sprint("evict", i), "v")
	}
	after := checkSlots(t, in, "after eviction")
	c.Do("CONFIG", "SET", "maxmemory", "0")
	if after >= before {
		t.Fatalf("nothing evicted: %d keys before, %d after", before, after)
	}
}

// TestSlotIndexMigrateOut: keys MIGRATE moves away leave the source's
// index and enter the target's.
func TestSlotIndexMigrateOut(t *testing.T) {
	src, tgt := servertest.Start(t), servertest.Start(t)
	enableSlots(src)
	enableSlots(tgt)
	c := src.Raw(t)
	slotWorkload(t, c, "m", 100)
	host, port := hostPort(t, tgt.Addr)
	keys := []string{"MIGRATE", host, port, "", "0", "5000", "KEYS"}
	for i := 0; i < 100; i += 2 {
		keys = append(keys, fmt.Sprintf("m{t%d}%d", i%7, i))
	}
	if r := c.Do(keys...); r != "+OK\r\n" {
		t.Fatalf("MIGRATE: %q", r)
	}
	if n := checkSlots(t, src, "source"); n != 50 {
		t.Fatalf("source indexes %d keys, want 50", n)
	}
	if n := checkSlots(t, tgt, "target"); n != 50 {
		t.Fatalf("target indexes %d keys, want 50", n)
	}
}

// TestSlotIndexReplica: a replica with the index on keeps it exact
// through a full sync (its old data flushed, the master's RDB loaded) and
// the command stream that follows, expiries (the master's DELs) included.
func TestSlotIndexReplica(t *testing.T) {
	master, replica := servertest.Start(t), servertest.Start(t)
	enableSlots(replica)
	mc, rc := master.Raw(t), replica.Raw(t)
	slotWorkload(t, mc, "m", 500)
	slotWorkload(t, rc, "stale", 100)
	host, port := hostPort(t, master.Addr)
	if r := rc.Do("REPLICAOF", host, port); r != "+OK\r\n" {
		t.Fatalf("REPLICAOF: %q", r)
	}
	waitSynced(t, 30*time.Second, master.Addr, replica.Addr)
	if n := checkSlots(t, replica, "after full sync"); n != 500 {
		t.Fatalf("replica indexes %d keys, want the master's 500", n)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		k := fmt.Sprintf("m{t%d}%d", i%7, r.IntN(600))
		switch i % 4 {
		case 0:
			mc.Do("DEL", k)
		case 1:
			mc.Do("SET", k, "x")
		case 2:
			mc.Do("PEXPIRE", k, "1")
		case 3:
			mc.Do("RENAME", k, fmt.Sprint("r", i))
		}
	}
	time.Sleep(20 * time.Millisecond)
	mc.Do("KEYS", "*") // lazily expires what passed its time, propagating DELs
	waitSynced(t, 30*time.Second, master.Addr, replica.Addr)
	checkSlots(t, replica, "after the stream")
	sameData(t, master.Addr, replica.Addr)
}
