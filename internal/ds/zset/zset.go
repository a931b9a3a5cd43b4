// Package zset is the value of a Redis sorted set: distinct binary-string
// members, each with a float64 score, ordered by score and then by member
// bytes.
//
// Like Redis 7.0 a set has two encodings. A small one (listpack) packs
// the entries, in order, into one byte buffer (see small.go), searched
// linearly by member: cheap for the up to 128 entries Redis keeps that
// way, and one allocation for the whole set. Once it grows past the configured number
// of entries, or a member longer than the configured length arrives, it
// moves for good to the large one (Redis's skiplist encoding): a member
// index (package dict, whose cursor ZSCAN uses) mapping each member to
// its score, beside a B+tree of the entries that counts them for rank
// queries (see btree.go). Store commands build their result in whichever
// form fits.
//
// A listpack keeps a score that is a whole number as an integer, so -0
// becomes 0 there; the large form keeps -0. Replies show the difference, so
// the small form reproduces it.
//
// Ranks are 0-based throughout. Nothing here is safe for concurrent use.
package zset

import (
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/respd/respd/internal/ds/dict"
	"github.com/respd/respd/internal/ds/packed"
)

// Entry is one member and its score. The Member of an entry handed out
// by a large set is never modified; that of a small set's entry aliases
// the set's buffer and is valid only until the set next changes (copy it
// to keep it longer).
type Entry struct {
	Member string
	Score  float64
}

// Limits are the thresholds of the small encoding (Redis's
// zset-max-listpack-entries and zset-max-listpack-value).
type Limits struct {
	MaxEntries, MaxValue int64
}

// ZSet is one sorted set. The zero value is an empty listpack set.
type ZSet struct {
	lp  []byte // the small form (small.go); unused once big is set
	big *large
}

// large is the skiplist encoding: a member index beside the ordered tree,
// which share each member's string.
type large struct {
	idx  *dict.Dict[float64]
	tree *btree
}

func newLarge() *large { return &large{idx: dict.New[float64](), tree: newBtree()} }

// add inserts member, which must be absent.
func (l *large) add(member string, score float64) {
	l.idx.SetString(member, score)
	l.tree.insert(score, member)
}

// Wrap makes z the set whose small form (see Packed) is b, read in place:
// for a caller that will not change it.
func (z *ZSet) Wrap(b []byte) { *z = ZSet{lp: b} }

// Packed returns the small form's buffer and whether the set has the
// small form and is not empty.
func (z *ZSet) Packed() ([]byte, bool) { return z.lp, z.big == nil && len(z.lp) > 0 }

// Load makes z the set whose small form is b, copied into z's own
// buffer (reusing its capacity).
func (z *ZSet) Load(b []byte) {
	z.lp = append(z.lp[:0], b...)
	z.big = nil
}

// Reset empties z into the small encoding, keeping its buffer.
func (z *ZSet) Reset() {
	z.big = nil
	if cap(z.lp) < smallHeader {
		z.lp = nil
		return
	}
	z.lp = z.lp[:smallHeader]
	setSmallCount(z.lp, 0)
}

// New returns an empty set in the small encoding.
func New() *ZSet { return &ZSet{} }

// Listpack reports whether the set has the small encoding.
func (z *ZSet) Listpack() bool { return z.big == nil }

// Len returns the number of entries.
func (z *ZSet) Len() int {
	if z.big == nil {
		return smallCount(z.lp)
	}
	return z.big.tree.n
}

// lpScore is how the small form stores a score: a whole number becomes
// an integer, which has no negative zero.
func lpScore(s float64) float64 {
	if s == 0 {
		return 0
	}
	return s
}

// toLarge moves a small set to the large encoding.
func (z *ZSet) toLarge() {
	l := newLarge()
	b := z.lp
	for off := smallHeader; off < len(b); {
		m, s, next := smallAt(b, off)
		l.add(string(m), s)
		off = next
	}
	z.lp, z.big = nil, l
}

// Score returns m's score.
func (z *ZSet) Score(m []byte) (float64, bool) {
	if z.big == nil {
		off, s := z.smallFind(m)
		return s, off >= 0
	}
	return z.big.idx.Get(m)
}

// Ref is where a member sits in a set, from Find; it is valid until the
// set next changes.
type Ref struct {
	off   int // offset of the entry in the small form
	score float64
	// In the large form: the member as stored and its score in the index.
	member string
	p      *float64
}

