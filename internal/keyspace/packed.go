package keyspace

import (
	"github.com/respd/respd/internal/ds/hash"
	"github.com/respd/respd/internal/ds/zset"
)

// Small hashes and sorted sets keep all their fields in one buffer (their
// listpack form), and that buffer can live in the key's record like a
// short string, which saves the Object, the collection's struct and the
// buffer's own allocation: most of what a small collection costs.
//
// Commands build and change collections as heap Objects, so a value is
// packed after the command that wrote it: Set and LookupWrite note the
// keys whose values might be packable, and Settle, which the engine
// calls after each command, packs those still small enough. A lookup of
// a packed collection hands out an Object whose Val reads the record in
// place (see view); LookupWrite moves it back to the heap.

// Packing makes no garbage in the steady state: the heap Object a
// collection leaves when it is packed is kept as its type's spare, and
// the next LookupWrite that needs one for that type (or a command
// creating a collection, through Spare) reuses it with its buffer.

// typeShift places a packed record's type in its flags; 0 is a string.
const typeShift = 5

// packedEncs maps a packed collection's encoding bits to its encoding: a
// hash in the hashtable encoding may still be packed (see package hash).
var packedEncs = [...]Encoding{EncListpack, EncHashtable, EncListpack, EncListpack}

// maxPending bounds the keys noted between two Settle calls; past it
// values stay on the heap, which is correct, only bigger.
const maxPending = 1024

// pendingKey is a key noted for Settle: its database and where its name
// is in the keyspace's pendBuf.
type pendingKey struct {
	db     *DB
	off, n int
}

// packedForm returns the buffer to pack o into and the encoding bits, if
// o is a hash or sorted set in its packed form.
func packedForm(o *Object) ([]byte, byte, bool) {
	var b []byte
	var ok bool
	switch v := o.Val.(type) {
	case *hash.Hash:
		b, ok = v.Packed()
	case *zset.ZSet:
		b, ok = v.Packed()
	}
	switch {
	case !ok:
		return nil, 0, false
	case o.Enc == EncListpack:
		return b, 0, true
	case o.Enc == EncHashtable && o.Type == TypeHash:
		return b, 1, true
	}
	return nil, 0, false
}

// spareMax bounds the buffer a spare keeps.
const spareMax = 2 * maxRecord

func spareSlot(t Type) int {
	if t == TypeHash {
		return 0
	}
	return 1
}

// takeSpare returns the spare Object of type t, or nil.
func (ks *Keyspace) takeSpare(t Type) *Object {
	i := spareSlot(t)
	o := ks.spare[i]
	ks.spare[i] = nil
	return o
}

// Spare returns an empty hash or sorted set (t) in its packed form, in an
// Object a packed value left, for a command creating a collection; nil
// when there is none. Its Val is a *hash.Hash or *zset.ZSet.
func (d *DB) Spare(t Type) *Object {
	o := d.ks.takeSpare(t)
	if o == nil {
		return nil
	}
	switch v := o.Val.(type) {
	case *hash.Hash:
		v.Reset()
	case *zset.ZSet:
		v.Reset()
	}
	*o = Object{Type: t, Enc: EncListpack, Val: o.Val}
	return o
}

// loadPacked returns a heap Object owning a copy of the packed value b of
// type t, reusing the spare when there is one.
func (ks *Keyspace) loadPacked(t Type, b []byte) *Object {
	o := ks.takeSpare(t)
	if o == nil {
		o = &Object{Val: new(zset.ZSet)}
		if t == TypeHash {
			o.Val = new(hash.Hash)
		}
	}
	switch v := o.Val.(type) {
	case *hash.Hash:
		v.Load(b)
	case *zset.ZSet:
		v.Load(b)
	}
	*o = Object{Type: t, Val: o.Val}
	return o
}

// packable reports whether o is a hash or sorted set still in its packed
// form, so that it may fit a record once the command is done with it.
func packable(o *Object) bool {
	switch v := o.Val.(type) {
	case *hash.Hash:
		_, ok := v.Packed()
		return ok
	case *zset.ZSet:
		return v.Listpack()
	}
	return false
}

// view holds what describes a packed value to a lookup: an Object and,
// for a collection, the hash or sorted set reading the record in place.
type view struct {
	o Object
	h hash.Hash
	z zset.ZSet
}

// describe fills v to describe the packed collection b of type t.
func (v *view) describe(t Type, b []byte) {
	if t == TypeHash {
		v.h.Wrap(b)
		v.o.Val = &v.h
	} else {
		v.z.Wrap(b)
		v.o.Val = &v.z
	}
}

// note records key for Settle if o is a collection in its packed form (one
// that left it never returns to it).
func (d *DB) note(key []byte, o *Object) {
	ks := d.ks
	if len(ks.pending) >= maxPending || len(key) > bigKeyLen || !packable(o) {
		return
	}
	ks.pending = append(ks.pending, pendingKey{db: d, off: len(ks.pendBuf), n: len(key)})
	ks.pendBuf = append(ks.pendBuf, key...)
}

// Settle packs the collections written since the last call that are
// small enough for a record. The engine calls it after each command;
// nothing may hold an Object of those keys across it.
func (ks *Keyspace) Settle() {
	if len(ks.pending) > 0 {
		ks.settle()
	}
}

func (ks *Keyspace) settle() {
	for _, p := range ks.pending {
		p.db.pack(ks.pendBuf[p.off : p.off+p.n])
	}
	ks.pending = ks.pending[:0]
	ks.pendBuf = ks.pendBuf[:0]
}

// pack moves key's heap collection into its record if it is packed and
// small enough.
func (d *DB) pack(key []byte) {
	h, ref, prev := d.t.locate(key)
	if ref == 0 {
		return
	}
	r := d.t.rec(ref)
	if !r.heap() || r.flags&fBigKey != 0 {
		return
	}
	idx := r.obj()
	o := d.t.objs[idx]
	b, enc, ok := packedForm(o)
	if !ok {
		return
	}
	p := parts{
		key:    key,
		flags:  byte(o.Type)<<typeShift | enc | r.flags&fExpire,
		val:    b,
		access: d.ks.packAccess(o.Access),
		snap:   le32(r.b[offSnap:]),
	}
	if r.hasExpire() {
		p.at = r.at()
	}
	if !p.fits() {
		return
	}
	d.t.replace(h, ref, prev, &p)
	d.t.freeObj(idx)
	if cap(b) <= spareMax {
		d.ks.spare[spareSlot(o.Type)] = o
	}
}
