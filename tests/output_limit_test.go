package tests

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/servertest"
)

// bigValue is the value the floods read: 100 KB.
var bigValue = strings.Repeat("v", 100<<10)

// lazyClient is a raw connection that does not read while it sends. Its
// kernel receive buffer stays at its initial size (it only grows as the
// application reads), so what the server writes soon stays on the
// server's side.
type lazyClient struct {
	conn net.Conn
	r    *bufio.Reader
	sent chan error // the sender's end: nil, or the write error
}

func dialLazy(t *testing.T, addr, name string) *lazyClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return newLazy(t, conn, name)
}

func newLazy(t *testing.T, conn net.Conn, name string) *lazyClient {
	t.Helper()
	t.Cleanup(func() { conn.Close() })
	lc := &lazyClient{conn: conn, r: bufio.NewReader(conn)}
	lc.conn.SetDeadline(time.Now().Add(10 * time.Second))
	conn.Write([]byte(servertest.Encode("CLIENT", "SETNAME", name)))
	if rep, err := servertest.ReadReply(lc.r); err != nil || string(rep) != "+OK\r\n" {
		t.Fatalf("CLIENT SETNAME: %q %v", rep, err)
	}
	lc.conn.SetDeadline(time.Time{})
	return lc
}

// send writes req n times, each its own write, gap apart, from its own
// goroutine, stopping at the first write error.
func (lc *lazyClient) send(req string, n int, gap time.Duration) {
	lc.sent = make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			lc.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := lc.conn.Write([]byte(req)); err != nil {
				lc.sent <- err
				return
			}
			time.Sleep(gap)
		}
		lc.sent <- nil
	}()
}

// closedByServer reads what the server wrote until the connection ends;
// it reports whether it ended (rather than timing out).
func (lc *lazyClient) closedByServer(within time.Duration) bool {
	lc.conn.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, lc.r)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// clientField returns a field of the CLIENT LIST line of the client
// named name, and whether it is listed.
func clientField(t *testing.T, c *redis.Client, name, field string) (string, bool) {
	t.Helper()
	list, err := c.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatalf("CLIENT LIST: %v", err)
	}
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, field+"="); ok {
				return v, true
			}
		}
		return "", true
	}
	return "", false
}

