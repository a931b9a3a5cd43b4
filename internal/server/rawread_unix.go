//go:build unix

package server

import (
	"errors"
	"io"
	"syscall"
)

// rawReader serves a plain socket without Go's blocking Read, so that
// the goroutine can give its buffer back while it waits, and so that a
// request answered in full costs one read, as in an event loop, not a
// second one that finds nothing.
//
// Go keeps sockets non-blocking and registers them edge-triggered with
// its netpoller. One RawConn.Read call first clears the netpoller's
// record of readiness, then calls the callback, and whenever that
// returns false parks the goroutine until the socket is readable (a
// record set by input arriving since the clear or since the last
// wake-up) and calls it again. serve runs the whole read-and-answer
// cycle inside one such call: the callback reads, runs the requests and
// writes the replies, and then waits without reading again when its
// read came back short of the space it offered. A short read took
// everything the socket held, and whatever arrives after it marks the
// socket readable, so nothing can be missed. A new call must read before
// waiting, though: input that arrived between calls set a record the
// call has just cleared.
//
// It honours the read deadline as conn.Read does (pokes, parked
// commands, the sleep deadline) and fails once the socket is closed.
type rawReader struct {
	rc syscall.RawConn
	// fn is made once per goroutine run, so that the calls through the
	// RawConn interface do not allocate each time.
	fn func(uintptr) bool
	to inputSink
	// closing: the sink asked for the connection to close; err: the read
	// failed (io.EOF: the peer closed).
	closing bool
	err     error
}

// inputSink is what a rawReader feeds; input is the one outside tests.
type inputSink interface {
	// space returns the slice to read into next.
	space() []byte
	// got takes r bytes read into it; false closes the connection.
	got(r int) bool
	// idle is called before each wait.
	idle()
}

// newRawReader returns c's raw reader, nil for a client that is not on
// a plain socket (TLS: the TLS layer reads).
func newRawReader(c *client) *rawReader {
	if c.sock == nil || c.sock.client == nil || c.sock.raw == nil {
		return nil
	}
	return newRawReaderOn(c.sock.raw)
}

func newRawReaderOn(rc syscall.RawConn) *rawReader {
	rr := &rawReader{rc: rc}
	rr.fn = rr.step
	return rr
}

// step is the RawConn callback: true ends the call.
func (rr *rawReader) step(fd uintptr) bool {
	for {
		b := rr.to.space()
		var r int
		var err error
		for {
			r, err = sockRead(fd, b)
			if !errors.Is(err, syscall.EINTR) {
				break
			}
		}
		switch {
		case errors.Is(err, syscall.EAGAIN):
			rr.to.idle()
			return false
		case err != nil:
			rr.err = err
			return true
		case r == 0:
			rr.err = io.EOF
			return true
		}
		if !rr.to.got(r) {
			rr.closing = true
			return true
		}
		if r < len(b) {
			// Drained: wait for more (see the type's doc).
			rr.to.idle()
			return false
		}
	}
}

// serve reads into to and has it run what arrives until the sink asks
// to close the connection (closing), or the read fails or times out
// (err; io.EOF is the peer closing).
func (rr *rawReader) serve(to inputSink) (closing bool, err error) {
	rr.to, rr.closing, rr.err = to, false, nil
	err = rr.rc.Read(rr.fn)
	rr.to = nil
	if err == nil {
		err = rr.err
	}
	return rr.closing, err
}
