package server

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); peer.Close() })
	return conn, peer
}

// TestSockConnAsync: async writes to a peer that does not read return at
// once, count what the kernel has not taken, and once the peer reads
// arrive complete and in order, with a blocking write after them (the
// mode switched back) still in order.
func TestSockConnAsync(t *testing.T) {
	conn, peer := tcpPair(t)
	sc := newSockConn(conn)
	if sc.raw == nil {
		t.Skip("no non-blocking writes on this platform")
	}
	sc.async.Store(true)
	var want bytes.Buffer
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KB
	start := time.Now()
	for i := 0; i < 200; i++ { // 12.5 MB, more than the socket buffers
		b := append([]byte(fmt.Sprintf("<%d>", i)), chunk...)
		want.Write(b)
		if n, err := sc.Write(b); n != len(b) || err != nil {
			t.Fatalf("write %d: %d %v", i, n, err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("async writes took %v", d)
	}
	if sc.unsent.Load() == 0 || !sc.busy.Load() {
		t.Fatalf("nothing queued (unsent %d) though the peer reads nothing", sc.unsent.Load())
	}
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(peer)
		got <- b
	}()
	sc.async.Store(false)
	tail := []byte("<blocking write>")
	want.Write(tail)
	if _, err := sc.Write(tail); err != nil {
		t.Fatal(err)
	}
	sc.drain()
	if n := sc.unsent.Load(); n != 0 {
		t.Fatalf("unsent %d after drain", n)
	}
	conn.Close()
	if b := <-got; !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("the peer got %d bytes, want %d (or out of order)", len(b), want.Len())
	}
}

// TestSockConnClosed: closing the socket ends the flusher, frees the
// queue and fails later writes.
func TestSockConnClosed(t *testing.T) {
	conn, _ := tcpPair(t)
	sc := newSockConn(conn)
	if sc.raw == nil {
		t.Skip("no non-blocking writes on this platform")
	}
	sc.async.Store(true)
	chunk := make([]byte, 1<<20)
	for sc.unsent.Load() == 0 {
		if _, err := sc.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	sc.Close()
	sc.drain()
	if n := sc.unsent.Load(); n != 0 {
		t.Fatalf("unsent %d after close", n)
	}
	if _, err := sc.Write(chunk); err == nil {
		t.Fatal("write after close succeeded")
	}
}

// TestSockConnBlockingWrite: a blocking write larger than the socket
// buffers waits for the peer to read (the raw write's EAGAIN makes it
// wait in the poller) and delivers every byte in order; with the write
// deadline passed and the peer not reading, it fails instead of waiting.
func TestSockConnBlockingWrite(t *testing.T) {
	conn, peer := tcpPair(t)
	sc := newSockConn(conn)
	b := make([]byte, 12<<20)
	for i := range b {
		b[i] = byte(i * 7)
	}
	got := make(chan []byte)
	go func() {
		time.Sleep(50 * time.Millisecond) // let the writer fill the buffers
		data, _ := io.ReadAll(io.LimitReader(peer, int64(len(b))))
		got <- data
	}()
	if n, err := sc.Write(b); n != len(b) || err != nil {
		t.Fatalf("write: %d of %d, %v", n, len(b), err)
	}
	if data := <-got; !bytes.Equal(data, b) {
		t.Fatalf("peer read %d bytes, not what was written", len(data))
	}

	// A fresh connection: the first one's buffers grew while its peer
	// read, up to tcp_rmem's maximum, which may hold all of b.
	conn, _ = tcpPair(t)
	sc = newSockConn(conn)
	conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := sc.Write(b); err == nil || n == len(b) {
		t.Fatalf("write past the deadline to a peer not reading: %d of %d, %v", n, len(b), err)
	}
}

// TestSockConnWriteAllocs: a reply written to a plain socket allocates
// nothing, blocking or not (garbage per batch made GETs stall near GC
// cycles).
func TestSockConnWriteAllocs(t *testing.T) {
	conn, peer := tcpPair(t)
	go io.Copy(io.Discard, peer)
	sc := newSockConn(conn)
	reply := []byte("+OK\r\n")
	for _, async := range []bool{false, true} {
		sc.async.Store(async)
		if n := testing.AllocsPerRun(1000, func() {
			if _, err := sc.Write(reply); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("async %v: %v allocations per write, want 0", async, n)
		}
	}
}
