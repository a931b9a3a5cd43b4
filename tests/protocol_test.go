package tests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respd/respd/internal/servertest"
)

// quiet is how long a server may stay silent before we decide it is
// waiting for more input rather than about to reply; patience is how long
// we wait for a reply or a close we do expect (the machine may be busy).
const (
	quiet    = time.Second
	patience = 10 * time.Second
)

// exchange sends each chunk to addr (pausing between them so they arrive
// as separate reads), then reads until the server closes the connection
// or stays silent for idle. It returns the bytes received and whether the
// server closed the connection.
func exchange(t *testing.T, addr string, idle time.Duration, chunks ...string) (string, bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := send(conn, chunks); err != nil {
		t.Fatal(err)
	}
	return readUntilClosed(conn, idle)
}

// send writes each chunk, pausing between them.
func send(conn net.Conn, chunks []string) error {
	for i, c := range chunks {
		if i > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := conn.Write([]byte(c)); err != nil {
			return fmt.Errorf("write: %v", err)
		}
	}
	return nil
}

// outcome is what a server did with some input: the bytes it sent and
// whether it closed the connection.
type outcome struct {
	reply  string
	closed bool
}

// diffExchange sends chunks to respd and the oracle on fresh connections.
// Redis is read first, until it closes or stays quiet; respd is then
// given up to patience to do the same (it may be starved of CPU), and
// quiet more to show anything extra.
func diffExchange(addr, oracle string, chunks []string) (got, want outcome, err error) {
	var conns [2]net.Conn
	for i, a := range []string{addr, oracle} {
		if conns[i], err = net.Dial("tcp", a); err != nil {
			return got, want, err
		}
		defer conns[i].Close()
	}
	for i, c := range chunks {
		if i > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		for _, conn := range conns {
			if _, err := conn.Write([]byte(c)); err != nil {
				return got, want, fmt.Errorf("write: %v", err)
			}
		}
	}
	want.reply, want.closed = readUntilClosed(conns[1], quiet)
	got = readLike(conns[0], want)
	return got, want, nil
}

// readLike reads what the oracle's outcome want says should come: the
// same number of bytes, then the close if it closed, else a quiet spell.
func readLike(conn net.Conn, want outcome) outcome {
	var got []byte
	buf := make([]byte, 64*1024)
	deadline := time.Now().Add(patience)
	for len(got) < len(want.reply) || want.closed {
		conn.SetReadDeadline(deadline)
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			var ne net.Error
			return outcome{string(got), !(errors.As(err, &ne) && ne.Timeout())}
		}
	}
	more, closed := readUntilClosed(conn, quiet)
	return outcome{string(got) + more, closed}
}

// readUntilClosed reads until EOF (or a reset: the server closed with our
// bytes unread) or until nothing arrives for idle.
func readUntilClosed(conn net.Conn, idle time.Duration) (string, bool) {
	var out []byte
	buf := make([]byte, 64*1024)
	for {
		conn.SetReadDeadline(time.Now().Add(idle))
		n, err := conn.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return string(out), false
			}
			return string(out), true
		}
	}
}

