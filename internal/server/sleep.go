package server

import (
	"sync/atomic"
	"time"
)

// Sleeping idle connections.
//
// A connection's goroutine is the largest part of what an idle client
// costs: its stack (2 KB at least) and read buffer (16 KB), where Redis
// keeps a few hundred bytes per client. So a plain socket client that
// needs nothing but requests and replies has no goroutine: it sleeps,
// and the server's event loop serves it (loop_linux.go). A new
// connection starts that way. What wakes it starts a goroutine running
// serve:
//
//   - anything the loop does not serve (a blocking command, a
//     subscription, a script; the loop's doc lists them);
//   - a poke or a parked command's deadline: every engine-side wake-up
//     goes through the socket's SetReadDeadline, which sockConn
//     intercepts, so a sleeper cannot miss one;
//   - Close (CLIENT KILL, timeouts, shutdown): the goroutine finds the
//     socket shut down and runs the usual cleanup.
//
// The loop is the only one that moves a client from asleep to awake,
// so there is never more than one goroutine.
//
// A client that was woken goes back to sleep once it has been idle for
// a while: its first batch arms a read deadline sleepAfter away, and
// when that deadline passes (poked) the goroutine goes to sleep if
// nothing was read since, nothing is queued for it, it is not parked
// and its buffer holds no partial request; otherwise it re-arms the
// deadline. All of it happens under the engine lock, where pokes move
// the same deadline, so neither loses the other. A woken client pays one
// timer wake-up per sleepAfter, and no syscall per request.
//
// TLS clients never sleep (the TLS layer may hold decrypted input of its
// own), nor do replicas and the master link, which have goroutines of
// their own kinds. Outside Linux there is no loop, and no client sleeps.

// The states of a connection's goroutine. Between deciding to sleep and
// being handed to the loop a client is falling asleep: a waker then only
// marks it woken, and the goroutine stays.
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
	// handBack: the batch the loop just ran needs the client's
	// goroutine, to start as it says (handRun, handPoke); set by
	// process, read by the loop.
	handBack uint8
	// shut: Close was called; wakeQueued: the loop has the client in its
	// queue of those to wake.
	shut, wakeQueued atomic.Bool
	// lfd is the loop's duplicate of the descriptor while asleep.
	lfd int32
	// client is the one to run again when woken; nil: never sleeps.
	client *client
}

// wake has the loop start the client's goroutine if it sleeps; a no-op
// otherwise.
func (sc *sockConn) wake() {
	for {
		switch sc.state.Load() {
		case asleep:
			sc.client.s.loop.wake(sc)
			return
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
	l := sc.client.s.loop
	sc.state.Store(falling)
	fd := l.grab(sc)
	if fd >= 0 && l.adopt(sc, fd) {
		return true
	}
	l.drop(fd)
	sc.state.Store(awake)
	return false
}

// SetReadDeadline wakes a sleeping client for every deadline the engine
// sets (pokes, parked commands), so that its goroutine sees it.
func (sc *sockConn) SetReadDeadline(t time.Time) error {
	if sc.state.Load() == asleep {
		// The loop's client: the conn is not in use, and the goroutine
		// starts with a deadline of its own.
		sc.wake()
		return nil
	}
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
// descriptor itself on its way out (closeConn). A sleeping client's
// socket is shut down by the loop as it wakes the client: shut is set
// before the state is read, and the loop reads shut after it changed
// the state, so one of the two shuts the socket down.
func (sc *sockConn) Close() error {
	if sc.client != nil {
		sc.shut.Store(true)
		if sc.state.Load() == asleep {
			sc.wake()
			return nil
		}
	}
	if sc.client == nil || sc.raw == nil {
		return sc.Conn.Close()
	}
	err := shutdownSock(sc.raw)
	sc.wake()
	return err
}

// handoff is what a client's new goroutine takes over from the event
// loop (loop_linux.go).
type handoff struct {
	in  input
	out []byte
	// how the goroutine goes on once out is written.
	how uint8
}

// How a client's goroutine starts when the loop gives it back.
const (
	// handRun: it runs the complete requests it holds (a script's,
	// say) and reads on.
	handRun uint8 = 1 + iota
	// handPoke: it starts by looking at what it was woken for (poked):
	// a deadline the engine set, replies queued for it, a parked
	// command.
	handPoke
	// handClose: the replies end the connection.
	handClose
)
