package tests

// Hand-built RDB files of the old and new format versions, loaded by the
// real redis-server 7.0.15 and by respd, whose datasets must then agree.
// The files come from the builder in rdbfile_test.go.

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// writeRDB writes data as dump.rdb in a new directory and returns the
// directory.
func writeRDB(t *testing.T, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkWithRedisTool runs redis-check-rdb on the file, when it is
// installed, and reports whether it accepted it, with its output.
func checkWithRedisTool(t *testing.T, path string) (ok, ran bool, out string) {
	t.Helper()
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		return false, false, ""
	}
	b, err := exec.Command(bin, path).CombinedOutput()
	return err == nil && bytes.Contains(b, []byte("RDB looks OK")), true, string(b)
}

// redisLoad starts the real redis-server on the dump.rdb in dir and
// returns its address when it comes up, or "" and its log when it exits
// (refusing the file). Without redis-server the test is skipped.
func redisLoad(t *testing.T, dir string, args ...string) (addr, log string) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not found on PATH")
		}
		t.Skip("redis-server not found on PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	base := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--protected-mode", "no", "--loglevel", "notice", "--logfile", ""}
	cmd := exec.Command(bin, append(base, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-exited:
			return "", out.String()
		default:
		}
		if c.Ping(context.Background()).Err() == nil {
			return addr, ""
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server neither answered nor exited; log:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loadBoth has redis-check-rdb, redis-server 7.0 and respd load the same
// file, requires all three to accept it and the two servers to hold the
// same dataset of wantKeys keys, and returns both addresses.
func loadBoth(t *testing.T, file []byte, wantKeys int) (respd, redisAddr string) {
	t.Helper()
	dir := writeRDB(t, file)
	if ok, ran, out := checkWithRedisTool(t, filepath.Join(dir, "dump.rdb")); ran && !ok {
		t.Fatalf("redis-check-rdb refused the file:\n%s", out)
	}
	redisAddr = servertest.RedisServer(t, "--dir", dir)
	in := servertest.Start(t, "--dir", writeRDB(t, file))
	want := servertest.Dataset(t, redisAddr)
	for k, v := range want {
		// Known difference: an empty stream loaded from a format 1
		// stream gets the greatest ID as its first ID in Redis (its
		// edge lookup's "none"), shown by XINFO STREAM until the next
		// XADD; respd shows 0-0, as for any empty stream.
		want[k] = strings.Replace(v, "recorded-first-entry-id 18446744073709551615-18446744073709551615", "recorded-first-entry-id 0-0", 1)
	}
	if len(want) != wantKeys {
		t.Fatalf("Redis loaded %d keys, the test built %d: %v", len(want), wantKeys, slices.Sorted(maps.Keys(want)))
	}
	if d := servertest.DiffDatasets(want, servertest.Dataset(t, in.Addr)); d != "" {
		t.Fatalf("respd (second) loaded a different dataset from Redis (first):\n%s", d)
	}
	return in.Addr, redisAddr
}

// repeat is n copies of s.
func repeat(s string, n int) string { return strings.Repeat(s, n) }

// seq returns "prefix0", "prefix1", ... n strings.
func seq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// TestRDBLegacyV3 loads a version 3 file (Redis 2.6): no checksum,
// expiry in seconds, text zset scores and the first packed encodings.
func TestRDBLegacyV3(t *testing.T) {
	exp := time.Now().Unix() + 3600
	f := newRDB(3).selectDB(0)
	// Strings in every encoding.
	f.key(rtString, "s:plain").str("hello")
	f.key(rtString, "s:empty").str("")
	f.key(rtString, "s:int8").intStr(-5, 1)
	f.key(rtString, "s:int16").intStr(-32768, 2)
	f.key(rtString, "s:int32").intStr(2147483647, 4)
	f.key(rtString, "s:lzf").lzfStr("ab" + repeat("x", 300) + "cdef" + repeat("y", 9) + "z")
	f.expireSec(exp).key(rtString, "s:ttl").str("expiring")
	// Plain collections.
	f.key(rtList, "l:plain").strings("a", "1", "", "b")
	f.key(rtSet, "set:plain-ints").strings("3", "1", "-2")
	f.key(rtSet, "set:plain-strs").strings("x", "1", "y")
	f.key(rtHash, "h:plain").pairs("f1", "v1", "f2", "", "n", "12")
	f.expireSec(exp+1).key(rtHash, "h:plain-ttl").pairs("f", "v")
	// Type 3: scores as text, the infinities as marker bytes.
	f.key(rtZSet, "z:text").length(6).
		str("a").textScore("1.5").
		str("b").textScore("inf").
		str("c").textScore("-inf").
		str("d").textScore("-3").
		str("e").textScore("1e10").
		str("f").textScore("0.1")
	// Zipmap hashes: small, one with a value too long for a listpack, one
	// with too many pairs.
	f.key(rtHashZipmap, "h:zipmap").blob(zipmap("a", "1", "b", "two", "", "empty-field"))
	f.key(rtHashZipmap, "h:zipmap-longval").blob(zipmap("f", repeat("v", 300)))
	var many []string
	for i := range 200 {
		many = append(many, "f"+strconv.Itoa(i), strconv.Itoa(i))
	}
	f.key(rtHashZipmap, "h:zipmap-many").blob(zipmap(many...))
	// Ziplist lists: every integer width, strings of each length class
	// (so prevlen takes its 5-byte form).
	f.key(rtListZiplist, "l:ziplist").blob(ziplist(int64(0), int64(12), int64(13), int64(-128), int64(32767),
		int64(-8388608), int64(2147483647), int64(-9223372036854775808), "str", repeat("m", 100), repeat("L", 20000), "end"))
	// Intsets of each width, and one too large to stay an intset.
	f.key(rtSetIntset, "set:is16").blob(intset(2, -32768, -1, 0, 32767))
	f.key(rtSetIntset, "set:is32").blob(intset(4, -2147483648, 5, 2147483647))
	f.key(rtSetIntset, "set:is64").blob(intset(8, -9223372036854775808, 0, 9223372036854775807))
	var big []int64
	for i := range 600 {
		big = append(big, int64(i*3))
	}
	f.key(rtSetIntset, "set:is-big").blob(intset(2, big...))
	// Ziplist sorted sets: scores as strings and integers; one too large
	// for a listpack.
	f.key(rtZSetZiplist, "z:ziplist").blob(ziplist("m1", int64(-3), "m2", "1.5", "m3", int64(1000000), "m4", "inf"))
	var zl []any
	for i := range 130 {
		zl = append(zl, "m"+strconv.Itoa(i), int64(i))
	}
	f.key(rtZSetZiplist, "z:ziplist-many").blob(ziplist(zl...))
	// Ziplist hashes, small and with a long value.
	f.key(rtHashZiplist, "h:ziplist").blob(ziplist("a", int64(1), "b", "x", "c", int64(-70000)))
	f.key(rtHashZiplist, "h:ziplist-longval").blob(ziplist("f", repeat("v", 100)))
	// Another database.
	f.selectDB(7).key(rtString, "other-db").str("v")
	loadBoth(t, f.end(false), 26)
}

// TestRDBLegacyV6 loads a version 6 file: checksum, ms expiry, aux
// fields, RESIZEDB, quicklists of ziplists, and IDLE / FREQ records.
func TestRDBLegacyV6(t *testing.T) {
	now := time.Now().UnixMilli()
	f := newRDB(6).aux("redis-ver", "3.2.13").aux("redis-bits", "64").aux("ctime", strconv.FormatInt(now/1000, 10)).
		aux("used-mem", "1000000").aux("custom-aux", repeat("x", 100))
	f.selectDB(0).resizeDB(12, 3)
	f.key(rtString, "s:plain").str("v")
	f.expireMs(now+3_600_000).key(rtString, "s:ms-ttl").str("v")
	f.expireMs(1000).key(rtString, "s:long-expired").str("gone")
	f.idle(100_000).key(rtString, "s:idle").str("v")
	f.freq(200).key(rtString, "s:freq").str("v")
	f.idle(5).expireMs(now+7_200_000).key(rtList, "l:idle-ttl").strings("x")
	// A quicklist of ziplists: several nodes, integers, a node with one
	// long element.
	f.key(rtListQuick, "l:quick").length(3).
		blob(ziplist("a", int64(1), int64(-2), "b")).
		blob(ziplist(repeat("big", 10000))).
		blob(ziplist(int64(9223372036854775807), "tail", ""))
	f.expireMs(now+60_000).key(rtListQuick, "l:quick-ttl").length(1).blob(ziplist("only"))
	var many []any
	for i := range 600 {
		many = append(many, "e"+strconv.Itoa(i))
	}
	f.key(rtListQuick, "l:quick-long-node").length(1).blob(ziplist(many...))
	f.key(rtSetIntset, "set:is").blob(intset(2, 1, 2, 3))
	f.key(rtZSetZiplist, "z:zl").blob(ziplist("a", int64(1), "b", "2.5"))
	f.key(rtHashZiplist, "h:zl").blob(ziplist("f", "v"))
	f.selectDB(15).resizeDB(1, 0).key(rtString, "db15").str("last")
	loadBoth(t, f.end(false), 12)
}

// TestRDBLegacyV9 loads a version 9 file: streams in the first format
// with consumer groups, and sorted sets with binary scores.
func TestRDBLegacyV9(t *testing.T) {
	f := newRDB(9).aux("redis-ver", "5.0.14").aux("aof-preamble", "0")
	f.selectDB(0).resizeDB(3, 0)
	f.key(rtZSet2, "z:bin").length(7).
		str("a").binScore(1.5).
		str("b").binScore(math.Inf(1)).
		str("c").binScore(math.Inf(-1)).
		str("d").binScore(0).
		str("e").binScore(5e-324).
		str("f").binScore(-1e300).
		str("g").binScore(3)
	s := sstream{
		nodes: []snode{
			{master: sid{1, 0}, fields: []string{"a", "b"}, ents: []sentry{
				{id: sid{1, 0}, fv: []string{"a", "1", "b", "2"}},
				{id: sid{1, 1}, fv: []string{"a", "3", "b", "4"}},
				{id: sid{2, 0}, fv: []string{"a", "5", "c", "6"}},
				{id: sid{3, 5}, fv: []string{"b", "7", "a", "8"}},
			}},
			{master: sid{5, 0}, fields: []string{"x"}, ents: []sentry{
				{id: sid{5, 0}, fv: []string{"x", "1"}},
				{id: sid{6, 0}, fv: []string{"x", "2", "y", "3"}},
			}},
		},
		length: 6, last: sid{6, 0},
		groups: []sgroup{
			{name: "g1", last: sid{2, 0},
				pel: []spel{{sid{1, 0}, 1700000000000, 2}, {sid{1, 1}, 1700000000500, 1}, {sid{2, 0}, 1700000001000, 5}},
				consumers: []sconsumer{
					{name: "alice", seen: 1700000002000, pel: []sid{{1, 0}, {2, 0}}},
					{name: "bob", seen: 1700000003000, pel: []sid{{1, 1}}},
					{name: "carol", seen: 1700000004000},
				}},
			{name: "g2", last: sid{0, 0}},
			{name: "g3", last: sid{6, 0}},
		},
	}
	f.key(rtStream1, "stream").stream(1, s)
	empty := sstream{last: sid{10, 3}, groups: []sgroup{{name: "g", last: sid{10, 3}}}}
	f.key(rtStream1, "stream:empty").stream(1, empty)
	loadBoth(t, f.end(false), 3)
}

// TestRDBLegacyV10 loads a version 10 file (Redis 7.0) with every value
// type Redis 7.0 writes: listpack hashes and sorted sets, quicklists of
// listpack and plain nodes, and streams in the second format with
// deleted entries, entries whose fields differ from the master entry and
// IDs below the master's sequence.
func TestRDBLegacyV10(t *testing.T) {
	now := time.Now().UnixMilli()
	f := newRDB(10).aux("redis-ver", "7.0.15").aux("redis-bits", "64").aux("ctime", strconv.FormatInt(now/1000, 10)).
		aux("used-mem", "1000000").aux("repl-stream-db", "0").aux("repl-id", repeat("a", 40)).aux("repl-offset", "0").aux("aof-base", "0")
	f.raw(rfFunction2).str("#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 1 end)")
	f.selectDB(0).resizeDB(20, 1)
	f.key(rtString, "s:lzf").lzfStr(repeat("abc", 3) + repeat("q", 1000))
	f.expireMs(now+3_600_000).key(rtString, "s:ttl").intStr(123, 1)
	// Listpack hashes: small, with a long value (kept packed), with too
	// many fields.
	f.key(rtHashLP, "h:lp").blob(listpack("a", int64(1), "b", "x", "c", int64(-70000), "d", int64(1)<<40))
	f.key(rtHashLP, "h:lp-longval").blob(listpack("f", repeat("v", 500), repeat("k", 100), "v"))
	var many []any
	for i := range 600 {
		many = append(many, "f"+strconv.Itoa(i), int64(i))
	}
	f.key(rtHashLP, "h:lp-many").blob(listpack(many...))
	// Listpack sorted sets: integer and text scores, a long member, too
	// many members.
	f.key(rtZSetLP, "z:lp").blob(listpack("d", "-inf", "a", int64(-5), "b", "1.5", "e", int64(1)<<50, "c", "inf"))
	f.key(rtZSetLP, "z:lp-longmember").blob(listpack(repeat("m", 300), int64(1), "x", "2"))
	f.key(rtZSetLP, "z:lp-many").blob(listpack(many[:300]...))
	// Quicklists of listpack nodes (container 2) and plain nodes
	// (container 1), mixed, including a small plain node.
	f.key(rtListQuick2, "l:ql2").length(5).
		length(2).blob(listpack("a", int64(1), int64(-1000000))).
		length(1).str(repeat("P", 70000)).
		length(2).blob(listpack("mid")).
		length(1).str("small-plain").
		length(2).blob(listpack(int64(9223372036854775807), "", "end"))
	f.key(rtListQuick2, "l:ql2-plain-only").length(1).length(1).lzfStr(repeat("Z", 5000))
	// Intset and plain forms still load in version 10.
	f.key(rtSetIntset, "set:is").blob(intset(8, -1, 1<<40))
	f.key(rtSet, "set:plain").strings("a", "b", "1")
	f.key(rtZSet2, "z:plain").length(2).str("a").binScore(1).str("b").binScore(-0.5)
	// A stream: tombstones, fields different from the master's, IDs with
	// negative sequence deltas, pending entries (one of them deleted),
	// read counters known and unknown.
	s := sstream{
		nodes: []snode{
			{master: sid{10, 5}, fields: []string{"f1", "f2"}, ents: []sentry{
				{id: sid{10, 5}, fv: []string{"f1", "a", "f2", "b"}},
				{id: sid{10, 6}, fv: []string{"f1", "c", "f2", "d"}, deleted: true},
				{id: sid{11, 0}, fv: []string{"f1", "e", "f2", "f"}},
				{id: sid{11, 1}, fv: []string{"g", "h"}},
				{id: sid{12, 0}, fv: []string{"f2", "x", "f1", "y"}},
			}},
			{master: sid{20, 0}, fields: []string{"z"}, ents: []sentry{
				{id: sid{20, 0}, fv: []string{"z", "1"}, deleted: true},
				{id: sid{20, 1}, fv: []string{"z", "2"}},
			}},
		},
		length: 5, last: sid{30, 0}, first: sid{10, 5}, maxDeleted: sid{30, 0}, entriesAdded: 9,
		groups: []sgroup{
			{name: "g1", last: sid{11, 0}, entriesRead: 3,
				pel: []spel{{sid{10, 5}, now - 5000, 1}, {sid{10, 6}, now - 4000, 3}, {sid{11, 0}, now - 3000, 1}},
				consumers: []sconsumer{
					{name: "alice", seen: now - 2000, pel: []sid{{10, 5}, {10, 6}}},
					{name: "bob", seen: now - 1000, pel: []sid{{11, 0}}},
				}},
			{name: "g2", last: sid{0, 0}, entriesRead: 0},
			{name: "g3", last: sid{30, 0}, entriesRead: 9},
			{name: "g4", last: sid{12, 0}, entriesRead: math.MaxUint64},
		},
	}
	f.key(rtStream2, "stream").stream(2, s)
	one := sstream{
		nodes:  []snode{{master: sid{1, 1}, fields: []string{"k"}, ents: []sentry{{id: sid{1, 1}, fv: []string{"k", "v"}}}}},
		length: 1, last: sid{1, 1}, first: sid{1, 1}, entriesAdded: 1,
	}
	f.key(rtStream2, "stream:one").stream(2, one)
	loadBoth(t, f.end(false), 15)
}
