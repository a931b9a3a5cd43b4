package keyspace

import (
	"unsafe"

	"github.com/respd/respd/internal/slot"
)

// The per-slot key index serves cluster mode: CLUSTER COUNTKEYSINSLOT
// must be O(1) and GETKEYSINSLOT, which redis-cli calls thousands of
// times while resharding a big dataset, O(keys returned). Outside
// cluster mode it does not exist: a DB's slots pointer stays nil and the
// only cost is a nil check where a key is added or removed (never on an
// overwrite or a read).
//
// The index holds its own copy of each name (the key table's records
// move and are reused). A slot's keys are kept in one of two forms:
//
//   - up to listMax keys, a dense slice. Adding appends; removing finds
//     the name and moves the last one into its place. That costs the
//     name and 16 bytes per key plus the slice's slack, and a scan of at
//     most listMax names on removal: a million keys is about 61 per slot.
//   - above that, a Go map, O(1) for every operation at some 20 to 40
//     bytes per key, and back to a slice below listMax/2.
//
// The index follows what the key table physically holds, as Redis's
// does: a key past its expiry time counts until it is reclaimed (lazily
// or by active expiry). Resharding empties slots wholesale, so slices
// give their memory back when they fall to a quarter of their capacity,
// and an emptied slot holds nothing.
type slotIndex struct {
	lists [slot.Count][]string
	sets  [slot.Count]map[string]struct{}
}

// listMax is the largest slot kept as a slice (a variable so tests can
// push small slots through both forms).
var listMax = 256

// EnableSlots turns the per-slot key index on for every database,
// indexing the keys already stored. Cluster mode calls it at start-up;
// calling it again does nothing. A database's index (half a megabyte of
// slot heads) is only allocated once it holds a key, and dropped when it
// is flushed, so the databases cluster mode leaves unused cost nothing.
func (ks *Keyspace) EnableSlots() {
	if ks.slotsOn {
		return
	}
	ks.slotsOn = true
	for _, d := range ks.DBs {
		d.t.each(func(ref uint32) bool {
			d.index(string(d.t.rec(ref).key))
			return true
		})
	}
}

// SlotsEnabled reports whether EnableSlots was called.
func (ks *Keyspace) SlotsEnabled() bool { return ks.slotsOn }

// CountKeysInSlot returns how many keys of the database hash to slot
// (keys past their expiry time included until they are reclaimed, as in
// Redis). It is 0 for every slot while the index is off, and for a slot
// out of range.
func (d *DB) CountKeysInSlot(s int) int {
	if d.slots == nil || s < 0 || s >= slot.Count {
		return 0
	}
	return d.slots.count(s)
}

// SlotHasKeys reports whether any key of the database hashes to slot.
func (d *DB) SlotHasKeys(s int) bool { return d.CountKeysInSlot(s) > 0 }

// KeysInSlot returns copies of up to count keys hashing to slot, in no
// particular order.
func (d *DB) KeysInSlot(s, count int) [][]byte {
	if d.slots == nil || s < 0 || s >= slot.Count || count <= 0 {
		return nil
	}
	names := d.slots.lists[s]
	if names != nil {
		names = names[:min(count, len(names))]
	} else if m := d.slots.sets[s]; m != nil {
		names = make([]string, 0, min(count, len(m)))
		for k := range m {
			if len(names) == count {
				break
			}
			names = append(names, k)
		}
	}
	// The copies share one buffer: two allocations, whatever the count.
	n := 0
	for _, k := range names {
		n += len(k)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(names))
	for i, k := range names {
		buf = append(buf, k...)
		out[i] = buf[len(buf)-len(k) : len(buf) : len(buf)]
	}
	return out
}

// count is the number of keys in slot s.
func (x *slotIndex) count(s int) int {
	if m := x.sets[s]; m != nil {
		return len(m)
	}
	return len(x.lists[s])
}

func slotOfString(k string) int {
	return slot.Of(unsafe.Slice(unsafe.StringData(k), len(k)))
}

// add indexes name, a copy of a key the table has just added.
func (x *slotIndex) add(name string) {
	s := slotOfString(name)
	if m := x.sets[s]; m != nil {
		m[name] = struct{}{}
		return
	}
	l := append(x.lists[s], name)
	if len(l) <= listMax {
		x.lists[s] = l
		return
	}
	m := make(map[string]struct{}, len(l))
	for _, k := range l {
		m[k] = struct{}{}
	}
	x.sets[s], x.lists[s] = m, nil
}

// remove drops name, a key the table is about to delete, from the
// index; name may alias the table's record.
func (x *slotIndex) remove(name string) {
	s := slotOfString(name)
	if m := x.sets[s]; m != nil {
		delete(m, name)
		if len(m) < listMax/2 {
			l := make([]string, 0, len(m))
			for k := range m {
				l = append(l, k)
			}
			x.sets[s], x.lists[s] = nil, l
		}
		return
	}
	l := x.lists[s]
	for i, k := range l {
		if k != name {
			continue
		}
		last := len(l) - 1
		l[i] = l[last]
		l[last] = ""
		l = l[:last]
		switch {
		case last == 0:
			l = nil
		case last <= cap(l)/4:
			l = append([]string(nil), l...)
		}
		x.lists[s] = l
		return
	}
}

// indexNew indexes key, just added to the key table.
func (d *DB) indexNew(key []byte) { d.index(string(key)) }

// index adds name, a copy of a key, allocating the database's index on
// its first key.
func (d *DB) index(name string) {
	if d.slots == nil {
		d.slots = new(slotIndex)
	}
	d.slots.add(name)
}

// unindex drops key, about to be removed from the key table, from the
// index.
func (d *DB) unindex(key []byte) { d.slots.remove(unsafeString(key)) }
