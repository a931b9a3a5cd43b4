package stream

import (
	"math"
	"testing"
)

func TestParseUint(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"123", 123, true},
		{"18446744073709551615", math.MaxUint64, true},
		{"18446744073709551616", 0, false},
		{"-1", 0, false},
		// Not canonical: strtoull's rules apply.
		{"01", 1, true},
		{" 7", 7, true},
		{"\t\n7", 7, true},
		{"+7", 7, true},
		{"-0", 0, true},
		{" -1", math.MaxUint64, true},
		{"-18446744073709551615", 1, true},
		{"-18446744073709551616", 0, false},
		{"", 0, false},
		{" ", 0, false},
		{"+", 0, false},
		{"7 ", 0, false},
		{"0x10", 0, false},
		{"1e3", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseUint([]byte(c.in))
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("ParseUint(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseID(t *testing.T) {
	cases := []struct {
		in         string
		autoSeq    bool
		want       ID
		auto, ok   bool
		missingSeq uint64
	}{
		{in: "1-2", want: ID{1, 2}, ok: true},
		{in: "5", want: ID{5, 0}, ok: true},
		{in: "5", missingSeq: math.MaxUint64, want: ID{5, math.MaxUint64}, ok: true},
		{in: "5-*", autoSeq: true, want: ID{5, 0}, auto: true, ok: true},
		{in: "5-*", ok: false},
		{in: "5-**", autoSeq: true, ok: false},
		{in: "*", autoSeq: true, ok: false},
		{in: "-", ok: false},
		{in: "1-", ok: false},
		{in: "-1", ok: false},
		{in: "1-2-3", ok: false},
		{in: "2- -3", want: ID{2, math.MaxUint64 - 2}, ok: true},
		{in: "2--3", ok: false},
		{in: "1\x00junk", want: ID{1, 0}, ok: true},
		{in: "18446744073709551615-18446744073709551615", want: MaxID, ok: true},
	}
	for _, c := range cases {
		id, auto, ok := ParseID([]byte(c.in), c.missingSeq, c.autoSeq)
		if ok != c.ok || (ok && (id != c.want || auto != c.auto)) {
			t.Errorf("ParseID(%q) = %v, %v, %v; want %v, %v, %v", c.in, id, auto, ok, c.want, c.auto, c.ok)
		}
	}
	long := make([]byte, 128)
	for i := range long {
		long[i] = '0'
	}
	if _, _, ok := ParseID(long, 0, false); ok {
		t.Error("a 128-byte ID was accepted; Redis refuses what does not fit its buffer")
	}
	if _, _, ok := ParseID(long[:127], 0, false); !ok {
		t.Error("a 127-byte ID was refused")
	}
}

func TestIDArithmetic(t *testing.T) {
	if n, ok := (ID{1, math.MaxUint64}).Incr(); !ok || n != (ID{2, 0}) {
		t.Errorf("Incr carries: %v %v", n, ok)
	}
	if _, ok := MaxID.Incr(); ok {
		t.Error("MaxID.Incr succeeded")
	}
	if n, ok := (ID{2, 0}).Decr(); !ok || n != (ID{1, math.MaxUint64}) {
		t.Errorf("Decr borrows: %v %v", n, ok)
	}
	if _, ok := (ID{}).Decr(); ok {
		t.Error("0-0 Decr succeeded")
	}
	// Compared as 128-bit numbers: the sequence only breaks ties.
	if !(ID{1, math.MaxUint64}).Less(ID{2, 0}) || (ID{2, 0}).Less(ID{1, 5}) || (ID{3, 3}).Compare(ID{3, 3}) != 0 {
		t.Error("ID order is not numeric on (ms, seq)")
	}
	if s := (ID{18446744073709551615, 7}).String(); s != "18446744073709551615-7" {
		t.Errorf("String = %q", s)
	}
}

func fv(s ...string) [][]byte { return toBytes(s) }

// TestBlockSplitting checks the node boundaries Redis would draw, which
// decide what approximate trimming removes: by entry count (deleted
// entries included) and by listpack bytes.
func TestBlockSplitting(t *testing.T) {
	s := New()
	lim := NodeLimits{MaxBytes: 4096, MaxEntries: 3}
	for i := uint64(1); i <= 7; i++ {
		s.Add(ID{i, 0}, fv("f", "v"), lim)
	}
	if s.Blocks() != 3 {
		t.Fatalf("7 entries, 3 a node: %d blocks", s.Blocks())
	}
	// Deleting does not make room in a node.
	s.Delete(ID{7, 0})
	if s.Blocks() != 2 {
		t.Fatalf("the last node lost its only entry but %d blocks remain", s.Blocks())
	}
	s.Add(ID{8, 0}, fv("f", "v"), lim)
	s.Add(ID{9, 0}, fv("f", "v"), lim)
	if s.Blocks() != 3 {
		t.Fatalf("after deleting in a full node: %d blocks, want 3", s.Blocks())
	}

	// In Redis a listpack with entries {field: 66 bytes} takes 7 bytes of
	// header and end mark, 15 for the master entry (count, deleted, field
	// count and terminator 2 each, "field" 7) and 77 per entry (flags, ms
	// and seq deltas, lp-count 2 each, the value 69): a 200-byte bound
	// holds two of them (176 bytes, and 176+71 would pass it).
	s = New()
	big := make([]byte, 66)
	for i := range big {
		big[i] = 'a'
	}
	lim = NodeLimits{MaxBytes: 200, MaxEntries: 100}
	for i := uint64(1); i <= 4; i++ {
		s.Add(ID{1, i}, [][]byte{[]byte("field"), big}, lim)
	}
	if s.Blocks() != 2 {
		t.Fatalf("four 66-byte values under a 200-byte bound: %d blocks, want 2", s.Blocks())
	}
	b, _ := s.tree.Min()
	if got := b.lpBytes(); got != 7+15+2*77 {
		t.Errorf("listpack size of two entries = %d", got)
	}

	// No bounds: one block.
	s = New()
	for i := uint64(1); i <= 500; i++ {
		s.Add(ID{i, 0}, fv("f", "v"), NodeLimits{})
	}
	if s.Blocks() != 1 {
		t.Fatalf("unbounded: %d blocks", s.Blocks())
	}
}

func TestListpackSizes(t *testing.T) {
	cases := []struct {
		s    string
		want int
	}{
		{"", 2}, {"a", 3}, {"0", 2}, {"127", 2}, {"128", 3}, {"-1", 3}, {"4095", 3}, {"4096", 4},
		{"-32768", 4}, {"32768", 5}, {"8388607", 5}, {"8388608", 6}, {"2147483648", 10},
		{"01", 4}, {"+1", 4}, {string(make([]byte, 63)), 65}, {string(make([]byte, 64)), 67},
		{string(make([]byte, 125)), 128}, {string(make([]byte, 126)), 130}, {string(make([]byte, 4096)), 4103},
	}
	for _, c := range cases {
		if got := lpStringSize([]byte(c.s)); got != c.want {
			t.Errorf("lpStringSize(%.10q len %d) = %d, want %d", c.s, len(c.s), got, c.want)
		}
	}
}

// TestRadixNodes checks the node count of Redis's radix tree for key
// sets worked out by hand (and seen in redis-server's XINFO).
func TestRadixNodes(t *testing.T) {
	add := func(ids ...ID) *Stream {
		s := New()
		for _, id := range ids {
			s.Add(id, fv("f", "v"), NodeLimits{MaxEntries: 1})
		}
		return s
	}
	cases := []struct {
		ids  []ID
		want int
	}{
		{nil, 1},
		{[]ID{{1, 1}}, 2},
		// Shared 15 bytes, then a branch into two leaves.
		{[]ID{{1, 1}, {1, 2}}, 4},
		// Diverging in the 15th byte: each branch has a 1-byte tail.
		{[]ID{{1, 1}, {1, 256}}, 6},
		// Diverging at byte 0: the root itself branches.
		{[]ID{{1, 0}, {1 << 56, 0}}, 5},
	}
	for _, c := range cases {
		if got := add(c.ids...).RadixNodes(); got != c.want {
			t.Errorf("RadixNodes(%v) = %d, want %d", c.ids, got, c.want)
		}
	}
}

// TestTrimApproxLimit: approximate trimming removes only whole blocks and
// stops before a block that would pass the limit.
func TestTrimApproxLimit(t *testing.T) {
	s := New()
	lim := NodeLimits{MaxEntries: 10}
	for i := uint64(1); i <= 100; i++ {
		s.Add(ID{i, 0}, fv("f", "v"), lim)
	}
	if n := s.Trim(TrimArgs{MaxLen: 55, Approx: true}); n != 40 || s.Len() != 60 {
		t.Fatalf("MAXLEN ~ 55 removed %d, left %d; want 40 and 60", n, s.Len())
	}
	if n := s.Trim(TrimArgs{MaxLen: 0, Approx: true, Limit: 25}); n != 20 || s.Len() != 40 {
		t.Fatalf("LIMIT 25 removed %d, left %d; want 20 and 40", n, s.Len())
	}
	if n := s.Trim(TrimArgs{ByMinID: true, MinID: ID{75, 0}, Approx: true}); n != 10 {
		t.Fatalf("MINID ~ 75 removed %d, want 10 (blocks ending before 75)", n)
	}
	if n := s.Trim(TrimArgs{ByMinID: true, MinID: ID{75, 0}}); n != 4 || s.FirstID() != (ID{75, 0}) {
		t.Fatalf("MINID 75 removed %d, first is %v; want 4 and 75-0", n, s.FirstID())
	}
	// The partly trimmed block keeps its deleted entries: it still counts
	// them towards its size.
	if s.Blocks() != 3 {
		t.Fatalf("%d blocks, want 3", s.Blocks())
	}
}

// TestGroupLag follows Redis 7's read counter and lag through deliveries
// and deletions.
func TestGroupLag(t *testing.T) {
	s := New()
	for i := uint64(1); i <= 3; i++ {
		s.Add(ID{i, 1}, fv("f", "v"), NodeLimits{MaxEntries: 100})
	}
	g, _ := s.CreateGroup("g", ID{}, InvalidEntriesRead)
	if lag, ok := s.Lag(g); !ok || lag != 3 {
		t.Fatalf("lag before reading = %d, %v; want 3", lag, ok)
	}
	s.Delivered(g, ID{1, 1})
	if g.EntriesRead != 1 {
		t.Fatalf("entries read = %d, want 1", g.EntriesRead)
	}
	s.Delete(ID{2, 1})
	if _, ok := s.Lag(g); ok {
		t.Fatal("lag known with a deletion ahead of the group")
	}
	// Past the deletion the counter just counts on, as in Redis, which
	// then reports a lag of 1 with nothing left to read.
	s.Delivered(g, ID{3, 1})
	if lag, ok := s.Lag(g); !ok || lag != 1 || g.EntriesRead != 2 {
		t.Fatalf("after reading to the end: lag %d %v, read %d; want 1 and 2", lag, ok, g.EntriesRead)
	}
	// A future ID has no known counter.
	if s.EntriesReadAt(ID{9, 9}) != InvalidEntriesRead {
		t.Fatal("counter of a future ID")
	}
}

func TestGroupPending(t *testing.T) {
	s := New()
	s.Add(ID{1, 1}, fv("f", "v"), NodeLimits{})
	s.Add(ID{2, 1}, fv("f", "v"), NodeLimits{})
	g, _ := s.CreateGroup("g", ID{}, 0)
	a, _ := g.CreateConsumer([]byte("a"), 10)
	b, _ := g.CreateConsumer([]byte("b"), 10)
	g.Deliver(ID{1, 1}, a, 100)
	g.Deliver(ID{2, 1}, a, 100)
	if g.PendingLen() != 2 || a.PendingLen() != 2 {
		t.Fatal("deliveries not pending")
	}
	// Delivered again (the group's ID was moved back): now b's, count 1.
	g.Pending(ID{1, 1}).DeliveryCount = 5
	g.Deliver(ID{1, 1}, b, 200)
	p := g.Pending(ID{1, 1})
	if p.Consumer != b || p.DeliveryCount != 1 || p.DeliveryTime != 200 || a.PendingLen() != 1 || b.PendingLen() != 1 {
		t.Fatalf("re-delivery: %+v", p)
	}
	g.Assign(g.Pending(ID{2, 1}), b)
	if a.PendingLen() != 0 || b.PendingLen() != 2 {
		t.Fatal("Assign did not move the record")
	}
	c := s.Copy()
	if n := g.DeleteConsumer([]byte("b")); n != 2 || g.PendingLen() != 0 {
		t.Fatalf("DeleteConsumer = %d, pending %d", n, g.PendingLen())
	}
	// The copy kept its own records, linked to its own consumers.
	cg := c.Group([]byte("g"))
	cb := cg.Consumer([]byte("b"))
	if cg.PendingLen() != 2 || cb.PendingLen() != 2 || cg.Pending(ID{1, 1}).Consumer != cb {
		t.Fatal("the copy shares state with the original")
	}
	if g.Ack(ID{9, 9}) || !cg.Ack(ID{1, 1}) || cb.PendingLen() != 1 {
		t.Fatal("Ack")
	}
}
