package rdb

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/respd/respd/internal/ds/hash"
	"github.com/respd/respd/internal/ds/list"
	"github.com/respd/respd/internal/ds/set"
	"github.com/respd/respd/internal/ds/stream"
	"github.com/respd/respd/internal/ds/zset"
	"github.com/respd/respd/internal/keyspace"
)

// collect is a Handler that renders what it receives.
type collect struct {
	keys []string
	aux  []string
}

func (c *collect) Key(db int, key []byte, o *keyspace.Object, at int64) error {
	c.keys = append(c.keys, fmt.Sprintf("%d/%s@%d=%s", db, key, at, render(o)))
	return nil
}
func (c *collect) Aux(k, v []byte)            { c.aux = append(c.aux, string(k)+"="+string(v)) }
func (c *collect) Function(code []byte) error { return nil }

// render is a canonical text of a value, independent of its encoding.
func render(o *keyspace.Object) string {
	var parts []string
	switch v := o.Val.(type) {
	case nil:
		return "string:" + string(o.Str)
	case *list.List:
		it := v.Iter(0, false)
		for x, ok := it.Next(); ok; x, ok = it.Next() {
			parts = append(parts, string(x))
		}
	case *set.Set:
		v.Range(func(m []byte) bool { parts = append(parts, string(m)); return true })
		slices.Sort(parts)
	case *hash.Hash:
		v.Range(func(f, x []byte) bool { parts = append(parts, string(f)+"="+string(x)); return true })
		slices.Sort(parts)
	case *zset.ZSet:
		v.Ascend(0, func(e zset.Entry) bool { parts = append(parts, fmt.Sprint(e.Member, "=", e.Score)); return true })
	case *stream.Stream:
		v.Range(stream.ID{}, stream.MaxID, false, func(id stream.ID, fv [][]byte) bool {
			parts = append(parts, fmt.Sprintf("%d-%d%q", id.Ms, id.Seq, fv))
			return true
		})
		parts = append(parts, fmt.Sprint("last=", v.LastID, " maxdel=", v.MaxDeletedID, " added=", v.EntriesAdded, " first=", v.FirstID()))
		for _, g := range v.Groups() {
			parts = append(parts, fmt.Sprint("group ", g.Name, g.LastID, g.EntriesRead, g.PendingLen()))
			g.PendingRange(nil, stream.ID{}, stream.MaxID, func(p *stream.Pending) bool {
				parts = append(parts, fmt.Sprint(p.ID, p.DeliveryTime, p.DeliveryCount, p.Consumer.Name))
				return true
			})
			for _, c := range g.Consumers() {
				parts = append(parts, fmt.Sprint("consumer ", c.Name, c.SeenTime, c.PendingLen()))
			}
		}
	}
	return fmt.Sprintf("%s:%s", o.Type, strings.Join(parts, ","))
}

// sample returns an RDB file with a value of every type, and what a
// loader must render from it.
func sample(t testing.TB, compress bool) ([]byte, []string) { return sampleN(t, compress, 3000) }

// sampleN is sample with n list elements and a long one only when n is
// large: fuzz seeds stay small enough to mutate quickly.
func sampleN(t testing.TB, compress bool, n int) ([]byte, []string) {
	var objs []*keyspace.Object
	for _, s := range []string{"0", "-1", "300", "-70000", "2147483648", "007", "", strings.Repeat("ab", 100), "\x00\xff"} {
		objs = append(objs, &keyspace.Object{Type: keyspace.TypeString, Str: []byte(s)})
	}
	l := list.New(-2)
	for i := range n {
		l.PushBack(fmt.Appendf(nil, "item-%d", i))
		l.PushBack(fmt.Append(nil, i*-7))
	}
	if n >= 1000 {
		l.PushBack(bytes.Repeat([]byte("z"), 20000))
	}
	objs = append(objs, &keyspace.Object{Type: keyspace.TypeList, Val: l})
	s := set.New()
	for _, m := range []string{"1", "2", "x", "-9", "y"} {
		s.Add([]byte(m), 512)
	}
	objs = append(objs, &keyspace.Object{Type: keyspace.TypeSet, Val: s})
	h := hash.New()
	for i := range min(200, n) {
		h.Set(fmt.Appendf(nil, "f%d", i), fmt.Append(nil, i), hash.Limits{MaxEntries: 128, MaxValue: 64})
	}
	objs = append(objs, &keyspace.Object{Type: keyspace.TypeHash, Val: h})
	z := zset.New()
	for i, sc := range []float64{1, -2.5, math.Inf(1), math.Inf(-1), 0, 1e300, 5e-324} {
		z.Add(fmt.Appendf(nil, "m%d", i), sc, zset.Limits{MaxEntries: 128, MaxValue: 64})
	}
	objs = append(objs, &keyspace.Object{Type: keyspace.TypeZSet, Val: z})
	st := stream.New()
	for i := 1; i <= min(250, 10+n); i++ {
		fv := [][]byte{[]byte("a"), fmt.Append(nil, i)}
		if i%7 == 0 {
			fv = append(fv, []byte("b"), []byte("x"))
		}
		st.Add(stream.ID{Ms: uint64(i / 3), Seq: uint64(i % 3)}, fv, stream.NodeLimits{MaxBytes: 4096, MaxEntries: 100})
	}
	st.Delete(stream.ID{Ms: 10, Seq: 1})
	g, _ := st.CreateGroup("g", stream.ID{Ms: 20}, 60)
	alice, _ := g.CreateConsumer([]byte("alice"), 12345)
	g.CreateConsumer([]byte("bob"), 999)
	g.Deliver(stream.ID{Ms: 1, Seq: 1}, alice, 777)
	g.Deliver(stream.ID{Ms: 2, Seq: 0}, alice, 778)
	st.CreateGroup("h", stream.ID{}, stream.InvalidEntriesRead)
	objs = append(objs, &keyspace.Object{Type: keyspace.TypeStream, Val: st})

	var buf bytes.Buffer
	enc := NewEncoder(&buf, compress)
	enc.Header([][2]string{{"redis-ver", "7.0.15"}})
	enc.SelectDB(0, len(objs), 1)
	var want []string
	for i, o := range objs {
		at := int64(-1)
		if i == 2 {
			at = 1700000000123
		}
		key := fmt.Sprint("key", i)
		enc.Key(key, o, at)
		want = append(want, fmt.Sprintf("0/%s@%d=%s", key, at, render(o)))
	}
	enc.SelectDB(3, 1, 0)
	enc.Key("other", objs[0], -1)
	want = append(want, fmt.Sprintf("3/other@-1=%s", render(objs[0])))
	if err := enc.End(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), want
}

