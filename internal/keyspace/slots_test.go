package keyspace

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/slot"
)

// checkIndex compares every database's slot index with its key table,
// which is the truth the index must follow exactly: slot by slot for the
// given slots (those the test's keys hash to), and in total (so no other
// slot holds anything).
func checkIndex(t *testing.T, ks *Keyspace, slots []int, step int, op string) {
	t.Helper()
	for _, d := range ks.DBs {
		want := map[int]map[string]bool{}
		d.t.each(func(ref uint32) bool {
			k := string(d.t.rec(ref).key)
			s := slot.Of([]byte(k))
			if want[s] == nil {
				want[s] = map[string]bool{}
			}
			want[s][k] = true
			return true
		})
		total := 0
		for _, s := range slots {
			n := d.CountKeysInSlot(s)
			total += n
			if n != len(want[s]) {
				t.Fatalf("step %d (%s): db %d slot %d counts %d keys, table holds %d", step, op, d.ID, s, n, len(want[s]))
			}
			if n == 0 {
				if d.SlotHasKeys(s) || len(d.KeysInSlot(s, 10)) != 0 {
					t.Fatalf("step %d (%s): db %d empty slot %d reports keys", step, op, d.ID, s)
				}
				continue
			}
			got := d.KeysInSlot(s, n+1)
			if len(got) != n {
				t.Fatalf("step %d (%s): db %d slot %d: KeysInSlot gave %d keys, want %d", step, op, d.ID, s, len(got), n)
			}
			seen := map[string]bool{}
			for _, k := range got {
				if !want[s][string(k)] || seen[string(k)] {
					t.Fatalf("step %d (%s): db %d slot %d: KeysInSlot gave %q (not in the table, or twice)", step, op, d.ID, s, k)
				}
				seen[string(k)] = true
			}
			if c := min(2, n); len(d.KeysInSlot(s, c)) != c {
				t.Fatalf("step %d (%s): db %d slot %d: KeysInSlot(%d) gave the wrong count", step, op, d.ID, s, c)
			}
		}
		if total != d.Len() {
			t.Fatalf("step %d (%s): db %d: slot counts sum to %d, table holds %d", step, op, d.ID, total, d.Len())
		}
	}
}

// slotModel is what each database logically holds: key -> absolute
// expiry time (-1 for none). Expired entries stay in it; they are
// simply not live.
type slotModel []map[string]int64

func (m slotModel) live(db int, k string, now int64) bool {
	at, ok := m[db][k]
	return ok && (at < 0 || at > now)
}

// testKeys mixes keys that share slots through hash tags (so slots hold
// many keys and KeysInSlot has a choice), plain keys, and names long
// enough to take the key table's other layouts.
func testKeys() []string {
	var keys []string
	for i := range 60 {
		keys = append(keys, fmt.Sprintf("{tag%d}k%d", i%4, i))
		keys = append(keys, fmt.Sprintf("plain%d", i))
	}
	for i := range 10 {
		keys = append(keys, strings.Repeat("long", 30)+fmt.Sprint(i))
	}
	return keys
}

