//go:build unix

package server

import (
	"net"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
)

// TestNetYieldRunsReadiedClients checks what the snapshot writer relies
// on: on one P, a goroutine that never blocks but calls yield lets a
// goroutine whose socket has become readable run within a yield or two.
// runtime.Gosched would not: nothing polls the network while a goroutine
// is runnable, except the runtime's monitor every 10 ms.
func TestNetYieldRunsReadiedClients(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	y := newNetYielder()
	if y == nil {
		t.Fatal("no pipe for the yielder")
	}
	defer y.close()

	const rounds = 50
	var served atomic.Int64
	go func() {
		buf := make([]byte, 1)
		for {
			if _, err := server.Read(buf); err != nil {
				return
			}
			served.Add(1)
		}
	}()
	counts := make([]int, rounds)
	for i := range rounds {
		if _, err := client.Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
		// Busy from here on: only yields give the processor away.
		for served.Load() != int64(i+1) {
			if counts[i] == 10_000_000 {
				t.Fatalf("round %d: the reader did not run in %d yields", i, counts[i])
			}
			y.yield()
			counts[i]++
		}
	}
	// Loopback has the byte queued when Write returns, so one yield
	// normally does; the median allows for a loaded machine's delays.
	// Plain Gosched calls would need about 10 ms worth of them each
	// round, until the runtime's monitor polls the network.
	slices.Sort(counts)
	t.Logf("yields needed per round: median %d, most %d", counts[rounds/2], counts[rounds-1])
	if counts[rounds/2] > 2 {
		t.Errorf("the reader needed a median of %d yields to run, want at most 2", counts[rounds/2])
	}
}
