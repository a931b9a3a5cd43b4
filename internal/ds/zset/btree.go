package zset

import "sort"

// The large form orders its entries in a B+tree. Entries sit in leaves,
// in order, each leaf linked to its neighbours for iteration; an inner
// node holds, for each child, a separator key and how many entries lie
// below the child, so that an entry's rank and the entry at a rank are
// found in O(log n), as ZRANK, ZRANGE and ZCOUNT need.
//
// The tree is there for the cache: a search reads a few consecutive
// cache lines of scores in each of three or four nodes, where a skiplist
// of the same entries moves through one node per step, each a likely
// cache miss. Moving a member of a 100,000-member set to a random score
// (BenchmarkSetScoreLarge) took 2,500 ns with the skiplist respd had
// before and takes 1,130 here. A node keeps its scores apart from its
// members, so a search loads a member only where the scores tie.

const (
	// leafMax entries fill a leaf of 888 bytes, inside Go's 896-byte
	// size class.
	leafMax  = 36
	leafMin  = leafMax / 2
	innerMax = 32
	innerMin = innerMax / 2
	// maxHeight bounds the inner levels: with at least innerMin children
	// per node, 12 of them hold far more entries than memory does.
	maxHeight = 12
)

// leaf holds up to leafMax entries in order.
type leaf struct {
	n          int
	scores     [leafMax]float64
	members    [leafMax]string
	prev, next *leaf
}

// inner is a node above the leaves. Key i, for i >= 1, separates child
// i-1 from child i: every entry below child i-1 sorts before it, and no
// entry below child i does. A key may be a removed entry's, whose member
// string it then keeps alive, one per child at most. Key 0 is not used
// (but may hold a stale key). The children of a node one level above
// the leaves are in leaves, those of higher ones in inners.
type inner struct {
	n       int
	scores  [innerMax]float64
	members [innerMax]string
	counts  [innerMax]int // entries below each child
	inners  [innerMax]*inner
	leaves  [innerMax]*leaf
}

// btree is the tree: a single leaf while the entries fit one, then inner
// levels above the leaves.
type btree struct {
	n      int
	height int    // inner levels; 0 while the root is a leaf
	top    *inner // the root when height > 0
	lone   *leaf  // the root when height == 0
	head   *leaf  // first leaf
	tail   *leaf  // last leaf
}

func newBtree() *btree {
	l := new(leaf)
	return &btree{lone: l, head: l, tail: l}
}

