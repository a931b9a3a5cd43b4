package respd_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd"
	"github.com/respd/respd/respdtest"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func client(t testing.TB, srv *respd.Server) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// requireCommand skips the test when the server does not implement name:
// COMMAND INFO answers a nil entry for an unknown command.
func requireCommand(t *testing.T, c *redis.Client, name string) {
	t.Helper()
	reply, err := c.Do(context.Background(), "COMMAND", "INFO", name).Slice()
	if err != nil {
		t.Fatal(err)
	}
	if len(reply) != 1 {
		t.Fatalf("COMMAND INFO %s: %d entries", name, len(reply))
	}
	if reply[0] == nil {
		t.Skipf("%s is not implemented on this build (COMMAND INFO %s is nil)", strings.ToUpper(name), name)
	}
}

func TestFastForwardExpiresKeys(t *testing.T) {
	ctx := context.Background()
	srv := respdtest.NewWithOptions(t, respd.Options{Time: epoch})
	c := client(t, srv)
	if err := c.Set(ctx, "session", "abc", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "forever", "x", 0)
	if got := srv.TTL("session"); got != 10*time.Second {
		t.Fatalf("TTL before = %v, want 10s", got)
	}
	// A frozen clock does not move with the wall clock.
	time.Sleep(20 * time.Millisecond)
	if got := c.PTTL(ctx, "session").Val(); got != 10*time.Second {
		t.Fatalf("PTTL on a frozen clock = %v, want 10s", got)
	}
	srv.FastForward(9999 * time.Millisecond)
	if v, err := c.Get(ctx, "session").Result(); err != nil || v != "abc" {
		t.Fatalf("GET 1ms before expiry = %q, %v", v, err)
	}
	srv.FastForward(time.Millisecond)
	// Reclaimed by FastForward's cron pass: no command has looked at it.
	if n := c.DBSize(ctx).Val(); n != 1 {
		t.Fatalf("DBSIZE after expiry = %d, want 1", n)
	}
	if !strings.Contains(c.Info(ctx, "stats").Val(), "expired_keys:1\r\n") {
		t.Fatal("INFO stats does not count the expired key")
	}
	if err := c.Get(ctx, "session").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET after expiry: %v, want nil", err)
	}
	if _, ok := srv.Get("session"); ok {
		t.Fatal("srv.Get sees the expired key")
	}
	if got := srv.Now(); !got.Equal(epoch.Add(10 * time.Second)) {
		t.Fatalf("Now = %v", got)
	}
}

// The cron reclaims keys by sampling; with many it takes several passes,
// which the server's own ticks provide.
func TestFastForwardLazyExpiryWithManyKeys(t *testing.T) {
	ctx := context.Background()
	srv := respdtest.NewWithOptions(t, respd.Options{Time: epoch})
	c := client(t, srv)
	for i := 0; i < 1000; i++ {
		srv.Set(fmt.Sprint("k", i), "v")
		srv.SetTTL(fmt.Sprint("k", i), time.Second)
	}
	srv.Set("keep", "v")
	srv.FastForward(time.Second)
	// Every expired key reads as missing at once, reclaimed or not.
	for i := 0; i < 1000; i += 97 {
		if n := c.Exists(ctx, fmt.Sprint("k", i)).Val(); n != 0 {
			t.Fatalf("k%d still exists", i)
		}
	}
	if keys := srv.Keys(); len(keys) != 1 || keys[0] != "keep" {
		t.Fatalf("Keys = %v", keys)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.DBSize(ctx).Val() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("active expiry left DBSIZE at %d", c.DBSize(ctx).Val())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFastForwardOnWallClock(t *testing.T) {
	ctx := context.Background()
	srv := respdtest.New(t)
	c := client(t, srv)
	c.Set(ctx, "k", "v", time.Hour)
	srv.FastForward(time.Hour)
	if err := c.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET after an hour: %v", err)
	}
	if d := time.Until(srv.Now()); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("Now is %v ahead of the wall clock, want an hour", d)
	}
}

// waitBlocked waits until n clients are parked in a blocking command.
func waitBlocked(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	want := fmt.Sprintf("blocked_clients:%d\r\n", n)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.Info(context.Background(), "clients").Val(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s", strings.TrimSpace(want))
		}
		time.Sleep(time.Millisecond)
	}
}

