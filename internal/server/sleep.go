package server

import (
	"sync/atomic"
	"time"
)

// Sleeping idle connections.
//
// A connection's goroutine is the largest part of what an idle client
// costs: its stack (2 KB at least) and read buffer (16 KB), where Redis
// keeps a few hundred bytes per client. So a plain socket client with
// nothing in flight gives its goroutine up: the socket is registered
// with a process-wide readiness poller (sleep_linux.go) and the goroutine
// returns its buffer and exits. A new connection starts that way. What
// wakes it starts a new goroutine running serve again:
//
//   - input arriving (or the peer closing), through the poller;
//   - a poke or a parked command's deadline: every engine-side wake-up
//     goes through the socket's SetReadDeadline, which sockConn
//     intercepts, so a sleeper cannot miss one;
//   - Close (CLIENT KILL, timeouts, shutdown): the new goroutine finds
//     the socket closed and runs the usual cleanup.
//
// The waker that moves the state from asleep to awake is the only one
// that starts the goroutine, so there is never more than one.
//
// A client that was busy goes back to sleep once it has been idle for
// a while: its first batch arms a read deadline sleepAfter away, and
// when that deadline passes (poked) the goroutine goes to sleep if
// nothing was read since, nothing is queued for it, it is not parked
// and its buffer holds no partial request; otherwise it re-arms the
// deadline. All of it happens under the engine lock, where pokes move
// the same deadline, so neither loses the other. A busy client pays one
// timer wake-up per sleepAfter, and no syscall per request.
//
// TLS clients never sleep (the TLS layer may hold decrypted input of its
// own), nor do replicas and the master link, which have goroutines of
// their own kinds.

// The states of a connection's goroutine. Between deciding to sleep and
// being registered with the poller a client is falling asleep: a waker
// then only marks it woken, and the goroutine stays.
const (
	awake int32 = iota
	asleep
	falling
	woken
)

// sleepAfter is how long a client must have been idle (at least; at
// most twice that) before its goroutine goes to sleep. A variable for
// tests.
var sleepAfter = 2 * time.Second

// sleepState is a sockConn's part of the sleeping mechanism.
type sleepState struct {
	state atomic.Int32
	// token names the socket to the poller, 0 until first registered;
	// armed is whether the poller knows the descriptor. Both are owned
	// by the goroutine running the client (handed over with state).
	// (armed sits beside state, where it takes no room.)
	armed bool
	token uint64
	// client is the one to run again when woken; nil: never sleeps.
	client *client
}

// wake starts the client's goroutine if it sleeps; a no-op otherwise.
func (sc *sockConn) wake() {
	for {
		switch sc.state.Load() {
		case asleep:
			if sc.state.CompareAndSwap(asleep, awake) {
				go sc.client.serve()
				return
			}
		case falling:
			if sc.state.CompareAndSwap(falling, woken) {
				return
			}
		default:
			return
		}
	}
}

// sleep puts the connection to sleep. It reports whether it did, and
// then the calling goroutine must exit at once, touching the client no
// more; false (not possible, or woken meanwhile) means it goes on.
func (sc *sockConn) sleep() bool {
	if sc.raw == nil || sc.client == nil {
		return false
	}
	sc.state.Store(falling)
	if armSleeper(sc) && sc.state.CompareAndSwap(falling, asleep) {
		return true
	}
	// An event for a registration left armed finds the client awake
	// and is dropped; the next sleep re-arms it.
	sc.state.Store(awake)
	return false
}

// SetReadDeadline wakes a sleeping client for every deadline the engine
// sets (pokes, parked commands), so that its goroutine sees it.
func (sc *sockConn) SetReadDeadline(t time.Time) error {
	err := sc.Conn.SetReadDeadline(t)
	if !t.IsZero() {
		sc.wake()
	}
	return err
}

// Close ends the connection and wakes a sleeping client so that its
// goroutine cleans up. A client's goroutine may be inside its read
// callback (rawReader) waiting for the engine lock that the closer
// holds, and net.Conn.Close waits for such a callback to return. So a
// client's socket is only shut down here, which tells the peer at once
// and fails the goroutine's next read or write; the goroutine closes the
// descriptor itself on its way out (closeConn).
func (sc *sockConn) Close() error {
	var err error
	if sc.client != nil && sc.raw != nil {
		err = shutdownSock(sc.raw)
	} else {
		err = sc.Conn.Close()
	}
	sc.wake()
	return err
}
