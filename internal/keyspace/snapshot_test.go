package keyspace

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/respd/respd/internal/clock"
)

// TestSnapshotIsPointInTime changes keys in every way the keyspace knows
// while a snapshot steps one key at a time, and checks the snapshot holds
// exactly the state at its start.
func TestSnapshotIsPointInTime(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		r := rand.New(rand.NewPCG(seed, 0))
		ks := New(3, clock.NewFake(1000))
		want := map[string]string{}
		for db := 0; db < 3; db++ {
			for i := 0; i < r.IntN(40); i++ {
				k := fmt.Sprint("k", r.IntN(60))
				v := fmt.Sprint("v", r.IntN(1000))
				ks.DBs[db].SetString([]byte(k), []byte(v), false)
				if r.IntN(3) == 0 {
					ks.DBs[db].SetExpire([]byte(k), 5000+int64(r.IntN(10)))
				} else {
					ks.DBs[db].Persist([]byte(k))
				}
			}
			ks.DBs[db].Range(func(k string, o *Object) bool {
				want[fmt.Sprint(db, "/", k)] = fmt.Sprint(string(o.Str), "@", ks.DBs[db].Expire([]byte(k)))
				return true
			})
		}
		got := map[string]string{}
		s := ks.BeginSnapshot(func(db int, key string, o *Object, at int64) {
			id := fmt.Sprint(db, "/", key)
			if _, dup := got[id]; dup {
				t.Fatalf("seed %d: %s saved twice", seed, id)
			}
			got[id] = fmt.Sprint(string(o.Str), "@", at)
		})
		for more := true; more; {
			for range r.IntN(4) {
				mutate(r, ks)
			}
			more = s.Step(1 + r.IntN(3))
		}
		if len(got) != len(want) {
			t.Fatalf("seed %d: saved %d keys, want %d", seed, len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("seed %d: %s saved as %q, want %q", seed, k, got[k], v)
			}
		}
	}
}

func mutate(r *rand.Rand, ks *Keyspace) {
	d := ks.DBs[r.IntN(len(ks.DBs))]
	k := []byte(fmt.Sprint("k", r.IntN(60)))
	switch r.IntN(11) {
	case 0:
		d.SetString(k, []byte(fmt.Sprint("new", r.IntN(100))), false)
	case 1:
		d.Set(k, &Object{Type: TypeString, Str: []byte("set")}, r.IntN(2) == 0)
	case 2:
		d.Delete(k)
	case 3:
		if d.Exists(k) {
			d.SetExpire(k, 9000)
		}
	case 4:
		d.Persist(k)
	case 5:
		// A write command changing the object it looked up in place.
		ks.Writing = true
		if o := d.LookupWrite(k); o != nil {
			o.Str = append(o.Str[:0], "inplace"...)
			d.Touch(k)
		}
		ks.Writing = false
	case 6:
		if d.Exists(k) {
			to := ks.DBs[r.IntN(len(ks.DBs))]
			d.Relocate(k, to, []byte(fmt.Sprint("k", r.IntN(60))))
		}
	case 7:
		if r.IntN(8) == 0 {
			d.Flush()
		}
	case 8:
		if r.IntN(8) == 0 {
			ks.Swap(r.IntN(len(ks.DBs)), r.IntN(len(ks.DBs)))
		}
	case 10:
		// INCR: the new digits stored where PeekWrite found the key.
		ks.Writing = true
		if o, at := d.PeekWrite(k); o != nil && o.Type == TypeString {
			d.Overwrite(at, k, []byte(fmt.Sprint(r.IntN(100))))
		}
		ks.Writing = false
	case 9:
		// Past-due keys deleted by expiry are still in the snapshot.
		if d.Exists(k) {
			d.SetExpire(k, 1)
			d.Exists(k)
		}
	}
}

// TestSnapshotAcrossCompaction runs a snapshot while mass deletions make
// the key table shrink and compact its slab and insertions make it grow
// again: every key present at Begin is still saved exactly once, with its
// value at Begin.
func TestSnapshotAcrossCompaction(t *testing.T) {
	ks := New(1, clock.NewFake(1000))
	d := ks.DBs[0]
	want := map[string]string{}
	for i := 0; i < 6000; i++ {
		k, v := fmt.Sprint("key", i), fmt.Sprint("v", i)
		d.SetString([]byte(k), []byte(v), false)
		want[k] = v
	}
	got := map[string]string{}
	s := ks.BeginSnapshot(func(_ int, key string, o *Object, _ int64) {
		if _, dup := got[key]; dup {
			t.Fatalf("%s saved twice", key)
		}
		got[key] = string(o.Str)
	})
	next := 0
	for step := 0; s.Step(5); step++ {
		switch {
		case step%60 < 45:
			// Delete a stretch of keys, saved or not.
			for j := 0; j < 150; j++ {
				d.Delete([]byte(fmt.Sprint("key", next%6000)))
				next++
			}
		default:
			for j := 0; j < 100; j++ {
				d.SetString([]byte(fmt.Sprint("new", step, "/", j)), []byte("x"), false)
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("saved %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s saved as %q, want %q", k, got[k], v)
		}
	}
}
