package keyspace

import (
	"fmt"
	"testing"

	"github.com/respd/respd/internal/ds/hash"
	"github.com/respd/respd/internal/ds/zset"
)

// TestPackedCollections stores a small hash and a small sorted set, and
// checks that Settle moves them into their records (no heap object
// left), that lookups read them there with their encodings and TTL, that
// LookupWrite hands out a heap copy that packs again after the change,
// and that packing and moving back reuse one spare Object each.
func TestPackedCollections(t *testing.T) {
	ks, _ := newTest()
	d := ks.DBs[0]
	h := hash.New()
	for f := range 10 {
		h.Set(fmt.Appendf(nil, "field:%d", f), fmt.Appendf(nil, "value:%d", f), hashLimits)
	}
	d.Set([]byte("h"), &Object{Type: TypeHash, Enc: EncHashtable, Val: h}, false)
	d.SetExpire([]byte("h"), 5_000_000)
	z := zset.New()
	lim := zset.Limits{MaxEntries: 128, MaxValue: 64}
	for m := range 10 {
		z.Add(fmt.Appendf(nil, "member:%d", m), float64(m)/4, lim)
	}
	d.Set([]byte("z"), &Object{Type: TypeZSet, Enc: EncListpack, Val: z}, false)
	want := hashContent(h)
	ks.Settle()
	if live := len(d.t.objs) - len(d.t.freeObjs); live != 0 {
		t.Fatalf("%d heap objects left after Settle, want 0", live)
	}
	o := d.Peek([]byte("h"))
	if o.Type != TypeHash || o.Enc != EncHashtable || hashContent(o.Val.(*hash.Hash)) != want {
		t.Fatalf("packed hash reads as %v %v %s", o.Type, o.Enc, hashContent(o.Val.(*hash.Hash)))
	}
	if d.Expire([]byte("h")) != 5_000_000 {
		t.Fatal("packing lost the TTL")
	}
	if s, ok := d.Peek([]byte("z")).Val.(*zset.ZSet).Score([]byte("member:7")); !ok || s != 1.75 {
		t.Fatalf("packed zset: member:7 scores %v %v", s, ok)
	}
	hk, field := []byte("h"), []byte("field:3")
	if n := testing.AllocsPerRun(100, func() { d.Lookup(hk).Val.(*hash.Hash).Get(field) }); n != 0 {
		t.Errorf("reading a packed hash allocates %v times", n)
	}
	spare := ks.spare[spareSlot(TypeHash)]
	if spare == nil {
		t.Fatal("packing kept no spare")
	}
	w := d.LookupWrite([]byte("h"))
	if w != spare {
		t.Fatal("LookupWrite did not reuse the spare Object")
	}
	w.Val.(*hash.Hash).Set([]byte("more"), []byte("x"), hashLimits)
	d.Touch([]byte("h"))
	ks.Settle()
	got := hashContent(d.Peek([]byte("h")).Val.(*hash.Hash))
	if got != want+"more=x;" {
		t.Fatalf("after the change the hash reads %s", got)
	}
	if _, ref, _ := d.t.locate([]byte("h")); d.t.rec(ref).heap() {
		t.Fatal("the changed hash was not packed again")
	}
	if n := d.Spare(TypeHash); n == nil || n.Val.(*hash.Hash).Len() != 0 {
		t.Fatal("Spare did not hand out an empty hash")
	}
}

// TestScratchViewsOfOneBatch: the views lookups of packed values hand
// out stay valid until the next Tick, also when a batch uses more of
// them than the keyspace recycled so far and it grows its set; after
// the Tick the grown set is reused without allocating.
func TestScratchViewsOfOneBatch(t *testing.T) {
	ks, _ := newTest()
	d := ks.DBs[0]
	const n = 200
	for i := range n {
		h := hash.New()
		h.Set([]byte("field"), fmt.Appendf(nil, "value:%d", i), hashLimits)
		d.Set(fmt.Appendf(nil, "h%d", i), &Object{Type: TypeHash, Enc: EncHashtable, Val: h}, false)
	}
	ks.Settle()
	ks.Tick()
	var held []*Object
	for i := range n {
		held = append(held, d.Lookup(fmt.Appendf(nil, "h%d", i)))
	}
	for i, o := range held {
		if v, _ := o.Val.(*hash.Hash).Get([]byte("field")); string(v) != fmt.Sprintf("value:%d", i) {
			t.Fatalf("view %d of the batch reads %q", i, v)
		}
	}
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "h%d", i)
	}
	if a := testing.AllocsPerRun(10, func() {
		ks.Tick()
		for _, k := range keys {
			d.Lookup(k)
		}
	}); a != 0 {
		t.Errorf("a batch of %d packed lookups allocates %v times after the set grew", n, a)
	}
}
