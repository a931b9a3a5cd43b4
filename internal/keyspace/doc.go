// Package keyspace holds the databases: keys, their values and their
// expiry times, and the rules for reading and writing them.
//
// Ownership: a Keyspace and everything reachable from it is owned by the
// engine, the one place where commands execute (see package server); no
// method here locks. Values handed out by lookups stay valid only until the
// engine runs the next command.
//
// Expiry follows Redis: a key past its time is deleted when touched (lazy)
// and by ActiveExpire, which the server cron calls to sample keys with a
// TTL and reclaim the expired ones nobody reads. A replica never deletes on
// its own clock: with Replica set, expired keys read as missing but stay
// until the master's DEL arrives.
package keyspace
