package zset

import (
	"math/rand/v2"
	"unsafe"
)

// The large form orders its entries in a skiplist whose links carry spans
// (how many entries a link jumps over), so that an entry's rank and the
// entry at a rank are found in O(log n), as ZRANK, ZRANGE and ZCOUNT need.
// Levels are drawn with p = 1/4, up to maxLevel.

const maxLevel = 32

type link struct {
	next *node
	// score is next's score, kept beside the pointer so that a search
	// decides to stop at a link without loading the node it leads to:
	// it loads only the nodes it moves to, and a node's member only on a
	// tie. Whatever sets next or changes next's score sets it.
	score float64
	// span is how many entries lie between this node and next, next
	// included: a link to nil spans the remaining entries.
	span int
}

type node struct {
	member string
	score  float64
	prev   *node // nil for the first entry
	// level is how many links the node has. They follow it in the same
	// allocation (see newNode), where link finds them, so that a node of
	// one link takes 64 bytes, one cache line: a search moving to a node
	// reads its links, and a member only on a score tie.
	level int
}

// Nodes are allocated as one of these, by height rounded up to a power
// of two: the node and then its links.
type (
	node1 struct {
		node
		l [1]link
	}
	node2 struct {
		node
		l [2]link
	}
	node4 struct {
		node
		l [4]link
	}
	node8 struct {
		node
		l [8]link
	}
	node16 struct {
		node
		l [16]link
	}
	node32 struct {
		node
		l [maxLevel]link
	}
)

// linksAt is where a node's links start, the offset of the l arrays
// above.
const linksAt = unsafe.Sizeof(node{})

// link returns x's link on level i, which must be below x.level.
func (x *node) link(i int) *link {
	return (*link)(unsafe.Add(unsafe.Pointer(x), linksAt+uintptr(i)*unsafe.Sizeof(link{})))
}

// next returns the node after x in the order, nil after the last.
func (x *node) next() *node { return x.link(0).next }

// newNode returns a node with lvl links. Three in four nodes have one
// link and one in 256 more than four.
func newNode(member string, score float64, lvl int) *node {
	var x *node
	switch {
	case lvl == 1:
		x = &new(node1).node
	case lvl == 2:
		x = &new(node2).node
	case lvl <= 4:
		x = &new(node4).node
	case lvl <= 8:
		x = &new(node8).node
	case lvl <= 16:
		x = &new(node16).node
	default:
		x = &new(node32).node
	}
	x.member, x.score, x.level = member, score, lvl
	return x
}

type skiplist struct {
	head  *node // a sentinel with maxLevel links
	tail  *node
	n     int
	level int // links in use at the head
}

func newSkiplist() *skiplist {
	return &skiplist{head: newNode("", 0, maxLevel), level: 1}
}

// randomLevel draws a node height: each extra level with probability 1/4.
func randomLevel() int {
	x := rand.Uint64()
	l := 1
	for l < maxLevel && x&3 == 0 {
		l++
		x >>= 2
	}
	return l
}

// precedes reports whether n sorts before (score, member).
func precedes(n *node, score float64, member string) bool {
	return n.score < score || (n.score == score && n.member < member)
}

// leadsBefore reports whether l leads to an entry that sorts before
// (score, member), reading l's cached score and loading the node only on
// a tie.
func (l *link) leadsBefore(score float64, member string) bool {
	return l.next != nil && (l.score < score || (l.score == score && l.next.member < member))
}

// path fills update with, for each level, the last node before (score,
// member), and rank with each one's 1-based rank (0 for the head).
func (s *skiplist) path(score float64, member string, update *[maxLevel]*node, rank *[maxLevel]int) {
	x := s.head
	r := 0
	for i := s.level - 1; i >= 0; i-- {
		for l := x.link(i); l.leadsBefore(score, member); l = x.link(i) {
			r += l.span
			x = l.next
		}
		update[i] = x
		if rank != nil {
			rank[i] = r
		}
	}
}

// insert adds an entry that must not be present and returns its node.
func (s *skiplist) insert(score float64, member string) *node {
	x := newNode(member, score, randomLevel())
	s.insertNode(x)
	return x
}

