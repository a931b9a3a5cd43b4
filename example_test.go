package respd_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd"
)

// A program starts a server, talks to it with any Redis client, and
// checks the result directly.
func Example() {
	ctx := context.Background()
	srv, err := respd.Start(ctx, respd.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	rdb.Incr(ctx, "visits")
	rdb.Incr(ctx, "visits")

	v, _ := srv.Get("visits")
	fmt.Println("visits:", v)
	// The server replies as Redis does, errors included.
	fmt.Println(rdb.HSet(ctx, "visits", "field", "x").Err())
	fmt.Println(rdb.Do(ctx, "GETEX", "visits", "EX", "-1").Err())
	// Output:
	// visits: 2
	// WRONGTYPE Operation against a key holding the wrong kind of value
	// ERR invalid expire time in 'getex' command
}

// A frozen clock makes expiry deterministic: keys expire when the test
// says so, without sleeping.
func ExampleServer_FastForward() {
	ctx := context.Background()
	srv, err := respd.Start(ctx, respd.Options{Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()

	rdb.Set(ctx, "token", "t0k3n", time.Minute)
	srv.FastForward(59 * time.Second)
	fmt.Println("after 59s:", rdb.Get(ctx, "token").Val(), srv.TTL("token"))
	srv.FastForward(time.Second)
	err = rdb.Get(ctx, "token").Err()
	fmt.Println("after 60s:", errors.Is(err, redis.Nil), srv.Keys())
	// Output:
	// after 59s: t0k3n 1s
	// after 60s: true []
}

// Dump renders the keyspace for a failure message.
func ExampleServer_Dump() {
	ctx := context.Background()
	srv, err := respd.Start(ctx, respd.Options{Time: time.Unix(0, 0)})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()

	rdb.Set(ctx, "greeting", "hello", 0)
	rdb.SAdd(ctx, "tags", "a", "b", "c")
	rdb.Set(ctx, "lock", "me", 30*time.Second)
	srv.DB(2).Set("other", "db")
	fmt.Print(srv.Dump())
	// Output:
	// db0:
	//   "greeting" = "hello"
	//   "lock" = "me" ttl=30s
	//   "tags" = set(3)
	// db2:
	//   "other" = "db"
}

// Any redis.conf directive can be set; a bad value fails Start with the
// message redis-server prints.
func ExampleOptions() {
	ctx := context.Background()
	srv, err := respd.Start(ctx, respd.Options{
		Databases: 2,
		Config:    map[string]string{"maxmemory": "64mb"},
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	fmt.Println(rdb.ConfigGet(ctx, "maxmemory").Val()["maxmemory"])
	fmt.Println(rdb.Do(ctx, "SELECT", 2).Err())

	_, err = respd.Start(ctx, respd.Options{Config: map[string]string{"hz": "fast"}})
	fmt.Println(err)
	// Output:
	// 67108864
	// ERR DB index is out of range
	// respd: config hz: argument couldn't be parsed into an integer
}