// protocolCases are raw inputs, each sent on a fresh connection, in
// pieces where there are several. Redis 7.0's answer to each is the
// expectation; the comments say what it is.
var protocolCases = []struct {
	name   string
	chunks []string
}{
	// replied, then closed
	{"lf header then cr", []string{"*1\n$4\r\nPING\r\n"}},
	{"lf header, cr later", []string{"*1\n", "\r\n"}},
	{"lf bulk header", []string{"*1\r\n$4\nPING\r\n"}},
	{"lf bulk header, cr later", []string{"*1\r\n$4\n", "\r\n"}},
	{"expected dollar", []string{"*1\r\nxyz\r\n"}},
	{"expected dollar cr", []string{"*1\r\n\r\n"}},
	{"expected dollar high byte", []string{"*1\r\n\xff\r\n"}},
	{"inline inside multibulk", []string{"*2\r\n$4\r\nECHO\r\nhello\r\n"}},
	{"count too big", []string{"*3000000000\r\n"}},
	{"count int max+1", []string{"*2147483648\r\n"}},
	{"count overflow", []string{"*99999999999999999999\r\n"}},
	{"count leading zero", []string{"*01\r\n"}},
	{"count space", []string{"* 1\r\n"}},
	{"count plus", []string{"*+1\r\n"}},
	{"count trailing space", []string{"*1 \r\n"}},
	{"count empty", []string{"*\r\n"}},
	{"count minus zero", []string{"*-0\r\n"}},
	{"count letters", []string{"*abc\r\n"}},
	{"bulk negative", []string{"*1\r\n$-1\r\n"}},
	{"bulk minus zero", []string{"*1\r\n$-0\r\n"}},
	{"bulk empty", []string{"*1\r\n$\r\n"}},
	{"bulk leading zero", []string{"*1\r\n$04\r\nPING\r\n"}},
	{"bulk over proto-max-bulk-len", []string{"*1\r\n$536870913\r\n"}},
	{"bulk over int64", []string{"*1\r\n$9999999999999999999\r\n"}},
	{"bulk letters", []string{"*2\r\n$4\r\nECHO\r\n$x\r\n"}},
	{"replies before the error", []string{"*1\r\n$4\r\nPING\r\nPING\r\n*x\r\nPING\r\n"}},
	{"unbalanced double", []string{"ECHO \"abc\r\n"}},
	{"unbalanced single", []string{"ECHO 'abc\r\n"}},
	{"escaped closing quote", []string{"ECHO \"a\\\"\r\n"}},
	{"closing quote then letter", []string{"ECHO \"a\"b\r\n"}},
	{"closing quote then quote", []string{"ECHO 'a'\"b\"\r\n"}},
	{"quote mid word then letter", []string{"ECHO a\"b c\"d\r\n"}},
	{"too big inline", []string{strings.Repeat("A", 64*1024+1)}},
	{"too big inline in pieces", []string{strings.Repeat("A", 40000), strings.Repeat("A", 40000)}},
	{"too big inline after nul", []string{"PING\x00" + strings.Repeat("A", 64*1024)}},
	{"too big mbulk count", []string{"*" + strings.Repeat("1", 64*1024+1)}},
	{"too big bulk count", []string{"*1\r\n$" + strings.Repeat("1", 64*1024+1)}},
	{"too big bulk count garbage", []string{"*1\r\n" + strings.Repeat("x", 64*1024+10)}},
	{"quit in pipeline", []string{"PING\r\nQUIT\r\nPING\r\n"}},

	// served
	{"inline ping", []string{"PING\r\n"}},
	{"inline lf only", []string{"PING\n"}},
	{"inline echo quoted", []string{"ECHO \"a b\"\n"}},
	{"inline escapes", []string{"ECHO \"a\\x41\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n"}},
	{"inline single quotes", []string{"ECHO 'a\\'b\\n'\r\n"}},
	{"inline short hex", []string{"ECHO \"\\x4\"\r\n"}},
	{"inline empty quotes", []string{"ECHO \"\"\r\nECHO ''\r\n"}},
	{"inline quote mid word", []string{"ECHO a\"b c\"\r\n"}},
	{"inline quote then vtab", []string{"ECHO \"a\"\x0bb\r\n"}},
	{"inline vtab inside word", []string{"PI\x0bNG\r\n"}},
	{"inline leading vtab", []string{"\x0bPING\r\n"}},
	{"inline formfeed", []string{"ECHO\x0c a\r\n"}},
	{"inline tab", []string{"ECHO a\tb\r\n"}},
	{"inline inner cr", []string{"ECHO a\rb\r\n"}},
	{"inline spaces", []string{"   PING   \r\n"}},
	{"inline cr cr", []string{"PING\r\r\n"}},
	{"blank lines", []string{"\r\n\n   \nPING\n"}},
	{"empty multibulk", []string{"*0\r\n*-1\r\n*-5\r\nPING\r\n"}},
	{"bytes after bulk unchecked", []string{"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n"}},
	{"byte after header cr unchecked", []string{"*1\rX$4\rYPING\r\n"}},
	{"nul in bulk", []string{"*1\r\n$4\r\n\x00ING\r\n"}},
	{"empty argument", []string{"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"}},
	{"byte by byte", []string{"*2\r", "\n$4", "\r\nEC", "HO\r\n$1\r", "\nx", "\r", "\n"}},
	{"long inline line at once", []string{"ECHO " + strings.Repeat("A", 60000) + "\r\n"}},

	// waiting for more
	{"lf header waits", []string{"*1\n"}},
	{"cr waits for next byte", []string{"*1\r"}},
	{"non-dollar waits for cr", []string{"*1\r\nx\n"}},
	{"bulk data short", []string{"*1\r\n$4\r\nPIN"}},
	{"bulk crlf missing", []string{"*1\r\n$4\r\nPING"}},
	{"max multibulk waits", []string{"*2147483647\r\n"}},
	{"max bulk waits", []string{"*1\r\n$536870912\r\n"}},
	{"nul hides header cr", []string{"*1\x00\r\n"}},
	{"nul hides inline newline", []string{"PING\x00\r\nPING\r\n"}},
	{"inline 64k waits", []string{strings.Repeat("A", 64*1024)}},
}

