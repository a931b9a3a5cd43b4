package keyspace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/respd/respd/internal/ds/hash"
)

var hashLimits = hash.Limits{MaxEntries: 128, MaxValue: 64}

// hashContent lists a hash's pairs in order, for comparing with the model.
func hashContent(h *hash.Hash) string {
	var b strings.Builder
	h.Range(func(f, v []byte) bool {
		fmt.Fprintf(&b, "%s=%s;", f, v)
		return true
	})
	return b.String()
}

// modelKey is what the model says a key holds.
type modelKey struct {
	val  string // a string's value, a list's marker or a hash's pairs
	list bool
	hash bool
	at   int64 // -1 without a TTL
}

// TestTableModel drives two databases through random writes of every kind
// the key table knows (packed strings of every size around the record
// limit, heap values, names longer than bigKeyLen, TTLs added, changed
// and dropped, renames within and across databases, moves to the heap,
// flushes and swaps) and after each step compares everything the
// databases report with a plain map: values, TTLs, counts, a full SCAN,
// and the table's own bookkeeping (vol positions, arena bytes in use).
func TestTableModel(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runTableModel(t, seed) })
	}
}

func runTableModel(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed))
	ks, _ := newTest()
	model := []map[string]modelKey{{}, {}}
	names := make([]string, 0, 200)
	for i := range 200 {
		n := fmt.Sprintf("k%d", i)
		switch i % 10 {
		case 0:
			n += strings.Repeat("L", bigKeyLen) // kept on the heap
		case 1:
			n += strings.Repeat("m", 100+i) // long, but in the record
		}
		names = append(names, n)
	}
	value := func() string {
		sizes := []int{0, 1, 5, 15, 16, 40, 200, maxRecord - 40, maxRecord - 30, maxRecord - 14, maxRecord, 2000}
		return strings.Repeat(string(rune('a'+rng.IntN(26))), sizes[rng.IntN(len(sizes))])
	}
	for step := 0; step < 6000; step++ {
		db := rng.IntN(2)
		d, m := ks.DBs[db], model[db]
		k := names[rng.IntN(len(names))]
		kb := []byte(k)
		op := rng.IntN(100)
		switch {
		case op < 35:
			v := value()
			keep := rng.IntN(3) == 0
			d.SetString(kb, []byte(v), keep)
			at := int64(-1)
			if old, ok := m[k]; ok && keep {
				at = old.at
			}
			m[k] = modelKey{val: v, at: at}
		case op < 40:
			d.Set(kb, &Object{Type: TypeList, Val: "list:" + k}, false)
			m[k] = modelKey{val: "list:" + k, list: true, at: -1}
		case op < 44:
			// A small hash, packed once the step settles; a bigger one
			// (up to 30 fields of 20 bytes) stays on the heap.
			h := hash.New()
			for f := range 1 + rng.IntN(30) {
				v := value()
				h.Set(fmt.Appendf(nil, "f%d", f), []byte(v[:min(20, len(v))]), hashLimits)
			}
			d.Set(kb, &Object{Type: TypeHash, Enc: EncListpack, Val: h}, false)
			m[k] = modelKey{val: hashContent(h), hash: true, at: -1}
		case op < 55:
			if _, ok := m[k]; ok {
				at := 5_000_000 + rng.Int64N(1000)
				d.SetExpire(kb, at)
				mk := m[k]
				mk.at = at
				m[k] = mk
			}
		case op < 62:
			if mk, ok := m[k]; ok {
				if got := d.Persist(kb); got != (mk.at >= 0) {
					t.Fatalf("step %d: Persist(%s) = %v", step, k, got)
				}
				mk.at = -1
				m[k] = mk
			}
		case op < 75:
			_, ok := m[k]
			if got := d.Delete(kb); got != ok {
				t.Fatalf("step %d: Delete(%s) = %v, want %v", step, k, got, ok)
			}
			delete(m, k)
		case op < 85:
			if _, ok := m[k]; !ok {
				break
			}
			tdb := rng.IntN(2)
			dst := names[rng.IntN(len(names))]
			if tdb == db && dst == k {
				break
			}
			d.Relocate(kb, ks.DBs[tdb], []byte(dst))
			model[tdb][dst] = m[k]
			delete(m, k)
		case op < 95:
			o := d.LookupWrite(kb)
			mk, ok := m[k]
			if (o != nil) != ok {
				t.Fatalf("step %d: LookupWrite(%s) found %v, want %v", step, k, o != nil, ok)
			}
			switch {
			case ok && mk.hash:
				h := o.Val.(*hash.Hash)
				h.Set([]byte("added"), []byte("x"), hashLimits)
				d.Touch(kb)
				mk.val = hashContent(h)
				m[k] = mk
			case ok && !mk.list:
				o.Str = append(o.Str, 'x')
				d.Touch(kb)
				mk.val += "x"
				m[k] = mk
			}
		case op < 97:
			ks.Swap(0, 1)
			model[0], model[1] = model[1], model[0]
		default:
			if rng.IntN(4) == 0 {
				d.Flush()
				model[db] = map[string]modelKey{}
			}
		}
		ks.Tick()
		for i := range 2 {
			checkModel(t, step, ks.DBs[i], model[i])
		}
	}
}

