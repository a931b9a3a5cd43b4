package keyspace

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"unsafe"
)

// A database's key table: a chained hash table whose elements are
// records in the database's arena (arena.go), so that a key, its expiry
// time and a short string value cost no heap object and nothing for the
// collector to scan. A bucket is the ref of its chain's first record, and
// each record starts with the ref of the next.
//
// A record is laid out as:
//
//	offset 0   next     uint32, little-endian: the chain's next record, 0 at the end
//	offset 4   access   uint32: the last access in seconds, or under LFU
//	                    the counter and its minutes clock (access.go)
//	offset 8   snap     uint32: the snapshot generation that saved or
//	                    stamped this key (snapshot.go)
//	offset 12  flags    byte: bits 0-1 the encoding of a packed value
//	                    (a string's: 0 raw, 1 int, 2 embstr; a
//	                    collection's: see packedEncs), fHeap, fExpire,
//	                    fBigKey, and in bits 5-7 the type of a packed
//	                    value (0 for a string, else a hash or sorted set:
//	                    packed.go)
//	offset 13  klen     uvarint, then the key's bytes (klen 0 and no bytes
//	                    with fBigKey: the key is then kept in bigKeys)
//	with fExpire:       at int64, the absolute expiry time in ms, then
//	                    volpos uint32, the record's place in vol
//	with fHeap:         obj uint32, the value's index in objs
//	otherwise:          vlen uvarint, then the packed value's bytes
//
// and padded to a multiple of 8 bytes. A 16-byte key holding a 16-byte
// string takes one 48-byte record. Values of other types, and strings
// too long for a record, are Objects on the heap, indexed from objs; a
// key longer than bigKeyLen is kept on the heap too.
//
// vol lists the records that have an expiry time, so that active expiry
// and volatile eviction can draw among them at random; each such record
// knows its place in vol, and moving it updates its entry.
type table struct {
	seed  maphash.Seed
	heads []uint32
	mask  uint64
	n     int
	a     arena
	objs  []*Object
	// freeObjs lists the unused indexes of objs.
	freeObjs []uint32
	bigKeys  map[uint32]string
	vol      []uint32
}

// The record header's fields and flags.
const (
	offAccess = 4
	offSnap   = 8
	offFlags  = 12
	hdrSize   = 13

	fEnc    = 3
	fHeap   = 1 << 2
	fExpire = 1 << 3
	fBigKey = 1 << 4

	// bigKeyLen is the longest key kept in a record.
	bigKeyLen = 256
	minHeads  = 4
)

// inlineEncs maps a record's encoding bits to the string's encoding.
var inlineEncs = [...]Encoding{EncRaw, EncInt, EncEmbstr, EncRaw}

func encBits(e Encoding) byte {
	switch e {
	case EncInt:
		return 1
	case EncEmbstr:
		return 2
	}
	return 0
}

func (t *table) init() {
	t.seed = maphash.MakeSeed()
	t.heads = make([]uint32, minHeads)
	t.mask = minHeads - 1
}

// clear drops every record.
func (t *table) clear() {
	seed := t.seed
	*t = table{}
	t.init()
	t.seed = seed
}

func (t *table) hash(key []byte) uint64 { return maphash.Bytes(t.seed, key) }

// rec is a decoded record: where its parts are.
type rec struct {
	b     []byte
	flags byte
	// key aliases the arena, or bigKeys' copy.
	key []byte
	// expOff is the offset of the expiry time, 0 without one.
	expOff int
	// valOff is the offset of the value's bytes, or of the obj index.
	valOff, valLen int
	size           int
}

// layout returns where the key of the record in b starts, its stored
// length (0 for a big key), and where the value or the object index
// starts, after the expiry fields if any.
func layout(b []byte) (keyAt, klen, valAt int) {
	keyAt, klen = hdrSize+1, int(b[hdrSize])
	if klen >= 0x80 {
		keyAt, klen = longKey(b)
	}
	valAt = keyAt + klen
	if b[offFlags]&fExpire != 0 {
		valAt += 12
	}
	return keyAt, klen, valAt
}

