package tests

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// TestWatchOtherClient: a change by another client breaks the WATCH and
// EXEC replies with a null array.
func TestWatchOtherClient(t *testing.T) {
	in := servertest.Start(t)
	a, b := in.Raw(t), in.Raw(t)
	a.Do("SET", "k", "1")
	if r := a.Do("WATCH", "k"); r != "+OK\r\n" {
		t.Fatalf("WATCH: %q", r)
	}
	b.Do("SET", "k", "2")
	a.Do("MULTI")
	a.Do("SET", "k", "from-a")
	if r := a.Do("EXEC"); r != "*-1\r\n" {
		t.Fatalf("EXEC after a concurrent change: %q, want *-1", r)
	}
	if r := a.Do("GET", "k"); r != "$1\r\n2\r\n" {
		t.Fatalf("GET: %q, want the other client's value", r)
	}
	// Without interference the same transaction goes through.
	a.Do("WATCH", "k")
	a.Do("MULTI")
	a.Do("SET", "k", "from-a")
	if r := a.Do("EXEC"); r != "*1\r\n+OK\r\n" {
		t.Fatalf("EXEC: %q", r)
	}
}

// TestWatchRace: clients incrementing one counter with the WATCH/MULTI/
// EXEC optimistic-locking loop never lose an update.
func TestWatchRace(t *testing.T) {
	in := servertest.Start(t)
	ctx := context.Background()
	const clients, incs = 8, 50
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: in.Addr, Protocol: 2, DisableIdentity: true})
			defer c.Close()
			for n := 0; n < incs; {
				err := c.Watch(ctx, func(tx *redis.Tx) error {
					v, err := tx.Get(ctx, "ctr").Int()
					if err != nil && !errors.Is(err, redis.Nil) {
						return err
					}
					_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.Set(ctx, "ctr", strconv.Itoa(v+1), 0)
						return nil
					})
					return err
				}, "ctr")
				switch {
				case err == nil:
					n++
				case errors.Is(err, redis.TxFailedErr):
					// Another client won the race: retry.
				default:
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got, err := in.Client(t).Get(ctx, "ctr").Int()
	if err != nil || got != clients*incs {
		t.Fatalf("counter = %d (%v), want %d", got, err, clients*incs)
	}
}
