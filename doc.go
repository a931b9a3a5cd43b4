// Package respd runs a respd server inside a Go program: a real,
// Redis-compatible server listening on a loopback port, for unit tests
// that need Redis without Docker or a redis-server binary.
//
// Unlike an emulation, the embedded server is the same engine the respd
// command runs, so clients see the replies (errors included) Redis 7
// would send. Any Redis client library can talk to it through Addr.
//
// A test starts one per test with package respdtest, or by hand:
//
//	srv, err := respd.Start(ctx, respd.Options{})
//	if err != nil { ... }
//	defer srv.Close()
//	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
//
// Time can be frozen (Options.Time) and moved with FastForward, so keys
// expire and blocking commands time out without the test sleeping. The
// read helpers (Get, Keys, TTL, ...) look at the keyspace directly, for
// assertions that should not go through a client.
package respd