func TestRoundTrip(t *testing.T) {
	for _, compress := range []bool{false, true} {
		file, want := sample(t, compress)
		var got collect
		info, err := Load(bytes.NewReader(file), Options{Limits: DefaultLimits, DBs: 16}, &got)
		if err != nil {
			t.Fatal(err)
		}
		if info.Version != 10 || info.Keys != int64(len(want)) {
			t.Fatalf("info %+v, want version 10 and %d keys", info, len(want))
		}
		if !slices.Equal(got.keys, want) {
			for i := range want {
				if i >= len(got.keys) || got.keys[i] != want[i] {
					t.Fatalf("key %d:\n got %.300s\nwant %.300s", i, got.keys[i:], want[i])
				}
			}
		}
		if !slices.Equal(got.aux, []string{"redis-ver=7.0.15"}) {
			t.Fatalf("aux %q", got.aux)
		}
	}
}

// TestDamagedFiles: every truncation and every single flipped byte of a
// file is refused with an error (the checksum catches what the structure
// does not), and nothing panics.
func TestDamagedFiles(t *testing.T) {
	file, _ := sample(t, true)
	for n := 0; n < len(file); n += 1 + n/64 {
		if _, err := Load(bytes.NewReader(file[:n]), Options{Limits: DefaultLimits}, &collect{}); err == nil {
			t.Fatalf("a file cut at %d of %d bytes loaded", n, len(file))
		}
	}
	for i := 0; i < len(file); i += 1 + i/256 {
		bad := bytes.Clone(file)
		bad[i] ^= 0x5A
		if _, err := Load(bytes.NewReader(bad), Options{Limits: DefaultLimits}, &collect{}); err == nil {
			t.Fatalf("a file with byte %d of %d flipped loaded", i, len(file))
		}
	}
}

func TestSelectDBBound(t *testing.T) {
	file, _ := sample(t, false)
	_, err := Load(bytes.NewReader(file), Options{Limits: DefaultLimits, DBs: 2}, &collect{})
	if err == nil || !strings.Contains(err.Error(), "more than 2 databases") {
		t.Fatalf("a SELECTDB 3 with 2 databases: %v", err)
	}
}

// FuzzLoad feeds arbitrary bytes to the loader: it may refuse them, but
// must not panic or run away with memory.
func FuzzLoad(f *testing.F) {
	file, _ := sampleN(f, true, 10)
	f.Add(file)
	small, _ := sampleN(f, false, 10)
	f.Add(small[:200])
	f.Add([]byte("REDIS0009\xfe\x00\x00\x03key\x05value\xff"))
	// Old value types and a format 1 stream with deleted entries.
	f.Add(lgFile(
		lgRecord(typeHashZiplist, "h", cdcString(nil, zlBuild(zlStr("f"), zlInt(-70000)))),
		lgRecord(typeZSetZiplist, "z", cdcString(nil, zlBuild(zlStr("m"), zlStr("1.5")))),
		lgRecord(typeSetIntset, "s", cdcString(nil, isBuild(4, -1, 1<<20))),
		lgRecord(typeHashZipmap, "m", cdcString(nil, zmBuild(-1, zmPair{f: "a", v: "b"}))),
		lgRecord(typeStreamListpacks, "x", lgStream([][]byte{lgNode(1, 0, []string{"a"},
			lgEntry{ms: 1, seq: 0, fv: []string{"a", "1"}, deleted: true},
			lgEntry{ms: 2, seq: 0, fv: []string{"b", "2"}})}, 1, 2, "g", "1")),
	))
	f.Fuzz(func(t *testing.T, b []byte) {
		Load(bytes.NewReader(b), Options{Limits: DefaultLimits, DBs: 16}, &collect{})
	})
}
