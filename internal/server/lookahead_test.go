package server

import (
	"strconv"
	"testing"

	"github.com/respd/respd/internal/clock"
	"github.com/respd/respd/internal/ds/set"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// TestLookahead walks a batch as process does and checks what lookahead
// keeps between steps: the start, length and key hash of the request two
// ahead, as long as the requests can be peeked at.
func TestLookahead(t *testing.T) {
	db := keyspace.New(1, clock.NewFake(0)).DBs[0]
	reqs := []string{
		"*2\r\n$3\r\nGET\r\n$1\r\na\r\n",
		"*2\r\n$3\r\nGET\r\n$1\r\nb\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\nv\r\n",
		"*2\r\n$3\r\nGET\r\n$1\r\nd\r\n",
		"*1\r\n$4\r\nPING\r\n", // no key: ends the run
		"*2\r\n$3\r\nGET\r\n$1\r\ne\r\n",
		"*2\r\n$3\r\nGET\r\n$1\r\nf\r\n",
		"GET g\r\n", // inline
		"*2\r\n$3\r\nGET\r\n$1\r\nh\r\n",
		"*2\r\n$3\r\nGET\r\n$1\r\ni\r\n",
		"*2\r\n$3\r\nGET\r\n$1\r\nj\r\n",
		"*2\r\n$3\r\nGET\r\n$1\r\n", // incomplete
	}
	var buf []byte
	var starts []int
	for _, r := range reqs {
		starts = append(starts, len(buf))
		buf = append(buf, r...)
	}
	hash := func(key string) uint64 { return db.PrefetchBucket([]byte(key)) }
	// want[i] is the request whose bucket is prefetched while request i
	// runs, -1 for none.
	want := []int{2, 3, -1, -1, 6, -1, -1, 9, 10, -1, -1}
	keys := []string{"a", "b", "c", "d", "", "e", "f", "g", "h", "i", "j"}
	l := newLookahead(db)
	l.small = false // as for a big database
	var p resp.Parser
	pos := 0
	for i, w := range want {
		args, n, err := p.Parse(buf[pos:], nil)
		if err != nil || n != len(reqs[i]) {
			t.Fatalf("request %d: parsed %d bytes, %v", i, n, err)
		}
		pos += n
		l.step(db, buf, pos, args)
		if w < 0 {
			if l.at != -1 {
				t.Errorf("after request %d: at %d, want none", i, l.at)
			}
			continue
		}
		if l.at != starts[w] || l.size != len(reqs[w]) || l.h != hash(keys[w]) {
			t.Errorf("after request %d: at %d size %d h %x, want request %d at %d size %d h %x",
				i, l.at, l.size, l.h, w, starts[w], len(reqs[w]), hash(keys[w]))
		}
	}
	if l.off {
		t.Error("lookahead turned off in a batch of distinct keys")
	}

	// A pipeline on one key turns it off at the first step.
	hot := []byte("*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n")
	l = lookahead{at: -1}
	args, n, _ := p.Parse(hot, nil)
	l.step(db, hot, n, args)
	if !l.off {
		t.Error("a pipeline on one key left lookahead on")
	}
	// A small database does no key prefetching: its first step turns
	// lookahead off unless the pipeline is on one big collection.
	l = newLookahead(db)
	if !l.small {
		t.Errorf("key prefetching on for a database of %d keys", db.Len())
	}
	args, n, _ = p.Parse(buf, nil)
	l.step(db, buf, n, args)
	if !l.off || l.at != -1 {
		t.Errorf("small database, distinct keys: off %v at %d, want off", l.off, l.at)
	}
}

// bigSet stores a set of n members "m0", "m1"... under key and returns it.
func bigSet(db *keyspace.DB, key string, n int) *set.Set {
	s := set.New()
	for i := range n {
		s.Add([]byte("m"+strconv.Itoa(i)), 0)
	}
	db.Set([]byte(key), &keyspace.Object{Type: keyspace.TypeSet, Enc: keyspace.EncHashtable, Val: s}, false)
	return s
}

// TestMemberAhead walks a pipeline on one big set as process does and
// checks memberAhead's queue after each step: the next three requests,
// with their members' hashes, until a request on another key stops the
// peeking.
func TestMemberAhead(t *testing.T) {
	db := keyspace.New(1, clock.NewFake(0)).DBs[0]
	d := bigSet(db, "s", memberAheadMin).Prober()
	bigSet(db, "small", memberAheadMin-1)
	reqs := []string{
		string(req("SADD s m1")),
		string(req("SISMEMBER s m2")),
		string(req("SADD s new")),
		string(req("SREM s m3")),
		string(req("SADD s m4")),
		string(req("SADD other m5")), // stops the peeking
		string(req("SADD s m6")),
		string(req("SADD s m7")),
	}
	members := []string{"m1", "m2", "new", "m3", "m4", "m5", "m6", "m7"}
	var buf []byte
	var starts []int
	for _, r := range reqs {
		starts = append(starts, len(buf))
		buf = append(buf, r...)
	}
	// want[i] lists the requests queued after request i's step.
	want := [][]int{{1, 2, 3}, {2, 3, 4}, {3, 4}, {4}, {}, {}, {}, {}}
	l := newLookahead(db)
	var p resp.Parser
	pos := 0
	for i, w := range want {
		args, n, err := p.Parse(buf[pos:], nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		pos += n
		if l.off {
			t.Fatalf("before request %d: lookahead off", i)
		}
		l.step(db, buf, pos, args)
		m := &l.members
		if m.d != d {
			t.Fatalf("after request %d: not prefetching the set's members", i)
		}
		if m.n != len(w) {
			t.Errorf("after request %d: %d queued, want %v", i, m.n, w)
			continue
		}
		for j, r := range w {
			if q := m.q[j]; q.at != starts[r] || q.h != d.Hash([]byte(members[r])) {
				t.Errorf("after request %d: queue[%d] at %d h %x, want request %d at %d h %x",
					i, j, q.at, q.h, r, starts[r], d.Hash([]byte(members[r])))
			}
		}
	}

	// Requests other than the ones peeked (here the second queued one
	// is moved) start the queue over from the next one.
	l = newLookahead(db)
	args, n, _ := p.Parse(buf, nil)
	l.step(db, buf, n, args)
	l.members.q[1].at++
	args, n2, _ := p.Parse(buf[n:], nil)
	l.step(db, buf, n+n2, args)
	if m := l.members; m.n != 3 || m.q[0].at != starts[2] || m.q[2].at != starts[4] {
		t.Errorf("after a mismatch: %d queued from %d, want 3 from %d", m.n, m.q[0].at, starts[2])
	}

	// A set too small, a key of another type, and a command that is no
	// set's or hash's, turn lookahead off.
	db.SetString([]byte("str"), []byte("v"), false)
	for _, tc := range []struct{ cmd, key string }{{"SADD", "small"}, {"SADD", "str"}, {"LPUSH", "s"}} {
		hot := req(tc.cmd+" "+tc.key+" a", tc.cmd+" "+tc.key+" b")
		l = newLookahead(db)
		args, n, _ := p.Parse(hot, nil)
		l.step(db, hot, n, args)
		if !l.off || l.members.d != nil {
			t.Errorf("%s pipeline on %q: off %v, members %v", tc.cmd, tc.key, l.off, l.members.d != nil)
		}
	}
}
