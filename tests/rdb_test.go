package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// populate writes keys of every type, in small and large encodings, to
// several databases, with TTLs on some.
func populate(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	for _, db := range []int{0, 5} {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2, DisableIdentity: true})
		p := c.Pipeline()
		do := func(args ...any) { p.Do(ctx, args...) }
		future := time.Now().Add(time.Hour).UnixMilli()
		// Strings: small ints, ints past 32 bits, embstr, raw, compressible
		// and not.
		for i, v := range []string{"0", "-1", "127", "-128", "32767", "-32768", "2147483647", "-2147483648",
			"2147483648", "9223372036854775807", "-9223372036854775808", "007", " 1", "-0", "1.5", "",
			"hello", strings.Repeat("ab", 30), strings.Repeat("x", 5000), randomText(3000)} {
			do("SET", fmt.Sprint("str:", i), v)
		}
		do("SET", "str:ttl", "v", "PXAT", future)
		do("SET", "bin", "\x00\xff\r\n\x01")
		// Lists: one listpack node, many nodes, big elements.
		do("RPUSH", "list:small", "a", "1", "-5", "b")
		for i := 0; i < 2000; i++ {
			do("RPUSH", "list:big", fmt.Sprint("element-", i), i, -i*1000003)
		}
		do("RPUSH", "list:huge-elems", strings.Repeat("y", 20000), "z", strings.Repeat("w", 70000))
		// Sets: intset, hashtable of ints, of strings.
		do("SADD", "set:int", 1, 2, 3, -70000, 5000000000)
		for i := 0; i < 600; i++ {
			do("SADD", "set:bigint", i*7)
		}
		for i := 0; i < 300; i++ {
			do("SADD", "set:str", fmt.Sprint("m", i))
		}
		// Hashes: listpack, hashtable by count and by value size.
		do("HSET", "hash:small", "a", "1", "b", "2", "n", "-3")
		for i := 0; i < 300; i++ {
			do("HSET", "hash:big", fmt.Sprint("f", i), fmt.Sprint("v", i))
		}
		do("HSET", "hash:longval", "f", strings.Repeat("v", 100))
		do("PEXPIREAT", "hash:longval", future)
		// Sorted sets: listpack and skiplist, odd scores.
		do("ZADD", "zset:small", 1, "a", 2.5, "b", "-inf", "c", "+inf", "d", 0, "e", 1e300, "f", -1e-300, "g")
		for i := 0; i < 300; i++ {
			do("ZADD", "zset:big", float64(i)/3, fmt.Sprint("m", i))
		}
		do("ZADD", "zset:longmember", 1, strings.Repeat("m", 100))
		// Streams: several nodes, deletions, changing fields, groups with
		// pending entries and consumers.
		for i := 1; i <= 350; i++ {
			if i%50 == 0 {
				do("XADD", "stream", fmt.Sprintf("%d-%d", i, i%3), "other", i)
			} else {
				do("XADD", "stream", fmt.Sprintf("%d-%d", i, i%3), "a", i, "b", "x")
			}
		}
		do("XDEL", "stream", "1-1", "100-1", "200-2", "350-2")
		do("XGROUP", "CREATE", "stream", "g1", "0")
		do("XGROUP", "CREATE", "stream", "g2", "$")
		do("XGROUP", "CREATE", "stream", "g3", "10-1")
		do("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "stream", ">")
		do("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "stream", ">")
		do("XACK", "stream", "g1", "3-0")
		do("XGROUP", "CREATECONSUMER", "stream", "g2", "carol")
		do("XADD", "stream:empty", "MAXLEN", "0", "*", "f", "v")
		do("XGROUP", "CREATE", "stream:empty", "g", "$")
		do("XADD", "stream:trimmed", "1-0", "f", "v")
		do("XADD", "stream:trimmed", "2-0", "f", "v")
		do("XDEL", "stream:trimmed", "2-0")
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("populate db %d: %v", db, err)
		}
		c.Close()
	}
}

// randomText is deterministic bytes LZF cannot shrink.
func randomText(n int) string {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return string(b)
}