// Find returns m's place and score, so that a caller deciding on the
// score (ZADD's NX, XX, GT, LT, INCR) can then SetScore without looking
// m up again.
func (z *ZSet) Find(m []byte) (Ref, float64, bool) {
	if z.big == nil {
		if off, s := z.smallFind(m); off >= 0 {
			return Ref{off: off, score: s}, s, true
		}
		return Ref{}, 0, false
	}
	if member, p := z.big.idx.Entry(m); p != nil {
		return Ref{score: *p, member: member, p: p}, *p, true
	}
	return Ref{}, 0, false
}

// SetScore changes the score of the member at r, from a Find since the
// set last changed. A score equal to the current one (0 and -0 are
// equal) changes nothing. It does not allocate (for small-set members of
// up to 64 bytes).
func (z *ZSet) SetScore(r Ref, score float64) {
	if r.score == score {
		return
	}
	if z.big == nil {
		z.smallSetScore(r.off, r.score, score)
		return
	}
	z.big.tree.move(r.score, r.member, score)
	*r.p = score
}

// Add sets m's score, adding m (copied) when absent, and reports whether
// it was added. A new member that would take a small set past lim
// converts it first. A score equal to the current one (0 and -0 are
// equal) changes nothing.
func (z *ZSet) Add(m []byte, score float64, lim Limits) bool {
	if z.big == nil {
		if r, _, ok := z.Find(m); ok {
			z.SetScore(r, score)
			return false
		}
		if int64(z.Len())+1 <= lim.MaxEntries && int64(len(m)) <= lim.MaxValue {
			z.smallInsert(m, score)
			return true
		}
		z.toLarge()
	}
	member, p, added := z.big.idx.Slot(m)
	if !added {
		z.SetScore(Ref{score: *p, member: member, p: p}, score)
		return false
	}
	*p = score
	z.big.tree.insert(score, member)
	return true
}

// Reserve makes room in a small set, in one allocation of the exact
// size, for the members of pairs (ZADD's score, member, score,
// member... arguments, with scores their parsed scores) when all of them
// could be added without leaving the small encoding; it changes nothing
// otherwise. A bulk insert then fills one buffer with no slack instead
// of regrowing it per member.
func (z *ZSet) Reserve(pairs [][]byte, scores []float64, lim Limits) {
	if z.big != nil || int64(z.Len()+len(scores)) > lim.MaxEntries {
		return
	}
	extra := 0
	for j, s := range scores {
		m := pairs[2*j+1]
		if int64(len(m)) > lim.MaxValue {
			return
		}
		extra += entrySize(len(m), lpScore(s))
	}
	if len(z.lp) == 0 {
		z.lp = make([]byte, smallHeader, smallHeader+extra)
		return
	}
	if len(z.lp)+extra > cap(z.lp) {
		b := make([]byte, len(z.lp), len(z.lp)+extra)
		copy(b, z.lp)
		z.lp = b
	}
}

// Remove deletes m and reports whether it was present.
func (z *ZSet) Remove(m []byte) bool {
	if z.big == nil {
		off, _ := z.smallFind(m)
		if off < 0 {
			return false
		}
		z.smallRemove(off, skipScore(z.lp, packed.Skip(z.lp, off)), 1)
		return true
	}
	member, p := z.big.idx.Entry(m)
	if p == nil {
		return false
	}
	z.big.tree.remove(*p, member)
	z.big.idx.DeleteString(member)
	return true
}

// Rank returns m's 0-based rank in ascending order and its score.
func (z *ZSet) Rank(m []byte) (int, float64, bool) {
	if z.big == nil {
		if off, s := z.smallFind(m); off >= 0 {
			return z.smallRank(off), s, true
		}
		return 0, 0, false
	}
	member, p := z.big.idx.Entry(m)
	if p == nil {
		return 0, 0, false
	}
	return z.big.tree.rank(*p, member), *p, true
}

// At returns the entry of rank r, which must be in 0..Len()-1.
func (z *ZSet) At(r int) Entry {
	if z.big == nil {
		e, _ := smallEntry(z.lp, z.smallOffset(r))
		return e
	}
	return z.big.tree.at(r)
}

// Ascend calls fn for the entries from rank from on, in ascending order,
// until fn returns false. fn must not change the set.
func (z *ZSet) Ascend(from int, fn func(e Entry) bool) {
	if from < 0 || from >= z.Len() {
		return
	}
	if z.big == nil {
		b := z.lp
		for off := z.smallOffset(from); off < len(b); {
			var e Entry
			e, off = smallEntry(b, off)
			if !fn(e) {
				return
			}
		}
		return
	}
	z.big.tree.ascend(from, fn)
}