// longKey is layout's key position and length for a key length of two
// or more varint bytes.
func longKey(b []byte) (keyAt, klen int) {
	k, n := binary.Uvarint(b[hdrSize:])
	return hdrSize + n, int(k)
}

func (t *table) rec(ref uint32) rec {
	b := t.a.bytes(ref)
	r := rec{b: b, flags: b[offFlags]}
	keyAt, klen, p := layout(b)
	r.key = b[keyAt : keyAt+klen : keyAt+klen]
	if r.flags&fExpire != 0 {
		r.expOff = keyAt + klen
	}
	r.valOff = p
	if r.flags&fHeap != 0 {
		p += 4
		if r.flags&fBigKey != 0 {
			k := t.bigKeys[le32(b[r.valOff:])]
			r.key = unsafe.Slice(unsafe.StringData(k), len(k))
		}
	} else {
		r.valOff, p = valueSpan(b, p)
		r.valLen = p - r.valOff
	}
	r.size = recordSize(p)
	return r
}

// heapObject returns the heap object of the record at ref, nil when the
// record's value is packed in it: what objs[rec(ref).obj()] gives,
// without decoding the rest of the record, for the lookups of
// collections.
func (t *table) heapObject(ref uint32) *Object {
	b := t.a.bytes(ref)
	if b[offFlags]&fHeap == 0 {
		return nil
	}
	_, _, p := layout(b)
	return t.objs[le32(b[p:])]
}

// packedValue is the value of the record b, which is not a heap record:
// what rec(ref).val() gives, without decoding the rest of the record.
func packedValue(b []byte) []byte {
	_, _, p := layout(b)
	s, e := valueSpan(b, p)
	return b[s:e:e]
}

// valueSpan returns where the bytes of a packed value whose length
// varint is at b[p] start and end.
func valueSpan(b []byte, p int) (start, end int) {
	vlen, n := uint64(b[p]), 1
	if vlen >= 0x80 {
		vlen, n = binary.Uvarint(b[p:])
	}
	return p + n, p + n + int(vlen)
}

func (r rec) heap() bool      { return r.flags&fHeap != 0 }
func (r rec) obj() uint32     { return le32(r.b[r.valOff:]) }
func (r rec) hasExpire() bool { return r.expOff != 0 }
func (r rec) at() int64       { return le64(r.b[r.expOff:]) }
func (r rec) volpos() uint32  { return le32(r.b[r.expOff+8:]) }

// val is an inline string's value, capped so an append copies it out.
func (r rec) val() []byte { return r.b[r.valOff : r.valOff+r.valLen : r.valOff+r.valLen] }

// find returns the ref of key's record (0 if absent) and of the record
// before it in its chain (0 if it is the first).
func (t *table) find(h uint64, key []byte) (ref, prev uint32) {
	for ref = t.heads[h&t.mask]; ref != 0; prev, ref = ref, le32(t.a.bytes(ref)) {
		b := t.a.bytes(ref)
		if klen := int(b[hdrSize]); klen < 0x80 && b[offFlags]&fBigKey == 0 {
			if klen == len(key) && string(b[hdrSize+1:hdrSize+1+klen]) == string(key) {
				return ref, prev
			}
			continue
		}
		if r := t.rec(ref); string(r.key) == string(key) {
			return ref, prev
		}
	}
	return 0, 0
}

// locate is find for key, with key's hash.
func (t *table) locate(key []byte) (h uint64, ref, prev uint32) {
	h = t.hash(key)
	ref, prev = t.find(h, key)
	return h, ref, prev
}

// parts is what a record is made of, for writing one.
type parts struct {
	key          []byte
	flags        byte
	access, snap uint32
	at           int64
	volpos       uint32
	obj          uint32
	val          []byte
}

// fits reports whether a record of these parts is small enough for the
// arena.
func (p parts) fits() bool { return p.size() <= maxRecord }

func (p parts) heap() bool { return p.flags&fHeap != 0 }