func save(t *testing.T, addr string) {
	t.Helper()
	c := servertest.Client(t, addr)
	if err := c.Save(context.Background()).Err(); err != nil {
		t.Fatalf("SAVE on %s: %v", addr, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRDBFromRedis loads files real redis-server wrote, with and without
// compression, and compares every key.
func TestRDBFromRedis(t *testing.T) {
	for _, compress := range []string{"yes", "no"} {
		t.Run("rdbcompression="+compress, func(t *testing.T) {
			src := t.TempDir()
			redisAddr := servertest.RedisServer(t, "--dir", src, "--rdbcompression", compress)
			populate(t, redisAddr)
			save(t, redisAddr)
			want := servertest.Dataset(t, redisAddr)
			dir := t.TempDir()
			copyFile(t, filepath.Join(src, "dump.rdb"), filepath.Join(dir, "dump.rdb"))
			in := servertest.Start(t, "--dir", dir)
			if d := servertest.DiffDatasets(want, servertest.Dataset(t, in.Addr)); d != "" {
				t.Fatalf("respd loaded a different dataset from Redis's file:\n%s", d)
			}
		})
	}
}

// TestRDBToRedis has real redis-server load files respd wrote.
func TestRDBToRedis(t *testing.T) {
	for _, compress := range []string{"yes", "no"} {
		t.Run("rdbcompression="+compress, func(t *testing.T) {
			dir := t.TempDir()
			in := servertest.Start(t, "--dir", dir, "--rdbcompression", compress)
			populate(t, in.Addr)
			save(t, in.Addr)
			want := servertest.Dataset(t, in.Addr)
			redisAddr := servertest.RedisServer(t, "--dir", dir)
			if d := servertest.DiffDatasets(want, servertest.Dataset(t, redisAddr)); d != "" {
				t.Fatalf("Redis loaded a different dataset from respd's file:\n%s", d)
			}
		})
	}
}

// TestBGSAVEIsPointInTime rewrites, deletes and adds keys of every type
// while a slowed-down BGSAVE runs, and checks the file holds exactly the
// data of the moment BGSAVE was called.
func TestBGSAVEIsPointInTime(t *testing.T) {
	dir := t.TempDir()
	in := servertest.Start(t, "--dir", dir, "--rdb-key-save-delay", "200")
	populate(t, in.Addr)
	want := servertest.Dataset(t, in.Addr)
	ctx := context.Background()
	c := in.Client(t)
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// Every kind of change, to every key, while the save runs.
	overlapped := false
	for _, db := range []int{0, 5} {
		w := redis.NewClient(&redis.Options{Addr: in.Addr, DB: db, Protocol: 2, DisableIdentity: true})
		keys, err := w.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range keys {
			p := w.Pipeline()
			switch i % 6 {
			case 0:
				p.Del(ctx, k)
			case 1:
				p.Set(ctx, k, "overwritten", 0)
			case 2:
				p.Rename(ctx, k, k+":renamed")
			case 3:
				p.Expire(ctx, k, time.Minute)
			case 4:
				p.Do(ctx, "COPY", k, "copy:"+k)
			case 5:
				switch typ := w.Type(ctx, k).Val(); typ {
				case "list":
					p.LPush(ctx, k, "new")
				case "set":
					p.SAdd(ctx, k, "new")
				case "hash":
					p.HSet(ctx, k, "new", "v")
				case "zset":
					p.ZAdd(ctx, k, redis.Z{Score: 1, Member: "new"})
				case "stream":
					p.XAdd(ctx, &redis.XAddArgs{Stream: k, Values: []string{"new", "v"}})
				default:
					p.Append(ctx, k, "more")
				}
			}
			p.Set(ctx, fmt.Sprint("added:", i), "x", 0)
			if _, err := p.Exec(ctx); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
		w.Close()
		if strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:1") {
			overlapped = true
		}
	}
	if !overlapped {
		t.Fatal("the background save ended before the writes did; the test proves nothing")
	}
	for strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:1") {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_last_bgsave_status:ok") {
		t.Fatal("background save failed")
	}
	again := servertest.Start(t, "--dir", dir)
	if d := servertest.DiffDatasets(want, servertest.Dataset(t, again.Addr)); d != "" {
		t.Fatalf("the background save is not the dataset of its start:\n%s", d)
	}
}

// TestSaveCommands covers SAVE, BGSAVE, LASTSAVE, SHUTDOWN and the save
// points against an in-process server.
func TestSaveCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	in := servertest.Start(t, "--dir", dir, "--save", "", "--rdb-key-save-delay", "100000")
	c := in.Client(t)
	before := c.LastSave(ctx).Val()
	c.Set(ctx, "k", "v", 0)
	if got := c.Info(ctx, "persistence").Val(); !strings.Contains(got, "rdb_changes_since_last_save:1\r\n") {
		t.Fatalf("changes since save after one SET:\n%s", got)
	}
	// A slow background save (0.1 s a key) is still running on the
	// second BGSAVE and on SAVE.
	if s := c.BgSave(ctx).Val(); s != "Background saving started" {
		t.Fatalf("BGSAVE replied %q", s)
	}
	if err := c.BgSave(ctx).Err(); err == nil || err.Error() != "ERR Background save already in progress" {
		t.Fatalf("second BGSAVE: %v", err)
	}
	if err := c.Save(ctx).Err(); err == nil || err.Error() != "ERR Background save already in progress" {
		t.Fatalf("SAVE during BGSAVE: %v", err)
	}
	for strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:1") {
		time.Sleep(10 * time.Millisecond)
	}
	info := c.Info(ctx, "persistence").Val()
	for _, f := range []string{"rdb_changes_since_last_save:0\r\n", "rdb_last_bgsave_status:ok\r\n", "rdb_saves:1\r\n"} {
		if !strings.Contains(info, f) {
			t.Fatalf("after BGSAVE, INFO lacks %q:\n%s", f, info)
		}
	}
	if after := c.LastSave(ctx).Val(); after < before {
		t.Fatalf("LASTSAVE went from %d to %d", before, after)
	}
	// SAVE inside MULTI is refused, as in Redis.
	raw := in.Raw(t)
	raw.Do("MULTI")
	if got := raw.Do("SAVE"); got != "-ERR Command not allowed inside a transaction\r\n" {
		t.Fatalf("SAVE in MULTI: %q", got)
	}
	if got := raw.Do("EXEC"); !strings.HasPrefix(got, "-EXECABORT") {
		t.Fatalf("EXEC after a refused SAVE: %q", got)
	}
	for _, bad := range [][]string{{"BGSAVE", "x"}, {"SHUTDOWN", "x"}, {"SHUTDOWN", "SAVE", "NOSAVE"}, {"SHUTDOWN", "ABORT", "NOW"}} {
		args := make([]any, len(bad))
		for i, a := range bad {
			args[i] = a
		}
		if err := c.Do(ctx, args...).Err(); err == nil || err.Error() != "ERR syntax error" {
			t.Fatalf("%v: %v", bad, err)
		}
	}
	if err := c.Do(ctx, "SHUTDOWN", "ABORT").Err(); err == nil || err.Error() != "ERR No shutdown in progress." {
		t.Fatalf("SHUTDOWN ABORT: %v", err)
	}
	// SHUTDOWN SAVE writes the file even without save points, then stops.
	os.Remove(filepath.Join(dir, "dump.rdb"))
	c.Set(ctx, "last", "write", 0)
	c.Do(ctx, "SHUTDOWN", "SAVE")
	select {
	case <-in.Srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN did not stop the server")
	}
	again := servertest.Start(t, "--dir", dir)
	if v := again.Client(t).Get(ctx, "last").Val(); v != "write" {
		t.Fatalf("after SHUTDOWN SAVE and restart, last = %q", v)
	}
}

