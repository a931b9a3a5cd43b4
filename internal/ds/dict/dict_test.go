package dict

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func key(i int) []byte { return []byte("k" + strconv.Itoa(i)) }

// TestModel checks every operation against a Go map through a random mix
// of inserts, overwrites and deletes that grows, shrinks and compacts the
// table many times.
func TestModel(t *testing.T) {
	d := New[int]()
	m := map[string]int{}
	r := rand.New(rand.NewPCG(1, 2))
	for step := 0; step < 200000; step++ {
		// Phases of mostly inserting and mostly deleting.
		grow := (step/20000)%2 == 0
		k := r.IntN(30000)
		if (grow && r.IntN(4) != 0) || (!grow && r.IntN(4) == 0) {
			_, had := m[strconv.Itoa(k)]
			if isNew := d.Set([]byte(strconv.Itoa(k)), step); isNew == had {
				t.Fatalf("step %d: Set(%d) new=%v, map had=%v", step, k, isNew, had)
			}
			m[strconv.Itoa(k)] = step
		} else {
			_, had := m[strconv.Itoa(k)]
			if got := d.DeleteString(strconv.Itoa(k)); got != had {
				t.Fatalf("step %d: Delete(%d)=%v, map had=%v", step, k, got, had)
			}
			delete(m, strconv.Itoa(k))
		}
		if d.Len() != len(m) {
			t.Fatalf("step %d: Len %d, want %d", step, d.Len(), len(m))
		}
	}
	seen := 0
	d.Range(func(k string, v int) bool {
		if m[k] != v {
			t.Fatalf("Range: %s=%d, want %d", k, v, m[k])
		}
		seen++
		return true
	})
	if seen != len(m) {
		t.Fatalf("Range saw %d elements, want %d", seen, len(m))
	}
	for k, v := range m {
		if got, ok := d.GetString(k); !ok || got != v {
			t.Fatalf("GetString(%s)=%d,%v want %d", k, got, ok, v)
		}
		if s, p := d.Entry([]byte(k)); p == nil || *p != v || s != k {
			t.Fatalf("Entry(%s) = %q, %v", k, s, p)
		}
	}
	if _, ok := d.Get([]byte("absent")); ok {
		t.Fatal("Get found an absent key")
	}
}

// TestScanAcrossResize checks SCAN's promise: an element present for the
// whole iteration is returned, while the table grows and shrinks between
// steps.
func TestScanAcrossResize(t *testing.T) {
	for _, mode := range []string{"grow", "shrink"} {
		d := New[int]()
		stable := map[string]bool{}
		for i := 0; i < 500; i++ {
			d.Set(key(i), i)
			stable[string(key(i))] = true
		}
		if mode == "shrink" {
			for i := 500; i < 20000; i++ {
				d.Set(key(i), i)
			}
		}
		seen := map[string]bool{}
		cursor, steps := uint64(0), 0
		for {
			cursor = d.Scan(cursor, func(k string, _ int) { seen[k] = true })
			steps++
			if mode == "grow" && steps < 200 {
				for j := 0; j < 100; j++ {
					d.Set(key(100000+steps*100+j), 0)
				}
			}
			if mode == "shrink" {
				for j := 0; j < 200; j++ {
					d.Delete(key(500 + (steps*200+j)%19500))
				}
			}
			if cursor == 0 {
				break
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("%s: scan missed %s", mode, k)
			}
		}
	}
}

// TestRandom checks that Random reaches every element and reports an
// empty dict.
func TestRandom(t *testing.T) {
	d := New[int]()
	if _, _, ok := d.Random(rand.Uint64); ok {
		t.Fatal("Random on an empty dict returned an element")
	}
	for i := 0; i < 50; i++ {
		d.Set(key(i), i)
	}
	seen := map[string]bool{}
	for i := 0; i < 20000; i++ {
		k, v, ok := d.Random(rand.Uint64)
		if !ok || k != string(key(v)) {
			t.Fatalf("Random returned %q=%d,%v", k, v, ok)
		}
		seen[k] = true
	}
	if len(seen) != 50 {
		t.Fatalf("Random reached %d of 50 elements", len(seen))
	}
}

// TestSetAllocs checks that overwriting and reading do not allocate: the
// keyspace's hot paths depend on it.
func TestSetAllocs(t *testing.T) {
	d := New[int]()
	for i := 0; i < 5000; i++ {
		d.Set(key(i), i)
	}
	k := key(77)
	if n := testing.AllocsPerRun(100, func() {
		d.Set(k, 1)
		d.Get(k)
		d.Entry(k)
		d.Slot(k)
	}); n != 0 {
		t.Fatalf("%v allocations per overwrite+read", n)
	}
}

// BenchmarkGetLarge looks up, in random order, the members of a large
// collection as redis-benchmark names them: keys of one length, so that
// every other element of a chain has to be told apart.
func BenchmarkGetLarge(b *testing.B) {
	const n = 100000
	d := New[struct{}]()
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte("element:" + strconv.Itoa(1e11 + i)[1:])
		d.Set(keys[i], struct{}{})
	}
	rand.Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := d.Get(keys[i%n]); !ok {
			b.Fatal("missing")
		}
	}
}

// TestEntry: Entry returns the stored copy of the key and a pointer that
// changes the stored value, and nil for a missing key; Slot adds a
// missing key with the zero value and says so.
func TestEntry(t *testing.T) {
	d := New[float64]()
	k := []byte("member")
	d.Set(k, 1.5)
	key, p := d.Entry(k)
	if p == nil || key != "member" || *p != 1.5 {
		t.Fatalf("Entry = %q %v", key, p)
	}
	k[0] = 'M' // the stored key is a copy
	if key != "member" {
		t.Fatalf("stored key changed with the caller's bytes: %q", key)
	}
	*p = 2.5
	if v, _ := d.GetString("member"); v != 2.5 {
		t.Fatalf("value after writing through Entry's pointer = %v", v)
	}
	if key, p := d.Entry([]byte("absent")); p != nil || key != "" {
		t.Fatalf("Entry of a missing key = %q %v", key, p)
	}
	key, p, added := d.Slot([]byte("new"))
	if !added || key != "new" || p == nil || *p != 0 || d.Len() != 2 {
		t.Fatalf("Slot of a missing key = %q %v %v, Len %d", key, p, added, d.Len())
	}
	*p = 7
	if key, p, added := d.Slot([]byte("new")); added || key != "new" || *p != 7 {
		t.Fatalf("Slot of a present key = %q %v %v", key, *p, added)
	}
}

// TestProber: the prefetches read nothing out of bounds, in an empty dict
// or a full one, for keys present or not, and Hash is the hash a search
// uses (the element is found in the chain PrefetchKey starts from).
func TestProber(t *testing.T) {
	d := New[int]()
	var p Prober = d
	for _, k := range []string{"a", "absent"} {
		h := p.Hash([]byte(k))
		p.PrefetchBucket(h)
		p.PrefetchElement(h)
		p.PrefetchKey(h)
	}
	for i := range 5000 {
		d.Set([]byte(strconv.Itoa(i)), i)
	}
	for i := range 6000 {
		k := []byte(strconv.Itoa(i))
		h := p.Hash(k)
		p.PrefetchBucket(h)
		p.PrefetchElement(h)
		p.PrefetchKey(h)
		if e := d.find(h, string(k)); (e != nil) != (i < 5000) {
			t.Fatalf("%s: found %v by the prober's hash", k, e != nil)
		}
	}
	if p.Len() != 5000 {
		t.Errorf("Len %d", p.Len())
	}
}
