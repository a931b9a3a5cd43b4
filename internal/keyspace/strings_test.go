package keyspace

import (
	"bytes"
	"fmt"
	"testing"
)

// TestStringLayoutsKeepNames writes into and grows the values of new
// string keys of every layout (and beyond) in place, as APPEND and
// SETRANGE do, and checks every name and value afterwards: a value never
// spills into its key's name.
func TestStringLayoutsKeepNames(t *testing.T) {
	ks, _ := newTest()
	d := ks.DBs[0]
	want := map[string]string{}
	for kl := 0; kl <= 80; kl += 3 {
		for vl := 0; vl <= 90; vl += 7 {
			k := bytes.Repeat([]byte{'k'}, kl)
			k = fmt.Appendf(k, ":%d:%d", kl, vl)
			v := bytes.Repeat([]byte{'v'}, vl)
			d.SetString(k, v, false)
			o := d.LookupWrite(k)
			// Fill the capacity, then grow past it.
			for i := range o.Str {
				o.Str[i] = 'w'
			}
			extra := cap(o.Str) - len(o.Str) + 5
			o.Str = append(o.Str, bytes.Repeat([]byte{'x'}, extra)...)
			d.Touch(k)
			want[string(k)] = string(bytes.Repeat([]byte{'w'}, vl)) + string(bytes.Repeat([]byte{'x'}, extra))
		}
	}
	n := 0
	d.Range(func(k string, o *Object) bool {
		n++
		if w, ok := want[k]; !ok || string(o.Str) != w {
			t.Fatalf("key %q = %q, want %q (known: %v)", k, o.Str, w, ok)
		}
		return true
	})
	if n != len(want) {
		t.Fatalf("%d keys, want %d", n, len(want))
	}
}

// TestNewStringEncoding: a new string's encoding is Redis's choice,
// whatever layout holds it.
func TestNewStringEncoding(t *testing.T) {
	for _, c := range []struct {
		val string
		enc Encoding
	}{{"12", EncInt}, {"-9223372036854775808", EncInt}, {"abc", EncEmbstr}, {string(bytes.Repeat([]byte{'a'}, 44)), EncEmbstr}, {string(bytes.Repeat([]byte{'a'}, 45)), EncRaw}, {string(bytes.Repeat([]byte{'a'}, 100)), EncRaw}} {
		o, _ := newString([]byte("key"), []byte(c.val))
		if o.Type != TypeString || o.Enc != c.enc || string(o.Str) != c.val {
			t.Errorf("newString(%q) = type %v enc %v %q, want enc %v", c.val, o.Type, o.Enc, o.Str, c.enc)
		}
	}
}