func TestBLPOP(t *testing.T) {
	ctx := context.Background()
	srv := respdtest.NewWithOptions(t, respd.Options{Time: epoch})
	c := client(t, srv)
	requireCommand(t, c, "blpop")

	t.Run("served by a push", func(t *testing.T) {
		waiter := client(t, srv)
		got := make(chan []string, 1)
		go func() { got <- waiter.BLPop(ctx, 0, "jobs").Val() }()
		waitBlocked(t, c, 1)
		if err := c.RPush(ctx, "jobs", "job1", "job2").Err(); err != nil {
			t.Fatal(err)
		}
		select {
		case v := <-got:
			if len(v) != 2 || v[0] != "jobs" || v[1] != "job1" {
				t.Fatalf("BLPOP = %q", v)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("BLPOP was not woken by RPUSH")
		}
		if v := c.LRange(ctx, "jobs", 0, -1).Val(); len(v) != 1 || v[0] != "job2" {
			t.Fatalf("left in the list: %q", v)
		}
	})

	t.Run("times out by FastForward", func(t *testing.T) {
		waiter := client(t, srv)
		got := make(chan error, 1)
		go func() { got <- waiter.BLPop(ctx, 30*time.Second, "empty").Err() }()
		waitBlocked(t, c, 1)
		srv.FastForward(29 * time.Second)
		select {
		case err := <-got:
			t.Fatalf("BLPOP returned %v 1s before its timeout", err)
		case <-time.After(50 * time.Millisecond):
		}
		srv.FastForward(time.Second)
		select {
		case err := <-got:
			if !errors.Is(err, redis.Nil) {
				t.Fatalf("BLPOP timeout: %v, want a nil reply", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("BLPOP did not time out after FastForward")
		}
		waitBlocked(t, c, 0)
	})
}

func TestPubSub(t *testing.T) {
	ctx := context.Background()
	srv := respdtest.New(t)
	c := client(t, srv)
	requireCommand(t, c, "subscribe")
	requireCommand(t, c, "publish")

	sub := c.Subscribe(ctx, "news")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscribe confirmation
		t.Fatal(err)
	}
	if n, err := c.Publish(ctx, "news", "hello").Result(); err != nil || n != 1 {
		t.Fatalf("PUBLISH = %d, %v; want 1 receiver", n, err)
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	msg, err := sub.ReceiveMessage(rctx)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Channel != "news" || msg.Payload != "hello" {
		t.Fatalf("got %s %q", msg.Channel, msg.Payload)
	}
	if n := c.Publish(ctx, "other", "x").Val(); n != 0 {
		t.Fatalf("PUBLISH to a channel nobody listens to = %d", n)
	}
}

func TestReadHelpers(t *testing.T) {
	ctx := context.Background()
	srv := respdtest.NewWithOptions(t, respd.Options{Time: epoch})
	c := client(t, srv)
	srv.Set("a", "1")
	if v := c.Get(ctx, "a").Val(); v != "1" {
		t.Fatalf("a client sees %q for a key set by srv.Set", v)
	}
	c.HSet(ctx, "h", "f", "v", "g", "w")
	c.Set(ctx, "t", "x", 90*time.Second)
	if v, ok := srv.Get("h"); ok {
		t.Fatalf("Get of a hash = %q, true", v)
	}
	if _, ok := srv.Get("missing"); ok {
		t.Fatal("Get of a missing key is ok")
	}
	for key, want := range map[string]string{"a": "string", "h": "hash", "missing": "none"} {
		if got := srv.Type(key); got != want {
			t.Errorf("Type(%s) = %s, want %s", key, got, want)
		}
	}
	if got := strings.Join(srv.Keys(), ","); got != "a,h,t" {
		t.Fatalf("Keys = %s", got)
	}
	if srv.TTL("a") != 0 || srv.TTL("missing") != 0 || srv.TTL("t") != 90*time.Second {
		t.Fatalf("TTLs: a %v, missing %v, t %v", srv.TTL("a"), srv.TTL("missing"), srv.TTL("t"))
	}
	if !srv.SetTTL("a", 5*time.Second) || srv.SetTTL("missing", time.Second) {
		t.Fatal("SetTTL reports wrongly whether the key exists")
	}
	if ms := c.PTTL(ctx, "a").Val(); ms != 5*time.Second {
		t.Fatalf("PTTL after SetTTL = %v", ms)
	}
	want := "db0:\n  \"a\" = \"1\" ttl=5s\n  \"h\" = hash(2)\n  \"t\" = \"x\" ttl=1m30s\n"
	if got := srv.Dump(); got != want {
		t.Fatalf("Dump:\n%s\nwant:\n%s", got, want)
	}
	if !srv.Del("a") || srv.Del("a") || srv.Exists("a") {
		t.Fatal("Del or Exists wrong")
	}

	c.Do(ctx, "SELECT", "3")
	srv.DB(3).Set("in3", "yes")
	if c3 := srv.DB(3); !c3.Exists("in3") || srv.Exists("in3") {
		t.Fatal("DB(3) is not database 3")
	}
	srv.FlushAll()
	if srv.Dump() != "" || c.DBSize(ctx).Val() != 0 {
		t.Fatalf("after FlushAll: %q", srv.Dump())
	}
}

func TestHelperSetWakesWatch(t *testing.T) {
	ctx := context.Background()
	srv := respdtest.New(t)
	c := client(t, srv)
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		srv.Set("w", "changed behind the transaction")
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "w", "mine", 0)
			return nil
		})
		return err
	}, "w")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("EXEC after srv.Set of a watched key: %v, want an aborted transaction", err)
	}
}

