package hash

import "testing"

// FuzzOps decodes data into HSET/HDEL operations on small fields and
// values with tiny limits, so every form and conversion is reached, and
// checks the hash against a map after each one.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("\x00aa\x01bb\x02cc\x80dd\x00a\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxEntries: 4, MaxValue: 3}
		if len(data) > 0 && data[0]&1 == 1 {
			lim = Limits{MaxEntries: 1000, MaxValue: 1000}
		}
		h := New()
		model := map[string]string{}
		var order []string
		for i := 0; i+2 < len(data); i += 3 {
			op, f, v := data[i], []byte{data[i+1] % 40}, make([]byte, data[i+2]%6)
			for j := range v {
				v[j] = 'a' + byte(j)
			}
			if op&0x80 != 0 {
				if h.Delete(f) != hasKey(model, string(f)) {
					t.Fatalf("Delete(%q) disagrees with the model", f)
				}
				delete(model, string(f))
				order = remove(order, string(f))
				continue
			}
			if h.Set(f, v, lim) == hasKey(model, string(f)) {
				t.Fatalf("Set(%q) disagrees with the model", f)
			}
			if !hasKey(model, string(f)) {
				order = append(order, string(f))
			}
			model[string(f)] = string(v)
			check(t, h, model, order)
		}
		check(t, h, model, order)
	})
}
