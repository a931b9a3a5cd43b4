package command

import (
	"testing"

	"github.com/respd/respd/internal/clock"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// benchCtx is a command context over a fresh keyspace with the real
// clock, as the server builds one, minus the network.
func benchCtx() *Ctx {
	ks := keyspace.New(16, clock.Real{})
	return &Ctx{Writer: resp.Writer{Proto: 2}, Sess: &Session{}, KS: ks, DB: ks.DBs[0]}
}

func argv(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

// benchRun runs fn with args b.N times, resetting the reply buffer each
// time, and fails unless every call allocates nothing.
func benchRun(b *testing.B, c *Ctx, fn func(*Ctx), args [][]byte) {
	c.Args = args
	fn(c) // warm up buffers
	c.B = c.B[:0]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.B = c.B[:0]
		fn(c)
	}
	b.StopTimer()
	if allocs := testing.AllocsPerRun(100, func() { c.B = c.B[:0]; fn(c) }); allocs != 0 {
		b.Fatalf("%.1f allocs per call, want 0", allocs)
	}
}

func BenchmarkGet(b *testing.B) {
	c := benchCtx()
	c.DB.SetString([]byte("key:000001"), []byte("some value of moderate size"), false)
	benchRun(b, c, getCommand, argv("GET", "key:000001"))
	if string(c.B) != "$27\r\nsome value of moderate size\r\n" {
		b.Fatalf("GET replied %q", c.B)
	}
}

func BenchmarkSetOverwrite(b *testing.B) {
	c := benchCtx()
	c.DB.SetString([]byte("key:000001"), []byte("value-xyz"), false)
	benchRun(b, c, setCommand, argv("SET", "key:000001", "value-abc"))
	if string(c.B) != "+OK\r\n" {
		b.Fatalf("SET replied %q", c.B)
	}
}

func BenchmarkIncr(b *testing.B) {
	c := benchCtx()
	c.DB.SetString([]byte("counter"), []byte("1000000"), false)
	benchRun(b, c, incrCommand, argv("INCR", "counter"))
	if len(c.B) == 0 || c.B[0] != ':' {
		b.Fatalf("INCR replied %q", c.B)
	}
}

func BenchmarkMget(b *testing.B) {
	c := benchCtx()
	args := argv("MGET", "k1", "k2", "k3", "missing", "k5", "k6", "k7", "k8", "k9", "k10")
	for _, k := range args[1:] {
		if string(k) != "missing" {
			c.DB.SetString(k, []byte("value-"+string(k)), false)
		}
	}
	benchRun(b, c, mgetCommand, args)
	if string(c.B[:4]) != "*10\r" {
		b.Fatalf("MGET replied %q", c.B)
	}
}
