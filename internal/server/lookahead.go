package server

import (
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// lookahead prefetches the keys of the requests queued behind the one
// about to run, so that the cache misses of a pipeline's lookups overlap
// instead of following one another: two requests ahead it starts
// loading the key's bucket, one ahead (the bucket being in the cache by
// then) the bucket's first record. It reads the requests with
// resp.PeekKey and only hints the CPU, so a request it misreads, or a
// command whose first argument is no key, costs a wasted load and
// nothing else. A batch whose next request names the same key as the
// current one (a pipeline on one hot key, already in the cache) turns it
// off for the rest of the batch, and so does a database of fewer than
// lookaheadMinKeys keys, whose table likely fits in the CPU's caches:
// there the lookups hardly miss and the prefetching would only add work
// (at 100,000 keys it measured no better, at 3,000,000 it took 13% off
// the CPU time of a GET or SET at -P 16).
type lookahead struct {
	// at is where in the batch's buffer the request whose bucket was
	// prefetched starts (-1 if none), size its length and h its key's
	// hash.
	at, size int
	h        uint64
	off      bool
}

// lookaheadMinKeys is the size of a database from which lookahead runs.
const lookaheadMinKeys = 1 << 18

// newLookahead returns the lookahead for a batch on db.
func newLookahead(db *keyspace.DB) lookahead {
	return lookahead{at: -1, off: db.Len() < lookaheadMinKeys}
}

// step prefetches for the requests at buf[pos:], the ones after the
// request about to run, whose arguments are args. The caller skips it
// once off is set.
func (l *lookahead) step(db *keyspace.DB, buf []byte, pos int, args [][]byte) {
	next := pos
	if l.at == pos {
		db.PrefetchRecord(l.h)
		next += l.size
	} else {
		key, size, ok := resp.PeekKey(buf[pos:])
		if !ok {
			l.at = -1
			return
		}
		if len(args) > 1 && string(key) == string(args[1]) {
			l.off = true
			return
		}
		db.PrefetchBucket(key)
		next += size
	}
	key, size, ok := resp.PeekKey(buf[next:])
	if !ok {
		l.at = -1
		return
	}
	l.at, l.size, l.h = next, size, db.PrefetchBucket(key)
}