// TestSavePoints has the cron save once "save 1 1" is reached, and
// SHUTDOWN NOSAVE leave the file alone.
func TestSavePoints(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	in := servertest.Start(t, "--dir", dir, "--save", "1 1")
	c := in.Client(t)
	c.Set(ctx, "k", "v", 0)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_saves:1\r\n") {
		if time.Now().After(deadline) {
			t.Fatalf("no save 5 s after a change with save 1 1:\n%s", c.Info(ctx, "persistence").Val())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.Set(ctx, "k", "changed", 0)
	c.Do(ctx, "SHUTDOWN", "NOSAVE")
	<-in.Srv.Done()
	again := servertest.Start(t, "--dir", dir, "--save", "")
	if v := again.Client(t).Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("after SHUTDOWN NOSAVE, k = %q, want the saved v", v)
	}
}

// TestRDBStartup: a missing file starts empty; a corrupt one is refused
// with a message naming the problem.
func TestRDBStartup(t *testing.T) {
	dir := t.TempDir()
	in := servertest.Start(t, "--dir", dir)
	if n := in.Client(t).DBSize(context.Background()).Val(); n != 0 {
		t.Fatalf("no dump.rdb but %d keys", n)
	}
	in2 := servertest.Start(t, "--dir", dir)
	populate(t, in2.Addr)
	save(t, in2.Addr)
	good, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "unexpected end of file"},
		{"bad checksum", append(append([]byte{}, good[:len(good)-1]...), good[len(good)-1]^1), "Wrong RDB checksum"},
		{"not an RDB", []byte("hello world"), "Wrong signature"},
		{"future version", []byte("REDIS0013\xff"), "Can't handle RDB format version 0013"},
	} {
		cfg := filepath.Join(t.TempDir(), "dump.rdb")
		if err := os.WriteFile(cfg, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		err := servertest.StartErr(t, "--dir", filepath.Dir(cfg))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: start-up error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// TestMisconf: once a background save fails with save points set, writes
// and PING get Redis's MISCONF error, reads still work, and a successful
// save lifts it.
func TestMisconf(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	gone := filepath.Join(dir, "gone")
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	in := servertest.Start(t, "--dir", gone, "--save", "1000 1")
	c := in.Client(t)
	c.Set(ctx, "k", "v", 0)
	os.Remove(gone)
	if s := c.BgSave(ctx).Val(); s != "Background saving started" {
		t.Fatalf("BGSAVE into a removed dir replied %q", s)
	}
	misconf := "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
	for _, cmd := range [][]any{{"SET", "k", "x"}, {"PING"}} {
		if err := c.Do(ctx, cmd...).Err(); err == nil || err.Error() != misconf {
			t.Fatalf("%v after a failed BGSAVE: %v", cmd, err)
		}
	}
	if v := c.Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("GET during MISCONF: %q", v)
	}
	if err := c.Save(ctx).Err(); err == nil || err.Error() != "ERR" {
		t.Fatalf("SAVE into a removed dir: %v", err)
	}
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "k", "x", 0).Err(); err != nil {
		t.Fatalf("SET after a good SAVE: %v", err)
	}
}

