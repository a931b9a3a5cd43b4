// Package resp reads and writes the Redis serialization protocol.
//
// The reader parses requests in place: every argument it returns is a
// sub-slice of the caller's buffer (or, for an inline request with quotes,
// of the parser's scratch space), so a pipeline of commands is parsed
// without copying or allocating. Two request forms are accepted:
//
//	multibulk:  *<n>\r\n then n times $<len>\r\n<len bytes>\r\n
//	inline:     words separated by spaces, ended by \n (an optional \r before
//	            it is dropped); "double" and 'single' quotes group words,
//	            double quotes understand \n \r \t \b \a \\ \" and \xHH.
//
// Redis 7.0 is the reference for every malformed case, including its
// quirks: headers end at '\r' and the byte after it is not checked, nor
// are the two bytes after a bulk; lines are searched as C strings, so a NUL
// hides the rest of a line; each "too big" limit trips when 64 KB are
// buffered without a line's end. The reader is incremental like Redis's:
// a request arriving in many reads is resumed where it stopped, not
// rescanned, and the caller learns how big a bulk it must buffer (Need).
//
// The writer is append-style: each Append function appends one encoded
// value to a byte slice and returns it. Writer wraps a slice together with
// the protocol version the client negotiated (2 or 3), so handlers write
// typed replies (maps, sets, doubles, nulls) and get the right encoding
// for either protocol.
package resp
