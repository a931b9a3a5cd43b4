//go:build unix

package server

import (
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
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
	worst := 0
	for i := range rounds {
		// Let the reader park in the netpoller first.
		deadline := time.Now().Add(10 * time.Second)
		for runtime.Gosched(); time.Now().Before(deadline); runtime.Gosched() {
			if served.Load() == int64(i) {
				break
			}
		}
		if _, err := client.Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
		// Busy from here on: only yields give the processor away.
		yields := 0
		for served.Load() != int64(i+1) {
			if yields == 1000 {
				t.Fatalf("round %d: the reader did not run in %d yields", i, yields)
			}
			y.yield()
			yields++
		}
		worst = max(worst, yields)
	}
	t.Logf("the reader ran within %d yields", worst)
	// Loopback delivers the byte before Write returns, so one yield is
	// normally enough; a few allow for a descheduled thread.
	if worst > 3 {
		t.Errorf("the reader needed up to %d yields to run, want at most 3", worst)
	}
}
