// Package list is the value of a Redis list: a sequence of byte strings
// kept in chunks ("nodes") of packed bytes, in the manner of Redis's
// quicklist, so that a list of millions of elements costs a few thousand
// Go objects rather than one or more per element.
//
// A node packs its elements back to back in one byte slice and keeps
// their end offsets in a second one, so any element of a node is found
// in O(1) once the node is; nodes are found by walking from the nearer
// end of the list. A node is filled up to a budget set by the list's fill
// factor (the list-max-listpack-size directive): a negative fill bounds
// its size in bytes (-1 is 4 KiB, -2 8 KiB ... -5 64 KiB), a positive one
// its number of elements (and its size to 8 KiB, as Redis caps it). An
// element too big to share a node gets a "plain" node of its own.
//
// Operations on the ends touch one node; operations in the middle move at
// most one node's bytes, splitting a full node where an element must go
// in and merging neighbours that deletions left small enough to share a
// node. The package is pure: no locking, no knowledge of the server.
package list

import (
	"bytes"
	"slices"
)

const (
	// sizeSafety is the byte budget of a node when the fill counts
	// elements: a count-limited node must not grow without bound.
	sizeSafety = 8192
	// entryOverhead is what each element costs a node beyond its bytes
	// (its end offset); it counts against the node's budget.
	entryOverhead = 4
	// maxFill is the largest element count per node Redis accepts.
	maxFill = 1<<15 - 1
)

// node is one chunk of the list. A plain node (ends == nil) holds exactly
// one element, data itself; a packed node holds len(ends) >= 1 elements.
//
// A packed node's elements lie back to back in data[lo:]; the bytes
// before lo are room for pushes at the front, so pushing and popping at
// either end of a node moves no other element.
type node struct {
	data []byte
	lo   int
	// ends[i] is the offset in data where element i ends; element i
	// starts where element i-1 ends (or at lo).
	ends []uint32
	// base, when not nil, is the array ends lies in, from its start:
	// ends is base[room:], the room slots before it being free for the
	// offsets of elements pushed at the front (prependEnd).
	base []uint32
	room int
}

func (nd *node) plain() bool { return nd.ends == nil }

func (nd *node) count() int {
	if nd.ends == nil {
		return 1
	}
	return len(nd.ends)
}

// live is the number of bytes the node's elements take.
func (nd *node) live() int { return len(nd.data) - nd.lo }

// size is the node's weight against its budget.
func (nd *node) size() int { return nd.live() + entryOverhead*len(nd.ends) }

func (nd *node) start(i int) int {
	if i == 0 {
		return nd.lo
	}
	return int(nd.ends[i-1])
}

// get returns element i; its capacity is clipped so an append by the
// caller cannot overwrite the next element.
func (nd *node) get(i int) []byte {
	if nd.ends == nil {
		return nd.data[:len(nd.data):len(nd.data)]
	}
	s, e := nd.start(i), nd.ends[i]
	return nd.data[s:e:e]
}

// rebase moves a packed node's elements to a new buffer of length
// head+live and capacity head+live+tail, starting at head.
func (nd *node) rebase(head, tail int) {
	live := nd.live()
	buf := make([]byte, head+live, head+live+tail)
	copy(buf[head:], nd.data[nd.lo:])
	d := uint32(head - nd.lo) // wraps when moving down; the sums wrap back
	for j := range nd.ends {
		nd.ends[j] += d
	}
	nd.data, nd.lo = buf, head
}

// insert puts v before element i (i == count appends) of a packed node.
func (nd *node) insert(i int, v []byte) {
	n := len(v)
	if i == 0 {
		if nd.lo < n {
			// Room for this push and as many bytes again as the node
			// holds (within its budget), so front pushes are amortized
			// O(1) like back ones.
			nd.rebase(n+min(max(nd.live(), 32), 4096), 0)
		}
		copy(nd.data[nd.lo-n:], v)
		nd.prependEnd(uint32(nd.lo))
		nd.lo -= n
		return
	}
	if i == len(nd.ends) && cap(nd.data)-len(nd.data) < n && nd.lo > nd.live() {
		// Appending would grow a buffer that is mostly dead front room
		// (a node popped at the front, pushed at the back): reclaim it.
		nd.rebase(0, max(nd.live(), n))
	}
	s := nd.start(i)
	nd.data = slices.Insert(nd.data, s, v...)
	nd.ends = slices.Insert(nd.ends, i, uint32(s+n))
	nd.checkRoom()
	d := uint32(n)
	for j := i + 1; j < len(nd.ends); j++ {
		nd.ends[j] += d
	}
}

