package server

import (
	"strconv"
	"strings"
	"testing"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/resp"
)

// propClient returns a server with an OnPropagate collector and a client
// of it without a connection (see benchClient).
func propClient(t testing.TB) (*client, *[]string) {
	srv, err := Start(config.New(), Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var chunks []string
	srv.mu.Lock()
	srv.OnPropagate(func(b []byte) { chunks = append(chunks, string(b)) })
	srv.mu.Unlock()
	c := &client{s: srv}
	c.ctx = command.Ctx{Sess: &c.sess, KS: srv.ks, DB: srv.ks.DBs[0], Host: srv, Writer: resp.Writer{Proto: 2}, Conn: c, Prop: &srv.prop.unit}
	return c, &chunks
}

// req encodes commands given as space-separated words.
func req(cmds ...string) []byte {
	var b []byte
	for _, cmd := range cmds {
		var args [][]byte
		for _, w := range strings.Fields(cmd) {
			args = append(args, []byte(w))
		}
		b = resp.AppendCommand(b, args...)
	}
	return b
}

func TestPropagationSelectAndBatch(t *testing.T) {
	c, chunks := propClient(t)
	c.process(req("SET a 1", "GET a", "SELECT 1", "SET b 2", "INCR n", "SELECT 0", "DEL nokey", "SET c 3"))
	want := string(req("SELECT 0", "SET a 1", "SELECT 1", "SET b 2", "INCR n", "SELECT 0", "SET c 3"))
	if len(*chunks) != 1 || (*chunks)[0] != want {
		t.Fatalf("one batch gave %q\nwant one chunk %q", *chunks, want)
	}

	// A batch of reads and of writes that change nothing hands nothing.
	c.process(req("GET a", "DEL nokey", "SET a 1 NX"))
	if len(*chunks) != 1 {
		t.Fatalf("a batch without changes propagated %q", (*chunks)[1:])
	}

	// The db stays selected across batches until reset.
	c.process(req("SET d 4"))
	c.s.mu.Lock()
	c.s.ResetPropagationDB()
	c.s.mu.Unlock()
	c.process(req("SET e 5"))
	got := (*chunks)[1:]
	if len(got) != 2 || got[0] != string(req("SET d 4")) || got[1] != string(req("SELECT 0", "SET e 5")) {
		t.Fatalf("after reset got %q", got)
	}
}

func TestPropagationUnits(t *testing.T) {
	c, chunks := propClient(t)
	c.process(req("SET k v EX 100", "MULTI", "SET a 1", "EXEC", "MULTI", "SET a 1", "GET a", "SELECT 2", "SET b 2", "EXEC", "MULTI", "GET a", "EXEC"))
	at := c.s.ks.Now() + 100000
	want := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" +
		string(req("SET k v PXAT "+itoa(at), "SET a 1", "MULTI", "SET a 1", "SELECT 2", "SET b 2", "EXEC"))
	if len(*chunks) != 1 || (*chunks)[0] != want {
		t.Fatalf("got %q\nwant %q", *chunks, want)
	}
}

func TestPropagationEmbedded(t *testing.T) {
	c, chunks := propClient(t)
	s := c.s
	s.mu.Lock()
	s.Propagate(3, []byte("SET"), []byte("x"), []byte("1"))
	s.flushPropagation()
	s.mu.Unlock()
	want := string(req("SELECT 3", "SET x 1"))
	if len(*chunks) != 1 || (*chunks)[0] != want {
		t.Fatalf("got %q, want %q", *chunks, want)
	}
}

// TestPropagationOff checks that nothing is encoded while nobody listens.
func TestPropagationOff(t *testing.T) {
	c := benchClient(t)
	c.ctx.Prop = &c.s.prop.unit
	c.ctx.Conn = c
	c.process(req("SET a 1", "MULTI", "SET b 2", "SET c 3", "EXEC", "SET k v EX 10"))
	buf, ops := c.s.prop.unit.Unit()
	if c.s.prop.unit.On || len(buf) != 0 || len(ops) != 0 || len(c.s.prop.out) != 0 {
		t.Fatalf("encoded %q with nobody listening", buf)
	}
}

// TestProcessAllocsPropagating pins the hot path at zero allocations per
// request with propagation on too: a plain write is encoded straight to
// the stream buffer.
func TestProcessAllocsPropagating(t *testing.T) {
	c := benchClient(t)
	c.ctx.Prop = &c.s.prop.unit
	streamed := 0
	c.s.mu.Lock()
	c.s.OnPropagate(func(b []byte) { streamed += len(b) })
	c.s.mu.Unlock()
	for _, tc := range []struct{ name, setup, req string }{
		{"GET", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\nv\r\n", "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"},
		{"SET", "", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\nw\r\n"},
		{"INCR", "", "*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n"},
		{"MGET", "", "*3\r\n$4\r\nMGET\r\n$3\r\nkey\r\n$4\r\nnone\r\n"},
	} {
		_, _, out := c.process([]byte(tc.setup + tc.req)) // warm up buffers
		c.spare = out[:0]
		buf := []byte(strings.Repeat(tc.req, 16))
		allocs := testing.AllocsPerRun(200, func() {
			_, _, out := c.process(buf)
			c.spare = out[:0]
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per 16-request batch, want 0", tc.name, allocs)
		}
	}
	if streamed == 0 {
		t.Fatal("nothing was propagated")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
