package server

import (
	"testing"

	"github.com/respd/respd/internal/clock"
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
	l.off = false
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
	// A small database starts with it off.
	if l := newLookahead(db); !l.off {
		t.Errorf("lookahead on for a database of %d keys", db.Len())
	}
}
