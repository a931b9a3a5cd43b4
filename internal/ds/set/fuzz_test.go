package set

import (
	"strconv"
	"testing"
)

// FuzzOps decodes data into SADD/SREM operations on integers of every
// width and on strings, with a tiny intset limit, and checks the set
// against a map after each one.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("\x00\x01\x02\x83\x04\x45\xc6"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := New()
		model := map[string]bool{}
		for i := 0; i+1 < len(data); i += 2 {
			op, x := data[i], data[i+1]
			var m string
			switch op & 3 {
			case 0:
				m = strconv.Itoa(int(int8(x)))
			case 1:
				m = strconv.FormatInt(int64(int8(x))<<40, 10)
			case 2:
				m = strconv.FormatInt(int64(int8(x))*70000, 10)
			default:
				m = "s" + strconv.Itoa(int(x%50))
			}
			if op&0x80 != 0 {
				if s.Remove([]byte(m)) != model[m] {
					t.Fatalf("Remove(%q) disagrees with the model", m)
				}
				delete(model, m)
			} else {
				if s.Add([]byte(m), 40) == model[m] {
					t.Fatalf("Add(%q) disagrees with the model", m)
				}
				model[m] = true
			}
			check(t, s, model)
		}
	})
}