// TestProtocolDifferential sends each protocol case to respd and to the
// real redis-server and expects the same bytes back and the same fate
// for the connection (closed, or left open waiting for more).
func TestProtocolDifferential(t *testing.T) {
	oracle := servertest.RedisServer(t)
	in := servertest.Start(t)
	// A client connected before the malformed ones must be unaffected.
	bystander := in.Raw(t)
	if r := bystander.Do("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING: %q", r)
	}
	// Every case at once: most of the time is spent waiting to see that a
	// server stays quiet.
	type result struct {
		got, want outcome
		err       error
	}
	results := make([]result, len(protocolCases))
	var wg sync.WaitGroup
	for i, tc := range protocolCases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			r.got, r.want, r.err = diffExchange(in.Addr, oracle, tc.chunks)
		}()
	}
	wg.Wait()
	for i, tc := range protocolCases {
		t.Run(tc.name, func(t *testing.T) {
			r := results[i]
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.got != r.want {
				t.Errorf("respd: %.300q closed=%v\nredis: %.300q closed=%v", r.got.reply, r.got.closed, r.want.reply, r.want.closed)
			}
		})
	}
	if r := bystander.Do("ECHO", "still here"); r != "$10\r\nstill here\r\n" {
		t.Errorf("bystander after malformed clients: %q", r)
	}
	if r := in.Raw(t).Do("PING"); r != "+PONG\r\n" {
		t.Errorf("new client after malformed clients: %q", r)
	}
}

// TestProtocolErrorCloses checks respd on its own (no oracle needed): the
// error text, then the close, then other clients are still served.
func TestProtocolErrorCloses(t *testing.T) {
	in := servertest.Start(t)
	for req, want := range map[string]string{
		"*1\r\n$4\r\nPING\r\n*x\r\n":                 "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n",
		"*1\r\n$-1\r\n":                              "-ERR Protocol error: invalid bulk length\r\n",
		"*1\r\nxyz\r\n":                              "-ERR Protocol error: expected '$', got 'x'\r\n",
		"ECHO \"a\r\n":                               "-ERR Protocol error: unbalanced quotes in request\r\n",
		strings.Repeat("A", 70000):                   "-ERR Protocol error: too big inline request\r\n",
		"*" + strings.Repeat("1", 70000):             "-ERR Protocol error: too big mbulk count string\r\n",
		"*1\r\n$" + strings.Repeat("1", 70000):       "-ERR Protocol error: too big bulk count string\r\n",
		"*1\r\n$" + strconv.Itoa(512<<20+1) + "\r\n": "-ERR Protocol error: invalid bulk length\r\n",
	} {
		got, closed := exchange(t, in.Addr, patience, req)
		if got != want || !closed {
			t.Errorf("%.40q: got %q closed=%v, want %q and a close", req, got, closed, want)
		}
	}
	if r := in.Raw(t).Do("PING"); r != "+PONG\r\n" {
		t.Errorf("PING after protocol errors: %q", r)
	}
}

// TestProtoMaxBulkLen: the limit follows the configuration.
func TestProtoMaxBulkLen(t *testing.T) {
	in := servertest.Start(t, "--proto-max-bulk-len", "2mb")
	got, closed := exchange(t, in.Addr, patience, "*1\r\n$"+strconv.Itoa(2<<20+1)+"\r\n")
	if got != "-ERR Protocol error: invalid bulk length\r\n" || !closed {
		t.Errorf("over the limit: %q closed=%v", got, closed)
	}
	got, closed = exchange(t, in.Addr, quiet, "*1\r\n$"+strconv.Itoa(2<<20)+"\r\n")
	if got != "" || closed {
		t.Errorf("at the limit: %q closed=%v, want a wait", got, closed)
	}
}