// TestBgsaveIncrementalSync saves a dataset of about 15 MB, several
// steps of the save's incremental sync (rdb-save-incremental-fsync),
// with the option on and off, and loads each file back.
func TestBgsaveIncrementalSync(t *testing.T) {
	ctx := context.Background()
	for _, on := range []string{"yes", "no"} {
		dir := t.TempDir()
		in := servertest.Start(t, "--dir", dir, "--save", "", "--rdb-save-incremental-fsync", on, "--rdbcompression", "no")
		c := in.Client(t)
		value := strings.Repeat("v", 1000)
		p := c.Pipeline()
		for i := range 15000 {
			p.Set(ctx, fmt.Sprint("key:", i), fmt.Sprint(value, i), 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.BgSave(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		for strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:1") {
			time.Sleep(10 * time.Millisecond)
		}
		if info := c.Info(ctx, "persistence").Val(); !strings.Contains(info, "rdb_last_bgsave_status:ok\r\n") {
			t.Fatalf("incremental fsync %s: BGSAVE failed:\n%s", on, info)
		}
		in.Srv.Close()
		if st, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil || st.Size() < 15_000_000 {
			t.Fatalf("incremental fsync %s: dump.rdb %v, %v", on, st, err)
		}
		c = servertest.Start(t, "--dir", dir, "--save", "").Client(t)
		if n := c.DBSize(ctx).Val(); n != 15000 {
			t.Fatalf("incremental fsync %s: %d keys loaded", on, n)
		}
		if v := c.Get(ctx, "key:14999").Val(); v != value+"14999" {
			t.Fatalf("incremental fsync %s: key:14999 is %d bytes", on, len(v))
		}
	}
}
