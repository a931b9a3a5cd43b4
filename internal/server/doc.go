// Package server runs respd: it accepts connections, reads requests,
// executes commands and writes replies.
//
// Goroutines and ownership:
//   - one accept goroutine per listener;
//   - on Linux, one event-loop goroutine per server, which reads, runs
//     and answers the plain-socket connections that need nothing but
//     requests and replies: they sleep, and have no goroutine of their
//     own (sleep.go, loop_linux.go);
//   - one goroutine per other connection, or per connection woken from
//     its sleep, which reads, parses and writes;
//   - one cron goroutine (hz times a second) for active expiry;
//   - once the heap is large, one process-wide goroutine starting the
//     Go collector's cycles (gcpace.go).
//
// All command execution is serialized by the engine lock (Server.mu): a
// connection goroutine (or the event loop, for each of its clients)
// takes it once per read batch, runs every complete
// command of its pipeline, releases it, and then writes the batch's
// replies with one write. The keyspace, the configuration and every
// client's Session are owned by whoever holds the engine lock. The
// listener set and the client registry have their own lock (Server.cmu),
// always taken after mu when both are needed, never before.
//
// A plain socket's goroutine runs its whole read-execute-write cycle
// inside one read callback of the socket (rawread_unix.go), which
// net.Conn.Close waits for: so whoever else closes a client (CLIENT
// KILL, output limits, shutdown) only shuts its socket down, and the
// client's own goroutine closes it (sockConn.Close, client.closeConn).
package server