// watchUntilGone polls CLIENT LIST from another client until the client
// named name is gone, checking that this other client is served all along
// (each GET answered within a second) and returning the largest omem
// seen. It fails after within.
func watchUntilGone(t *testing.T, addr, name string, within time.Duration) int64 {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, ReadTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	ctx := context.Background()
	var most int64
	deadline := time.Now().Add(within)
	for {
		if v, err := c.Get(ctx, "small").Result(); err != nil || v != "ok" {
			t.Fatalf("another client was not served during the flood: %q %v", v, err)
		}
		omem, listed := clientField(t, c, name, "omem")
		if !listed {
			return most
		}
		if n, err := strconv.ParseInt(omem, 10, 64); err == nil {
			most = max(most, n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("client %s still connected after %v (omem %s)", name, within, omem)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// limitTargets starts respd and real redis-server with the same
// arguments, with the values the floods use.
func limitTargets(t *testing.T, args ...string) map[string]string {
	targets := map[string]string{
		"respd": servertest.Start(t, args...).Addr,
		"redis": servertest.RedisServer(t, args...),
	}
	for _, addr := range targets {
		do(t, addr, "SET", "big", bigValue)
		do(t, addr, "SET", "small", "ok")
	}
	return targets
}

// omemBound is the most output a client under "normal 1mb 0 0" may be
// seen to owe: the limit is checked as each reply is added, so it is
// over by less than one reply when it is closed (plus Redis's reply
// chunk rounding).
const omemBound = 1<<20 + 300<<10

// TestNormalOutputLimit: under client-output-buffer-limit normal 1mb 0 0,
// a client pipelining GETs of a 100 KB value without reading is
// disconnected, with its pending output staying bounded meanwhile, while
// another client is served throughout; the same as real Redis does,
// whether the GETs come one by one (the output piles up behind a full
// socket) or all at once (one batch's replies break the limit).
func TestNormalOutputLimit(t *testing.T) {
	get := servertest.Encode("GET", "big")
	for _, tc := range []struct {
		name string
		req  string
		n    int
		gap  time.Duration
	}{
		{"trickle", get, 400, 2 * time.Millisecond},
		{"pipeline", strings.Repeat(get, 300), 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name, addr := range limitTargets(t, "--client-output-buffer-limit", "normal 1mb 0 0") {
				t.Run(name, func(t *testing.T) {
					lc := dialLazy(t, addr, "flood")
					lc.send(tc.req, tc.n, tc.gap)
					most := watchUntilGone(t, addr, "flood", 20*time.Second)
					t.Logf("largest omem seen: %d", most)
					if most > omemBound {
						t.Fatalf("omem reached %d, over %d", most, omemBound)
					}
					if !lc.closedByServer(10 * time.Second) {
						t.Fatal("the flooding client's connection was not closed")
					}
					if n := do(t, addr, "DBSIZE").(int64); n != 2 {
						t.Fatalf("DBSIZE %d after the flood", n)
					}
				})
			}
		})
	}
}

// TestNormalOutputUnlimited: with the default normal 0 0 0 the same
// flood is never disconnected; once the client reads, it gets every
// reply.
func TestNormalOutputUnlimited(t *testing.T) {
	const n = 100 // 10 MB of replies, more than the socket buffers hold
	for name, addr := range limitTargets(t) {
		t.Run(name, func(t *testing.T) {
			lc := dialLazy(t, addr, "flood")
			lc.send(servertest.Encode("GET", "big"), n, time.Millisecond)
			if err := <-lc.sent; err != nil {
				t.Fatalf("sending: %v", err)
			}
			time.Sleep(300 * time.Millisecond)
			c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
			defer c.Close()
			if _, listed := clientField(t, c, "flood", "omem"); !listed {
				t.Fatal("the client was disconnected under normal 0 0 0")
			}
			want := "$" + strconv.Itoa(len(bigValue)) + "\r\n" + bigValue + "\r\n"
			lc.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			for i := 0; i < n; i++ {
				rep, err := servertest.ReadReply(lc.r)
				if err != nil || string(rep) != want {
					t.Fatalf("reply %d: %v (%d bytes)", i, err, len(rep))
				}
			}
		})
	}
}

// TestMonitorOutputLimit: a MONITOR client is of the normal class; one
// that does not read while big values are written is disconnected,
// and the writer is not held up, as in Redis.
func TestMonitorOutputLimit(t *testing.T) {
	for name, addr := range limitTargets(t, "--client-output-buffer-limit", "normal 1mb 0 0") {
		t.Run(name, func(t *testing.T) {
			lc := dialLazy(t, addr, "monitor")
			lc.conn.Write([]byte(servertest.Encode("MONITOR")))
			c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, ReadTimeout: 2 * time.Second})
			defer c.Close()
			ctx := context.Background()
			deadline := time.Now().Add(20 * time.Second)
			for i := 0; ; i++ {
				if err := c.Set(ctx, fmt.Sprint("k", i%10), bigValue, 0).Err(); err != nil {
					t.Fatalf("SET %d while the monitor lags: %v", i, err)
				}
				if _, listed := clientField(t, c, "monitor", "omem"); !listed {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the monitor is still connected after %d SETs", i+1)
				}
			}
			if !lc.closedByServer(10 * time.Second) {
				t.Fatal("the monitor's connection was not closed")
			}
		})
	}
}

// TestNormalOutputLimitTLS: the limit holds for a TLS client too, whose
// pending output is counted in encrypted bytes under the TLS layer.
func TestNormalOutputLimitTLS(t *testing.T) {
	pki := newPKI(t)
	for _, name := range []string{"respd", "redis"} {
		t.Run(name, func(t *testing.T) {
			port := oracle.FreePort(t)
			args := append(pki.tlsArgs(port, pki.serverCert, pki.serverKey), "--client-output-buffer-limit", "normal 1mb 0 0")
			var addr string
			if name == "respd" {
				addr = servertest.Start(t, args...).Addr
			} else {
				addr = servertest.RedisServer(t, args...)
			}
			do(t, addr, "SET", "big", bigValue)
			do(t, addr, "SET", "small", "ok")
			conn, err := tls.Dial("tcp", fmt.Sprint("127.0.0.1:", port), &tls.Config{
				RootCAs: pki.caPool, Certificates: []tls.Certificate{pki.client}, ServerName: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			lc := newLazy(t, conn, "flood")
			lc.send(servertest.Encode("GET", "big"), 400, 2*time.Millisecond)
			if most := watchUntilGone(t, addr, "flood", 20*time.Second); most > omemBound {
				t.Fatalf("omem reached %d, over %d", most, omemBound)
			}
			if !lc.closedByServer(10 * time.Second) {
				t.Fatal("the flooding client's connection was not closed")
			}
		})
	}
}

// TestNormalOutputSoftLimit: under normal 0 1mb 1 the flood is allowed
// past 1 MB for a while, then disconnected once it stayed over it for
// more than a second, as in Redis.
func TestNormalOutputSoftLimit(t *testing.T) {
	for name, addr := range limitTargets(t, "--client-output-buffer-limit", "normal 0 1mb 1") {
		t.Run(name, func(t *testing.T) {
			lc := dialLazy(t, addr, "flood")
			start := time.Now()
			lc.send(servertest.Encode("GET", "big"), 2000, 5*time.Millisecond)
			most := watchUntilGone(t, addr, "flood", 30*time.Second)
			t.Logf("disconnected after %v, largest omem seen %d", time.Since(start), most)
			if most <= 1<<20 {
				t.Fatalf("omem reached only %d: the soft limit allows more for a second", most)
			}
			if !lc.closedByServer(10 * time.Second) {
				t.Fatal("the flooding client's connection was not closed")
			}
		})
	}
}