// TestPipeline10000 sends 10,000 requests in one write and expects every
// reply, in order.
func TestPipeline10000(t *testing.T) {
	in := servertest.Start(t)
	c := in.Raw(t)
	c.Write(strings.Repeat("*1\r\n$4\r\nPING\r\n", 10000))
	for i := 0; i < 10000; i++ {
		if r := c.Read(); r != "+PONG\r\n" {
			t.Fatalf("reply %d: %q", i, r)
		}
	}
	// Order: each reply carries its request's number. Inline and
	// multibulk requests are mixed in the one write.
	var req strings.Builder
	for i := 0; i < 10000; i++ {
		if i%2 == 0 {
			req.WriteString(servertest.Encode("PING", strconv.Itoa(i)))
		} else {
			fmt.Fprintf(&req, "PING %d\r\n", i)
		}
	}
	c.Write(req.String())
	for i := 0; i < 10000; i++ {
		s := strconv.Itoa(i)
		if r, want := c.Read(), "$"+strconv.Itoa(len(s))+"\r\n"+s+"\r\n"; r != want {
			t.Fatalf("reply %d: %q, want %q", i, r, want)
		}
	}
}

// TestInlineCommands: the inline forms that redis-cli-less clients (telnet,
// nc) send.
func TestInlineCommands(t *testing.T) {
	in := servertest.Start(t)
	c := in.Raw(t)
	for _, step := range []struct{ req, want string }{
		{"PING\r\n", "+PONG\r\n"},
		{"ping\n", "+PONG\r\n"},
		{"ECHO \"a b\"\n", "$3\r\na b\r\n"},
		{"ECHO \"\\x41\\n\"\n", "$2\r\nA\n\r\n"},
		{"\r\nPING\r\n", "+PONG\r\n"},
	} {
		c.Write(step.req)
		if r := c.Read(); r != step.want {
			t.Errorf("%q: %q, want %q", step.req, r, step.want)
		}
	}
	got, closed := exchange(t, in.Addr, patience, "ECHO 'it''s'\r\n")
	if got != "-ERR Protocol error: unbalanced quotes in request\r\n" || !closed {
		t.Errorf("unbalanced: %q closed=%v", got, closed)
	}
}

// TestRedisCliPipe: redis-cli reading commands from a pipe.
func TestRedisCliPipe(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not found on PATH")
	}
	in := servertest.Start(t)
	_, port, _ := net.SplitHostPort(in.Addr)
	cmd := exec.Command(cli, "-h", "127.0.0.1", "-p", port)
	cmd.Stdin = strings.NewReader("ping\nping\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli: %v: %s", err, out)
	}
	if string(out) != "PONG\nPONG\n" {
		t.Errorf("redis-cli printed %q", out)
	}
}

