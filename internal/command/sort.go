package command

import (
	"bytes"
	"math"
	"sort"

	"github.com/respd/respd/internal/ds/hash"
	"github.com/respd/respd/internal/ds/list"
	"github.com/respd/respd/internal/ds/set"
	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

var sortCommands = []*Command{
	{Name: "sort", Fn: func(c *Ctx) { sortGeneric(c, false) }, Arity: -2, Flags: Write | DenyOOM, Keys: keys(1, 1, 1), ACL: CatWrite | CatSet | CatSortedSet | CatList | CatSlow | CatDangerous, Group: "generic", Since: "1.0.0", Summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result."},
	{Name: "sort_ro", Fn: func(c *Ctx) { sortGeneric(c, true) }, Arity: -2, Flags: ReadOnly, Keys: keys(1, 1, 1), ACL: CatRead | CatSet | CatSortedSet | CatList | CatSlow | CatDangerous, Group: "generic", Since: "7.0.0", Summary: "Returns the sorted elements of a list, a set, or a sorted set."},
}

var errSortScore = resp.Error("ERR One or more scores can't be converted into double")

// sortItem is one element being sorted with what it is compared by.
type sortItem struct {
	elem  []byte
	score float64
	cmp   []byte // ALPHA with BY: the looked-up value (nil: missing)
}

type sortOptions struct {
	desc, alpha, dontSort  bool
	limitStart, limitCount int64
	by                     []byte
	gets                   [][]byte
	store                  []byte
}

// parseSortOptions reads SORT's options after the key, replying on error.
func parseSortOptions(c *Ctx, readOnly bool) (sortOptions, bool) {
	o := sortOptions{limitCount: -1}
	for j := 2; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch {
		case optIs(c.Args[j], "asc"):
			o.desc = false
		case optIs(c.Args[j], "desc"):
			o.desc = true
		case optIs(c.Args[j], "alpha"):
			o.alpha = true
		case optIs(c.Args[j], "limit") && left >= 2:
			start, ok1 := resp.ParseInt(c.Args[j+1])
			count, ok2 := resp.ParseInt(c.Args[j+2])
			if !ok1 || !ok2 {
				c.Error(ErrNotInt)
				return o, false
			}
			o.limitStart, o.limitCount = start, count
			j += 2
		case !readOnly && optIs(c.Args[j], "store") && left >= 1:
			o.store = c.Args[j+1]
			j++
		case optIs(c.Args[j], "by") && left >= 1:
			o.by = c.Args[j+1]
			o.dontSort = bytes.IndexByte(o.by, '*') < 0
			j++
		case optIs(c.Args[j], "get") && left >= 1:
			o.gets = append(o.gets, c.Args[j+1])
			j++
		default:
			c.Error(ErrSyntax)
			return o, false
		}
	}
	return o, true
}

// sortGeneric implements SORT and SORT_RO: sort a list, set or sorted
// set numerically or by bytes, by its elements or by values found through
// a pattern, then reply or STORE the elements or GET-pattern lookups.
func sortGeneric(c *Ctx, readOnly bool) {
	o, ok := parseSortOptions(c, readOnly)
	if !ok {
		return
	}
	var obj *keyspace.Object
	if o.store != nil {
		obj = c.DB.LookupWrite(c.Args[1])
	} else {
		obj = c.DB.Lookup(c.Args[1])
	}
	if obj != nil && obj.Type != keyspace.TypeList && obj.Type != keyspace.TypeSet && obj.Type != keyspace.TypeZSet {
		c.Error(ErrWrongType)
		return
	}
	// A set has no order of its own: unsorted output that is stored would
	// differ between servers, so Redis sorts it by bytes then.
	if o.dontSort && obj != nil && obj.Type == keyspace.TypeSet && o.store != nil {
		o.dontSort, o.alpha, o.by = false, true, nil
	}
	n := int64(0)
	if obj != nil {
		n = int64(sortLen(obj))
	}
	start := max(o.limitStart, 0)
	end := n - 1
	if o.limitCount >= 0 {
		end = start + o.limitCount - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	end = min(end, n-1)

	items := sortElements(obj, o, start, end)
	if !o.dontSort {
		if !sortScores(c, items, o) {
			c.Error(errSortScore)
			return
		}
		sort.SliceStable(items, func(i, j int) bool { return sortLess(items[i], items[j], o) })
	} else if obj != nil && obj.Type == keyspace.TypeZSet || obj != nil && obj.Type == keyspace.TypeList {
		// The elements were loaded already cut to the LIMIT range.
		end -= start
		start = 0
	}
	var out [][]byte
	var nulls []bool
	for i := start; i <= end && i < int64(len(items)); i++ {
		if i < 0 {
			continue
		}
		if len(o.gets) == 0 {
			out, nulls = append(out, items[i].elem), append(nulls, false)
			continue
		}
		for _, g := range o.gets {
			v, found := sortLookup(c, g, items[i].elem)
			out, nulls = append(out, v), append(nulls, !found)
		}
	}
	if o.store == nil {
		c.Array(len(out))
		for i, v := range out {
			if nulls[i] {
				c.Null()
			} else {
				c.Bulk(v)
			}
		}
		return
	}
	if len(out) == 0 {
		if c.DB.Delete(o.store) {
			c.Notify(NotifyGeneric, "del", o.store)
		}
		c.Int(0)
		return
	}
	l := newList(c)
	for _, v := range out {
		l.PushBack(v)
	}
	storeList(c, o.store, l)
	c.Notify(NotifyList, "sortstore", o.store)
	c.Int(int64(len(out)))
}

func sortLen(o *keyspace.Object) int {
	switch v := o.Val.(type) {
	case *list.List:
		return v.Len()
	case *set.Set:
		return v.Len()
	case *zset.ZSet:
		return v.Len()
	}
	return 0
}

// sortElements loads the elements to sort. Without sorting, lists and
// sorted sets load only the LIMIT range, in their own order (reversed by
// DESC), as Redis does.
func sortElements(obj *keyspace.Object, o sortOptions, start, end int64) []sortItem {
	var items []sortItem
	if obj == nil {
		return nil
	}
	ranged := o.dontSort && (obj.Type == keyspace.TypeList || obj.Type == keyspace.TypeZSet)
	switch v := obj.Val.(type) {
	case *list.List:
		from, to := 0, v.Len()-1
		if ranged {
			from, to = int(start), int(end)
		}
		first := from
		if ranged && o.desc {
			first = v.Len() - 1 - from
		}
		it := v.Iter(first, ranged && o.desc)
		for i := from; i <= to; i++ {
			e, ok := it.Next()
			if !ok {
				break
			}
			items = append(items, sortItem{elem: bytes.Clone(e)})
		}
	case *set.Set:
		v.Range(func(m []byte) bool {
			items = append(items, sortItem{elem: bytes.Clone(m)})
			return true
		})
	case *zset.ZSet:
		from, count := 0, v.Len()
		if ranged {
			from, count = int(start), int(end-start+1)
		}
		add := func(e zset.Entry) bool {
			if count <= 0 {
				return false
			}
			count--
			items = append(items, sortItem{elem: []byte(e.Member)})
			return true
		}
		if ranged && o.desc {
			v.Descend(v.Len()-1-from, add)
		} else {
			v.Ascend(from, add)
		}
	}
	return items
}

// sortScores fills in what each element is compared by; false means a
// numeric sort met a value that is not a number.
func sortScores(c *Ctx, items []sortItem, o sortOptions) bool {
	for i := range items {
		it := &items[i]
		val := it.elem
		if o.by != nil {
			v, found := sortLookup(c, o.by, it.elem)
			if !found {
				continue
			}
			val = v
			if o.alpha {
				it.cmp = v
				continue
			}
		}
		if o.alpha {
			continue
		}
		f, n, erange := strtod(val)
		if n != len(val) || erange || math.IsNaN(f) {
			return false
		}
		it.score = f
	}
	return true
}

func sortLess(a, b sortItem, o sortOptions) bool {
	var cmp int
	switch {
	case !o.alpha:
		switch {
		case a.score > b.score:
			cmp = 1
		case a.score < b.score:
			cmp = -1
		default:
			cmp = bytes.Compare(a.elem, b.elem)
		}
	case o.by != nil:
		switch {
		case a.cmp == nil && b.cmp == nil:
			cmp = 0
		case a.cmp == nil:
			cmp = -1
		case b.cmp == nil:
			cmp = 1
		default:
			cmp = bytes.Compare(a.cmp, b.cmp)
		}
	default:
		cmp = bytes.Compare(a.elem, b.elem)
	}
	if o.desc {
		cmp = -cmp
	}
	return cmp < 0
}

// sortLookup resolves a BY or GET pattern for elem: "#" is elem itself;
// otherwise the first '*' is replaced by elem and the key read as a
// string, or, with "->field" after the '*', as that hash field.
func sortLookup(c *Ctx, pattern, elem []byte) ([]byte, bool) {
	if len(pattern) == 1 && pattern[0] == '#' {
		return elem, true
	}
	star := bytes.IndexByte(pattern, '*')
	if star < 0 {
		return nil, false
	}
	keyPat, field := pattern, []byte(nil)
	if f := bytes.Index(pattern[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(pattern) {
		keyPat, field = pattern[:star+1+f], pattern[star+1+f+2:]
	}
	key := make([]byte, 0, len(keyPat)+len(elem))
	key = append(append(append(key, keyPat[:star]...), elem...), keyPat[star+1:]...)
	o := c.DB.Lookup(key)
	if o == nil {
		return nil, false
	}
	if field != nil {
		h, ok := o.Val.(*hash.Hash)
		if o.Type != keyspace.TypeHash || !ok {
			return nil, false
		}
		return h.Get(field)
	}
	if o.Type != keyspace.TypeString {
		return nil, false
	}
	return o.Str, true
}
