// Package aof is the append-only file of Redis 7: a directory of files
// described by a manifest, written as the server executes write commands,
// compacted by background rewrites, replayed at start-up, and checked by
// `respd check-aof`. Redis 7.0.15 is the reference for every byte written
// and every accept/refuse decision taken when reading.
//
// # Use
//
// At start-up the server calls New (even with appendonly no: a bad
// manifest stops Redis either way); with appendonly yes, Load to replay
// the files into a Handler, then Start. It hands Append the RESP of each
// batch's write commands and calls Flush before replying; it calls
// RewriteDue from its cron, StartRewrite for BGREWRITEAOF (with a snapshot
// writer), Enable/Disable for CONFIG SET appendonly, SetConfig for the
// other AOF directives, AppendInfo for INFO persistence, WriteErr for
// MISCONF, and Close at shutdown. After Start, Enable and StartRewrite the
// next command must be preceded by a SELECT, as Redis resets its
// aof_selected_db there.
//
// # Layout
//
// Everything lives in the directory appenddirname (default appendonlydir)
// inside the server's dir. With appendfilename F (default appendonly.aof):
//
//	F.<seq>.base.rdb   base file in RDB form (aof-use-rdb-preamble yes)
//	F.<seq>.base.aof   base file in command form (aof-use-rdb-preamble no)
//	F.<seq>.incr.aof   incremental file: commands executed after the base
//	F.manifest         the list of files that make up the dataset
//	temp-F.manifest    the manifest being replaced (renamed over F.manifest)
//	temp-F.incr        incremental file of a server turning AOF on, renamed
//	                   to F.<seq>.incr.aof when its first rewrite succeeds
//	temp-rewriteaof-bg-<n>.aof  base file being written by a rewrite
//
// Sequence numbers start at 1; base and incremental files count apart.
// The suffix of a base file is only a hint: a loader decides RDB or
// commands by the first five bytes ("REDIS" means RDB). A legacy Redis 6
// file F in dir itself is moved into the directory and listed as the base
// (F seq 1 type b) the first time an AOF server starts on it.
//
// # Manifest
//
// One line per file, base first, then history, then incremental files in
// order of sequence:
//
//	file F.2.base.rdb seq 2 type b\n
//	file F.1.incr.aof seq 1 type h\n
//	file F.2.incr.aof seq 2 type i\n
//
// A file name that needs quoting (space, quote, backslash, control or
// non-ASCII byte) is written double-quoted with \n \r \t \a \b \\ \" and
// \xHH escapes. Type b is the base (at most one), i an incremental file
// (sequence numbers strictly increasing), h a history file: a former base
// or incremental file no longer part of the dataset, kept only until it is
// deleted (right after a rewrite, unless aof-disable-auto-gc is yes).
//
// Reading follows Redis byte for byte. The file is read in chunks of at
// most 1024 bytes ending at a newline (C fgets): a chunk starting with '#'
// is a comment (a longer comment line goes on as the next chunk); any
// other chunk must contain a newline before any NUL byte ("The AOF manifest
// file contains too long line", which also catches a last line without a
// newline); it is trimmed of " \t\r\n" and must not be empty; it is split
// like a redis.conf line (double and single quotes); it needs an even
// number of words, at least six, as key/value pairs. Keys are
// case-insensitive; file, seq and type are read, unknown keys ignored, a
// repeated key's last value wins. The file name must not contain '/' or
// '\\'; seq is read as C atoll (leading digits, "1x" is 1) and must not be
// 0; type is the first byte of its value ("incr" is i). A file with no
// line at all is "Found an empty AOF manifest"; one with only comments
// lists nothing, as if there were no manifest. Each error names the line
// and its trimmed text as Redis prints them (see ManifestError).
//
// The manifest is replaced atomically: written to temp-F.manifest, fsynced,
// renamed over F.manifest, then the directory is fsynced so the rename and
// any new file in it survive a crash.
//
// # Commands
//
// Incremental files and command-form bases hold RESP multibulk commands
// only, exactly as a client would send them:
//
//	*<argc>\r\n then argc times $<len>\r\n<len bytes>\r\n
//
// The loader reads as Redis does, which is looser than the writer: header
// lines are read as C fgets chunks of at most 1023 bytes; a line starting
// with '#' is an annotation and skipped (aof-timestamp-enabled writes
// "#TS:<unix seconds>\r\n" before the first command of each second); argc
// and len are parsed as C atoi/strtol (leading digits), argc must be at
// least 1; the two bytes after each bulk are skipped without being
// checked. A MULTI opens a transaction whose commands are handed over
// only when its EXEC is read; an EXEC without MULTI and a nested MULTI are
// ignored (Redis runs them and discards their error replies).
//
// # RDB preamble
//
// A file whose first five bytes are "REDIS" starts with an RDB image
// (a base written with aof-use-rdb-preamble yes, or a Redis 4-6 AOF with a
// preamble). The RDB reader consumes it exactly, through the EOF opcode and
// its 8-byte checksum; anything after it is read as commands. Redis's RDB
// base carries an "aof-base" aux field set to 1. Any error reading the RDB
// part refuses the load, truncated or not, as Redis does.
//
// # Truncation
//
// End of file in the middle of a command (including a header without its
// newline, a bulk shorter than its length, or missing bytes after it), and
// end of file inside an unfinished MULTI, mean a torn write. With
// aof-load-truncated yes (the default) the file is truncated at the end of
// the last complete command (for an open MULTI, at the MULTI), a warning is
// logged, and loading goes on; but if that file was not the last one of the
// dataset, loading is then refused ("the truncated file is not the last
// file"). With aof-load-truncated no, the load is refused. Any other
// malformation (a line not starting with '*' or '$', argc < 1, a negative
// bulk length) is corruption and always refused, with the file and offset.
// Redis truncates a torn RDB-preamble file at offset 0, destroying its RDB
// part; respd truncates after the RDB part instead. A file torn inside a
// MULTI, or ending inside a nested MULTI, is cut at the (outer) MULTI,
// where Redis cuts later and leaves a MULTI its next start reverts: the
// data loaded is the same.
//
// # Checker
//
// Check validates as redis-check-aof does, more strictly than the loader:
// every header and bulk must end in \r\n, MULTI/EXEC must pair up. It
// prints redis-check-aof's report (the first bad byte as "0x<hex>: ..."),
// and with --fix truncates the last file to its last valid command; a bad
// file that is not the last cannot be fixed.
package aof
