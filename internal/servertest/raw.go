package servertest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Conn is a raw RESP connection for byte-exact assertions.
type Conn struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// Dial opens a raw connection to addr, closed when the test ends.
func Dial(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &Conn{t: t, conn: c, r: bufio.NewReader(c)}
}

// Write sends bytes as they are.
func (c *Conn) Write(b string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(b)); err != nil {
		c.t.Fatal(err)
	}
}

// Do sends args as a multibulk request and returns the raw reply.
func (c *Conn) Do(args ...string) string {
	c.t.Helper()
	c.Write(Encode(args...))
	return c.Read()
}

// Read returns the next whole reply's raw bytes; it fails the test after
// 10 seconds without one.
func (c *Conn) Read() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := ReadReply(c.r)
	if err != nil {
		c.t.Fatalf("reading reply: %v (got %q)", err, b)
	}
	return string(b)
}

// ReadErr is Read that returns the error instead of failing, for tests
// that expect the server to close the connection.
func (c *Conn) ReadErr(timeout time.Duration) (string, error) {
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	b, err := ReadReply(c.r)
	return string(b), err
}

// Close closes the connection.
func (c *Conn) Close() { c.conn.Close() }

// Encode renders args as a RESP multibulk request.
func Encode(args ...string) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// ReadReply reads one RESP2 or RESP3 reply and returns its bytes.
func ReadReply(r *bufio.Reader) ([]byte, error) {
	var out []byte
	err := readValue(r, &out)
	return out, err
}

func readLine(r *bufio.Reader, out *[]byte) (string, error) {
	line, err := r.ReadBytes('\n')
	*out = append(*out, line...)
	if err != nil {
		return "", err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return "", fmt.Errorf("malformed line %q", line)
	}
	return string(line[1 : len(line)-2]), nil
}

func readValue(r *bufio.Reader, out *[]byte) error {
	kind, err := r.ReadByte()
	if err != nil {
		return err
	}
	r.UnreadByte()
	line, err := readLine(r, out)
	if err != nil {
		return err
	}
	switch kind {
	case '+', '-', ':', '_', '#', ',', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.Atoi(line)
		if err != nil {
			return err
		}
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		*out = append(*out, buf...)
		return nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(line)
		if err != nil {
			return err
		}
		if kind == '%' || kind == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readValue(r, out); err != nil {
				return err
			}
		}
		if kind == '|' {
			return readValue(r, out)
		}
		return nil
	}
	return fmt.Errorf("unknown reply type %q", kind)
}

// WaitBlocked polls INFO clients on this connection until exactly n
// clients are parked by blocking commands, so a test knows the order in
// which its clients blocked. It fails the test after 5 seconds.
func (c *Conn) WaitBlocked(n int) {
	c.t.Helper()
	want := "blocked_clients:" + strconv.Itoa(n) + "\r\n"
	deadline := time.Now().Add(5 * time.Second)
	for {
		info := c.Do("INFO", "clients")
		if strings.Contains(info, want) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("never saw %d blocked clients; last INFO: %q", n, info)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