// maxRoom bounds the room a node keeps before its offsets.
const maxRoom = 1024

// prependEnd puts x before ends[0], in the room before it: a push at the
// front moves no other offset, as the room before lo spares it moving
// the bytes. Without room it moves the offsets to a new array with room
// for as many again (at least 8, at most maxRoom).
func (nd *node) prependEnd(x uint32) {
	n := len(nd.ends)
	if nd.base == nil || nd.room == 0 {
		r := min(max(n, 8), maxRoom)
		b := make([]uint32, r+n)
		copy(b[r:], nd.ends)
		nd.base, nd.room = b, r
	}
	nd.room--
	nd.base[nd.room] = x
	nd.ends = nd.base[nd.room : nd.room+n+1]
}

// checkRoom forgets the room when ends has moved to a new array (an
// insertion or append outgrew the old one).
func (nd *node) checkRoom() {
	if nd.base != nil && (len(nd.ends) == 0 || &nd.ends[0] != &nd.base[nd.room]) {
		nd.base, nd.room = nil, 0
	}
}

// remove deletes n elements of a packed node starting at element i.
func (nd *node) remove(i, n int) {
	if i == 0 {
		nd.lo = int(nd.ends[n-1])
		if nd.base != nil {
			// The freed slots join the room.
			nd.room += n
			nd.ends = nd.base[nd.room : nd.room+len(nd.ends)-n]
		} else {
			nd.ends = nd.ends[n:]
		}
		return
	}
	s, e := nd.start(i), int(nd.ends[i+n-1])
	nd.data = slices.Delete(nd.data, s, e)
	nd.ends = slices.Delete(nd.ends, i, i+n)
	d := uint32(e - s)
	for j := i; j < len(nd.ends); j++ {
		nd.ends[j] -= d
	}
}

// replace overwrites element i of a packed node with v.
func (nd *node) replace(i int, v []byte) {
	s, e := nd.start(i), int(nd.ends[i])
	nd.data = slices.Replace(nd.data, s, e, v...)
	d := uint32(len(v) - (e - s)) // wraps for shrinking, which the additions undo
	for j := i; j < len(nd.ends); j++ {
		nd.ends[j] += d
	}
}

// split cuts a packed node before element i (0 < i < count) and returns
// the second half as a new node.
func (nd *node) split(i int) *node {
	s := nd.start(i)
	r := &node{data: bytes.Clone(nd.data[s:]), ends: make([]uint32, len(nd.ends)-i)}
	for j := range r.ends {
		r.ends[j] = nd.ends[i+j] - uint32(s)
	}
	nd.data = nd.data[:s]
	nd.ends = nd.ends[:i]
	return r
}

// removeEqual deletes the elements of a packed node equal to v, at most
// max of them (0 for all): the first ones, or with fromEnd the last ones.
// It returns how many it deleted; the node may be left empty.
func (nd *node) removeEqual(v []byte, max int, fromEnd bool) int {
	first := -1 // the first index that may be removed
	if fromEnd && max > 0 {
		seen := 0
		for i := len(nd.ends) - 1; i >= 0; i-- {
			if bytes.Equal(nd.get(i), v) {
				first = i
				if seen++; seen == max {
					break
				}
			}
		}
	} else {
		for i := range nd.ends {
			if bytes.Equal(nd.get(i), v) {
				first = i
				break
			}
		}
	}
	if first < 0 {
		return 0
	}
	removed, w, out := 0, nd.start(first), first
	s := w
	for i := first; i < len(nd.ends); i++ {
		e := int(nd.ends[i])
		el := nd.data[s:e]
		s = e
		if (max == 0 || removed < max) && bytes.Equal(el, v) {
			removed++
			continue
		}
		// w <= the element's start, so this moves bytes down only.
		w += copy(nd.data[w:], el)
		nd.ends[out] = uint32(w)
		out++
	}
	clear(nd.data[w:])
	nd.data = nd.data[:w]
	nd.ends = nd.ends[:out]
	return removed
}

// List is a Redis list value. The zero value is not usable; call New.
type List struct {
	nodes []*node
	n     int
	fill  int
}

// New returns an empty list whose nodes follow the given fill factor
// (list-max-listpack-size): negative values -1..-5 bound a node's bytes
// to 4 KiB..64 KiB (lower values count as -5), positive values bound its
// element count, and 0 puts each element in a node of its own.
func New(fill int) *List {
	fill = max(-5, min(fill, maxFill))
	return &List{fill: fill}
}

// Len returns the number of elements.
func (l *List) Len() int { return l.n }

// Nodes returns the number of nodes, for tests and introspection.
func (l *List) Nodes() int { return len(l.nodes) }

