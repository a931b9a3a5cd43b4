package rdb

// Loader tests on hand-built files of old value types. The server-level
// comparisons with the real redis-server are in the tests package
// (tests/rdb_legacy_test.go); these pin down loader details directly.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/respd/respd/internal/ds/stream"
	"github.com/respd/respd/internal/keyspace"
)

// lgFile assembles a version 9 file (checksum included) of records, each
// a type byte, a key and a value body.
func lgFile(records ...[]byte) []byte {
	b := []byte("REDIS0009\xfe\x00")
	for _, r := range records {
		b = append(b, r...)
	}
	b = append(b, opEOF)
	return binary.LittleEndian.AppendUint64(b, crc64Update(0, b))
}

// lgRecord is one key record.
func lgRecord(typ byte, key string, body []byte) []byte {
	return append(cdcString([]byte{typ}, []byte(key)), body...)
}

// lgObjects loads a file and returns its values by key.
func lgObjects(t *testing.T, file []byte) map[string]*keyspace.Object {
	t.Helper()
	got := map[string]*keyspace.Object{}
	h := &objCollector{got: got}
	if _, err := Load(bytes.NewReader(file), Options{Limits: DefaultLimits, DBs: 16}, h); err != nil {
		t.Fatal(err)
	}
	return got
}

type objCollector struct{ got map[string]*keyspace.Object }

func (c *objCollector) Key(db int, key []byte, o *keyspace.Object, at int64) error {
	c.got[string(key)] = o
	return nil
}
func (c *objCollector) Aux(k, v []byte)            {}
func (c *objCollector) Function(code []byte) error { return nil }

// TestLegacyPackedEncodingsKeptByCount: Redis 7.0 converts a hash or sorted set
// that arrives as a ziplist or listpack only when it has too many
// entries, not when an element is long; zipmaps and the plain forms are
// converted on either (checked against redis-server in the tests
// package).
func TestLegacyPackedEncodingsKeptByCount(t *testing.T) {
	long := strings.Repeat("v", int(DefaultLimits.Hash.MaxValue)+1)
	var lp lpWriter
	lp.appendString([]byte("f"))
	lp.appendString([]byte(long))
	hashLP := append([]byte(nil), lp.bytes()...)
	lp = lpWriter{}
	lp.appendString([]byte(long))
	lp.appendInt(1)
	zsetLP := append([]byte(nil), lp.bytes()...)
	score := binary.LittleEndian.AppendUint64(nil, 0x3FF0000000000000) // 1.0
	file := lgFile(
		lgRecord(typeHashZiplist, "hash-ziplist", cdcString(nil, zlBuild(zlStr("f"), zlStr(long)))),
		lgRecord(typeHashListpack, "hash-listpack", cdcString(nil, hashLP)),
		lgRecord(typeZSetZiplist, "zset-ziplist", cdcString(nil, zlBuild(zlStr(long), zlInt(1)))),
		lgRecord(typeZSetListpack, "zset-listpack", cdcString(nil, zsetLP)),
		lgRecord(typeHashZipmap, "hash-zipmap", cdcString(nil, zmBuild(-1, zmPair{f: "f", v: long}))),
		lgRecord(typeHash, "hash-plain", cdcString(cdcString([]byte{1}, []byte("f")), []byte(long))),
		lgRecord(typeZSet2, "zset-plain", append(cdcString([]byte{1}, []byte(long)), score...)),
	)
	want := map[string]keyspace.Encoding{
		"hash-ziplist":  keyspace.EncListpack,
		"hash-listpack": keyspace.EncListpack,
		"zset-ziplist":  keyspace.EncListpack,
		"zset-listpack": keyspace.EncListpack,
		"hash-zipmap":   keyspace.EncHashtable,
		"hash-plain":    keyspace.EncHashtable,
		"zset-plain":    keyspace.EncSkiplist,
	}
	got := lgObjects(t, file)
	for k, enc := range want {
		if o := got[k]; o == nil || o.Enc != enc {
			t.Errorf("%s: loaded %+v, want encoding %v", k, o, enc)
		}
	}
}

// lgEntry is a stream entry for lgNode: fields and values alternate.
type lgEntry struct {
	ms, seq uint64
	fv      []string
	deleted bool
}