// TestSlotIndexRandomized drives every way a key appears or disappears in
// the keyspace (writes, overwrites with other types, deletes, TTLs with
// lazy, active, scan and random-key expiry, eviction's sample and delete,
// RENAME/MOVE, COPY, flushes, SWAPDB, a replica that keeps expired keys)
// at random and checks the index against the key table after every step
// and the live keys against a model now and then.
func TestSlotIndexRandomized(t *testing.T) {
	defer func(m int) { listMax = m }(listMax)
	for seed := range uint64(6) {
		// Half the runs make slots of a few keys maps, so keys move
		// between the two forms all the time.
		listMax = 256
		if seed%2 == 1 {
			listMax = 4
		}
		t.Run(fmt.Sprint("seed", seed, "-listmax", listMax), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			ks, clk := newTest()
			keys := testKeys()
			var slots []int
			seen := map[int]bool{}
			for _, k := range keys {
				if s := slot.Of([]byte(k)); !seen[s] {
					seen[s] = true
					slots = append(slots, s)
				}
			}
			model := make(slotModel, len(ks.DBs))
			for i := range model {
				model[i] = map[string]int64{}
			}
			key := func() string { return keys[r.IntN(len(keys))] }
			// Some keys exist before the index is turned on.
			for i := range 50 {
				k := key()
				ks.DBs[i%2].SetString([]byte(k), []byte("pre"), false)
				model[i%2][k] = -1
			}
			ks.EnableSlots()
			checkIndex(t, ks, slots, -1, "enable")
			for step := range 4000 {
				dbi := r.IntN(len(ks.DBs))
				d := ks.DBs[dbi]
				k := key()
				now := ks.Now()
				var op string
				switch n := r.IntN(100); {
				case n < 25:
					op = "setstring"
					d.SetString([]byte(k), []byte(fmt.Sprint("v", step)), false)
					model[dbi][k] = -1
				case n < 30:
					op = "set list"
					d.Set([]byte(k), &Object{Type: TypeList}, false)
					model[dbi][k] = -1
				case n < 40:
					op = "delete"
					d.Delete([]byte(k))
					delete(model[dbi], k)
				case n < 50:
					op = "expire"
					if d.Exists([]byte(k)) {
						at := now + int64(r.IntN(3000)) - 500
						d.SetExpire([]byte(k), at)
						model[dbi][k] = at
					}
				case n < 52:
					op = "persist"
					if d.Exists([]byte(k)) {
						d.Persist([]byte(k))
						model[dbi][k] = -1
					}
				case n < 57:
					op = "tick"
					clk.Advance(time.Duration(r.IntN(800)) * time.Millisecond)
					ks.Tick()
				case n < 62:
					op = "lookup"
					d.Lookup([]byte(k))
				case n < 65:
					op = "active expire"
					if !ks.Replica {
						ks.ActiveExpire(50)
					}
				case n < 68:
					op = "scan"
					for c := d.Scan(0, func(string, *Object) {}); c != 0; {
						c = d.Scan(c, func(string, *Object) {})
					}
				case n < 70:
					op = "randomkey"
					d.RandomKey()
				case n < 74:
					op = "evict"
					var victim string
					d.Sample(1, r.IntN(2) == 0, func(k string, _ *Object, _ int64) { victim = k })
					if victim != "" && d.Candidate([]byte(victim), false) != nil {
						// Eviction deletes a key whether or not it is
						// logically expired.
						if !d.Delete([]byte(victim)) {
							// Delete refused an expired key on a
							// replica: it stays, logically gone.
							break
						}
						delete(model[dbi], victim)
					}
				case n < 82:
					op = "relocate"
					toi := r.IntN(len(ks.DBs))
					dst := key()
					if d.Exists([]byte(k)) && (toi != dbi || dst != k) {
						// Relocate replaces dst whatever it held, as
						// RENAME does and MOVE after checking.
						ks.DBs[toi].Exists([]byte(dst))
						d.Relocate([]byte(k), ks.DBs[toi], []byte(dst))
						model[toi][dst] = model[dbi][k]
						delete(model[dbi], k)
					}
				case n < 86:
					op = "copy"
					dst := key()
					if o := d.Peek([]byte(k)); o != nil && dst != k {
						d.Set([]byte(dst), o.Copy(), false)
						model[dbi][dst] = -1
					}
				case n < 88:
					op = "flush"
					d.Flush()
					model[dbi] = map[string]int64{}
				case n < 89:
					op = "flushall"
					ks.FlushAll()
					for i := range model {
						model[i] = map[string]int64{}
					}
				case n < 93:
					op = "swap"
					b := r.IntN(len(ks.DBs))
					ks.Swap(dbi, b)
					model[dbi], model[b] = model[b], model[dbi]
				case n < 95:
					op = "replica toggle"
					ks.Replica = !ks.Replica
				default:
					op = "snapshot"
					// A snapshot in progress makes writes save
					// pre-images first; the index must not care.
					if !ks.Snapshotting() {
						s := ks.BeginSnapshot(func(int, string, *Object, int64) {})
						for s.Step(5) {
							k2 := key()
							d.SetString([]byte(k2), []byte("during"), false)
							model[dbi][k2] = -1
						}
					}
				}
				checkIndex(t, ks, slots, step, op)
				if step%100 == 99 {
					now := ks.Now()
					for i, d := range ks.DBs {
						for _, k := range keys {
							if got, want := d.Exists([]byte(k)), model.live(i, k, now); got != want {
								t.Fatalf("step %d (%s): db %d key %q exists=%v, model says %v", step, op, i, k, got, want)
							}
						}
					}
					checkIndex(t, ks, slots, step, "exists checks")
				}
			}
		})
	}
}

