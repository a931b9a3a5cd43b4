package rdb

// Loader tests on hand-built files of old value types. The server-level
// comparisons with the real redis-server are in the tests package
// (tests/rdb_legacy_test.go); these pin down loader details directly.

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

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

// TestPackedEncodingsKeptByCount: Redis 7.0 converts a hash or sorted set
// that arrives as a ziplist or listpack only when it has too many
// entries, not when an element is long; zipmaps and the plain forms are
// converted on either (checked against redis-server in the tests
// package).
func TestPackedEncodingsKeptByCount(t *testing.T) {
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
