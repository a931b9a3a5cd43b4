// Package zset is the value of a Redis sorted set: distinct binary-string
// members, each with a float64 score, ordered by score and then by member
// bytes.
//
// Like Redis 7.0 a set has two encodings. A small one (listpack) is a
// sorted slice, searched linearly by member: cheap for the up to 128
// entries Redis keeps that way. Once it grows past the configured number
// of entries, or a member longer than the configured length arrives, it
// moves for good to the large one (skiplist): a member index (package
// dict, whose cursor ZSCAN uses) beside a skiplist with spans for rank
// queries. Store commands build their result in whichever form fits.
//
// A listpack keeps a score that is a whole number as an integer, so -0
// becomes 0 there; the skiplist keeps -0. Replies show the difference, so
// the small form reproduces it.
//
// Ranks are 0-based throughout. Nothing here is safe for concurrent use.
package zset

import (
	"math/rand/v2"
	"sort"

	"github.com/respd/respd/internal/ds/dict"
)

// Entry is one member and its score. Member strings are never modified,
// so an Entry stays valid after the set changes.
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
	lp   []Entry // the small form, sorted; unused once idx is set
	idx  *dict.Dict[*node]
	list *skiplist
}

// New returns an empty set in the small encoding.
func New() *ZSet { return &ZSet{} }

// Listpack reports whether the set has the small encoding.
func (z *ZSet) Listpack() bool { return z.idx == nil }

// Len returns the number of entries.
func (z *ZSet) Len() int {
	if z.idx == nil {
		return len(z.lp)
	}
	return z.list.n
}

// lpScore is how the small form stores a score: a whole number becomes
// an integer, which has no negative zero.
func lpScore(s float64) float64 {
	if s == 0 {
		return 0
	}
	return s
}

// lpFind returns m's index in the small form, or -1.
func (z *ZSet) lpFind(m []byte) int {
	for i := range z.lp {
		if z.lp[i].Member == string(m) {
			return i
		}
	}
	return -1
}

// lpPos returns where (score, member) belongs in the small form.
func (z *ZSet) lpPos(score float64, member string) int {
	return sort.Search(len(z.lp), func(i int) bool {
		e := &z.lp[i]
		return e.Score > score || (e.Score == score && e.Member >= member)
	})
}

func (z *ZSet) lpInsert(member string, score float64) {
	score = lpScore(score)
	i := z.lpPos(score, member)
	z.lp = append(z.lp, Entry{})
	copy(z.lp[i+1:], z.lp[i:])
	z.lp[i] = Entry{Member: member, Score: score}
}

func (z *ZSet) lpRemoveAt(i int) {
	copy(z.lp[i:], z.lp[i+1:])
	z.lp[len(z.lp)-1] = Entry{}
	z.lp = z.lp[:len(z.lp)-1]
}

// toSkiplist moves a small set to the large encoding.
func (z *ZSet) toSkiplist() {
	z.idx = dict.New[*node]()
	z.list = newSkiplist()
	for _, e := range z.lp {
		z.idx.SetString(e.Member, z.list.insert(e.Score, e.Member))
	}
	z.lp = nil
}

// Score returns m's score.
func (z *ZSet) Score(m []byte) (float64, bool) {
	if z.idx == nil {
		if i := z.lpFind(m); i >= 0 {
			return z.lp[i].Score, true
		}
		return 0, false
	}
	if x, ok := z.idx.Get(m); ok {
		return x.score, true
	}
	return 0, false
}

// Ref is where a member sits in a set, from Find; it is valid until the
// set next changes.
type Ref struct {
	i int   // index in the small form
	x *node // node in the large form
}

// Find returns m's place and score, so that a caller deciding on the
// score (ZADD's NX, XX, GT, LT, INCR) can then SetScore without looking
// m up again.
func (z *ZSet) Find(m []byte) (Ref, float64, bool) {
	if z.idx == nil {
		if i := z.lpFind(m); i >= 0 {
			return Ref{i: i}, z.lp[i].Score, true
		}
		return Ref{}, 0, false
	}
	if x, ok := z.idx.Get(m); ok {
		return Ref{x: x}, x.score, true
	}
	return Ref{}, 0, false
}

// SetScore changes the score of the member at r, from a Find since the
// set last changed. A score equal to the current one (0 and -0 are
// equal) changes nothing. It does not allocate.
func (z *ZSet) SetScore(r Ref, score float64) {
	if z.idx == nil {
		e := &z.lp[r.i]
		if e.Score == score {
			return
		}
		member := e.Member
		z.lpRemoveAt(r.i)
		z.lpInsert(member, score)
		return
	}
	if r.x.score != score {
		z.list.setScore(r.x, score)
	}
}

// Add sets m's score, adding m (copied) when absent, and reports whether
// it was added. A new member that would take a small set past lim
// converts it first. A score equal to the current one (0 and -0 are
// equal) changes nothing.
func (z *ZSet) Add(m []byte, score float64, lim Limits) bool {
	if r, _, ok := z.Find(m); ok {
		z.SetScore(r, score)
		return false
	}
	if z.idx == nil {
		if int64(len(z.lp))+1 <= lim.MaxEntries && int64(len(m)) <= lim.MaxValue {
			z.lpInsert(string(m), score)
			return true
		}
		z.toSkiplist()
	}
	member := string(m)
	z.idx.SetString(member, z.list.insert(score, member))
	return true
}

