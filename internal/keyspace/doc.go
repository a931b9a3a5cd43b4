// Package keyspace holds the databases: keys, their values and their
// expiry times, and the rules for reading and writing them.
//
// Ownership: a Keyspace and everything reachable from it is owned by the
// engine, the one place where commands execute (see package server); no
// method here locks.
//
// Layout: each database keeps its keys in a table of records packed into
// large byte chunks (table.go, arena.go). A record holds the key, its
// expiry time and, for a short string or a small hash or sorted set
// (packed.go), the value itself; other values are Objects on the heap
// that the record indexes. So a big keyspace of short strings is a few
// large pointer-free allocations, which costs the collector nothing to
// mark.
//
// What lookups hand out follows from that. For a packed value, Lookup,
// LookupNoTouch, Peek, PeekWrite, Candidate, Sample, Range, Scan and the
// snapshot's save function hand out an Object that only describes the
// record: its Str, or its collection's buffer, aliases the record's
// bytes (with no spare capacity) and changing it changes nothing stored.
// Such an Object stays valid until the next Tick, and its bytes, like
// the key names those functions hand out, until that key is next written
// or deleted. A command that changes a value in place gets it with
// LookupWrite, which returns the stored heap Object itself, moving a
// packed value out of its record first, and then calls Touch.
//
// Expiry follows Redis: a key past its time is deleted when touched (lazy)
// and by ActiveExpire, which the server cron calls to sample keys with a
// TTL and reclaim the expired ones nobody reads. A replica never deletes on
// its own clock: with Replica set, expired keys read as missing but stay
// until the master's DEL arrives.
package keyspace
