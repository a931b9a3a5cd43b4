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
// Each slot holds the set of its keys as a Go map whose keys are the key
// table's own copy of each name (dict.Key), so the index costs a map
// slot per key and no second copy of the name. The index follows what
// the key table physically holds, like Redis's: a key past its expiry
// time counts until it is reclaimed (lazily or by active expiry).
//
// Go maps never shrink, and resharding empties slots wholesale (GETKEYSINSLOT
// then MIGRATE of what it returned, over and over); a slot's map is
// therefore dropped when it empties and rebuilt when it holds an eighth
// of its high-water mark, which keeps both the memory and the iteration
// of GETKEYSINSLOT (which walks empty map slots too) proportional to the
// keys present.
type slotIndex struct {
	keys [slot.Count]map[string]struct{}
	// peak is each map's largest size since it was made.
	peak [slot.Count]int32
}

// shrinkMin is the high-water mark below which a map is never rebuilt:
// small maps waste little.
const shrinkMin = 64

// EnableSlots turns the per-slot key index on for every database,
// indexing the keys already stored. Cluster mode calls it at start-up;
// calling it again does nothing.
func (ks *Keyspace) EnableSlots() {
	for _, d := range ks.DBs {
		if d.slots != nil {
			continue
		}
		d.slots = new(slotIndex)
		d.keys.Range(func(k string, _ *Object) bool {
			d.slots.add(k)
			return true
		})
	}
}

// SlotsEnabled reports whether EnableSlots was called.
func (ks *Keyspace) SlotsEnabled() bool { return len(ks.DBs) > 0 && ks.DBs[0].slots != nil }

// CountKeysInSlot returns how many keys of the database hash to slot
// (keys past their expiry time included until they are reclaimed, as in
// Redis). It is 0 for every slot while the index is off, and for a slot
// out of range.
func (d *DB) CountKeysInSlot(s int) int {
	if d.slots == nil || s < 0 || s >= slot.Count {
		return 0
	}
	return len(d.slots.keys[s])
}

// SlotHasKeys reports whether any key of the database hashes to slot.
func (d *DB) SlotHasKeys(s int) bool { return d.CountKeysInSlot(s) > 0 }

// KeysInSlot returns copies of up to count keys hashing to slot, in no
// particular order; nil while the index is off.
func (d *DB) KeysInSlot(s, count int) [][]byte {
	if d.slots == nil || s < 0 || s >= slot.Count || count <= 0 {
		return nil
	}
	m := d.slots.keys[s]
	out := make([][]byte, 0, min(count, len(m)))
	for k := range m {
		if len(out) == count {
			break
		}
		out = append(out, []byte(k))
	}
	return out
}

// add indexes name, which must be the key table's copy of the key.
func (x *slotIndex) add(name string) {
	s := slot.Of(unsafe.Slice(unsafe.StringData(name), len(name)))
	m := x.keys[s]
	if m == nil {
		m = make(map[string]struct{})
		x.keys[s] = m
	}
	m[name] = struct{}{}
	if n := int32(len(m)); n > x.peak[s] {
		x.peak[s] = n
	}
}

// remove drops key from the index; key may be a view of a caller's
// bytes, as it is only compared.
func (x *slotIndex) remove(key string) {
	s := slot.Of(unsafe.Slice(unsafe.StringData(key), len(key)))
	m := x.keys[s]
	if m == nil {
		return
	}
	delete(m, key)
	switch n := int32(len(m)); {
	case n == 0:
		x.keys[s], x.peak[s] = nil, 0
	case x.peak[s] >= shrinkMin && n <= x.peak[s]/8:
		fresh := make(map[string]struct{}, n)
		for k := range m {
			fresh[k] = struct{}{}
		}
		x.keys[s], x.peak[s] = fresh, n
	}
}

// indexNew indexes key, just added to the key table.
func (d *DB) indexNew(key []byte) {
	if name, ok := d.keys.Key(key); ok {
		d.slots.add(name)
	}
}

// unindex drops key, just removed from the key table, from the index.
func (d *DB) unindex(key []byte) {
	d.slots.remove(unsafe.String(unsafe.SliceData(key), len(key)))
}
