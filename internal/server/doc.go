// Package server runs respd: it accepts connections, reads requests,
// executes commands and writes replies.
//
// Goroutines and ownership:
//   - one accept goroutine per listener;
//   - one goroutine per connection, which reads, parses and writes,
//     except while an idle plain-socket connection sleeps (sleep.go);
//   - one process-wide poller goroutine waking sleeping connections;
//   - one cron goroutine (hz times a second) for active expiry.
//
// All command execution is serialized by the engine lock (Server.mu): a
// connection goroutine takes it once per read batch, runs every complete
// command of its pipeline, releases it, and then writes the batch's
// replies with one write. The keyspace, the configuration and every
// client's Session are owned by whoever holds the engine lock. The
// listener set and the client registry have their own lock (Server.cmu),
// always taken after mu when both are needed, never before.
package server