// Remove deletes m and reports whether it was present.
func (z *ZSet) Remove(m []byte) bool {
	if z.idx == nil {
		if i := z.lpFind(m); i >= 0 {
			z.lpRemoveAt(i)
			return true
		}
		return false
	}
	x, ok := z.idx.Get(m)
	if !ok {
		return false
	}
	z.list.remove(x.score, x.member)
	z.idx.DeleteString(x.member)
	return true
}

// Rank returns m's 0-based rank in ascending order and its score.
func (z *ZSet) Rank(m []byte) (int, float64, bool) {
	if z.idx == nil {
		if i := z.lpFind(m); i >= 0 {
			return i, z.lp[i].Score, true
		}
		return 0, 0, false
	}
	x, ok := z.idx.Get(m)
	if !ok {
		return 0, 0, false
	}
	return z.list.rank(x.score, x.member) - 1, x.score, true
}

// At returns the entry of rank r, which must be in 0..Len()-1.
func (z *ZSet) At(r int) Entry {
	if z.idx == nil {
		return z.lp[r]
	}
	x := z.list.at(r + 1)
	return Entry{Member: x.member, Score: x.score}
}

// Ascend calls fn for the entries from rank from on, in ascending order,
// until fn returns false.
func (z *ZSet) Ascend(from int, fn func(e Entry) bool) {
	if from < 0 || from >= z.Len() {
		return
	}
	if z.idx == nil {
		for i := from; i < len(z.lp); i++ {
			if !fn(z.lp[i]) {
				return
			}
		}
		return
	}
	for x := z.list.at(from + 1); x != nil; x = x.links[0].next {
		if !fn(Entry{Member: x.member, Score: x.score}) {
			return
		}
	}
}

// Descend calls fn for the entries from rank from down to rank 0, until
// fn returns false.
func (z *ZSet) Descend(from int, fn func(e Entry) bool) {
	if from < 0 || from >= z.Len() {
		return
	}
	if z.idx == nil {
		for i := from; i >= 0; i-- {
			if !fn(z.lp[i]) {
				return
			}
		}
		return
	}
	for x := z.list.at(from + 1); x != nil; x = x.prev {
		if !fn(Entry{Member: x.member, Score: x.score}) {
			return
		}
	}
}

// CountBefore returns how many leading entries satisfy before, a
// predicate that holds for a prefix of the order (such as "score below
// min") and fails after it.
func (z *ZSet) CountBefore(before func(e Entry) bool) int {
	if z.idx == nil {
		return sort.Search(len(z.lp), func(i int) bool { return !before(z.lp[i]) })
	}
	return z.list.count(func(x *node) bool { return before(Entry{Member: x.member, Score: x.score}) })
}

// RemoveRanks deletes the entries of ranks lo..hi, which must be valid
// with lo <= hi.
func (z *ZSet) RemoveRanks(lo, hi int) {
	if z.idx == nil {
		n := copy(z.lp[lo:], z.lp[hi+1:])
		clear(z.lp[lo+n:])
		z.lp = z.lp[:lo+n]
		return
	}
	z.list.removeRanks(lo, hi, func(x *node) { z.idx.DeleteString(x.member) })
}

// Random returns an entry chosen uniformly; the set must not be empty.
func (z *ZSet) Random() Entry { return z.At(rand.IntN(z.Len())) }

// Scan visits one cursor step of a large set's member index (see package
// dict) and returns the next cursor, 0 when done. A small set has no
// cursor: it is visited whole and 0 returned, as Redis replies to ZSCAN.
func (z *ZSet) Scan(cursor uint64, fn func(e Entry)) uint64 {
	if z.idx == nil {
		for _, e := range z.lp {
			fn(e)
		}
		return 0
	}
	return z.idx.Scan(cursor, func(_ string, x *node) { fn(Entry{Member: x.member, Score: x.score}) })
}

// Clone returns an independent copy in the same encoding (for COPY).
func (z *ZSet) Clone() any {
	if z.idx == nil {
		return &ZSet{lp: append([]Entry(nil), z.lp...)}
	}
	c := &ZSet{idx: dict.New[*node](), list: newSkiplist()}
	for x := z.list.head.links[0].next; x != nil; x = x.links[0].next {
		c.idx.SetString(x.member, c.list.insert(x.score, x.member))
	}
	return c
}

// Build returns a set of entries, whose members must be distinct and
// which it may reorder: small when it fits lim, as Redis leaves the
// result of a store command.
func Build(entries []Entry, lim Limits) *ZSet {
	fits := int64(len(entries)) <= lim.MaxEntries
	for i := 0; fits && i < len(entries); i++ {
		fits = int64(len(entries[i].Member)) <= lim.MaxValue
	}
	if fits {
		for i := range entries {
			entries[i].Score = lpScore(entries[i].Score)
		}
		sort.Slice(entries, func(i, j int) bool {
			a, b := &entries[i], &entries[j]
			return a.Score < b.Score || (a.Score == b.Score && a.Member < b.Member)
		})
		return &ZSet{lp: entries}
	}
	z := &ZSet{idx: dict.New[*node](), list: newSkiplist()}
	for _, e := range entries {
		z.idx.SetString(e.Member, z.list.insert(e.Score, e.Member))
	}
	return z
}