func TestDBOutOfRangePanics(t *testing.T) {
	srv := respdtest.NewWithOptions(t, respd.Options{Databases: 2})
	srv.DB(1)
	defer func() {
		if recover() == nil {
			t.Fatal("DB(2) of 2 databases did not panic")
		}
	}()
	srv.DB(2)
}

func TestOptions(t *testing.T) {
	ctx := context.Background()
	srv := respdtest.NewWithOptions(t, respd.Options{
		Databases: 4,
		Config:    map[string]string{"maxmemory": "10mb", "databases": "8", "hz": "50", "Notify-Keyspace-Events": "KEA"},
	})
	c := client(t, srv)
	got := c.ConfigGet(ctx, "*").Val()
	for name, want := range map[string]string{"databases": "4", "maxmemory": "10485760", "hz": "50", "notify-keyspace-events": "AKE"} {
		if got[name] != want {
			t.Errorf("CONFIG GET %s = %q, want %q", name, got[name], want)
		}
	}
	if err := c.Do(ctx, "SELECT", "4").Err(); err == nil || err.Error() != "ERR DB index is out of range" {
		t.Errorf("SELECT 4 of 4 databases: %v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		opts respd.Options
		want string
	}{
		{respd.Options{Config: map[string]string{"no-such-thing": "1"}}, `respd: unknown config directive "no-such-thing"`},
		{respd.Options{Config: map[string]string{"maxmemory": "lots"}}, "respd: config maxmemory: argument must be a memory value"},
		{respd.Options{Databases: -1}, "respd: config databases: argument must be between 1 and 2147483647 inclusive"},
		{respd.Options{Addr: "not an address"}, "respd: address not an address: missing port in address"},
	} {
		srv, err := respd.Start(context.Background(), tc.opts)
		if err == nil {
			srv.Close()
			t.Errorf("%+v: started", tc.opts)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%+v:\n got %q\nwant %q", tc.opts, err, tc.want)
		}
	}
}

func TestContextEndsServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := respd.Start(ctx, respd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepts connections after its context ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := respd.Start(ctx, respd.Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with an ended context: %v", err)
	}
}

// A test binary can run many servers side by side, each with its own data.
func TestHundredServers(t *testing.T) {
	ctx := context.Background()
	servers := make([]*respd.Server, 100)
	addrs := map[string]bool{}
	for i := range servers {
		servers[i] = respdtest.New(t)
		addrs[servers[i].Addr()] = true
	}
	if len(addrs) != 100 {
		t.Fatalf("%d distinct addresses for 100 servers", len(addrs))
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(servers))
	for i, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, DisableIdentity: true})
			defer c.Close()
			if err := c.Set(ctx, "who", i, 0).Err(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, srv := range servers {
		if v, _ := srv.Get("who"); v != fmt.Sprint(i) {
			t.Fatalf("server %d holds who=%q", i, v)
		}
		if n := len(srv.Keys()); n != 1 {
			t.Fatalf("server %d has %d keys", i, n)
		}
	}
}

func TestCloseTwice(t *testing.T) {
	srv, err := respd.Start(context.Background(), respd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if srv.Port() == 0 {
		t.Fatal("Port is 0")
	}
}