// withExpire is p with room for an expiry time.
func (p parts) withExpire() parts {
	p.flags |= fExpire
	return p
}

func (p parts) size() int {
	n := hdrSize
	if p.flags&fBigKey != 0 {
		n++
	} else {
		n += uvarintLen(len(p.key)) + len(p.key)
	}
	if p.flags&fExpire != 0 {
		n += 12
	}
	if p.flags&fHeap != 0 {
		n += 4
	} else {
		n += uvarintLen(len(p.val)) + len(p.val)
	}
	return recordSize(n)
}

func uvarintLen(n int) int { return (bits.Len64(uint64(n)|1) + 6) / 7 }

// parts decodes the record at ref; key and val alias it.
func (t *table) parts(ref uint32) parts {
	r := t.rec(ref)
	p := parts{
		key:    r.key,
		flags:  r.flags,
		access: le32(r.b[offAccess:]),
		snap:   le32(r.b[offSnap:]),
	}
	if r.hasExpire() {
		p.at, p.volpos = r.at(), r.volpos()
	}
	if r.heap() {
		p.obj = r.obj()
	} else {
		p.val = r.val()
	}
	return p
}

// write encodes p into ref, a record of p's size, linking it to next.
func (t *table) write(ref uint32, p *parts, next uint32) {
	b := t.a.bytes(ref)
	put32(b, next)
	put32(b[offAccess:], p.access)
	put32(b[offSnap:], p.snap)
	b[offFlags] = p.flags
	i := hdrSize
	if p.flags&fBigKey != 0 {
		b[i] = 0
		i++
	} else {
		i += binary.PutUvarint(b[i:], uint64(len(p.key)))
		i += copy(b[i:], p.key)
	}
	if p.flags&fExpire != 0 {
		put64(b[i:], p.at)
		put32(b[i+8:], p.volpos)
		i += 12
	}
	if p.flags&fHeap != 0 {
		put32(b[i:], p.obj)
	} else {
		i += binary.PutUvarint(b[i:], uint64(len(p.val)))
		copy(b[i:], p.val)
	}
}

// insert adds a record of p for a key not in the table, h being its hash.
func (t *table) insert(h uint64, p *parts) uint32 {
	if p.flags&fExpire != 0 {
		p.volpos = uint32(len(t.vol))
	}
	ref := t.a.alloc(p.size())
	b := h & t.mask
	t.write(ref, p, t.heads[b])
	t.heads[b] = ref
	if p.flags&fExpire != 0 {
		t.vol = append(t.vol, ref)
	}
	t.n++
	if t.n > len(t.heads) {
		t.rehash(len(t.heads) * 2)
	}
	return ref
}

// replace rewrites the record at ref (whose predecessor is prev) as p,
// in place when the size is unchanged, and returns its new ref. A new
// expiry time is added to vol, a dropped one removed; p.obj and the old
// record's obj are the caller's business. p's slices may alias the old
// record.
func (t *table) replace(h uint64, ref, prev uint32, p *parts) uint32 {
	old := t.rec(ref)
	had := old.hasExpire()
	var oldPos uint32
	if had {
		oldPos = old.volpos()
	}
	if p.flags&fExpire != 0 {
		if had {
			p.volpos = oldPos
		} else {
			p.volpos = uint32(len(t.vol))
			t.vol = append(t.vol, 0)
		}
	}
	next := le32(old.b)
	nu := ref
	if size := p.size(); size != old.size {
		nu = t.a.alloc(size)
	}
	t.write(nu, p, next)
	if nu != ref {
		t.relink(h, prev, nu)
		t.a.release(ref, old.size)
	}
	if p.flags&fExpire != 0 {
		t.vol[p.volpos] = nu
	} else if had {
		t.dropVol(oldPos)
	}
	return nu
}

// relink points the link that pointed at a record (the bucket's head, or
// prev's next) at nu.
func (t *table) relink(h uint64, prev, nu uint32) {
	if prev == 0 {
		t.heads[h&t.mask] = nu
	} else {
		put32(t.a.bytes(prev), nu)
	}
}

