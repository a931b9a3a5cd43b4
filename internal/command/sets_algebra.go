package command

import (
	"slices"

	"github.com/respd/respd/internal/ds/set"
	"github.com/respd/respd/internal/resp"
)

// The set algebra. Results are built the way Redis builds them, because
// the order of a reply shows how: an intersection lists the members of its
// smallest input in that set's order, while a union or difference is
// collected into a fresh set (an intset while every member is an integer)
// and listed in that set's order, so integer results come out sorted.

// Errors of SINTERCARD's arguments.
var (
	errNumKeys       = resp.Error("ERR numkeys should be greater than 0")
	errNumKeysArgs   = resp.Error("ERR Number of keys can't be greater than number of args")
	errNegativeLimit = resp.Error("ERR LIMIT can't be negative")
)

// loadSets looks up every key as a read (the STORE forms too, which
// count hits and misses like the others in Redis 7.0). A missing key
// gives a nil set; any key of another type makes it reply WRONGTYPE and
// return false.
func loadSets(c *Ctx, keys [][]byte) ([]*set.Set, bool) {
	sets := make([]*set.Set, len(keys))
	for i, k := range keys {
		s, ok := readSet(c, k)
		if !ok {
			return nil, false
		}
		sets[i] = s
	}
	return sets, true
}

// storeSet makes s the value of dst and replies with its size; an empty
// result deletes dst instead.
// event names the storing command for keyspace notifications.
func storeSet(c *Ctx, dst []byte, s *set.Set, event string) {
	if s.Len() == 0 {
		if c.DB.Delete(dst) {
			c.Notify(NotifyGeneric, "del", dst)
		}
		c.Int(0)
		return
	}
	c.DB.Set(dst, newSetObject(s), false)
	c.Notify(NotifySet, event, dst)
	c.Int(int64(s.Len()))
}

func sinterCommand(c *Ctx)      { sinter(c, c.Args[1:], nil, false, 0) }
func sinterstoreCommand(c *Ctx) { sinter(c, c.Args[2:], c.Args[1], false, 0) }

// sintercardCommand is SINTERCARD numkeys key [key ...] [LIMIT limit].
func sintercardCommand(c *Ctx) {
	numkeys, ok := resp.ParseInt(c.Args[1])
	if !ok || numkeys < 1 {
		c.Error(errNumKeys)
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Error(errNumKeysArgs)
		return
	}
	limit := int64(0)
	for i := 2 + int(numkeys); i < len(c.Args); i++ {
		if c.ArgIs(i, "limit") && i+1 < len(c.Args) {
			i++
			if limit, ok = resp.ParseInt(c.Args[i]); !ok || limit < 0 {
				c.Error(errNegativeLimit)
				return
			}
			continue
		}
		c.Error(ErrSyntax)
		return
	}
	sinter(c, c.Args[2:2+numkeys], nil, true, limit)
}

// sinter intersects the sets at keys: replying with the members, storing
// them at dst, or (cardOnly) counting them up to limit (0: no limit). A
// missing key is an empty set, which empties the result.
func sinter(c *Ctx, keys [][]byte, dst []byte, cardOnly bool, limit int64) {
	sets, ok := loadSets(c, keys)
	if !ok {
		return
	}
	if slices.Contains(sets, nil) {
		switch {
		case dst != nil:
			if c.DB.Delete(dst) {
				c.Notify(NotifyGeneric, "del", dst)
			}
			c.Int(0)
		case cardOnly:
			c.Int(0)
		default:
			c.Set(0)
		}
		return
	}
	slices.SortStableFunc(sets, func(a, b *set.Set) int { return a.Len() - b.Len() })
	first := sets[0]
	var out *set.Set
	var lim *encLimits
	if dst != nil {
		out, lim = set.New(), limits(c)
	}
	var replied []byte
	card := int64(0)
	first.Range(func(m []byte) bool {
		for _, s := range sets[1:] {
			if s != first && !s.Has(m) {
				return true
			}
		}
		card++
		switch {
		case cardOnly:
			return limit == 0 || card < limit
		case dst != nil:
			out.Add(m, lim.maxIntset)
		default:
			replied = resp.AppendBulk(replied, m)
		}
		return true
	})
	switch {
	case cardOnly:
		c.Int(card)
	case dst != nil:
		storeSet(c, dst, out, "sinterstore")
	default:
		c.Set(int(card))
		c.B = append(c.B, replied...)
	}
}

func sunionCommand(c *Ctx)      { sunionDiff(c, c.Args[1:], nil, false) }
func sunionstoreCommand(c *Ctx) { sunionDiff(c, c.Args[2:], c.Args[1], false) }
func sdiffCommand(c *Ctx)       { sunionDiff(c, c.Args[1:], nil, true) }
func sdiffstoreCommand(c *Ctx)  { sunionDiff(c, c.Args[2:], c.Args[1], true) }

// unionOf collects the members of sets (nil ones are empty) into a fresh
// set.
func unionOf(c *Ctx, sets []*set.Set) *set.Set {
	out := set.New()
	max := limits(c).maxIntset
	for _, s := range sets {
		if s == nil {
			continue
		}
		s.Range(func(m []byte) bool {
			out.Add(m, max)
			return true
		})
	}
	return out
}

// sunionDiff is SUNION and SDIFF and their STORE forms. A difference picks
// Redis's cheaper algorithm: checking each member of the first set
// against the others, or copying the first set and removing the others'
// members, which matters because the copy's encoding (a hashtable once a
// removed member was not an integer) is what SDIFFSTORE stores.
func sunionDiff(c *Ctx, keys [][]byte, dst []byte, diff bool) {
	sets, ok := loadSets(c, keys)
	if !ok {
		return
	}
	var out *set.Set
	switch {
	case !diff:
		out = unionOf(c, sets)
	case sets[0] == nil:
		out = set.New()
	default:
		out = difference(c, sets)
	}
	if dst != nil {
		event := "sunionstore"
		if diff {
			event = "sdiffstore"
		}
		storeSet(c, dst, out, event)
		return
	}
	replySet(c, out)
}

func difference(c *Ctx, sets []*set.Set) *set.Set {
	first := sets[0]
	perMember, perSet := 0, 0
	for _, s := range sets {
		if s != nil {
			perMember += first.Len()
			perSet += s.Len()
		}
	}
	out := set.New()
	max := limits(c).maxIntset
	if perMember/2 <= perSet {
		first.Range(func(m []byte) bool {
			for _, s := range sets[1:] {
				if s == first {
					return true
				}
				if s != nil && s.Has(m) {
					return true
				}
			}
			out.Add(m, max)
			return true
		})
		return out
	}
	for i, s := range sets {
		if s == nil {
			continue
		}
		s.Range(func(m []byte) bool {
			if i == 0 {
				out.Add(m, max)
			} else {
				out.Remove(m)
			}
			return true
		})
		if out.Len() == 0 {
			break
		}
	}
	return out
}
