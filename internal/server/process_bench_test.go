package server

import (
	"fmt"
	"math/rand/v2"
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
// dispatch and reply path, as one read batch of a connection does, and
// checks that the reply to one request starts with want.
func benchPipeline(b *testing.B, setup, req, want string) {
	c := benchClient(b)
	if setup != "" {
		_, _, out := c.process([]byte(setup))
		c.spare = out[:0]
	}
	runBatches(b, c, []byte(strings.Repeat(req, 16)), nil)
	b.StopTimer()
	_, _, out := c.process([]byte(req))
	if !strings.HasPrefix(string(out), want) {
		b.Fatalf("reply %q, want it to start with %q", out, want)
	}
	c.spare = out[:0]
}

// runBatches processes buf once per iteration, calling fill (if any)
// before each to rewrite its digits.
func runBatches(b *testing.B, c *client, buf []byte, fill func()) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if fill != nil {
			fill()
		}
		n, _, out := c.process(buf)
		if n != len(buf) {
			b.Fatalf("consumed %d of %d", n, len(buf))
		}
		c.spare = out[:0] // as write does after sending
	}
}

func BenchmarkProcessGet16(b *testing.B) {
	benchPipeline(b, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$16\r\n0123456789abcdef\r\n", "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", "$16\r\n0123456789abcdef\r\n")
}

func BenchmarkProcessSet16(b *testing.B) {
	benchPipeline(b, "", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$16\r\n0123456789abcdef\r\n", "+OK\r\n")
}

func BenchmarkProcessIncr16(b *testing.B) {
	benchPipeline(b, "", "*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n", ":")
}

// BenchmarkProcessLpush16 pushes onto one list, which grows through the
// run, as redis-benchmark's LPUSH does.
func BenchmarkProcessLpush16(b *testing.B) {
	benchPipeline(b, "", "*3\r\n$5\r\nLPUSH\r\n$6\r\nmylist\r\n$3\r\nxxx\r\n", ":")
}

// BenchmarkProcessMget16 is MGET of 10 keys, one of them missing.
func BenchmarkProcessMget16(b *testing.B) {
	setup := ""
	req := "*11\r\n$4\r\nMGET\r\n"
	for i := range 10 {
		k := "key:00000000000" + string(rune('0'+i))
		if i != 3 {
			setup += "*3\r\n$3\r\nSET\r\n$16\r\n" + k + "\r\n$16\r\n0123456789abcdef\r\n"
		}
		req += "$16\r\n" + k + "\r\n"
	}
	benchPipeline(b, setup, req, "*10\r\n$16\r\n0123456789abcdef\r\n$16\r\n0123456789abcdef\r\n$16\r\n0123456789abcdef\r\n$-1\r\n")
}

// BenchmarkProcessSadd16 adds a member already present to a set of 1000,
// a heap object: the write lookup of a big collection.
func BenchmarkProcessSadd16(b *testing.B) {
	setup := "*1002\r\n$4\r\nSADD\r\n$5\r\nmyset\r\n"
	for i := range 1000 {
		setup += fmt.Sprintf("$20\r\nelement:%012d\r\n", i)
	}
	benchPipeline(b, setup, "*3\r\n$4\r\nSADD\r\n$5\r\nmyset\r\n$20\r\nelement:000000000123\r\n", ":0\r\n")
}

// BenchmarkProcessHset16 sets a field of a hash of 1000 to the value it
// has, as redis-benchmark's HSET does.
func BenchmarkProcessHset16(b *testing.B) {
	setup := "*2002\r\n$4\r\nHSET\r\n$6\r\nmyhash\r\n"
	for i := range 1000 {
		setup += fmt.Sprintf("$20\r\nelement:%012d\r\n$3\r\nxxx\r\n", i)
	}
	benchPipeline(b, setup, "*4\r\n$4\r\nHSET\r\n$6\r\nmyhash\r\n$20\r\nelement:000000000123\r\n$3\r\nxxx\r\n", ":0\r\n")
}

// TestProcessAllocs pins the hot path at zero allocations per request.
func TestProcessAllocs(t *testing.T) {
	c := benchClient(t)
	// A set whose members memberAhead prefetches.
	big := fmt.Sprintf("*%d\r\n$4\r\nSADD\r\n$3\r\nbig\r\n", memberAheadMin+2)
	for i := range memberAheadMin {
		big += fmt.Sprintf("$6\r\n%06d\r\n", i)
	}
	for _, tc := range []struct{ name, setup, req string }{
		{"GET", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\nv\r\n", "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"},
		{"SET", "", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\nw\r\n"},
		{"INCR", "", "*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n"},
		{"MGET", "", "*3\r\n$4\r\nMGET\r\n$3\r\nkey\r\n$4\r\nnone\r\n"},
		{"PING", "", "PING\r\n"},
		{"SADD", big, "*3\r\n$4\r\nSADD\r\n$3\r\nbig\r\n$6\r\n000042\r\n"},
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

// spreadKeys is the keyspace of BenchmarkProcessGetSpread16: more keys
// than the caches hold, as in the big-keyspace benchmark.
const spreadKeys = 1_000_000

// BenchmarkProcessGetSpread16 is a pipeline of 16 GETs of random keys of
// a million (redis-benchmark -r): each lookup is likely a cache miss,
// which lookahead.go overlaps with the commands before it.
func BenchmarkProcessGetSpread16(b *testing.B) {
	c := benchClient(b)
	var sb strings.Builder
	for i := 0; i < spreadKeys; i += 100 {
		sb.Reset()
		sb.WriteString("*201\r\n$4\r\nMSET\r\n")
		for j := i; j < i+100; j++ {
			fmt.Fprintf(&sb, "$16\r\nkey:%012d\r\n$3\r\nxxx\r\n", j)
		}
		_, _, out := c.process([]byte(sb.String()))
		if string(out) != "+OK\r\n" {
			b.Fatalf("setup reply %q", out)
		}
		c.spare = out[:0]
	}
	const req = "*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000000\r\n"
	at := strings.Index(req, "key:") + len("key:")
	buf := []byte(strings.Repeat(req, 16))
	runBatches(b, c, buf, func() {
		for j := 0; j < 16; j++ {
			putDigits(buf[j*len(req)+at:][:12], rand.IntN(spreadKeys))
		}
	})
}

// spreadMembers is the size of the collections of the Spread16 member
// benchmarks: as redis-benchmark -r 100000 makes them, more than the
// caches hold.
const spreadMembers = 100_000

// benchMemberSpread runs pipelines of 16 requests "cmd key member
// [value]" naming random members of a collection of spreadMembers (all
// present), made by the same command: the lookups memberAhead prefetches.
func benchMemberSpread(b *testing.B, cmd, key, value, want string) {
	c := benchClient(b)
	one := func(member string) string {
		return string(req(cmd + " " + key + " " + member + " " + value))
	}
	var sb strings.Builder
	for i := range spreadMembers {
		sb.WriteString(one(fmt.Sprintf("element:%012d", i)))
		if i%1000 == 999 {
			_, _, out := c.process([]byte(sb.String()))
			c.spare = out[:0]
			sb.Reset()
		}
	}
	req := one("element:000000000000")
	at := strings.Index(req, "element:") + len("element:")
	buf := []byte(strings.Repeat(req, 16))
	runBatches(b, c, buf, func() {
		for j := 0; j < 16; j++ {
			putDigits(buf[j*len(req)+at:][:12], rand.IntN(spreadMembers))
		}
	})
	b.StopTimer()
	_, _, out := c.process([]byte(req))
	if string(out) != want {
		b.Fatalf("reply %q, want %q", out, want)
	}
	c.spare = out[:0]
}

// BenchmarkProcessSaddSpread16: SADDs of members a set of 100,000 has.
func BenchmarkProcessSaddSpread16(b *testing.B) {
	benchMemberSpread(b, "SADD", "myset", "", ":0\r\n")
}

// BenchmarkProcessHsetSpread16: HSETs of fields a hash of 100,000 has, to
// the value they have.
func BenchmarkProcessHsetSpread16(b *testing.B) {
	benchMemberSpread(b, "HSET", "myhash", "xxx", ":0\r\n")
}
