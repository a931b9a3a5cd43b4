package server

import (
	"bytes"
	"errors"
	"sync"
)

// syncFeed carries one snapshot's RDB bytes from the goroutine encoding
// it to every replica sharing the full sync, each reading at its own
// pace on its own goroutine. Chunks every reader has passed are
// released, and the producer waits while the slowest reader is too far
// behind, so the payload is not held whole in memory for a slow replica.
type syncFeed struct {
	mu      sync.Mutex
	cond    sync.Cond
	chunks  [][]byte // chunks[i] is chunk first+i
	first   int
	done    bool  // the producer finished
	err     error // why it failed, if it did
	readers []*syncReader
}

// syncReader is one replica's position in a feed.
type syncReader struct {
	feed *syncFeed
	next int
	gone bool
}

// feedWindow is how many chunks the producer may run ahead of the
// slowest reader.
const feedWindow = 64

var errFeedAbandoned = errors.New("no replica left to receive the snapshot")

func newSyncFeed() *syncFeed {
	f := &syncFeed{}
	f.cond.L = &f.mu
	return f
}

// join adds a reader starting at the first chunk; only before any chunk
// was released.
func (f *syncFeed) join() *syncReader {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := &syncReader{feed: f}
	f.readers = append(f.readers, r)
	return r
}

// leave removes r; the producer gives up when nobody is left.
func (f *syncFeed) leave(r *syncReader) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.gone {
		return
	}
	r.gone = true
	for i, x := range f.readers {
		if x == r {
			f.readers = append(f.readers[:i:i], f.readers[i+1:]...)
			break
		}
	}
	f.release()
	f.cond.Broadcast()
}

// release drops the chunks every reader has passed. f.mu held.
func (f *syncFeed) release() {
	low := f.first + len(f.chunks)
	for _, r := range f.readers {
		low = min(low, r.next)
	}
	if n := low - f.first; n > 0 {
		clear(f.chunks[:n])
		f.chunks = f.chunks[n:]
		f.first = low
	}
}

// Write is the producer's side: it appends a chunk (which it must not
// reuse), waiting while the slowest reader lags by feedWindow chunks.
func (f *syncFeed) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.readers) > 0 && len(f.chunks) >= feedWindow {
		f.cond.Wait()
	}
	if len(f.readers) == 0 {
		return 0, errFeedAbandoned
	}
	// The chunk outlives the call (the producer's encoder reuses b), so
	// the feed keeps a copy.
	f.chunks = append(f.chunks, bytes.Clone(b))
	f.cond.Broadcast()
	return len(b), nil
}

// finish ends the feed, with the producer's error if any.
func (f *syncFeed) finish(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done, f.err = true, err
	f.cond.Broadcast()
}

// read returns r's next chunk, waiting for it; nil at the end of a
// complete payload, an error if the producer failed.
func (f *syncFeed) read(r *syncReader) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		if r.gone {
			return nil, errFeedAbandoned
		}
		if r.next < f.first+len(f.chunks) {
			b := f.chunks[r.next-f.first]
			r.next++
			f.release()
			f.cond.Broadcast()
			return b, nil
		}
		if f.done {
			return nil, f.err
		}
		f.cond.Wait()
	}
}
