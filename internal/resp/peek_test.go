package resp

import (
	"bytes"
	"testing"
)

// req is a request of args as a client sends it.
func req(args ...string) []byte {
	b := AppendHeader(nil, '*', len(args))
	for _, a := range args {
		b = AppendBulkString(b, a)
	}
	return b
}

func TestPeekKey(t *testing.T) {
	get := req("GET", "key:000000000001")
	mset := req("MSET", "a", "1", "b", "2")
	empty := req("SET", "", "v")
	for _, tc := range []struct {
		name string
		buf  []byte
		key  string
		size int
		ok   bool
	}{
		{"get", get, "key:000000000001", len(get), true},
		{"get then more", append(append([]byte{}, get...), mset...), "key:000000000001", len(get), true},
		{"mset", mset, "a", len(mset), true},
		{"empty key", empty, "", len(empty), true},
		{"binary key", req("GET", "a\r\nb"), "a\r\nb", len(req("GET", "a\r\nb")), true},
		{"one argument", req("PING"), "", 0, false},
		{"inline", []byte("GET key\r\n"), "", 0, false},
		// As Parse, it skips a bulk's terminator unread.
		{"other terminator", []byte("*2\r\n$3\r\nGET\r\n$1\r\nkXY"), "k", 20, true},
		{"leading zero", []byte("*2\r\n$3\r\nGET\r\n$01\r\nk\r\n"), "", 0, false},
		{"bulk past the end", []byte("*2\r\n$3\r\nGET\r\n$2\r\nk\r\n"), "", 0, false},
		{"not a bulk", []byte("*2\r\n$3\r\nGET\r\n:1\r\n"), "", 0, false},
		{"no digits", []byte("*\r\n"), "", 0, false},
		{"sign", []byte("*2\r\n$3\r\nGET\r\n$-1\r\n"), "", 0, false},
		{"huge length", []byte("*2\r\n$3\r\nGET\r\n$99999999999999999999\r\nk\r\n"), "", 0, false},
		{"empty", nil, "", 0, false},
	} {
		key, size, ok := PeekKey(tc.buf)
		if ok != tc.ok || string(key) != tc.key || size != tc.size {
			t.Errorf("%s: PeekKey = %q, %d, %v; want %q, %d, %v", tc.name, key, size, ok, tc.key, tc.size, tc.ok)
		}
	}
	// Every proper prefix of a request is incomplete.
	for i := range len(mset) {
		if _, _, ok := PeekKey(mset[:i]); ok {
			t.Errorf("PeekKey of %q, %d of %d bytes: ok", mset[:i], i, len(mset))
		}
	}
}

// FuzzPeekKey checks PeekKey and PeekMember against Parse: a request
// PeekKey accepts, Parse accepts too, with the same length and key, and
// PeekMember accepts it when it has a third argument, which it returns.
func FuzzPeekKey(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n$4\r\nPING\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		key, size, ok := PeekKey(data)
		if !ok {
			return
		}
		k3, member, size3, ok3 := PeekMember(data)
		if size <= 0 || size > len(data) {
			t.Fatalf("PeekKey(%q): size %d", data, size)
		}
		var p Parser
		args, n, err := p.Parse(data, nil)
		if err != nil || n != size || len(args) < 2 || !bytes.Equal(args[1], key) {
			t.Fatalf("PeekKey(%q) = %q, %d; Parse = %q, %d, %v", data, key, size, args, n, err)
		}
		if ok3 != (len(args) >= 3) || ok3 && (size3 != size || !bytes.Equal(k3, key) || !bytes.Equal(member, args[2])) {
			t.Fatalf("PeekMember(%q) = %q, %q, %d, %v; Parse = %q, %d", data, k3, member, size3, ok3, args, n)
		}
	})
}

// TestPeekMember: the key and the third argument of a request of three
// or more, nothing of a shorter one.
func TestPeekMember(t *testing.T) {
	sadd := req("SADD", "myset", "element:000000000042")
	hset := req("HSET", "h", "f", "v")
	for _, tc := range []struct {
		name        string
		buf         []byte
		key, member string
		size        int
		ok          bool
	}{
		{"sadd", sadd, "myset", "element:000000000042", len(sadd), true},
		{"hset then more", append(append([]byte{}, hset...), sadd...), "h", "f", len(hset), true},
		{"two arguments", req("GET", "k"), "", "", 0, false},
		{"incomplete", sadd[:len(sadd)-1], "", "", 0, false},
	} {
		key, member, size, ok := PeekMember(tc.buf)
		if ok != tc.ok || string(key) != tc.key || string(member) != tc.member || size != tc.size {
			t.Errorf("%s: PeekMember = %q, %q, %d, %v; want %q, %q, %d, %v", tc.name, key, member, size, ok, tc.key, tc.member, tc.size, tc.ok)
		}
	}
}
