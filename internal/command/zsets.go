package command

import (
	"math"
	"sync"

	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// zsetCommands are the sorted-set commands: adding, removing and reading
// members here; ranges in zsets_range.go, pops and random members in
// zsets_pop.go, set algebra in zsets_algebra.go, ZSCAN in zsets_scan.go.
var zsetCommands = []*Command{
	{Name: "zadd", Fn: zaddCommand, Arity: -4, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "1.2.0", Summary: "Add one or more members to a sorted set, or update its score if it already exists"},
	{Name: "zincrby", Fn: zincrbyCommand, Arity: 4, Flags: Write | DenyOOM | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "1.2.0", Summary: "Increment the score of a member in a sorted set"},
	{Name: "zrem", Fn: zremCommand, Arity: -3, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "1.2.0", Summary: "Remove one or more members from a sorted set"},
	{Name: "zcard", Fn: zcardCommand, Arity: 2, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "1.2.0", Summary: "Get the number of members in a sorted set"},
	{Name: "zscore", Fn: zscoreCommand, Arity: 3, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "1.2.0", Summary: "Get the score associated with the given member in a sorted set"},
	{Name: "zmscore", Fn: zmscoreCommand, Arity: -3, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "6.2.0", Summary: "Get the score associated with the given members in a sorted set"},
	// ZRANK and ZREVRANK take Redis 7.2's WITHSCORE, hence arity -3.
	{Name: "zrank", Fn: zrankCommand, Arity: -3, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "2.0.0", Summary: "Determine the index of a member in a sorted set"},
	{Name: "zrevrank", Fn: zrevrankCommand, Arity: -3, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "2.0.0", Summary: "Determine the index of a member in a sorted set, with scores ordered from high to low"},
	{Name: "zcount", Fn: zcountCommand, Arity: 4, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "2.0.0", Summary: "Count the members in a sorted set with scores within the given values"},
	{Name: "zlexcount", Fn: zlexcountCommand, Arity: 4, Flags: ReadOnly | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "2.8.9", Summary: "Count the number of members in a sorted set between a given lexicographical range"},
	{Name: "zrange", Fn: zrangeCommand, Arity: -4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "1.2.0", Summary: "Return a range of members in a sorted set"},
	{Name: "zrangestore", Fn: zrangestoreCommand, Arity: -5, Flags: Write | DenyOOM, Keys: keys(1, 2, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "6.2.0", Summary: "Store a range of members from sorted set into another key"},
	{Name: "zrangebyscore", Fn: zrangebyscoreCommand, Arity: -4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "1.0.5", Summary: "Return a range of members in a sorted set, by score"},
	{Name: "zrevrangebyscore", Fn: zrevrangebyscoreCommand, Arity: -4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "2.2.0", Summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low"},
	{Name: "zrangebylex", Fn: zrangebylexCommand, Arity: -4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "2.8.9", Summary: "Return a range of members in a sorted set, by lexicographical range"},
	{Name: "zrevrangebylex", Fn: zrevrangebylexCommand, Arity: -4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "2.8.9", Summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."},
	{Name: "zrevrange", Fn: zrevrangeCommand, Arity: -4, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "1.2.0", Summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low"},
	{Name: "zremrangebyrank", Fn: zremrangebyrankCommand, Arity: 4, Flags: Write, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "2.0.0", Summary: "Remove all members in a sorted set within the given indexes"},
	{Name: "zremrangebyscore", Fn: zremrangebyscoreCommand, Arity: 4, Flags: Write, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "1.2.0", Summary: "Remove all members in a sorted set within the given scores"},
	{Name: "zremrangebylex", Fn: zremrangebylexCommand, Arity: 4, Flags: Write, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "2.8.9", Summary: "Remove all members in a sorted set between the given lexicographical range"},
	{Name: "zpopmin", Fn: zpopminCommand, Arity: -2, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "5.0.0", Summary: "Remove and return members with the lowest scores in a sorted set"},
	{Name: "zpopmax", Fn: zpopmaxCommand, Arity: -2, Flags: Write | Fast, Keys: keys(1, 1, 1), ACL: CatSortedSet | CatFast, Group: "sorted-set", Since: "5.0.0", Summary: "Remove and return members with the highest scores in a sorted set"},
	{Name: "bzpopmin", Fn: bzpopminCommand, Arity: -3, Flags: Write | NoScript | Blocking | Fast, Keys: keys(1, -2, 1), ACL: CatSortedSet | CatFast | CatBlocking, Group: "sorted-set", Since: "5.0.0", Summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"},
	{Name: "bzpopmax", Fn: bzpopmaxCommand, Arity: -3, Flags: Write | NoScript | Blocking | Fast, Keys: keys(1, -2, 1), ACL: CatSortedSet | CatFast | CatBlocking, Group: "sorted-set", Since: "5.0.0", Summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available"},
	// ZMPOP, BZMPOP and the set algebra find their keys through a count
	// argument; like Redis they report 0 0 0 as their legacy key range.
	{Name: "zmpop", Fn: zmpopCommand, Arity: -4, Flags: Write, ACL: CatSortedSet, Group: "sorted-set", Since: "7.0.0", Summary: "Remove and return members with scores in a sorted set"},
	{Name: "bzmpop", Fn: bzmpopCommand, Arity: -5, Flags: Write | Blocking, ACL: CatSortedSet | CatBlocking, Group: "sorted-set", Since: "7.0.0", Summary: "Remove and return members with scores in a sorted set or block until one is available"},
	{Name: "zrandmember", Fn: zrandmemberCommand, Arity: -2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "6.2.0", Summary: "Get one or multiple random elements from a sorted set"},
	{Name: "zunion", Fn: zunionCommand, Arity: -3, Flags: ReadOnly, ACL: CatSortedSet, Group: "sorted-set", Since: "6.2.0", Summary: "Add multiple sorted sets"},
	{Name: "zinter", Fn: zinterCommand, Arity: -3, Flags: ReadOnly, ACL: CatSortedSet, Group: "sorted-set", Since: "6.2.0", Summary: "Intersect multiple sorted sets"},
	{Name: "zdiff", Fn: zdiffCommand, Arity: -3, Flags: ReadOnly, ACL: CatSortedSet, Group: "sorted-set", Since: "6.2.0", Summary: "Subtract multiple sorted sets"},
	{Name: "zunionstore", Fn: zunionstoreCommand, Arity: -4, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "2.0.0", Summary: "Add multiple sorted sets and store the resulting sorted set in a new key"},
	{Name: "zinterstore", Fn: zinterstoreCommand, Arity: -4, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "2.0.0", Summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key"},
	{Name: "zdiffstore", Fn: zdiffstoreCommand, Arity: -4, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "6.2.0", Summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key"},
	{Name: "zintercard", Fn: zintercardCommand, Arity: -3, Flags: ReadOnly, ACL: CatSortedSet, Group: "sorted-set", Since: "7.0.0", Summary: "Intersect multiple sorted sets and return the cardinality of the result"},
	{Name: "zscan", Fn: zscanCommand, Arity: -3, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatSortedSet, Group: "sorted-set", Since: "2.8.0", Summary: "Incrementally iterate sorted sets elements and associated scores"},
}

// Errors of the sorted-set commands, with Redis's texts.
var (
	ErrZaddXXNX     = resp.Error("ERR XX and NX options at the same time are not compatible")
	ErrZaddGTLTNX   = resp.Error("ERR GT, LT, and/or NX options at the same time are not compatible")
	ErrZaddIncrPair = resp.Error("ERR INCR option supports a single increment-element pair")
	ErrScoreNaN     = resp.Error("ERR resulting score is not a number (NaN)")
)

// zsetLimitsByConfig caches each configuration's listpack limits, kept
// current by OnChange hooks, so writes do not parse directive text.
// Hooks and readers both run on the engine that owns the configuration.
var zsetLimitsByConfig sync.Map // *config.Config -> *zset.Limits

// defaultZsetLimits are Redis's defaults, for handlers run without a host.
var defaultZsetLimits = zset.Limits{MaxEntries: 128, MaxValue: 64}

// zsetLimits returns the live zset-max-listpack-entries/-value.
func zsetLimits(c *Ctx) zset.Limits {
	if c.Host == nil || c.Host.Config() == nil {
		return defaultZsetLimits
	}
	cfg := c.Host.Config()
	if l, ok := zsetLimitsByConfig.Load(cfg); ok {
		return *l.(*zset.Limits)
	}
	l := &zset.Limits{MaxEntries: cfg.Int("zset-max-listpack-entries"), MaxValue: cfg.Int("zset-max-listpack-value")}
	cfg.OnChange("zset-max-listpack-entries", func(string) { l.MaxEntries = cfg.Int("zset-max-listpack-entries") })
	cfg.OnChange("zset-max-listpack-value", func(string) { l.MaxValue = cfg.Int("zset-max-listpack-value") })
	zsetLimitsByConfig.Store(cfg, l)
	return *l
}

// asZSet returns o's sorted set: nil, true for a missing key; on another
// type it replies WRONGTYPE and returns false.
func asZSet(c *Ctx, o *keyspace.Object) (*zset.ZSet, bool) {
	if o == nil {
		return nil, true
	}
	if o.Type != keyspace.TypeZSet {
		c.Error(ErrWrongType)
		return nil, false
	}
	return o.Val.(*zset.ZSet), true
}

// readZSet looks key up for a read (counting a hit or a miss).
func readZSet(c *Ctx, key []byte) (*zset.ZSet, bool) { return asZSet(c, c.DB.Lookup(key)) }

// writeZSet looks key up for a command that may change it.
func writeZSet(c *Ctx, key []byte) (*keyspace.Object, *zset.ZSet, bool) {
	o := c.DB.LookupWrite(key)
	z, ok := asZSet(c, o)
	return o, z, ok
}

func zsetEncoding(z *zset.ZSet) keyspace.Encoding {
	if z.Listpack() {
		return keyspace.EncListpack
	}
	return keyspace.EncSkiplist
}

func newZSetObject(z *zset.ZSet) *keyspace.Object {
	return &keyspace.Object{Type: keyspace.TypeZSet, Enc: zsetEncoding(z), Val: z}
}

// zsetChanged records an in-place change of the set under key: its
// encoding may have moved on, watchers and blocked clients must hear of
// it, and an emptied set is deleted, as no key holds an empty one.
// event is published for key, then "del" when the set went away.
func zsetChanged(c *Ctx, key []byte, o *keyspace.Object, event string) {
	z := o.Val.(*zset.ZSet)
	if z.Len() == 0 {
		c.DB.Delete(key)
		c.Notify(NotifyZset, event, key)
		c.Notify(NotifyGeneric, "del", key)
		return
	}
	o.Enc = zsetEncoding(z)
	c.DB.Touch(key)
	c.Notify(NotifyZset, event, key)
}

// storeZSet makes z the value of dst (dropping any TTL), or deletes dst
// when z is empty, as the store commands do.
// event names the store for keyspace notifications; deleting dst is a
// "del" event.
func storeZSet(c *Ctx, dst []byte, z *zset.ZSet, event string) {
	if z.Len() == 0 {
		if c.DB.Delete(dst) {
			c.Notify(NotifyGeneric, "del", dst)
		}
		return
	}
	c.DB.Set(dst, newZSetObject(z), false)
	c.Notify(NotifyZset, event, dst)
}

// ZADD's flags.
const (
	zaddNX = 1 << iota
	zaddXX
	zaddGT
	zaddLT
	zaddCH
	zaddIncr
)

func zaddCommand(c *Ctx)    { zaddGeneric(c, 0) }
func zincrbyCommand(c *Ctx) { zaddGeneric(c, zaddIncr) }

// zaddGeneric is ZADD and ZINCRBY (ZADD with INCR, options still read
// from the third argument on, as Redis does).
func zaddGeneric(c *Ctx, flags int) {
	i := 2
loop:
	for ; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "nx"):
			flags |= zaddNX
		case c.ArgIs(i, "xx"):
			flags |= zaddXX
		case c.ArgIs(i, "ch"):
			flags |= zaddCH
		case c.ArgIs(i, "incr"):
			flags |= zaddIncr
		case c.ArgIs(i, "gt"):
			flags |= zaddGT
		case c.ArgIs(i, "lt"):
			flags |= zaddLT
		default:
			break loop
		}
	}
	pairs := c.Args[i:]
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		c.Error(ErrSyntax)
		return
	}
	nx, xx, gt, lt, incr := flags&zaddNX != 0, flags&zaddXX != 0, flags&zaddGT != 0, flags&zaddLT != 0, flags&zaddIncr != 0
	switch {
	case nx && xx:
		c.Error(ErrZaddXXNX)
		return
	case (gt || lt) && nx || gt && lt:
		c.Error(ErrZaddGTLTNX)
		return
	case incr && len(pairs) > 2:
		c.Error(ErrZaddIncrPair)
		return
	}
	// The parsed scores live on the stack for up to 16 pairs and in one
	// right-sized allocation beyond: regrowing would leave garbage.
	var buf [16]float64
	scores := buf[:0]
	if len(pairs)/2 > len(buf) {
		scores = make([]float64, 0, len(pairs)/2)
	}
	for j := 0; j < len(pairs); j += 2 {
		s, ok := parseScore(pairs[j])
		if !ok {
			c.Error(ErrNotFloat)
			return
		}
		scores = append(scores, s)
	}
	key := c.Args[1]
	o, z, ok := writeZSet(c, key)
	if !ok {
		return
	}
	var added, updated, processed int64
	var score float64
	if z == nil && !xx {
		if o = c.DB.Spare(keyspace.TypeZSet); o != nil {
			z = o.Val.(*zset.ZSet)
		} else {
			z = zset.New()
			o = newZSetObject(z)
		}
		c.DB.Set(key, o, false)
	}
	if z != nil {
		lim := zsetLimits(c)
		if len(scores) > 1 && !nx && !xx {
			z.Reserve(pairs, scores, lim)
		}
		for j, s := range scores {
			m := pairs[2*j+1]
			ref, cur, exists := z.Find(m)
			switch {
			case exists && nx, !exists && xx:
				continue
			case exists:
				if incr {
					s += cur
					if math.IsNaN(s) {
						c.Error(ErrScoreNaN)
						return
					}
				}
				if lt && s >= cur || gt && s <= cur {
					continue
				}
				if s != cur {
					z.SetScore(ref, s)
					updated++
				}
			default:
				z.Add(m, s, lim)
				added++
			}
			score = s
			processed++
		}
		if added+updated > 0 {
			event := "zadd"
			if incr {
				event = "zincr"
			}
			zsetChanged(c, key, o, event)
		}
	}
	switch {
	case incr && processed > 0:
		c.Double(score)
	case incr:
		c.Null()
	case flags&zaddCH != 0:
		c.Int(added + updated)
	default:
		c.Int(added)
	}
}

func zremCommand(c *Ctx) {
	key := c.Args[1]
	o, z, ok := writeZSet(c, key)
	if !ok {
		return
	}
	if z == nil {
		c.Int(0)
		return
	}
	n := int64(0)
	for _, m := range c.Args[2:] {
		if z.Remove(m) {
			n++
			if z.Len() == 0 {
				break
			}
		}
	}
	if n > 0 {
		zsetChanged(c, key, o, "zrem")
	}
	c.Int(n)
}

func zcardCommand(c *Ctx) {
	z, ok := readZSet(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.Int(0)
		return
	}
	c.Int(int64(z.Len()))
}

func zscoreCommand(c *Ctx) {
	z, ok := readZSet(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.Null()
		return
	}
	if s, ok := z.Score(c.Args[2]); ok {
		c.Double(s)
		return
	}
	c.Null()
}

func zmscoreCommand(c *Ctx) {
	z, ok := readZSet(c, c.Args[1])
	if !ok {
		return
	}
	c.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if z != nil {
			if s, ok := z.Score(m); ok {
				c.Double(s)
				continue
			}
		}
		c.Null()
	}
}

func zrankCommand(c *Ctx)    { zrankGeneric(c, false) }
func zrevrankCommand(c *Ctx) { zrankGeneric(c, true) }

// zrankGeneric is ZRANK and ZREVRANK, with Redis 7.2's WITHSCORE.
func zrankGeneric(c *Ctx, rev bool) {
	if len(c.Args) > 4 {
		c.Error(ArityError(c.Cmd.FullName()))
		return
	}
	withScore := false
	if len(c.Args) == 4 {
		if !c.ArgIs(3, "withscore") {
			c.Error(ErrSyntax)
			return
		}
		withScore = true
	}
	z, ok := readZSet(c, c.Args[1])
	if !ok {
		return
	}
	var rank int
	var score float64
	found := false
	if z != nil {
		rank, score, found = z.Rank(c.Args[2])
	}
	switch {
	case !found && withScore:
		c.NullArray()
	case !found:
		c.Null()
	default:
		if rev {
			rank = z.Len() - 1 - rank
		}
		if withScore {
			c.Array(2)
			c.Int(int64(rank))
			c.Double(score)
			return
		}
		c.Int(int64(rank))
	}
}

func zcountCommand(c *Ctx) {
	r, ok := parseScoreRange(c, c.Args[2], c.Args[3])
	if !ok {
		return
	}
	z, ok := readZSet(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.Int(0)
		return
	}
	lo, hi := r.bounds(z)
	c.Int(int64(max(hi-lo+1, 0)))
}

// zlexcountCommand counts as Redis does: along the listpack from the first
// member in range while members stay in range, or in the large form by the
// ranks of the first and last members in range.
func zlexcountCommand(c *Ctx) {
	r, ok := parseLexRange(c, c.Args[2], c.Args[3])
	if !ok {
		return
	}
	z, ok := readZSet(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.Int(0)
		return
	}
	c.Int(int64(lexCount(z, &r)))
}

func lexCount(z *zset.ZSet, r *lexRange) int {
	first := r.first(z)
	if first < 0 {
		return 0
	}
	if z.Listpack() {
		n := 0
		z.Ascend(first, func(e zset.Entry) bool {
			if !r.lteMax(e.Member) {
				return false
			}
			n++
			return true
		})
		return n
	}
	n := z.Len() - first
	if last := r.last(z); last >= 0 {
		n -= z.Len() - 1 - last
	}
	return n
}
