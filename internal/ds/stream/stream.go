// Package stream is the storage of Redis streams: an append-only log of
// entries (an ID and field, value pairs) with consumer groups.
//
// Entries live in blocks of about a hundred, each one byte slice with IDs
// and field names delta-encoded against the block's first entry (see
// block); the blocks sit in a B-tree keyed by that first entry's ID. IDs
// only grow, so entries are always appended to the last block, and
// deletion marks entries in place, dropping a block when nothing in it is
// left alive. The package knows nothing of commands or replies.
package stream

import (
	"github.com/tidwall/btree"
)

// Stream is one stream value.
type Stream struct {
	tree   *btree.BTreeG[*block]
	length int64
	// LastID is the greatest ID ever added (or set by XSETID).
	LastID ID
	// MaxDeletedID is the greatest ID removed by XDEL (or set by XSETID).
	MaxDeletedID ID
	// EntriesAdded counts every entry ever added.
	EntriesAdded uint64
	// firstID is the first live entry's ID, 0-0 when empty.
	firstID ID
	groups  map[string]*Group

	pivot block
	fv    [][]byte
	offs  []int
}

func blockLess(a, b *block) bool { return a.master.Less(b.master) }

// New returns an empty stream.
func New() *Stream {
	return &Stream{tree: btree.NewBTreeGOptions(blockLess, btree.Options{NoLocks: true, Degree: 16})}
}

// Len is the number of live entries.
func (s *Stream) Len() int64 { return s.length }

// FirstID is the first live entry's ID, 0-0 when the stream is empty.
func (s *Stream) FirstID() ID { return s.firstID }

// Blocks is the number of blocks (Redis's radix-tree-keys).
func (s *Stream) Blocks() int { return s.tree.Len() }

// NodeLimits bound a block as Redis's stream-node-max-bytes and
// stream-node-max-entries bound a node (0 means no bound).
type NodeLimits struct{ MaxBytes, MaxEntries int64 }

// maxNodeBytes is Redis's cap on a listpack.
const maxNodeBytes = 1 << 30

// Add appends an entry with field, value pairs fv (copied); id must be
// greater than LastID, which the caller checks.
func (s *Stream) Add(id ID, fv [][]byte, lim NodeLimits) {
	last, ok := s.tree.Max()
	if ok && s.full(last, fv, lim) {
		last.seal()
		ok = false
	}
	if !ok {
		last = newBlock(id, fv)
		s.tree.Set(last)
	}
	last.add(id, fv)
	s.length++
	s.EntriesAdded++
	s.LastID = id
	if s.length == 1 {
		s.firstID = id
	}
}

// full reports whether the entry fv must start a new block after b, by
// Redis's rule: the node would reach the byte bound, or already holds the
// most entries allowed (deleted ones included).
func (s *Stream) full(b *block, fv [][]byte, lim NodeLimits) bool {
	maxBytes := lim.MaxBytes
	if maxBytes <= 0 || maxBytes > maxNodeBytes {
		maxBytes = maxNodeBytes
	}
	size := 0
	for _, x := range fv {
		size += len(x)
	}
	if int64(b.lpBytes()+size) >= maxBytes {
		return true
	}
	return lim.MaxEntries > 0 && int64(b.live+b.deleted) >= lim.MaxEntries
}

// floor returns the block that would hold id: the last one whose master
// is not greater than id.
func (s *Stream) floor(id ID) *block {
	s.pivot.master = id
	var found *block
	s.tree.Descend(&s.pivot, func(b *block) bool {
		found = b
		return false
	})
	return found
}

// Exists reports whether a live entry has the given ID.
func (s *Stream) Exists(id ID) bool {
	b := s.floor(id)
	if b == nil || b.last.Less(id) {
		return false
	}
	off := b.find(id)
	return off >= 0 && b.data[off]&flagDeleted == 0
}

// Delete removes the entry with the given ID (XDEL), keeping the first ID
// and the greatest deleted ID current. It reports whether there was one.
func (s *Stream) Delete(id ID) bool {
	b := s.floor(id)
	if b == nil || b.last.Less(id) {
		return false
	}
	off := b.find(id)
	if off < 0 || !b.markDeleted(off) {
		return false
	}
	s.length--
	if b.live == 0 {
		s.tree.Delete(b)
	}
	if s.MaxDeletedID.Less(id) {
		s.MaxDeletedID = id
	}
	if s.length == 0 {
		s.firstID = ID{}
	} else if id == s.firstID {
		s.firstID = s.edge(false)
	}
	return true
}

// edge returns the first (or, with last, the last) live entry's ID, 0-0
// when there is none.
func (s *Stream) edge(last bool) ID {
	var id ID
	s.Range(ID{}, MaxID, last, func(eid ID, _ [][]byte) bool {
		id = eid
		return false
	})
	return id
}

// LastValid is the last live entry's ID, 0-0 when the stream is empty.
func (s *Stream) LastValid() ID {
	if s.length == 0 {
		return ID{}
	}
	return s.edge(true)
}

// Range calls fn for each live entry whose ID is in [start, end], in
// ascending order (descending with rev), until fn returns false. fv holds
// the field, value pairs; it and its contents are valid only during the
// call, and fn must not change the stream.
func (s *Stream) Range(start, end ID, rev bool, fn func(id ID, fv [][]byte) bool) {
	if end.Less(start) || s.length == 0 {
		return
	}
	if rev {
		s.rangeRev(start, end, fn)
		return
	}
	pivot := start
	if b := s.floor(start); b != nil {
		pivot = b.master
	}
	s.pivot.master = pivot
	fv := s.fv[:0]
	s.tree.Ascend(&s.pivot, func(b *block) bool {
		if end.Less(b.master) {
			return false
		}
		if b.last.Less(start) {
			return true
		}
		for off := 0; off < len(b.data); {
			id, flags, body := b.entryAt(off)
			if end.Less(id) {
				return false
			}
			if flags&flagDeleted != 0 || id.Less(start) {
				off = b.skipBody(flags, body)
				continue
			}
			fv, off = b.readBody(flags, body, fv[:0])
			if !fn(id, fv) {
				return false
			}
		}
		return true
	})
	s.fv = fv[:0]
}