// TestSlotIndexOff: without EnableSlots nothing is indexed and the
// accessors answer as for empty slots.
func TestSlotIndexOff(t *testing.T) {
	ks, _ := newTest()
	d := ks.DBs[0]
	d.SetString([]byte("foo"), []byte("bar"), false)
	s := slot.Of([]byte("foo"))
	if ks.SlotsEnabled() || d.slots != nil || d.CountKeysInSlot(s) != 0 || len(d.KeysInSlot(s, 10)) != 0 {
		t.Fatal("index active without EnableSlots")
	}
	ks.EnableSlots()
	if !ks.SlotsEnabled() || d.CountKeysInSlot(s) != 1 || string(d.KeysInSlot(s, 10)[0]) != "foo" {
		t.Fatal("EnableSlots did not index the existing key")
	}
	if d.CountKeysInSlot(-1) != 0 || d.CountKeysInSlot(slot.Count) != 0 || d.KeysInSlot(s, 0) != nil {
		t.Fatal("out-of-range slot or zero count answered with keys")
	}
	// An unused database allocates no index; a flushed one drops it.
	if ks.DBs[1].slots != nil {
		t.Fatal("an empty database allocated an index")
	}
	d.Flush()
	if d.slots != nil {
		t.Fatal("a flushed database keeps its index")
	}
	d.SetString([]byte("foo"), []byte("bar"), false)
	if d.CountKeysInSlot(s) != 1 {
		t.Fatal("a key written after a flush is not indexed")
	}
}

// TestSlotIndexForms: a slot grows from a slice into a map and back,
// and an emptied slot holds nothing, so resharding leaves no dead
// memory; the keys stay exact through both changes.
func TestSlotIndexForms(t *testing.T) {
	ks, _ := newTest()
	ks.EnableSlots()
	d := ks.DBs[0]
	const n = 1000
	s := slot.Of([]byte("{s}"))
	check := func(want int) {
		t.Helper()
		if got := d.CountKeysInSlot(s); got != want {
			t.Fatalf("count %d, want %d", got, want)
		}
		seen := map[string]bool{}
		for _, k := range d.KeysInSlot(s, n) {
			if seen[string(k)] || !d.Exists(k) {
				t.Fatalf("KeysInSlot gave %q twice or a missing key", k)
			}
			seen[string(k)] = true
		}
		if len(seen) != want {
			t.Fatalf("KeysInSlot gave %d keys, want %d", len(seen), want)
		}
	}
	for i := range n {
		d.SetString(fmt.Appendf(nil, "{s}%d", i), []byte("v"), false)
	}
	if d.slots.sets[s] == nil {
		t.Fatalf("a slot of %d keys is not a map", n)
	}
	check(n)
	for i := range n - 100 {
		d.Delete(fmt.Appendf(nil, "{s}%d", i))
	}
	if d.slots.sets[s] != nil || d.slots.lists[s] == nil {
		t.Fatal("a slot of 100 keys is still a map")
	}
	check(100)
	for i := n - 100; i < n-10; i++ {
		d.Delete(fmt.Appendf(nil, "{s}%d", i))
	}
	if c := cap(d.slots.lists[s]); c > 40 {
		t.Fatalf("a slice of 10 keys keeps capacity %d", c)
	}
	check(10)
	for i := n - 10; i < n; i++ {
		d.Delete(fmt.Appendf(nil, "{s}%d", i))
	}
	if d.slots.lists[s] != nil || d.slots.sets[s] != nil {
		t.Fatal("an empty slot keeps memory")
	}
	check(0)
}