func checkModel(t *testing.T, step int, d *DB, m map[string]modelKey) {
	t.Helper()
	ttls := 0
	for k, mk := range m {
		o := d.Peek([]byte(k))
		if o == nil {
			t.Fatalf("step %d: db %d lost %q", step, d.ID, k)
		}
		switch {
		case mk.list:
			if o.Type != TypeList || o.Val != mk.val {
				t.Fatalf("step %d: db %d %q holds %v %v, want the list", step, d.ID, k, o.Type, o.Val)
			}
		case mk.hash:
			if o.Type != TypeHash || hashContent(o.Val.(*hash.Hash)) != mk.val {
				t.Fatalf("step %d: db %d %q holds %v, want the hash %s", step, d.ID, k, o.Type, mk.val)
			}
		case o.Type != TypeString || string(o.Str) != mk.val:
			t.Fatalf("step %d: db %d %q = %q, want %q", step, d.ID, k, o.Str, mk.val)
		}
		if got := d.Expire([]byte(k)); got != mk.at {
			t.Fatalf("step %d: db %d %q expires at %d, want %d", step, d.ID, k, got, mk.at)
		}
		if mk.at >= 0 {
			ttls++
		}
	}
	if d.Len() != len(m) || d.ExpiresLen() != ttls {
		t.Fatalf("step %d: db %d Len, ExpiresLen = %d, %d; want %d, %d", step, d.ID, d.Len(), d.ExpiresLen(), len(m), ttls)
	}
	for i, ref := range d.t.vol {
		if r := d.t.rec(ref); !r.hasExpire() || r.volpos() != uint32(i) {
			t.Fatalf("step %d: db %d vol[%d] names a record that says %v, %d", step, d.ID, i, r.hasExpire(), r.volpos())
		}
	}
	inUse, heap := 0, 0
	seen := map[string]int{}
	cursor := uint64(0)
	for {
		cursor = d.Scan(cursor, func(k string, o *Object) {
			seen[k]++
		})
		if cursor == 0 {
			break
		}
	}
	d.t.each(func(ref uint32) bool {
		r := d.t.rec(ref)
		inUse += r.size
		if r.heap() {
			heap++
		}
		return true
	})
	if len(seen) != len(m) {
		t.Fatalf("step %d: db %d SCAN saw %d keys, want %d", step, d.ID, len(seen), len(m))
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("step %d: db %d SCAN saw %q %d times", step, d.ID, k, n)
		}
	}
	if inUse != d.t.a.inUse {
		t.Fatalf("step %d: db %d records take %d bytes, the arena counts %d", step, d.ID, inUse, d.t.a.inUse)
	}
	if live := len(d.t.objs) - len(d.t.freeObjs); live != heap {
		t.Fatalf("step %d: db %d has %d heap records and %d objects", step, d.ID, heap, live)
	}
}

// TestTablePackedSize checks the layout's promise for the benchmark's
// keys: a 16-byte key with a 16-byte value is one 48-byte record, and a
// TTL adds 16 bytes to it.
func TestTablePackedSize(t *testing.T) {
	ks, _ := newTest()
	d := ks.DBs[0]
	k, v := bytes.Repeat([]byte("k"), 16), bytes.Repeat([]byte("v"), 16)
	d.SetString(k, v, false)
	if d.t.a.inUse != 48 {
		t.Fatalf("record takes %d bytes, want 48", d.t.a.inUse)
	}
	d.SetExpire(k, 2_000_000)
	if d.t.a.inUse != 64 {
		t.Fatalf("record with a TTL takes %d bytes, want 64", d.t.a.inUse)
	}
	if len(d.t.objs) != 0 {
		t.Fatal("a short string went to the heap")
	}
}