// before reports whether (s1, m1) sorts before (s2, m2).
func before(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

// search returns how many of l's entries sort before (score, member).
func (l *leaf) search(score float64, member string) int {
	lo, hi := 0, l.n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if before(l.scores[h], l.members[h], score, member) {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// route returns the child of x whose entries (score, member) belongs
// among: the last one whose key does not sort after it.
func (x *inner) route(score float64, member string) int {
	lo, hi := 1, x.n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if before(score, member, x.scores[h], x.members[h]) {
			hi = h
		} else {
			lo = h + 1
		}
	}
	return lo - 1
}

// total returns how many entries lie below x.
func (x *inner) total() int {
	t := 0
	for _, c := range x.counts[:x.n] {
		t += c
	}
	return t
}

// frame is one step of a path from the root: a node and which child.
type frame struct {
	x *inner
	i int
}

// cursor is a place in the tree: the path to a leaf and an index in it,
// which may be the leaf's length (the place after its last entry).
type cursor struct {
	path [maxHeight]frame
	leaf *leaf
	i    int
}

// seek points c at the place of (score, member): at the entry if it is
// present, else where it would be inserted.
func (t *btree) seek(score float64, member string, c *cursor) {
	l := t.lone
	if t.height > 0 {
		x := t.top
		for d := 0; ; d++ {
			i := x.route(score, member)
			c.path[d] = frame{x, i}
			if d == t.height-1 {
				l = x.leaves[i]
				break
			}
			x = x.inners[i]
		}
	}
	c.leaf, c.i = l, l.search(score, member)
}

// seekRank points c at the entry of 0-based rank r, which must be in
// 0..n-1.
func (t *btree) seekRank(r int, c *cursor) {
	l := t.lone
	if t.height > 0 {
		x := t.top
		for d := 0; ; d++ {
			i := 0
			for i < x.n-1 && r >= x.counts[i] {
				r -= x.counts[i]
				i++
			}
			c.path[d] = frame{x, i}
			if d == t.height-1 {
				l = x.leaves[i]
				break
			}
			x = x.inners[i]
		}
	}
	c.leaf, c.i = l, r
}

// rank returns the 0-based rank of (score, member), present or not: how
// many entries sort before it.
func (t *btree) rank(score float64, member string) int {
	return t.count(func(s float64, m string) bool { return before(s, m, score, member) })
}

// count returns how many leading entries satisfy pred, which holds for a
// prefix of the order and fails after it.
func (t *btree) count(pred func(score float64, member string) bool) int {
	r := 0
	l := t.lone
	if t.height > 0 {
		x := t.top
		for d := 0; ; d++ {
			// The last child whose key satisfies pred: all entries
			// before that key do too, and none from the next key on.
			i := sort.Search(x.n-1, func(j int) bool { return !pred(x.scores[j+1], x.members[j+1]) })
			for _, c := range x.counts[:i] {
				r += c
			}
			if d == t.height-1 {
				l = x.leaves[i]
				break
			}
			x = x.inners[i]
		}
	}
	return r + sort.Search(l.n, func(j int) bool { return !pred(l.scores[j], l.members[j]) })
}

// insert adds (score, member), which must not be present.
func (t *btree) insert(score float64, member string) {
	var c cursor
	t.seek(score, member, &c)
	t.insertAt(&c, score, member)
}

// remove deletes (score, member), which must be present.
func (t *btree) remove(score float64, member string) {
	var c cursor
	t.seek(score, member, &c)
	t.removeAt(&c)
}

// move gives the present entry (old, member) the score new.
func (t *btree) move(old float64, member string, new float64) {
	var c cursor
	t.seek(old, member, &c)
	l, i := c.leaf, c.i
	// When new still falls between two other entries of the leaf, the
	// entry moves along the leaf and nothing above it changes.
	first, last := 0, l.n-1
	if i == first {
		first++
	}
	if i == last {
		last--
	}
	if first < last && before(l.scores[first], l.members[first], new, member) &&
		before(new, member, l.scores[last], l.members[last]) {
		m := l.members[i]
		l.remove(i)
		l.insert(l.search(new, member), new, m)
		return
	}
	m := t.removeAt(&c)
	t.insert(new, m)
}

// insert puts an entry at index i of l, which has room.
func (l *leaf) insert(i int, score float64, member string) {
	copy(l.scores[i+1:l.n+1], l.scores[i:l.n])
	copy(l.members[i+1:l.n+1], l.members[i:l.n])
	l.scores[i], l.members[i] = score, member
	l.n++
}

// remove deletes the entry at index i of l.
func (l *leaf) remove(i int) {
	copy(l.scores[i:], l.scores[i+1:l.n])
	copy(l.members[i:], l.members[i+1:l.n])
	l.n--
	l.members[l.n] = ""
}

// insertAt adds (score, member) at c, from seek.
func (t *btree) insertAt(c *cursor, score float64, member string) {
	t.n++
	for _, f := range c.path[:t.height] {
		f.x.counts[f.i]++
	}
	l, i := c.leaf, c.i
	if l.n < leafMax {
		l.insert(i, score, member)
		return
	}
	// Split l. Appending after the last entry or before the first, as
	// loading a sorted set does, leaves l full instead of halving it.
	r := &leaf{prev: l, next: l.next}
	if l.next != nil {
		l.next.prev = r
	} else {
		t.tail = r
	}
	l.next = r
	h := leafMax / 2
	switch {
	case i == leafMax && r.next == nil:
		h = leafMax
	case i == 0 && l.prev == nil:
		h = 0
	}
	r.n = copy(r.scores[:], l.scores[h:l.n])
	copy(r.members[:], l.members[h:l.n])
	clear(l.members[h:l.n])
	l.n = h
	if i < h || h == 0 {
		l.insert(i, score, member)
	} else {
		r.insert(i-h, score, member)
	}
	t.addChild(c, t.height-1, r.scores[0], r.members[0], l.n, r.n, nil, r)
}

// addChild records that child path[d].i of the node at depth d split: it
// now holds leftN entries, and a new child right after it, either in or
// lf, holds rightN and starts at key (s, m). A full node splits in turn;
// a split root gets a new root above it.
func (t *btree) addChild(c *cursor, d int, s float64, m string, leftN, rightN int, in *inner, lf *leaf) {
	for ; d >= 0; d-- {
		x, i := c.path[d].x, c.path[d].i
		x.counts[i] = leftN
		if x.n < innerMax {
			x.insertChild(i+1, s, m, rightN, in, lf)
			return
		}
		r := new(inner)
		h := innerMax / 2
		r.n = x.n - h
		copy(r.scores[:], x.scores[h:x.n])
		copy(r.members[:], x.members[h:x.n])
		copy(r.counts[:], x.counts[h:x.n])
		copy(r.inners[:], x.inners[h:x.n])
		copy(r.leaves[:], x.leaves[h:x.n])
		clear(x.members[h:x.n])
		clear(x.inners[h:x.n])
		clear(x.leaves[h:x.n])
		x.n = h
		if i+1 <= h {
			x.insertChild(i+1, s, m, rightN, in, lf)
		} else {
			r.insertChild(i+1-h, s, m, rightN, in, lf)
		}
		s, m = r.scores[0], r.members[0]
		leftN, rightN = x.total(), r.total()
		in, lf = r, nil
	}
	root := &inner{n: 2}
	root.counts[0], root.counts[1] = leftN, rightN
	root.scores[1], root.members[1] = s, m
	if t.height == 0 {
		root.leaves[0], root.leaves[1] = t.lone, lf
	} else {
		root.inners[0], root.inners[1] = t.top, in
	}
	t.top, t.lone = root, nil
	t.height++
}

// insertChild puts a child at index i of x, which has room.
func (x *inner) insertChild(i int, s float64, m string, count int, in *inner, lf *leaf) {
	copy(x.scores[i+1:x.n+1], x.scores[i:x.n])
	copy(x.members[i+1:x.n+1], x.members[i:x.n])
	copy(x.counts[i+1:x.n+1], x.counts[i:x.n])
	copy(x.inners[i+1:x.n+1], x.inners[i:x.n])
	copy(x.leaves[i+1:x.n+1], x.leaves[i:x.n])
	x.scores[i], x.members[i], x.counts[i], x.inners[i], x.leaves[i] = s, m, count, in, lf
	x.n++
}

// removeChild deletes the child at index i of x.
func (x *inner) removeChild(i int) {
	copy(x.scores[i:], x.scores[i+1:x.n])
	copy(x.members[i:], x.members[i+1:x.n])
	copy(x.counts[i:], x.counts[i+1:x.n])
	copy(x.inners[i:], x.inners[i+1:x.n])
	copy(x.leaves[i:], x.leaves[i+1:x.n])
	x.n--
	x.members[x.n], x.inners[x.n], x.leaves[x.n] = "", nil, nil
}

// appendChild puts child j of y, with key (s, m), after x's last child.
func (x *inner) appendChild(s float64, m string, y *inner, j int) {
	x.insertChild(x.n, s, m, y.counts[j], y.inners[j], y.leaves[j])
}

// removeAt deletes the entry at c, from seek or seekRank, and returns
// its member.
func (t *btree) removeAt(c *cursor) string {
	t.n--
	for _, f := range c.path[:t.height] {
		f.x.counts[f.i]--
	}
	l := c.leaf
	m := l.members[c.i]
	l.remove(c.i)
	if t.height > 0 && l.n < leafMin {
		t.refillLeaf(c)
	}
	return m
}

// refillLeaf mends the leaf at c, which fell below leafMin entries, from
// a sibling: it takes an entry from one that can spare it, or else
// merges with one.
func (t *btree) refillLeaf(c *cursor) {
	d := t.height - 1
	p, i := c.path[d].x, c.path[d].i
	l := p.leaves[i]
	if i > 0 {
		if s := p.leaves[i-1]; s.n > leafMin {
			l.insert(0, s.scores[s.n-1], s.members[s.n-1])
			s.remove(s.n - 1)
			p.counts[i-1]--
			p.counts[i]++
			p.scores[i], p.members[i] = l.scores[0], l.members[0]
			return
		}
	}
	if i+1 < p.n {
		if s := p.leaves[i+1]; s.n > leafMin {
			l.insert(l.n, s.scores[0], s.members[0])
			s.remove(0)
			p.counts[i]++
			p.counts[i+1]--
			p.scores[i+1], p.members[i+1] = s.scores[0], s.members[0]
			return
		}
	}
	if i == 0 {
		i = 1 // merge the right sibling into l
	}
	left, right := p.leaves[i-1], p.leaves[i]
	copy(left.scores[left.n:], right.scores[:right.n])
	copy(left.members[left.n:], right.members[:right.n])
	left.n += right.n
	left.next = right.next
	if right.next != nil {
		right.next.prev = left
	} else {
		t.tail = left
	}
	p.counts[i-1] += p.counts[i]
	p.removeChild(i)
	t.refillInner(c, d)
}

// refillInner mends the node at depth d of c's path after it lost a
// child, the same way: taking a child from a sibling or merging with
// one when it fell below innerMin, and dropping the root when it has
// one child left.
func (t *btree) refillInner(c *cursor, d int) {
	for ; d > 0; d-- {
		x := c.path[d].x
		if x.n >= innerMin {
			return
		}
		p, i := c.path[d-1].x, c.path[d-1].i
		if i > 0 {
			if s := p.inners[i-1]; s.n > innerMin {
				// The parent's key for x moves down to x's old first
				// child, and s's last key up to the parent.
				j := s.n - 1
				x.insertChild(0, 0, "", s.counts[j], s.inners[j], s.leaves[j])
				x.scores[1], x.members[1] = p.scores[i], p.members[i]
				p.scores[i], p.members[i] = s.scores[j], s.members[j]
				p.counts[i-1] -= s.counts[j]
				p.counts[i] += s.counts[j]
				s.removeChild(j)
				return
			}
		}
		if i+1 < p.n {
			if s := p.inners[i+1]; s.n > innerMin {
				x.appendChild(p.scores[i+1], p.members[i+1], s, 0)
				p.scores[i+1], p.members[i+1] = s.scores[1], s.members[1]
				p.counts[i] += s.counts[0]
				p.counts[i+1] -= s.counts[0]
				s.removeChild(0)
				return
			}
		}
		if i == 0 {
			i = 1
		}
		left, right := p.inners[i-1], p.inners[i]
		left.appendChild(p.scores[i], p.members[i], right, 0)
		for j := 1; j < right.n; j++ {
			left.appendChild(right.scores[j], right.members[j], right, j)
		}
		p.counts[i-1] += p.counts[i]
		p.removeChild(i)
	}
	if r := t.top; r.n == 1 {
		t.height--
		if t.height == 0 {
			t.top, t.lone = nil, r.leaves[0]
		} else {
			t.top = r.inners[0]
		}
	}
}

// at returns the entry of 0-based rank r, which must be in 0..n-1.
func (t *btree) at(r int) Entry {
	var c cursor
	t.seekRank(r, &c)
	return Entry{Member: c.leaf.members[c.i], Score: c.leaf.scores[c.i]}
}

// ascend calls fn for the entries from rank from (in 0..n-1) on until fn
// returns false.
func (t *btree) ascend(from int, fn func(e Entry) bool) {
	var c cursor
	t.seekRank(from, &c)
	for l, i := c.leaf, c.i; l != nil; l, i = l.next, 0 {
		for ; i < l.n; i++ {
			if !fn(Entry{Member: l.members[i], Score: l.scores[i]}) {
				return
			}
		}
	}
}

// descend calls fn for the entries from rank from (in 0..n-1) down to
// rank 0 until fn returns false.
func (t *btree) descend(from int, fn func(e Entry) bool) {
	var c cursor
	t.seekRank(from, &c)
	for l, i := c.leaf, c.i; l != nil; l = l.prev {
		for ; i >= 0; i-- {
			if !fn(Entry{Member: l.members[i], Score: l.scores[i]}) {
				return
			}
		}
		if l.prev != nil {
			i = l.prev.n - 1
		}
	}
}

// removeRanks deletes the entries of 0-based ranks lo..hi (valid, lo <=
// hi), calling gone with each one's member.
func (t *btree) removeRanks(lo, hi int, gone func(member string)) {
	for n := hi - lo + 1; n > 0; n-- {
		var c cursor
		t.seekRank(lo, &c)
		gone(t.removeAt(&c))
	}
}