// budget is a node's byte budget.
func (l *List) budget() int {
	if l.fill < 0 {
		return 4096 << (-l.fill - 1)
	}
	return sizeSafety
}

// large reports whether an element of n bytes cannot share a node and so
// must have a plain node of its own.
func (l *List) large(n int) bool { return n+entryOverhead > l.budget() }

// fits reports whether an element of n bytes can go into nd.
func (l *List) fits(nd *node, n int) bool {
	if nd.plain() || l.large(n) || nd.size()+n+entryOverhead > l.budget() {
		return false
	}
	return l.fill < 0 || nd.count() < l.fill
}

func (l *List) newNode(v []byte) *node {
	if l.large(len(v)) {
		return &node{data: bytes.Clone(v)}
	}
	return &node{data: append(make([]byte, 0, max(len(v), 32)), v...), ends: []uint32{uint32(len(v))}}
}

// PushBack appends a copy of v.
func (l *List) PushBack(v []byte) {
	if k := len(l.nodes) - 1; k >= 0 && l.fits(l.nodes[k], len(v)) {
		l.nodes[k].insert(l.nodes[k].count(), v)
	} else {
		l.nodes = append(l.nodes, l.newNode(v))
	}
	l.n++
}

// PushFront prepends a copy of v.
func (l *List) PushFront(v []byte) {
	if len(l.nodes) > 0 && l.fits(l.nodes[0], len(v)) {
		l.nodes[0].insert(0, v)
	} else {
		l.nodes = slices.Insert(l.nodes, 0, l.newNode(v))
	}
	l.n++
}

// locate returns the node holding element i (0 <= i < Len) and the
// element's position in it, walking from the nearer end.
func (l *List) locate(i int) (k, e int) {
	if i < l.n/2 {
		for k, nd := range l.nodes {
			c := nd.count()
			if i < c {
				return k, i
			}
			i -= c
		}
	}
	j := l.n - 1 - i // distance from the back
	for k := len(l.nodes) - 1; ; k-- {
		c := l.nodes[k].count()
		if j < c {
			return k, c - 1 - j
		}
		j -= c
	}
}

// Index returns element i (0 <= i < Len). The slice is valid until the
// list is next changed.
func (l *List) Index(i int) []byte {
	k, e := l.locate(i)
	return l.nodes[k].get(e)
}

// Front returns the first element of a non-empty list (see Index).
func (l *List) Front() []byte { return l.nodes[0].get(0) }

// Back returns the last element of a non-empty list (see Index).
func (l *List) Back() []byte {
	nd := l.nodes[len(l.nodes)-1]
	return nd.get(nd.count() - 1)
}

// PopFront removes the first element of a non-empty list and returns it
// (a copy the caller owns).
func (l *List) PopFront() []byte {
	v := bytes.Clone(l.Front())
	l.DeleteRange(0, 1)
	return v
}

// PopBack removes the last element of a non-empty list and returns it
// (a copy the caller owns).
func (l *List) PopBack() []byte {
	v := bytes.Clone(l.Back())
	l.DeleteRange(l.n-1, 1)
	return v
}

// Set replaces element i (0 <= i < Len) with a copy of v.
func (l *List) Set(i int, v []byte) {
	k, e := l.locate(i)
	nd := l.nodes[k]
	switch {
	case nd.plain() && l.large(len(v)):
		nd.data = bytes.Clone(v)
	case !nd.plain() && !l.large(len(v)) && nd.size()-len(nd.get(e))+len(v) <= l.budget():
		nd.replace(e, v)
	default:
		l.DeleteRange(i, 1)
		l.Insert(i, v)
	}
}

// Insert puts a copy of v before element i; i == Len appends.
func (l *List) Insert(i int, v []byte) {
	switch i {
	case 0:
		l.PushFront(v)
		return
	case l.n:
		l.PushBack(v)
		return
	}
	k, e := l.locate(i)
	nd := l.nodes[k]
	switch {
	case e == 0 && l.fits(l.nodes[k-1], len(v)):
		// At a node boundary the previous node may have room at its tail.
		prev := l.nodes[k-1]
		prev.insert(prev.count(), v)
	case l.fits(nd, len(v)):
		nd.insert(e, v)
	case e == 0:
		l.nodes = slices.Insert(l.nodes, k, l.newNode(v))
	default:
		right := nd.split(e)
		l.nodes = slices.Insert(l.nodes, k+1, right)
		switch {
		case l.fits(nd, len(v)):
			nd.insert(e, v)
		case l.fits(right, len(v)):
			right.insert(0, v)
		default:
			l.nodes = slices.Insert(l.nodes, k+1, l.newNode(v))
		}
	}
	l.n++
}

