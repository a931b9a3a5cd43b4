package keyspace

import (
	"testing"
	"time"
)

func lfuTest(factor int64) (*Keyspace, *DB) {
	ks, _ := newTest()
	ks.SetAccessPolicy(AccessPolicy{LFU: true, LogFactor: factor, DecayTime: 1})
	return ks, ks.DBs[0]
}

func TestLFUStamps(t *testing.T) {
	ks, d := lfuTest(0)
	k := []byte("k")
	d.SetString(k, []byte("v"), false)
	o := d.Peek(k)
	if got := ks.LFUCounter(o); got != LFUInitVal {
		t.Fatalf("new key counter = %d, want %d", got, LFUInitVal)
	}
	d.Lookup(k)
	d.LookupWrite(k)
	d.LookupNoTouch(k)
	d.Peek(k)
	if got := ks.LFUCounter(d.Peek(k)); got != LFUInitVal+2 {
		t.Fatalf("after Lookup and LookupWrite counter = %d, want %d", got, LFUInitVal+2)
	}
	// Overwrites keep the counter and count one access, whatever the
	// type of the new value.
	d.SetString(k, []byte("w"), false)
	d.Set(k, &Object{Type: TypeList}, false)
	if got := ks.LFUCounter(d.Peek(k)); got != LFUInitVal+4 {
		t.Fatalf("after two overwrites counter = %d, want %d", got, LFUInitVal+4)
	}
	// A stored object that has a counter (moved) keeps it.
	moved := d.Peek(k)
	d.Set([]byte("other"), moved, false)
	if got := ks.LFUCounter(moved); got != LFUInitVal+4 {
		t.Fatalf("moved object counter = %d, want %d", got, LFUInitVal+4)
	}
	// The copy of a value is new.
	c := moved.Copy()
	d.Set([]byte("copy"), c, false)
	if got := ks.LFUCounter(c); got != LFUInitVal {
		t.Fatalf("copy counter = %d, want %d", got, LFUInitVal)
	}
}

func TestAccessHintsAndRecords(t *testing.T) {
	ks, clk := newTest()
	o := &Object{Type: TypeString}
	clk.Advance(time.Hour)
	ks.Tick()
	ks.SetAccessHints(o, 100, 30)
	if idle, freq := ks.AccessRecords(o); idle != -1 || freq != -1 {
		t.Errorf("noeviction records (%d, %d), want none", idle, freq)
	}
	ks.SetAccessPolicy(AccessPolicy{LRU: true})
	if idle, freq := ks.AccessRecords(o); idle != 30 || freq != -1 {
		t.Errorf("LRU records (%d, %d), want idle 30 only", idle, freq)
	}
	ks.SetAccessPolicy(AccessPolicy{LFU: true, DecayTime: 1})
	ks.SetAccessHints(o, 100, 30)
	if idle, freq := ks.AccessRecords(o); idle != -1 || freq != 100 {
		t.Errorf("LFU records (%d, %d), want freq 100 only", idle, freq)
	}
	ks.SetAccessHints(o, -1, 30) // no counter given: a new key's
	if got := ks.LFUCounter(o); got != LFUInitVal {
		t.Errorf("counter without FREQ = %d, want %d", got, LFUInitVal)
	}
}

// Under LFU, reads and overwrites stay allocation-free.
func TestLFUNoAlloc(t *testing.T) {
	_, d := lfuTest(10)
	k, v := []byte("k"), []byte("value")
	d.SetString(k, v, false)
	if n := testing.AllocsPerRun(100, func() {
		d.Lookup(k)
		d.SetString(k, v, false)
	}); n != 0 {
		t.Errorf("%v allocations per Lookup+SetString under LFU", n)
	}
}