// Descend calls fn for the entries from rank from down to rank 0, until
// fn returns false. fn must not change the set.
func (z *ZSet) Descend(from int, fn func(e Entry) bool) {
	if from < 0 || from >= z.Len() {
		return
	}
	if z.big == nil {
		// The small form only walks forwards: note where the entries
		// start, then visit them backwards.
		var buf [128]int32
		offs := buf[:0]
		b := z.lp
		off := smallHeader
		for i := 0; i <= from; i++ {
			offs = append(offs, int32(off))
			off = skipScore(b, packed.Skip(b, off))
		}
		for i := len(offs) - 1; i >= 0; i-- {
			e, _ := smallEntry(b, int(offs[i]))
			if !fn(e) {
				return
			}
		}
		return
	}
	z.big.tree.descend(from, fn)
}

// CountBefore returns how many leading entries satisfy before, a
// predicate that holds for a prefix of the order (such as "score below
// min") and fails after it.
func (z *ZSet) CountBefore(before func(e Entry) bool) int {
	if z.big == nil {
		n, b := 0, z.lp
		for off := smallHeader; off < len(b); n++ {
			var e Entry
			e, off = smallEntry(b, off)
			if !before(e) {
				break
			}
		}
		return n
	}
	return z.big.tree.count(func(s float64, m string) bool { return before(Entry{Member: m, Score: s}) })
}

// RemoveRanks deletes the entries of ranks lo..hi, which must be valid
// with lo <= hi.
func (z *ZSet) RemoveRanks(lo, hi int) {
	if z.big == nil {
		b := z.lp
		off := z.smallOffset(lo)
		end := off
		for i := lo; i <= hi; i++ {
			end = skipScore(b, packed.Skip(b, end))
		}
		z.smallRemove(off, end, hi-lo+1)
		return
	}
	z.big.tree.removeRanks(lo, hi, func(m string) { z.big.idx.DeleteString(m) })
}

// Random returns an entry chosen uniformly; the set must not be empty.
func (z *ZSet) Random() Entry { return z.At(rand.IntN(z.Len())) }

// Draw calls fn for n entries chosen uniformly with replacement, in the
// order drawn; the set must not be empty. A small set is walked once to
// find its entries, so each draw costs the same as in a large one rather
// than a walk.
func (z *ZSet) Draw(n int, fn func(e Entry)) {
	if z.big != nil || n < 2 {
		for ; n > 0; n-- {
			fn(z.Random())
		}
		return
	}
	var buf [128]int32
	offs := buf[:0]
	b := z.lp
	for off := smallHeader; off < len(b); {
		offs = append(offs, int32(off))
		_, end := memberAt(b, off)
		off = skipScore(b, end)
	}
	for ; n > 0; n-- {
		e, _ := smallEntry(b, int(offs[rand.IntN(len(offs))]))
		fn(e)
	}
}

// Scan visits one cursor step of a large set's member index (see package
// dict) and returns the next cursor, 0 when done. A small set has no
// cursor: it is visited whole and 0 returned, as Redis replies to ZSCAN.
func (z *ZSet) Scan(cursor uint64, fn func(e Entry)) uint64 {
	if z.big == nil {
		z.Ascend(0, func(e Entry) bool {
			fn(e)
			return true
		})
		return 0
	}
	return z.big.idx.Scan(cursor, func(m string, s float64) { fn(Entry{Member: m, Score: s}) })
}

// Clone returns an independent copy in the same encoding (for COPY).
func (z *ZSet) Clone() any {
	if z.big == nil {
		return &ZSet{lp: packed.Clone(z.lp)}
	}
	c := &ZSet{big: newLarge()}
	z.big.tree.ascend(0, func(e Entry) bool {
		c.big.add(e.Member, e.Score)
		return true
	})
	return c
}

// Build returns a set of entries, whose members must be distinct and
// which it may reorder: small when it fits lim, as Redis leaves the
// result of a store command. The members are copied (they may alias a
// small set).
func Build(entries []Entry, lim Limits) *ZSet {
	fits := int64(len(entries)) <= lim.MaxEntries
	for i := 0; fits && i < len(entries); i++ {
		fits = int64(len(entries[i].Member)) <= lim.MaxValue
	}
	if fits {
		if len(entries) == 0 {
			return New()
		}
		for i := range entries {
			entries[i].Score = lpScore(entries[i].Score)
		}
		slices.SortFunc(entries, func(a, b Entry) int {
			switch {
			case a.Score < b.Score:
				return -1
			case a.Score > b.Score:
				return 1
			}
			return strings.Compare(a.Member, b.Member)
		})
		return &ZSet{lp: buildSmall(entries)}
	}
	z := &ZSet{big: newLarge()}
	for _, e := range entries {
		z.big.add(strings.Clone(e.Member), e.Score)
	}
	return z
}
