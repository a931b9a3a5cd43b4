// Package repl holds the pieces of Redis replication that do not need the
// engine: the backlog of the replication stream and the reader of the
// RDB payload a master sends on a full resynchronization.
//
// # Offsets
//
// Every byte of a master's replication stream has an offset. The first
// byte ever produced under a replication id has offset 1;
// master_repl_offset is the offset of the last byte produced (0 before
// any). A replica that holds everything up to offset o asks for the rest
// with PSYNC <replid> <o+1>. The backlog keeps the last repl-backlog-size
// bytes: repl_backlog_first_byte_offset is the offset of its oldest byte
// and repl_backlog_histlen how many it holds, so it covers the offsets
// first .. first+histlen-1 (= master_repl_offset). A PSYNC for offset p
// can continue when first <= p <= master_repl_offset+1.
//
// # Handshake (replica to master, each answered before the next)
//
//	PING                                  +PONG (or -NOAUTH ... when AUTH is due)
//	AUTH [<user>] <password>              +OK
//	REPLCONF listening-port <port>        +OK
//	REPLCONF capa eof capa psync2         +OK
//	PSYNC <replid> <offset>               see below; "PSYNC ? -1" forces a full sync
//
// # PSYNC replies
//
//	+FULLRESYNC <replid> <offset>\r\n     then the RDB payload, then the stream
//	                                      from offset+1 on
//	+CONTINUE <replid>\r\n                then the stream from the offset asked
//	                                      (a replid different from the one asked
//	                                      means the master changed id: PSYNC2)
//
// A master preparing the payload may send bare "\n" bytes as keepalives
// before it; they are not part of the stream.
//
// # RDB payload
//
// Disk form: "$<len>\r\n" followed by exactly len bytes of RDB file.
// Diskless form (the replica announced "capa eof"):
// "$EOF:<40 random characters>\r\n", the RDB file, then the same 40
// characters again; the reader knows the end when the bytes received end
// with the mark. Since a replica may detect the mark only as the last
// bytes of a read, a master sends nothing after it until the replica's
// first REPLCONF ACK. Some masters follow either form with "\r\n",
// which is not part of the stream.
//
// # Stream
//
// After the payload (or +CONTINUE) the master sends the propagated
// commands as RESP arrays, byte for byte what its backlog holds,
// including SELECT, MULTI/EXEC, PING every repl-ping-replica-period
// seconds and REPLCONF GETACK *. The replica counts each complete command
// in its offset after executing it, answers REPLCONF GETACK * with
// REPLCONF ACK <offset> (the offset before the GETACK itself), and sends
// REPLCONF ACK <offset> on its own every second.
package repl