// insertNode links in x, whose entry must not be present, at its height.
func (s *skiplist) insertNode(x *node) {
	var update [maxLevel]*node
	var rank [maxLevel]int
	s.path(x.score, x.member, &update, &rank)
	lvl := x.level
	if lvl > s.level {
		for i := s.level; i < lvl; i++ {
			update[i] = s.head
			rank[i] = 0
			s.head.link(i).span = s.n
		}
		s.level = lvl
	}
	for i := 0; i < lvl; i++ {
		u := update[i]
		x.link(i).next, x.link(i).score = u.link(i).next, u.link(i).score
		u.link(i).next, u.link(i).score = x, x.score
		// u's old span is split at x, which sits rank[0]-rank[i]+1
		// entries after u.
		x.link(i).span = u.link(i).span - (rank[0] - rank[i])
		u.link(i).span = rank[0] - rank[i] + 1
	}
	for i := lvl; i < s.level; i++ {
		update[i].link(i).span++
	}
	x.prev = nil
	if update[0] != s.head {
		x.prev = update[0]
	}
	if x.link(0).next != nil {
		x.link(0).next.prev = x
	} else {
		s.tail = x
	}
	s.n++
}

// setScore gives the present node x a new score. When x keeps its place
// in the order only the scores change (x's and those cached in the links
// to x); otherwise x moves, keeping its height, so an update neither
// allocates nor touches the member index.
func (s *skiplist) setScore(x *node, score float64) {
	l0 := x.link(0)
	stays := (x.prev == nil || precedes(x.prev, score, x.member)) &&
		(l0.next == nil || !(l0.score < score || (l0.score == score && l0.next.member < x.member)))
	if stays && x.level == 1 {
		// The only link to x is its predecessor's on level 0.
		p := x.prev
		if p == nil {
			p = s.head
		}
		p.link(0).score = score
		x.score = score
		return
	}
	var update [maxLevel]*node
	s.path(x.score, x.member, &update, nil)
	if stays {
		for i := range x.level {
			update[i].link(i).score = score
		}
		x.score = score
		return
	}
	s.unlink(x, &update)
	x.score = score
	s.insertNode(x)
}

// unlink removes x given the nodes before it on every level.
func (s *skiplist) unlink(x *node, update *[maxLevel]*node) {
	for i := 0; i < s.level; i++ {
		u := update[i]
		if u.link(i).next == x {
			u.link(i).span += x.link(i).span - 1
			u.link(i).next, u.link(i).score = x.link(i).next, x.link(i).score
		} else {
			u.link(i).span--
		}
	}
	if x.link(0).next != nil {
		x.link(0).next.prev = x.prev
	} else {
		s.tail = x.prev
	}
	for s.level > 1 && s.head.link(s.level-1).next == nil {
		s.level--
	}
	s.n--
}

// remove deletes the entry (score, member), which must be present.
func (s *skiplist) remove(score float64, member string) {
	var update [maxLevel]*node
	s.path(score, member, &update, nil)
	s.unlink(update[0].link(0).next, &update)
}

// rank returns the 1-based rank of the present entry (score, member).
func (s *skiplist) rank(score float64, member string) int {
	var update [maxLevel]*node
	var rank [maxLevel]int
	s.path(score, member, &update, &rank)
	return rank[0] + 1
}

// at returns the node of 1-based rank r, which must be in 1..n.
func (s *skiplist) at(r int) *node {
	x := s.head
	traversed := 0
	for i := s.level - 1; i >= 0; i-- {
		for x.link(i).next != nil && traversed+x.link(i).span <= r {
			traversed += x.link(i).span
			x = x.link(i).next
		}
		if traversed == r {
			return x
		}
	}
	return nil
}

// count returns how many leading entries satisfy before, which must hold
// for a prefix of the order and fail after it.
func (s *skiplist) count(before func(n *node) bool) int {
	x := s.head
	r := 0
	for i := s.level - 1; i >= 0; i-- {
		for x.link(i).next != nil && before(x.link(i).next) {
			r += x.link(i).span
			x = x.link(i).next
		}
	}
	return r
}

// removeRanks deletes the entries of 0-based ranks lo..hi (valid, lo <=
// hi), calling gone for each.
func (s *skiplist) removeRanks(lo, hi int, gone func(x *node)) {
	var update [maxLevel]*node
	x := s.head
	traversed := 0
	for i := s.level - 1; i >= 0; i-- {
		for x.link(i).next != nil && traversed+x.link(i).span <= lo {
			traversed += x.link(i).span
			x = x.link(i).next
		}
		update[i] = x
	}
	x = x.link(0).next
	for n := hi - lo + 1; n > 0 && x != nil; n-- {
		next := x.link(0).next
		s.unlink(x, &update)
		gone(x)
		x = next
	}
}
