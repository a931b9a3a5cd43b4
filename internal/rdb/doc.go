// Package rdb reads and writes Redis's RDB snapshot format, versions 1 to
// 12 for reading (Redis 2.x to 7.4) and version 10 (Redis 7.0) for
// writing, so files move between respd and Redis both ways.
//
// # File layout
//
//	"REDIS" + 4 ASCII digits (the version)
//	records, each starting with one byte:
//	  0xFA AUX           string key, string value (redis-ver, ctime, repl-id, ...)
//	  0xFE SELECTDB      length: the database the following keys go to
//	  0xFB RESIZEDB      length keys, length keys-with-ttl (a sizing hint)
//	  0xFD EXPIRETIME    4-byte little-endian seconds, for the next key
//	  0xFC EXPIRETIME_MS 8-byte little-endian ms, for the next key
//	  0xF8 IDLE          length: LRU idle seconds of the next key
//	  0xF9 FREQ          1 byte: LFU counter of the next key
//	  0xF7 MODULE_AUX    module id, when-opcode, when, self-describing value
//	  0xF5 FUNCTION2     string: a function library's source
//	  0xF4 SLOT_INFO     3 lengths (slot, keys, expires; 7.4 cluster hint)
//	  0xFF EOF
//	  any other byte     a value type: string key, then the value
//	8-byte little-endian CRC-64 of all preceding bytes (version 5 on; 0
//	means "not computed")
//
// # Lengths
//
// The top two bits of the first byte choose the form: 00 is a 6-bit
// length; 01 a 14-bit length with the next byte (big-endian); 0x80 is
// followed by a 32-bit and 0x81 by a 64-bit big-endian length; 11 marks an
// encoded string, the low six bits saying how: 0, 1, 2 an 8, 16 or 32-bit
// little-endian integer to be read as its decimal text, 3 an LZF block
// (compressed length, uncompressed length, data).
//
// # Strings
//
// A length then that many bytes, or an encoded string as above. Writers
// use the integer forms for canonical decimal integers that fit 32 bits,
// and LZF (when rdbcompression is on) for strings over 20 bytes that it
// shrinks.
//
// # Value types
//
//	0  string
//	1  list: count, then strings
//	2  set: count, then strings
//	3  sorted set: count, then member string and score as text (one
//	   length byte; 253 NaN, 254 +inf, 255 -inf)
//	4  hash: count of pairs, then field and value strings
//	5  sorted set: as 3 with 8-byte little-endian binary double scores
//	6, 7  module values (refused: respd has no modules)
//	9  hash as a zipmap blob
//	10 list as a ziplist blob
//	11 set as an intset blob (2, 4 or 8-byte little-endian integers, sorted)
//	12 sorted set as a ziplist blob of member, score pairs
//	13 hash as a ziplist blob of field, value pairs
//	14 list as a quicklist: count of nodes, each a ziplist blob
//	15 stream, listpacks (format 1)
//	16 hash as a listpack blob
//	17 sorted set as a listpack blob
//	18 list as a quicklist: count of nodes, each a container byte length
//	   (1: one plain element string; 2: a listpack blob)
//	19 stream, listpacks (format 2: adds first id, max deleted id, entries
//	   added, and per group entries read)
//	20 set as a listpack blob
//	21 stream, listpacks (format 3: adds consumers' active time)
//	22-25 hashes with field expiry (7.4; refused)
//
// A blob is a string holding one of Redis's packed encodings: ziplist
// (header: total bytes, tail offset, count; entries each with the
// previous entry's length, an encoding and data; 0xFF), listpack (header:
// total bytes, count; entries each an encoding, data and a backward
// length; 0xFF), zipmap and intset.
//
// # Streams
//
// A stream is a count of nodes, each two strings: the 16-byte big-endian
// id (ms, seq) of the node's master entry, and a listpack. The listpack
// starts with the master entry: count of live entries, count of deleted
// ones, number of master fields, the fields, and a 0 terminator. Each
// entry follows as: flags (1 deleted, 2 same fields as the master), ms
// and seq deltas from the master id, then either the values (same fields)
// or a field count and field, value pairs, and finally the number of
// listpack items the entry used (so it can be walked backwards). After the
// nodes: length, last id (ms, seq lengths), then in format 2 on first id,
// max deleted id and entries added; then the groups: count, and for each
// its name, last id, (format 2) entries read, the pending entries list
// (count, then 16-byte id, 8-byte delivery time in ms, delivery count),
// and its consumers (count, then name, 8-byte seen time, format 3 active
// time, and the ids of the consumer's pending entries).
//
// # Writing
//
// respd writes version 10 with the plain forms of sets (2), hashes (4)
// and sorted sets (5), quicklist-2 lists (18) and streams in format 2
// (19), all of which Redis 7.0 loads and re-encodes compactly itself.
package rdb