// lgNode encodes one stream node (key and listpack strings) whose master
// entry has the given fields; every entry is written with its own field
// names (flag 2 unused), which is valid whatever the master's are.
func lgNode(ms, seq uint64, fields []string, ents ...lgEntry) []byte {
	var lp lpWriter
	live, dead := 0, 0
	for _, e := range ents {
		if e.deleted {
			dead++
		} else {
			live++
		}
	}
	lp.appendInt(int64(live))
	lp.appendInt(int64(dead))
	lp.appendInt(int64(len(fields)))
	for _, f := range fields {
		lp.appendString([]byte(f))
	}
	lp.appendInt(0)
	for _, e := range ents {
		flags := int64(0)
		if e.deleted {
			flags = streamDeleted
		}
		lp.appendInt(flags)
		lp.appendInt(int64(e.ms - ms))
		lp.appendInt(int64(e.seq - seq))
		lp.appendInt(int64(len(e.fv) / 2))
		for _, s := range e.fv {
			lp.appendString([]byte(s))
		}
		lp.appendInt(int64(4 + len(e.fv)))
	}
	key := binary.BigEndian.AppendUint64(nil, ms)
	key = binary.BigEndian.AppendUint64(key, seq)
	return cdcString(cdcString(nil, key), lp.bytes())
}

// lgStream encodes a format 1 stream (type 15) of the given nodes, with
// length, last ID and groups (name and last ID only).
func lgStream(nodes [][]byte, length, lastMs uint64, groups ...string) []byte {
	b := cdcLen(nil, uint64(len(nodes)))
	for _, n := range nodes {
		b = append(b, n...)
	}
	b = cdcLen(b, length)
	b = cdcLen(cdcLen(b, lastMs), 0)
	b = cdcLen(b, uint64(len(groups)/2))
	for i := 0; i+1 < len(groups); i += 2 {
		b = cdcString(b, []byte(groups[i]))
		ms, _ := strconv.ParseUint(groups[i+1], 10, 64)
		b = cdcLen(cdcLen(b, ms), 0)
		b = append(b, 0, 0) // no pending entries, no consumers
	}
	return b
}

// TestLegacyStreamNodesKeptAsLoaded: each node of the file becomes one block,
// deleted entries and all, as Redis keeps loaded nodes, so XINFO's node
// counts and later node splits match Redis's.
func TestLegacyStreamNodesKeptAsLoaded(t *testing.T) {
	nodes := [][]byte{
		lgNode(1, 0, []string{"a"},
			lgEntry{ms: 1, seq: 0, fv: []string{"a", "1"}, deleted: true},
			lgEntry{ms: 1, seq: 1, fv: []string{"a", "2"}},
			lgEntry{ms: 2, seq: 0, fv: []string{"b", "3"}, deleted: true}),
		lgNode(3, 7, []string{"x"},
			lgEntry{ms: 3, seq: 7, fv: []string{"x", "4"}},
			lgEntry{ms: 4, seq: 0, fv: []string{"x", "5"}}), // a negative sequence delta
	}
	got := lgObjects(t, lgFile(lgRecord(typeStreamListpacks, "s", lgStream(nodes, 3, 4))))
	s := got["s"].Val.(*stream.Stream)
	var ids []string
	s.Range(stream.ID{}, stream.MaxID, false, func(id stream.ID, fv [][]byte) bool {
		ids = append(ids, fmt.Sprintf("%v %s", id, fv))
		return true
	})
	if want := "[1-1 [a 2] 3-7 [x 4] 4-0 [x 5]]"; fmt.Sprint(ids) != want {
		t.Fatalf("entries %v, want %s", ids, want)
	}
	if s.Blocks() != 2 || s.Len() != 3 || s.FirstID() != (stream.ID{Ms: 1, Seq: 1}) || s.EntriesAdded != 3 || !s.MaxDeletedID.IsZero() {
		t.Fatalf("blocks %d, length %d, first %v, added %d, max deleted %v; want 2, 3, 1-1, 3, 0-0",
			s.Blocks(), s.Len(), s.FirstID(), s.EntriesAdded, s.MaxDeletedID)
	}
	// A deleted entry still counts for the order of IDs.
	bad := [][]byte{lgNode(1, 0, nil,
		lgEntry{ms: 5, seq: 0, fv: []string{"a", "1"}, deleted: true},
		lgEntry{ms: 4, seq: 0, fv: []string{"a", "2"}})}
	_, err := Load(bytes.NewReader(lgFile(lgRecord(typeStreamListpacks, "s", lgStream(bad, 1, 5)))), Options{Limits: DefaultLimits}, &collect{})
	if err == nil || !strings.Contains(err.Error(), "stream entries out of order") {
		t.Fatalf("an entry below a deleted one: %v", err)
	}
}

