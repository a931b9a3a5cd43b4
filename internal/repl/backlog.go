package repl

// Backlog is the ring of the latest replication stream bytes, with the
// offsets of the package comment. It is not safe for concurrent use.
type Backlog struct {
	buf     []byte
	idx     int // where the next byte goes
	histlen int
	offset  int64 // offset of the last byte written
}

// NewBacklog returns an empty backlog of size bytes whose next byte will
// have offset offset+1.
func NewBacklog(size int, offset int64) *Backlog {
	return &Backlog{buf: make([]byte, max(size, 1)), offset: offset}
}

// Write appends p, dropping the oldest bytes past the size.
func (b *Backlog) Write(p []byte) {
	b.offset += int64(len(p))
	size := len(b.buf)
	if len(p) >= size {
		copy(b.buf, p[len(p)-size:])
		b.idx, b.histlen = 0, size
		return
	}
	n := copy(b.buf[b.idx:], p)
	if n < len(p) {
		copy(b.buf, p[n:])
	}
	b.idx = (b.idx + len(p)) % size
	b.histlen = min(size, b.histlen+len(p))
}

// Offset is the offset of the last byte written (master_repl_offset).
func (b *Backlog) Offset() int64 { return b.offset }

// FirstByte is the offset of the oldest byte held
// (repl_backlog_first_byte_offset); Offset()+1 when empty.
func (b *Backlog) FirstByte() int64 { return b.offset - int64(b.histlen) + 1 }

// HistLen is how many bytes are held.
func (b *Backlog) HistLen() int { return b.histlen }

// Size is the capacity (repl-backlog-size).
func (b *Backlog) Size() int { return len(b.buf) }

// Covers reports whether a PSYNC asking for offset from can continue.
func (b *Backlog) Covers(from int64) bool {
	return from >= b.FirstByte() && from <= b.offset+1
}

// AppendFrom appends to dst the bytes from offset from to the end; from
// must be covered.
func (b *Backlog) AppendFrom(dst []byte, from int64) []byte {
	n := int(b.offset - from + 1)
	if n <= 0 {
		return dst
	}
	size := len(b.buf)
	start := (b.idx - n + size) % size
	if start+n <= size {
		return append(dst, b.buf[start:start+n]...)
	}
	dst = append(dst, b.buf[start:]...)
	return append(dst, b.buf[:n-(size-start)]...)
}

// Resize changes the capacity, keeping the newest bytes that fit.
func (b *Backlog) Resize(size int) {
	size = max(size, 1)
	if size == len(b.buf) {
		return
	}
	keep := min(b.histlen, size)
	data := b.AppendFrom(nil, b.offset-int64(keep)+1)
	nb := make([]byte, size)
	copy(nb, data)
	b.buf, b.idx, b.histlen = nb, keep%size, keep
}

// Reset empties the backlog and sets the offset of the last byte, as
// after a full resynchronization.
func (b *Backlog) Reset(offset int64) {
	b.idx, b.histlen, b.offset = 0, 0, offset
}
