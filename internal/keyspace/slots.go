package keyspace

import "github.com/respd/respd/internal/slot"

// This file is the scan-based stand-in for the per-slot key index the
// cluster needs; the indexed version replaces it with the same
// signatures.

// EnableSlots turns the per-slot key index on (cluster mode). The
// scan-based version keeps no index, so there is nothing to do.
func (ks *Keyspace) EnableSlots() {}

// CountKeysInSlot returns how many keys of the database hash to slot s.
func (d *DB) CountKeysInSlot(s int) int {
	n := 0
	d.Range(func(key string, _ *Object) bool {
		if slot.Of([]byte(key)) == s {
			n++
		}
		return true
	})
	return n
}

// KeysInSlot returns copies of up to count keys hashing to slot s.
func (d *DB) KeysInSlot(s, count int) [][]byte {
	var out [][]byte
	if count <= 0 {
		return out
	}
	d.Range(func(key string, _ *Object) bool {
		if slot.Of([]byte(key)) == s {
			out = append(out, []byte(key))
		}
		return len(out) < count
	})
	return out
}

// SlotHasKeys reports whether any key hashes to slot s.
func (d *DB) SlotHasKeys(s int) bool { return d.CountKeysInSlot(s) > 0 }