// TestLegacyStreamFormat1EntriesRead: format 1 has no group read counters, and
// Redis estimates them on load as XGROUP CREATE does: known at the ends
// of the stream, unknown in between.
func TestLegacyStreamFormat1EntriesRead(t *testing.T) {
	nodes := [][]byte{lgNode(1, 0, nil,
		lgEntry{ms: 1, seq: 0, fv: []string{"a", "1"}},
		lgEntry{ms: 2, seq: 0, fv: []string{"a", "2"}},
		lgEntry{ms: 3, seq: 0, fv: []string{"a", "3"}})}
	file := lgFile(
		lgRecord(typeStreamListpacks, "s", lgStream(nodes, 3, 3, "last", "3", "before", "0", "first", "1", "middle", "2")),
		lgRecord(typeStreamListpacks, "empty", lgStream(nil, 0, 9, "g", "9")),
	)
	got := lgObjects(t, file)
	want := map[string]int64{"last": 3, "before": 0, "first": 1, "middle": stream.InvalidEntriesRead}
	s := got["s"].Val.(*stream.Stream)
	for name, n := range want {
		if g := s.Group([]byte(name)); g == nil || g.EntriesRead != n {
			t.Errorf("group %s: %+v, want entries read %d", name, g, n)
		}
	}
	if g := got["empty"].Val.(*stream.Stream).Group([]byte("g")); g == nil || g.EntriesRead != 0 {
		t.Errorf("group of an empty stream: %+v, want entries read 0", g)
	}
}

// TestLegacyEmptyPlainNodeRefused: Redis 7.0 refuses a quicklist plain node
// (container 1) holding an empty string, and loads a non-empty one.
func TestLegacyEmptyPlainNodeRefused(t *testing.T) {
	plain := func(s string) []byte {
		return lgFile(lgRecord(typeListQuicklist2, "l", cdcString([]byte{1, 1}, []byte(s))))
	}
	if got := lgObjects(t, plain("x")); got["l"] == nil || render(got["l"]) != "list:x" {
		t.Fatalf("a plain node with x: %v", got)
	}
	_, err := Load(bytes.NewReader(plain("")), Options{Limits: DefaultLimits}, &collect{})
	if err == nil || !strings.Contains(err.Error(), "empty plain quicklist node") {
		t.Fatalf("an empty plain node: %v", err)
	}
}

// lgModuleAux is a MODULE_AUX record of module "testmodul" with the given
// when-opcode and a value of every self-describing item.
func lgModuleAux(whenOpcode byte) []byte {
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var id uint64
	for _, c := range []byte("testmodul") {
		id = id<<6 | uint64(strings.IndexByte(charset, c))
	}
	b := cdcLen([]byte{opModuleAux}, id<<10|1)
	b = append(b, whenOpcode, 2)
	b = append(b, moduleUInt, 5, moduleSInt, 0x81, 0, 0, 0, 0, 0, 0, 0, 1, moduleFloat, 0, 0, 0xC0, 0x3F)
	b = append(b, moduleDouble, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, moduleString)
	b = cdcString(b, []byte("payload"))
	return append(b, moduleEOF)
}

// TestLegacyModuleAuxSkipped: module aux data is skipped with a warning naming
// the module, the keys around it load; a when-opcode other than an
// unsigned integer is refused as Redis refuses it.
func TestLegacyModuleAuxSkipped(t *testing.T) {
	file := lgFile(lgModuleAux(moduleUInt), lgRecord(typeString, "k", cdcString(nil, []byte("v"))))
	var warnings []string
	var got collect
	if _, err := Load(bytes.NewReader(file), Options{Limits: DefaultLimits, Warn: func(m string) { warnings = append(warnings, m) }}, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.keys) != 1 || got.keys[0] != "0/k@-1=string:v" {
		t.Fatalf("keys %q", got.keys)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "testmodul") {
		t.Fatalf("warnings %q, want one naming testmodul", warnings)
	}
	_, err := Load(bytes.NewReader(lgFile(lgModuleAux(moduleSInt))), Options{Limits: DefaultLimits}, &collect{})
	if err == nil || !strings.Contains(err.Error(), "bad when_opcode") {
		t.Fatalf("a signed when-opcode: %v", err)
	}
}
