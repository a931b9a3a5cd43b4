package server

import (
	"strings"
	"testing"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/resp"
)

// benchClient returns a client of a running server without a connection:
// process and execute never touch the connection unless a command blocks.
func benchClient(b testing.TB) *client {
	srv, err := Start(config.New(), Options{Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	c := &client{s: srv}
	c.ctx = command.Ctx{Sess: &c.sess, KS: srv.ks, DB: srv.ks.DBs[0], Host: srv, Writer: resp.Writer{Proto: 2}}
	// As a network client: the default user's ACL check is on the path.
	c.defaultAuth()
	return c
}

// benchPipeline runs a pipeline of 16 copies of req through the parse,
// dispatch and reply path, as one read batch of a connection does.
func benchPipeline(b *testing.B, setup, req string) {
	c := benchClient(b)
	if setup != "" {
		_, _, out := c.process([]byte(setup))
		c.spare = out[:0]
	}
	buf := []byte(strings.Repeat(req, 16))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, _, out := c.process(buf)
		if n != len(buf) {
			b.Fatalf("consumed %d of %d", n, len(buf))
		}
		c.spare = out[:0] // as write does after sending

	}
}

func BenchmarkProcessGet16(b *testing.B) {
	benchPipeline(b, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$16\r\n0123456789abcdef\r\n", "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n")
}

func BenchmarkProcessSet16(b *testing.B) {
	benchPipeline(b, "", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$16\r\n0123456789abcdef\r\n")
}

// TestProcessAllocs pins the hot path at zero allocations per request.
func TestProcessAllocs(t *testing.T) {
	c := benchClient(t)
	for _, tc := range []struct{ name, setup, req string }{
		{"GET", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\nv\r\n", "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"},
		{"SET", "", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\nw\r\n"},
		{"INCR", "", "*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n"},
		{"MGET", "", "*3\r\n$4\r\nMGET\r\n$3\r\nkey\r\n$4\r\nnone\r\n"},
		{"PING", "", "PING\r\n"},
	} {
		_, _, out := c.process([]byte(tc.setup + tc.req)) // warm up buffers
		c.spare = out[:0]
		buf := []byte(strings.Repeat(tc.req, 16))
		allocs := testing.AllocsPerRun(200, func() {
			_, _, out := c.process(buf)
			c.spare = out[:0] // as write does after sending
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per 16-request batch, want 0", tc.name, allocs)
		}
	}
}
