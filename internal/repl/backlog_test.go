package repl

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestBacklogRing(t *testing.T) {
	b := NewBacklog(10, 100)
	if b.FirstByte() != 101 || b.HistLen() != 0 || !b.Covers(101) || b.Covers(102) {
		t.Fatalf("empty: first %d hist %d", b.FirstByte(), b.HistLen())
	}
	var all []byte
	for i := 0; i < 7; i++ {
		chunk := []byte(strings.Repeat(string(rune('a'+i)), i+1))
		all = append(all, chunk...)
		b.Write(chunk)
		if b.Offset() != 100+int64(len(all)) {
			t.Fatalf("offset %d", b.Offset())
		}
		keep := min(10, len(all))
		if b.HistLen() != keep {
			t.Fatalf("histlen %d want %d", b.HistLen(), keep)
		}
		for from := b.FirstByte(); from <= b.Offset()+1; from++ {
			got := b.AppendFrom(nil, from)
			want := all[from-101:]
			if !bytes.Equal(got, want) {
				t.Fatalf("from %d: %q want %q", from, got, want)
			}
		}
		if b.Covers(b.FirstByte()-1) || b.Covers(b.Offset()+2) {
			t.Fatal("covers outside")
		}
	}
	b.Resize(4)
	if got := b.AppendFrom(nil, b.FirstByte()); string(got) != string(all[len(all)-4:]) {
		t.Fatalf("after resize %q", got)
	}
	b.Resize(20)
	b.Write([]byte("xyz"))
	if got := b.AppendFrom(nil, b.FirstByte()); string(got) != string(all[len(all)-4:])+"xyz" {
		t.Fatalf("after grow %q", got)
	}
}

func TestReadPayload(t *testing.T) {
	mark := strings.Repeat("m", 40)
	for _, tc := range []struct{ in, rdb, rest string }{
		{"$5\r\nREDIS*1\r\n", "REDIS", "*1\r\n"},
		{"\n\n$5\r\nREDIS\r\n*1\r\n", "REDIS", "\r\n*1\r\n"},
		{"$EOF:" + mark + "\r\nRDBDATA" + mark + "*2\r\n", "RDBDATA", "*2\r\n"},
		{"\n$EOF:" + mark + "\r\n" + mark + "\r\n*2\r\n", "", "\r\n*2\r\n"},
	} {
		// A one-byte reader makes the mark straddle reads.
		for _, size := range []int{16, 4096} {
			r := bufio.NewReaderSize(&slowReader{s: tc.in}, size)
			var last int64
			got, err := ReadPayload(r, 1<<20, func(total, read int64) { last = read })
			if err != nil || string(got) != tc.rdb {
				t.Fatalf("%q: %q %v", tc.in, got, err)
			}
			// The diskless form's count includes the mark.
			if last != int64(len(tc.rdb)) && last != int64(len(tc.rdb)+EOFMarkLen) {
				t.Fatalf("%q: progress ended at %d", tc.in, last)
			}
			rest := new(strings.Builder)
			r.WriteTo(rest)
			if rest.String() != tc.rest {
				t.Fatalf("%q: rest %q", tc.in, rest.String())
			}
		}
	}
	if _, err := ReadPayload(bufio.NewReader(strings.NewReader("+OK\r\n")), 10, nil); err == nil {
		t.Fatal("accepted a bad header")
	}
	if _, err := ReadPayload(bufio.NewReader(strings.NewReader("$100\r\n")), 10, nil); err == nil {
		t.Fatal("accepted a payload over the limit")
	}
}

type slowReader struct{ s string }

func (r *slowReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 3)], r.s)
	r.s = r.s[n:]
	return n, nil
}

func TestSkipTrailer(t *testing.T) {
	for in, want := range map[string]int{"": -1, "\r": -1, "\r\n*1": 2, "*1\r\n": 0, "\rx": 0} {
		if got := SkipTrailer([]byte(in)); got != want {
			t.Errorf("%q: %d want %d", in, got, want)
		}
	}
}
