package server

import (
	"github.com/respd/respd/internal/ds/dict"
	"github.com/respd/respd/internal/ds/hash"
	"github.com/respd/respd/internal/ds/set"
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
// nothing else. A database of fewer than lookaheadMinKeys keys, whose
// table likely fits in the CPU's caches, is not looked ahead in: there
// the lookups hardly miss and the prefetching would only add work (at
// 100,000 keys it measured no better, at 3,000,000 it took 13% off the
// CPU time of a GET or SET at -P 16).
//
// A batch whose next request names the same key as the current one (a
// pipeline on one hot key, already in the cache) turns the key
// prefetching off for the rest of the batch. If that key holds a big set
// or hash, lookahead prefetches the members the requests name instead
// (members, below); that is also the only lookahead a small database
// gets.
type lookahead struct {
	// at is where in the batch's buffer the request whose bucket was
	// prefetched starts (-1 if none), size its length and h its key's
	// hash.
	at, size int
	h        uint64
	// small: the database is too small for the key prefetching, and
	// the first step only checks for a pipeline on one collection.
	small bool
	off   bool
	// members is in use when its dict is set.
	members memberAhead
}

// lookaheadMinKeys is the size of a database from which lookahead runs.
const lookaheadMinKeys = 1 << 18

// newLookahead returns the lookahead for a batch on db.
func newLookahead(db *keyspace.DB) lookahead {
	return lookahead{at: -1, small: db.Len() < lookaheadMinKeys}
}

// step prefetches for the requests at buf[pos:], the ones after the
// request about to run, whose arguments are args. The caller skips it
// once off is set.
func (l *lookahead) step(db *keyspace.DB, buf []byte, pos int, args [][]byte) {
	if l.members.d != nil {
		l.members.step(buf, pos)
		return
	}
	if l.small {
		key, _, ok := resp.PeekKey(buf[pos:])
		if !ok || len(args) < 2 || string(key) != string(args[1]) {
			l.off = true
			return
		}
		l.onOneKey(db, args[0], key, buf, pos)
		return
	}
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
			l.onOneKey(db, args[0], key, buf, pos)
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

// onOneKey switches to prefetching members when the pipeline's key holds
// a big enough set or hash, and turns lookahead off otherwise. Only a
// command whose name starts as a set's or a hash's do (S..., H...) has
// the key looked up for that: a pipeline of LPUSH or INCR on one key
// goes without the lookup.
func (l *lookahead) onOneKey(db *keyspace.DB, name, key, buf []byte, pos int) {
	if len(name) == 0 || name[0]|0x20 != 's' && name[0]|0x20 != 'h' || !l.members.start(db, key, pos) {
		l.off = true
		return
	}
	l.members.step(buf, pos)
}

// memberAheadMin is the size of a collection from which its members are
// prefetched: its dict no longer fits in the CPU's caches.
const memberAheadMin = 1 << 15

// memberAhead prefetches the members named by a pipeline of requests on
// one big set or hash (SADD, SISMEMBER, HSET, HGET...: the third
// argument), so that the three cache misses of each member's search
// overlap with the requests before it (see package dict): it starts
// loading a member's bucket three requests ahead, the bucket's first
// element two ahead and that element's key one ahead. Like lookahead it
// only hints the CPU: a request whose third argument is no member, or
// one the running commands change the collection under, costs wasted
// loads. It stops peeking at the first request that names another key
// or cannot be peeked at.
type memberAhead struct {
	d   dict.Prober
	key []byte
	// q holds the requests after the running one that are being
	// prefetched, nearest first (n of them); next is where the request
	// after them starts, -1 once the peeking stopped.
	q    [3]aheadMember
	n    int
	next int
}

// aheadMember is one request of memberAhead's queue: where it starts in
// the batch's buffer and its member's hash.
type aheadMember struct {
	at int
	h  uint64
}

// start readies m for a pipeline on key whose requests from pos on are
// to be prefetched, if key holds a set or hash of at least
// memberAheadMin members in a dict; it reports whether it did.
func (m *memberAhead) start(db *keyspace.DB, key []byte, pos int) bool {
	var d dict.Prober
	switch v := db.HeapValue(key).(type) {
	case *set.Set:
		d = v.Prober()
	case *hash.Hash:
		d = v.Prober()
	}
	if d == nil || d.Len() < memberAheadMin {
		return false
	}
	*m = memberAhead{d: d, key: key, next: pos}
	return true
}

// step prefetches for the requests at buf[pos:], the ones after the
// request about to run.
func (m *memberAhead) step(buf []byte, pos int) {
	for m.n > 0 && m.q[0].at < pos {
		m.q[0], m.q[1] = m.q[1], m.q[2]
		m.n--
	}
	if m.n > 0 && m.q[0].at != pos {
		// The requests were not what was peeked: start over here.
		m.n, m.next = 0, pos
	}
	if m.n > 0 {
		m.d.PrefetchKey(m.q[0].h)
	}
	if m.n > 1 {
		m.d.PrefetchElement(m.q[1].h)
	}
	for m.n < len(m.q) && m.next >= 0 {
		key, member, size, ok := resp.PeekMember(buf[m.next:])
		if !ok || string(key) != string(m.key) {
			m.next = -1
			return
		}
		h := m.d.Hash(member)
		m.d.PrefetchBucket(h)
		m.q[m.n] = aheadMember{at: m.next, h: h}
		m.n++
		m.next += size
	}
}