// remove unlinks and frees the record at ref, and its heap value.
func (t *table) remove(h uint64, ref, prev uint32) {
	r := t.rec(ref)
	t.relink(h, prev, le32(r.b))
	if r.hasExpire() {
		t.dropVol(r.volpos())
	}
	if r.heap() {
		t.freeObj(r.obj())
	}
	t.a.release(ref, r.size)
	t.n--
	if len(t.heads) > minHeads && t.n < len(t.heads)/8 {
		t.rehash(len(t.heads) / 2)
	}
}

// dropVol removes entry pos of vol, moving the last one into its place.
func (t *table) dropVol(pos uint32) {
	last := len(t.vol) - 1
	if moved := t.vol[last]; int(pos) != last {
		t.vol[pos] = moved
		r := t.rec(moved)
		put32(r.b[r.expOff+8:], pos)
	}
	t.vol = t.vol[:last]
}

// addObj stores o in objs and returns its index.
func (t *table) addObj(o *Object) uint32 {
	if n := len(t.freeObjs); n > 0 {
		i := t.freeObjs[n-1]
		t.freeObjs = t.freeObjs[:n-1]
		t.objs[i] = o
		return i
	}
	t.objs = append(t.objs, o)
	return uint32(len(t.objs) - 1)
}

func (t *table) freeObj(i uint32) {
	t.objs[i] = nil
	t.freeObjs = append(t.freeObjs, i)
	if t.bigKeys != nil {
		delete(t.bigKeys, i)
	}
}

// heapParts returns the parts of a record for key holding heap object
// index obj.
func (t *table) heapParts(key []byte, obj uint32) parts {
	p := parts{key: key, flags: fHeap, obj: obj}
	if len(key) > bigKeyLen {
		p.flags |= fBigKey
		if t.bigKeys == nil {
			t.bigKeys = map[uint32]string{}
		}
		t.bigKeys[obj] = string(key)
	}
	return p
}

// rehash moves every record to a bucket array of size.
func (t *table) rehash(size int) {
	heads := make([]uint32, size)
	mask := uint64(size - 1)
	for _, ref := range t.heads {
		for ref != 0 {
			r := t.rec(ref)
			next := le32(r.b)
			b := t.hash(r.key) & mask
			put32(r.b, heads[b])
			heads[b] = ref
			ref = next
		}
	}
	t.heads, t.mask = heads, mask
}

// each calls fn for every record until it returns false. fn must not
// change the table.
func (t *table) each(fn func(ref uint32) bool) {
	for _, ref := range t.heads {
		for ref != 0 {
			next := le32(t.a.bytes(ref))
			if !fn(ref) {
				return
			}
			ref = next
		}
	}
}

// scan visits the records of the bucket at cursor and returns the next
// cursor, 0 at the end. Buckets are visited in reverse-binary order, so a
// key present for the whole iteration is visited at least once however
// the table grows or shrinks between calls (the order Redis's SCAN uses).
func (t *table) scan(cursor uint64, fn func(ref uint32)) uint64 {
	m := t.mask
	for ref := t.heads[cursor&m]; ref != 0; {
		next := le32(t.a.bytes(ref))
		fn(ref)
		ref = next
	}
	cursor |= ^m
	cursor = bits.Reverse64(cursor)
	cursor++
	return bits.Reverse64(cursor)
}

// random returns a record chosen by r, a source of random numbers, or 0
// when the table is empty. Records in long chains are slightly less
// likely, as in Redis.
func (t *table) random(r func() uint64) uint32 {
	if t.n == 0 {
		return 0
	}
	for {
		head := t.heads[r()&t.mask]
		if head == 0 {
			continue
		}
		n := uint64(0)
		for ref := head; ref != 0; ref = le32(t.a.bytes(ref)) {
			n++
		}
		ref := head
		for i := r() % n; i > 0; i-- {
			ref = le32(t.a.bytes(ref))
		}
		return ref
	}
}