func (s *Stream) rangeRev(start, end ID, fn func(id ID, fv [][]byte) bool) {
	s.pivot.master = end
	fv := s.fv[:0]
	offs := s.offs[:0]
	s.tree.Descend(&s.pivot, func(b *block) bool {
		if b.last.Less(start) {
			return false
		}
		offs = b.offsets(offs[:0])
		for i := len(offs) - 1; i >= 0; i-- {
			id, flags, body := b.entryAt(offs[i])
			if id.Less(start) {
				return false
			}
			if flags&flagDeleted != 0 || end.Less(id) {
				continue
			}
			fv, _ = b.readBody(flags, body, fv[:0])
			if !fn(id, fv) {
				return false
			}
		}
		return true
	})
	s.fv = fv[:0]
	s.offs = offs[:0]
}

// TrimArgs is a trimming request (XTRIM, XADD's MAXLEN and MINID).
type TrimArgs struct {
	// ByMinID trims entries below MinID; otherwise down to MaxLen entries.
	ByMinID bool
	MaxLen  int64
	MinID   ID
	// Approx removes whole blocks only, stopping at the first block that
	// cannot go entirely.
	Approx bool
	// Limit caps the entries removed (0: no cap); a block that would pass
	// it is left alone.
	Limit int64
}

// Trim removes entries from the head as Redis does and returns how many.
// Whole blocks go first; an exact trim then marks the entries of the
// block that straddles the threshold as deleted.
func (s *Stream) Trim(a TrimArgs) int64 {
	var removed int64
	for {
		if !a.ByMinID && s.length <= a.MaxLen {
			break
		}
		b, ok := s.tree.Min()
		if !ok {
			break
		}
		if a.Limit > 0 && removed+int64(b.live) > a.Limit {
			break
		}
		whole := false
		if a.ByMinID {
			whole = b.last.Less(a.MinID)
		} else {
			whole = s.length-int64(b.live) >= a.MaxLen
		}
		if whole {
			s.tree.Delete(b)
			s.length -= int64(b.live)
			removed += int64(b.live)
			continue
		}
		if a.Approx {
			break
		}
		for off := 0; off < len(b.data); {
			id, flags, body := b.entryAt(off)
			if a.ByMinID && !id.Less(a.MinID) || !a.ByMinID && s.length <= a.MaxLen {
				break
			}
			if b.markDeleted(off) {
				s.length--
				removed++
			}
			off = b.skipBody(flags, body)
		}
		break
	}
	if s.length == 0 {
		s.firstID = ID{}
	} else {
		s.firstID = s.edge(false)
	}
	return removed
}

// Clone returns Copy as an any, so a stream value satisfies
// keyspace.Cloner and COPY can duplicate it.
func (s *Stream) Clone() any { return s.Copy() }

// Copy returns a deep copy of the stream, consumer groups included.
func (s *Stream) Copy() *Stream {
	c := New()
	s.tree.Scan(func(b *block) bool {
		c.tree.Set(b.clone())
		return true
	})
	c.length, c.LastID, c.MaxDeletedID, c.EntriesAdded, c.firstID = s.length, s.LastID, s.MaxDeletedID, s.EntriesAdded, s.firstID
	for name, g := range s.groups {
		if c.groups == nil {
			c.groups = map[string]*Group{}
		}
		c.groups[name] = g.clone()
	}
	return c
}

// RadixNodes is the number of nodes the radix tree Redis keeps for this
// stream's blocks would have (XINFO STREAM's radix-tree-nodes): the nodes
// of the compressed trie over the blocks' 16-byte keys, where a node
// branches where keys diverge, a chain of single-child bytes is one
// node, and each key ends in a leaf.
func (s *Stream) RadixNodes() int {
	keys := make([][16]byte, 0, s.tree.Len())
	s.tree.Scan(func(b *block) bool {
		keys = append(keys, b.master.key())
		return true
	})
	if len(keys) == 0 {
		return 1
	}
	p := commonPrefix(keys[0], keys[len(keys)-1])
	if p > 0 {
		return 1 + radixBelow(keys, p)
	}
	return radixBelow(keys, 0)
}

// radixBelow counts the nodes of the subtrie of sorted keys that share
// their first d bytes and either end there (d == 16) or diverge at byte d.
func radixBelow(keys [][16]byte, d int) int {
	if d == 16 {
		return 1
	}
	n := 1
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][d] == keys[i][d] {
			j++
		}
		p := commonPrefix(keys[i], keys[j-1])
		if p-d >= 2 {
			// The bytes after the branching one hang in a node of their own.
			n++
		}
		n += radixBelow(keys[i:j], p)
		i = j
	}
	return n
}

func commonPrefix(a, b [16]byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return 16
}

// FirstStoredID is the ID of the first entry still stored, deleted or
// not: what Redis reads as the stream's first edge with its tombstones,
// and propagates as the threshold of an approximate MINID trim. It is
// MaxID when nothing is stored.
func (s *Stream) FirstStoredID() ID {
	b, ok := s.tree.Min()
	if !ok {
		return MaxID
	}
	return b.master
}