// TestBigBulkSlow declares a 100 MB argument and sends it slowly. The
// server must wait for all of it while serving other clients, echo it back
// intact, and let go of the memory afterwards.
func TestBigBulkSlow(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 100 MB")
	}
	const size = 100 << 20
	in := servertest.Start(t)
	conn, err := net.Dial("tcp", in.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	other := in.Raw(t)

	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	// Read the reply concurrently: the server writes it while we may
	// still be reading, and a 100 MB reply does not fit in socket buffers.
	type result struct {
		n       int
		ok      bool
		err     error
		trailer string
	}
	done := make(chan result, 1)
	go func() {
		header := "$" + strconv.Itoa(size) + "\r\n"
		got := make([]byte, len(header))
		conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		if _, err := io.ReadFull(conn, got); err != nil || string(got) != header {
			done <- result{err: fmt.Errorf("header %q: %v", got, err)}
			return
		}
		buf := make([]byte, 1<<20)
		n, ok := 0, true
		for n < size {
			m, err := conn.Read(buf[:min(len(buf), size-n)])
			for i := 0; i < m; i++ {
				if buf[i] != pattern(n+i) {
					ok = false
				}
			}
			n += m
			if err != nil {
				done <- result{n: n, err: err}
				return
			}
		}
		tail := make([]byte, 2)
		_, err := io.ReadFull(conn, tail)
		done <- result{n: n, ok: ok, err: err, trailer: string(tail)}
	}()

	if _, err := conn.Write([]byte("*2\r\n$4\r\nECHO\r\n$" + strconv.Itoa(size) + "\r\n")); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 256<<10)
	for sent := 0; sent < size; sent += len(chunk) {
		for i := range chunk {
			chunk[i] = pattern(sent + i)
		}
		if _, err := conn.Write(chunk); err != nil {
			t.Fatal(err)
		}
		if sent%(10<<20) == 0 {
			// Slow down now and then; meanwhile the server serves others.
			time.Sleep(20 * time.Millisecond)
			if r := other.Do("PING"); r != "+PONG\r\n" {
				t.Fatalf("other client mid-transfer: %q", r)
			}
		}
	}
	if _, err := conn.Write([]byte("\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || r.n != size || !r.ok || r.trailer != "\r\n" {
			t.Fatalf("echo reply: %d bytes, intact=%v, trailer %q, err %v", r.n, r.ok, r.trailer, r.err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("no reply to the 100 MB ECHO")
	}
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	if r := readLike(conn, outcome{reply: "+PONG\r\n"}); r.reply != "+PONG\r\n" {
		t.Fatalf("PING after the big request: %q", r.reply)
	}

	// Growing the read buffer by doubling costs about 2x the request;
	// the reply about 1x. Copying per read would cost far more.
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("allocated %d MB to receive and echo 100 MB", (after.TotalAlloc-before.TotalAlloc)>>20)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 5*size {
		t.Errorf("allocated %d MB to receive and echo 100 MB", alloc>>20)
	}
	// And the connection's buffers shrink back once the request is done.
	chunk = nil
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if after.HeapAlloc > before.HeapAlloc+32<<20 {
		t.Errorf("heap still %d MB after the big request (was %d MB)", after.HeapAlloc>>20, before.HeapAlloc>>20)
	}
}

func pattern(i int) byte { return byte(i*7 + i>>8) }

// TestManyClientsAfterGarbage: clients sending garbage concurrently with
// well-behaved ones do not disturb them.
func TestManyClientsAfterGarbage(t *testing.T) {
	in := servertest.Start(t)
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", in.Addr)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer conn.Close()
			conn.Write([]byte("*1\r\n$-5\r\n"))
			if r, closed := readUntilClosed(conn, 5*time.Second); r != "-ERR Protocol error: invalid bulk length\r\n" || !closed {
				errs <- fmt.Sprintf("garbage client: %q closed=%v", r, closed)
			}
		}()
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", in.Addr)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer conn.Close()
			conn.Write(bytes.Repeat([]byte("PING\r\n"), 100))
			want := strings.Repeat("+PONG\r\n", 100)
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			got := make([]byte, len(want))
			if _, err := io.ReadFull(conn, got); err != nil || string(got) != want {
				errs <- fmt.Sprintf("good client: %v", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestQueryBufferLimit: an argument that outgrows client-query-buffer-limit
// closes the connection without a reply, in respd as in Redis; requests
// whose arguments are each under it are served, however large in total.
func TestQueryBufferLimit(t *testing.T) {
	bulk := func(n int) string { return "$" + strconv.Itoa(n) + "\r\n" + strings.Repeat("x", n) + "\r\n" }
	for name, addr := range map[string]string{
		"respd": servertest.Start(t, "--client-query-buffer-limit", "1mb").Addr,
		"redis": servertest.RedisServer(t, "--client-query-buffer-limit", "1mb"),
	} {
		for _, tc := range []struct {
			req, want string
			closed    bool
		}{
			{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n" + bulk(900<<10), "+OK\r\n", false},
			{"*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n" + bulk(600<<10) + bulk(600<<10), ":2\r\n", false},
			{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n" + bulk(1100<<10), "", true},
		} {
			idle := quiet // a served request: the reply, then silence
			if tc.closed {
				idle = patience
			}
			got, closed := exchange(t, addr, idle, tc.req)
			if got != tc.want || closed != tc.closed {
				t.Errorf("%s: %d-byte request: %q closed=%v, want %q closed=%v", name, len(tc.req), got, closed, tc.want, tc.closed)
			}
		}
	}
}