// DeleteRange removes count elements starting at element start
// (0 <= start, start+count <= Len).
func (l *List) DeleteRange(start, count int) {
	if count <= 0 {
		return
	}
	k, e := l.locate(start)
	l.n -= count
	lo := k // the first node to drop whole
	if e > 0 {
		nd := l.nodes[k]
		take := min(count, nd.count()-e)
		nd.remove(e, take)
		count -= take
		lo = k + 1
	}
	hi := lo
	for count > 0 && l.nodes[hi].count() <= count {
		count -= l.nodes[hi].count()
		hi++
	}
	if count > 0 {
		l.nodes[hi].remove(0, count)
	}
	l.nodes = slices.Delete(l.nodes, lo, hi)
	// The nodes on either side of the cut may now share one.
	l.tryMerge(lo - 1)
}

// tryMerge joins nodes k and k+1 when both are packed and their elements
// fit the budget of one node.
func (l *List) tryMerge(k int) {
	if k < 0 || k+1 >= len(l.nodes) {
		return
	}
	a, b := l.nodes[k], l.nodes[k+1]
	if a.plain() || b.plain() || a.size()+b.size() > l.budget() || (l.fill >= 0 && a.count()+b.count() > l.fill) {
		return
	}
	d := uint32(len(a.data) - b.lo)
	a.data = append(a.data, b.data[b.lo:]...)
	for _, e := range b.ends {
		a.ends = append(a.ends, e+d)
	}
	a.checkRoom()
	l.nodes = slices.Delete(l.nodes, k+1, k+2)
}

// Remove deletes the elements equal to v, at most max of them (0 for
// all): the first ones, or with fromTail the last ones (LREM's count
// semantics). It returns how many it deleted.
func (l *List) Remove(v []byte, max int, fromTail bool) int {
	removed := 0
	more := func() bool { return max == 0 || removed < max }
	drop := func(k int) {
		l.nodes = slices.Delete(l.nodes, k, k+1)
	}
	rem := func(k int) {
		nd := l.nodes[k]
		if nd.plain() {
			if bytes.Equal(nd.data, v) {
				removed++
				drop(k)
			}
			return
		}
		limit := 0
		if max > 0 {
			limit = max - removed
		}
		removed += nd.removeEqual(v, limit, fromTail)
		if len(nd.ends) == 0 {
			drop(k)
		}
	}
	if fromTail {
		for k := len(l.nodes) - 1; k >= 0 && more(); k-- {
			rem(k)
		}
	} else {
		for k := 0; k < len(l.nodes) && more(); {
			n := len(l.nodes)
			rem(k)
			if len(l.nodes) == n {
				k++
			}
		}
	}
	if removed > 0 {
		l.n -= removed
		for k := 0; k < len(l.nodes)-1; {
			n := len(l.nodes)
			l.tryMerge(k)
			if len(l.nodes) == n {
				k++
			}
		}
	}
	return removed
}

// Iter walks a list from a position towards either end. It must not be
// used once the list has changed.
type Iter struct {
	l    *List
	k, e int
	rev  bool
}

// Iter returns an iterator starting at element i; one starting outside
// the list yields nothing.
func (l *List) Iter(i int, reverse bool) Iter {
	if i < 0 || i >= l.n {
		return Iter{l: l, k: -1}
	}
	k, e := l.locate(i)
	return Iter{l: l, k: k, e: e, rev: reverse}
}

// Next returns the next element (valid until the list changes), or false
// at the end.
func (it *Iter) Next() ([]byte, bool) {
	if it.k < 0 || it.k >= len(it.l.nodes) {
		return nil, false
	}
	nd := it.l.nodes[it.k]
	v := nd.get(it.e)
	if it.rev {
		it.e--
		if it.e < 0 {
			it.k--
			if it.k >= 0 {
				it.e = it.l.nodes[it.k].count() - 1
			}
		}
	} else {
		it.e++
		if it.e >= nd.count() {
			it.k++
			it.e = 0
		}
	}
	return v, true
}

// Clone returns a deep copy (keyspace.Cloner, for COPY).
func (l *List) Clone() any {
	c := &List{n: l.n, fill: l.fill, nodes: make([]*node, len(l.nodes))}
	for i, nd := range l.nodes {
		cn := &node{data: nd.data, lo: nd.lo, ends: slices.Clone(nd.ends)}
		if cn.plain() {
			cn.data = bytes.Clone(nd.data)
		} else {
			cn.rebase(0, 0)
		}
		c.nodes[i] = cn
	}
	return c
}
