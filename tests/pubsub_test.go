package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/servertest"
)

// TestPubSubOrder: a subscriber on channels and patterns receives every
// message, in publishing order, with the right kind.
func TestPubSubOrder(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			// A server of its own: the previous subtest's subscriber may
			// still be going away when this one publishes.
			in := servertest.Start(t)
			ctx := context.Background()
			sub := redis.NewClient(&redis.Options{Addr: in.Addr, Protocol: proto, DisableIdentity: true})
			defer sub.Close()
			ps := sub.Subscribe(ctx, "news", "sport")
			defer ps.Close()
			if err := ps.PSubscribe(ctx, "w*"); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ { // the three confirmations
				if _, err := ps.ReceiveTimeout(ctx, 2*time.Second); err != nil {
					t.Fatal(err)
				}
			}
			pub := in.Client(t)
			var want []string
			for i := 0; i < 100; i++ {
				ch := []string{"news", "sport", "weather", "other"}[i%4]
				n, err := pub.Publish(ctx, ch, fmt.Sprint(i)).Result()
				if err != nil {
					t.Fatal(err)
				}
				if ch == "other" {
					if n != 0 {
						t.Fatalf("PUBLISH other reached %d", n)
					}
					continue
				}
				if n != 1 {
					t.Fatalf("PUBLISH %s reached %d, want 1", ch, n)
				}
				want = append(want, ch+"/"+fmt.Sprint(i))
			}
			for _, w := range want {
				m, err := ps.ReceiveTimeout(ctx, 2*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				msg, ok := m.(*redis.Message)
				if !ok {
					t.Fatalf("got %T %v, want a message", m, m)
				}
				if got := msg.Channel + "/" + msg.Payload; got != w {
					t.Fatalf("got %s, want %s", got, w)
				}
				if strings.HasPrefix(w, "weather") != (msg.Pattern == "w*") {
					t.Fatalf("message %s has pattern %q", w, msg.Pattern)
				}
			}
		})
	}
}

// TestPubSubSlowSubscriber: a subscriber that never reads is cut off at
// the pubsub hard output limit while the publisher carries on.
func TestPubSubSlowSubscriber(t *testing.T) {
	in := servertest.Start(t, "--client-output-buffer-limit", "pubsub 1mb 0 0")
	sub := in.Raw(t)
	if r := sub.Do("SUBSCRIBE", "flood"); !strings.Contains(r, "subscribe") {
		t.Fatalf("SUBSCRIBE: %q", r)
	}
	// From here on the subscriber reads nothing.
	pub := in.Client(t)
	ctx := context.Background()
	payload := strings.Repeat("x", 64*1024)
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := pub.Publish(ctx, "flood", payload).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break // the subscriber was disconnected
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow subscriber was never disconnected")
		}
	}
	if err := pub.Ping(ctx).Err(); err != nil {
		t.Fatalf("server stopped serving: %v", err)
	}
}
