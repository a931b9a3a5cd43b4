package server

import "sync"

// input is a connection goroutine's unparsed input: buf[:n], which always
// starts at a request (the parser keeps no partial state). A pooled buf
// is held only while input flows: between requests a plain socket's
// goroutine waits without one (idle), so that a client between requests
// costs no buffer and the pool's buffers go to whichever clients are
// talking.
type input struct {
	c   *client
	buf []byte
	n   int
}

// readBufs holds the idle read buffers of readBufSize.
var readBufs = sync.Pool{New: func() any { return new([readBufSize]byte) }}

func getReadBuf() []byte { return readBufs.Get().(*[readBufSize]byte)[:] }

// putReadBuf recycles buf if it is a pooled one.
func putReadBuf(buf []byte) {
	if len(buf) == readBufSize {
		readBufs.Put((*[readBufSize]byte)(buf))
	}
}

// space returns where the next read goes, taking or growing the buffer
// as needed. It reads readBufSize at a time, as Redis does, so that the
// InlineMax limits trip at the same points; but a big bulk's data it
// reads straight to its end.
func (in *input) space() []byte {
	need := in.c.parser.Need()
	want := max(readBufSize, need-in.n)
	if in.buf == nil {
		in.buf = getReadBuf()
	}
	if len(in.buf)-in.n < readBufSize && !(need > in.n && need <= len(in.buf)) {
		old := in.buf
		in.buf = growReadBuf(in.buf, in.n, need)
		putReadBuf(old)
	}
	return in.buf[in.n:min(len(in.buf), in.n+want)]
}

// got takes the r bytes just read into space's slice: it runs every
// complete request and writes the replies. It returns false when the
// connection must close.
func (in *input) got(r int) bool {
	c := in.c
	if !in.add(r) {
		return false
	}
	if c.parser.Need() > in.n {
		// Still inside a bulk: nothing to parse, no lock to take.
		return true
	}
	if !c.run(in) {
		return false
	}
	if len(in.buf) > keepReadBuf && in.n < readBufSize && c.parser.Need() < readBufSize {
		nb := getReadBuf()
		copy(nb, in.buf[:in.n])
		in.buf = nb
		// The arguments kept for reuse still point into the old buffer
		// and would keep it alive.
		clear(c.args[:cap(c.args)])
	}
	return true
}

// add counts the r bytes just read into space's slice as input. It
// returns false when the argument being read has grown past
// client-query-buffer-limit: Redis closes such a connection without a
// reply.
func (in *input) add(r int) bool {
	c := in.c
	s := c.s
	s.stats.netIn.Add(int64(r))
	in.n += r
	c.reads++
	at := c.parser.BulkStart()
	return at < 0 || int64(in.n-at) <= s.queryLimit.Load()
}

// idle is called before the goroutine waits for input: the buffer goes
// back to the pool if it holds nothing. A grown one stays for the next
// big request rather than becoming garbage after each (a client sending
// 64 KB values would otherwise double what the collector has to take);
// got bounds it, and the goroutine drops it when the client sleeps.
func (in *input) idle() {
	if in.n == 0 && !in.c.parser.Pending() && len(in.buf) == readBufSize {
		putReadBuf(in.buf)
		in.buf = nil
	}
}

// growReadBuf returns a bigger buffer holding buf[:n]. It at least doubles
// so a request arriving slowly is copied O(1) times per byte, and when the
// request's length is known (need) it stops there instead of overshooting;
// it never allocates a whole declared bulk before its bytes arrive.
func growReadBuf(buf []byte, n, need int) []byte {
	size := max(2*len(buf), n+readBufSize)
	if need > n+readBufSize {
		size = min(size, need)
	}
	nb := make([]byte, size)
	copy(nb, buf[:n])
	return nb
}
