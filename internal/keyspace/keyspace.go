package keyspace

import (
	"math/rand/v2"
	"unsafe"

	"github.com/respd/respd/internal/clock"
)

// Stats are the counters INFO stats reports.
type Stats struct {
	Hits, Misses, ExpiredKeys int64
}

// Keyspace is the set of numbered databases.
type Keyspace struct {
	DBs   []*DB
	Clock clock.Clock
	// now is Clock's time, read once per batch of commands by Tick: every
	// expiry check and access stamp of a batch sees the same instant, as
	// Redis caches its clock per command, and the hot path does not read
	// the clock once per lookup.
	now int64
	// Replica makes expired keys read as missing without deleting them.
	Replica bool
	Stats   Stats
	// OnChange, when set, is called for every key a write touches, and with
	// a nil key for whole-db changes (before a flush; before and after a
	// swap). WATCH and keyspace
	// notifications hang off it.
	OnChange func(db int, key []byte)
	// OnExpire, when set, is called after a key is deleted for being past
	// its time, so the deletion can be propagated.
	OnExpire func(db int, key string)
	// OnNew, when set, is called when a key is added that did not exist
	// (keyspace "new" events); left nil while nobody listens.
	OnNew func(db int, key []byte)
	// OnMiss, when set, is called when a read counted as a miss finds no
	// key (keyspace "keymiss" events); left nil while nobody listens.
	OnMiss func(db int, key []byte)
	// Writing is set by the engine while a write command runs: a snapshot
	// then preserves every object the command looks up (snapshot.go).
	Writing bool
	// snap is the snapshot in progress, nil when none; snapGen numbers
	// snapshots.
	snap    *Snapshot
	snapGen uint32
	// Dirty counts changes; INFO's rdb_changes_since_last_save and
	// propagation use it. Deleting an expired key does not count, as in
	// Redis: that deletion is propagated on its own (OnExpire).
	Dirty int64
	// unshared bounds how many stored objects have Unshared set (deleting
	// one does not decrement it), so Touch looks for the flag to clear
	// only after a COPY made one.
	unshared int
	// access says what Object.Access holds (access.go).
	access AccessPolicy
	// slotsOn keeps a per-slot index of every database's keys, for
	// cluster mode (slots.go).
	slotsOn bool
	// scratch holds what lookups of packed values hand out; nScratch of
	// them are in use since the last Tick.
	scratch  []view
	nScratch int
	// pending lists the keys whose collections Settle may pack; their
	// names are in pendBuf (packed.go).
	pending []pendingKey
	pendBuf []byte
	// spare holds a hash's and a sorted set's Object left by packing, for
	// reuse (packed.go).
	spare [2]*Object
}

// New returns a keyspace of n empty databases.
func New(n int, c clock.Clock) *Keyspace {
	ks := &Keyspace{Clock: c}
	ks.Tick()
	for i := 0; i < n; i++ {
		ks.DBs = append(ks.DBs, newDB(ks, i))
	}
	return ks
}

// Swap exchanges the contents of databases a and b.
func (ks *Keyspace) Swap(a, b int) {
	// The hook runs before and after: a key is affected if it exists in
	// either database at either moment.
	ks.changed(a, nil)
	ks.changed(b, nil)
	da, db := ks.DBs[a], ks.DBs[b]
	if ks.snap != nil {
		da.preserveAll()
		db.preserveAll()
	}
	da.t, db.t = db.t, da.t
	da.slots, db.slots = db.slots, da.slots
	ks.changed(a, nil)
	ks.changed(b, nil)
}

// FlushAll empties every database.
func (ks *Keyspace) FlushAll() {
	for _, d := range ks.DBs {
		d.Flush()
	}
	ks.unshared = 0 // no object is left to carry the mark
}

func (ks *Keyspace) changed(db int, key []byte) {
	ks.Dirty++
	ks.signal(db, key)
}

// signal runs the change hook without counting a change.
func (ks *Keyspace) signal(db int, key []byte) {
	if ks.OnChange != nil {
		ks.OnChange(db, key)
	}
}

// DB is one numbered database.
type DB struct {
	ks *Keyspace
	ID int
	t  table
	// slots indexes the keys by cluster hash slot; nil unless
	// EnableSlots was called and the database has held a key since its
	// last flush (slots.go).
	slots *slotIndex
}

func newDB(ks *Keyspace, id int) *DB {
	d := &DB{ks: ks, ID: id}
	d.t.init()
	return d
}

// Len returns the number of keys, expired-but-not-yet-deleted ones included.
func (d *DB) Len() int { return d.t.n }

// ExpiresLen returns the number of keys with a TTL.
func (d *DB) ExpiresLen() int { return len(d.t.vol) }

// Now is the keyspace clock's time in ms.
func (d *DB) Now() int64 { return d.ks.now }

// Tick refreshes the keyspace's notion of now from its clock and recycles
// the scratch objects of the previous batch. The engine calls it before
// each batch of commands and each cron run.
func (ks *Keyspace) Tick() {
	ks.now = ks.Clock.NowMs()
	ks.nScratch = 0
	ks.Settle()
}

// Now returns the time of the last Tick in ms.
func (ks *Keyspace) Now() int64 { return ks.now }

// scratchMax is how many scratch views a keyspace recycles at most; a
// batch that looks up more packed values than that gets fresh ones.
const scratchMax = 1024

// scratchView returns a view for describing a packed value, valid until
// the next Tick. The recycled views grow with the batches that need them:
// they hold pointers, which every garbage collection scans, so a server
// that packs few values keeps few.
func (ks *Keyspace) scratchView() *view {
	if ks.nScratch == len(ks.scratch) {
		if len(ks.scratch) == scratchMax {
			return new(view)
		}
		// The views handed out stay where they are, valid until the
		// next Tick.
		ks.scratch = make([]view, min(max(2*len(ks.scratch), 16), scratchMax))
		ks.nScratch = 0
	}
	v := &ks.scratch[ks.nScratch]
	ks.nScratch++
	return v
}

// snapStamp is the snapshot generation a record stored now carries: the
// running snapshot's, so it does not save it, or 0.
func (ks *Keyspace) snapStamp() uint32 {
	if ks.snap != nil {
		return ks.snap.gen
	}
	return 0
}

// objectInto returns the value of record r: its heap object, or the
// Object of v filled in to describe its packed value.
func (d *DB) objectInto(r *rec, v *view) *Object {
	if r.heap() {
		return d.t.objs[r.obj()]
	}
	return d.describePacked(r.b, r.val(), v)
}

// describePacked fills in the Object of v to describe the value val
// packed in the record b.
func (d *DB) describePacked(b, val []byte, v *view) *Object {
	o := &v.o
	*o = Object{Access: d.ks.unpackAccess(le32(b[offAccess:]))}
	flags := b[offFlags]
	if t := Type(flags >> typeShift); t != TypeString {
		o.Type, o.Enc = t, packedEncs[flags&fEnc]
		v.describe(t, val)
	} else {
		o.Type, o.Enc, o.Str = TypeString, inlineEncs[flags&fEnc], val
	}
	return o
}

// materialize returns a heap Object owning a copy of the value of r, a
// record that is not a heap one.
func (d *DB) materialize(r rec) *Object {
	var v view
	desc := d.objectInto(&r, &v)
	if desc.Type == TypeString {
		return &Object{Type: TypeString, Enc: desc.Enc, Str: append([]byte(nil), desc.Str...), Access: desc.Access}
	}
	o := d.ks.loadPacked(desc.Type, r.val())
	o.Enc, o.Access = desc.Enc, desc.Access
	return o
}

// object returns the value of the record at ref, a scratch object for an
// inline string.
func (d *DB) object(ref uint32) *Object {
	if o := d.t.heapObject(ref); o != nil {
		return o
	}
	b := d.t.a.bytes(ref)
	return d.describePacked(b, packedValue(b), d.ks.scratchView())
}

// pastTime reports whether the record at ref has an expiry time that has
// come.
func (d *DB) pastTime(ref uint32) bool {
	if d.t.a.bytes(ref)[offFlags]&fExpire == 0 {
		return false
	}
	r := d.t.rec(ref)
	return r.at() <= d.ks.now
}

// live finds key's record, with its hash and predecessor (see
// table.find); ref is 0 when the key is missing or past its time, in
// which case it is deleted unless this is a replica.
func (d *DB) live(key []byte) (h uint64, ref, prev uint32) {
	h, ref, prev = d.t.locate(key)
	if ref != 0 && d.pastTime(ref) {
		if !d.ks.Replica {
			d.deleteExpired(h, ref, prev)
		}
		return h, 0, 0
	}
	return h, ref, prev
}

// deleteExpired deletes the record at ref for being past its time.
func (d *DB) deleteExpired(h uint64, ref, prev uint32) {
	if d.ks.snap != nil {
		d.preserveRef(ref)
	}
	r := d.t.rec(ref)
	// The hooks may keep the name; the record's bytes are reused.
	key := string(r.key)
	if d.slots != nil {
		d.unindex(r.key)
	}
	d.t.remove(h, ref, prev)
	d.ks.Stats.ExpiredKeys++
	d.ks.signal(d.ID, []byte(key))
	if d.ks.OnExpire != nil {
		d.ks.OnExpire(d.ID, key)
	}
}

// expireRef deletes the record at ref, found by sampling, for being past
// its time.
func (d *DB) expireRef(ref uint32) {
	r := d.t.rec(ref)
	h, _, prev := d.t.locate(r.key)
	d.deleteExpired(h, ref, prev)
}

// Lookup returns key's value for a read, counting a hit or a miss.
func (d *DB) Lookup(key []byte) *Object {
	_, ref, _ := d.live(key)
	if ref == 0 {
		d.miss(key)
		return nil
	}
	d.ks.Stats.Hits++
	d.keepForWrite(ref)
	d.touch(ref)
	return d.object(ref)
}

func (d *DB) miss(key []byte) {
	d.ks.Stats.Misses++
	if d.ks.OnMiss != nil {
		d.ks.OnMiss(d.ID, key)
	}
}

// touch records an access to the record at ref.
func (d *DB) touch(ref uint32) {
	if o := d.t.heapObject(ref); o != nil {
		d.ks.touch(o)
		return
	}
	b := d.t.a.bytes(ref)
	if !d.ks.access.LFU {
		put32(b[offAccess:], uint32(d.ks.now/1000))
		return
	}
	o := Object{Access: d.ks.unpackAccess(le32(b[offAccess:]))}
	d.ks.countAccess(&o)
	put32(b[offAccess:], d.ks.packAccess(o.Access))
}

// LookupNoTouch returns key's value for a read that counts a hit or a miss
// but leaves the access time alone, as TYPE, EXISTS, TTL and OBJECT do so
// that inspecting a key does not make it look recently used.
func (d *DB) LookupNoTouch(key []byte) *Object {
	o := d.Peek(key)
	if o == nil {
		d.miss(key)
		return nil
	}
	d.ks.Stats.Hits++
	return o
}

// LookupWrite returns key's value for a command about to change it; it
// counts nothing. Unlike the other lookups it returns the stored object
// itself even for a short string, which it first moves out of its record
// to the heap, so the command may change it in place (then calling
// Touch).
func (d *DB) LookupWrite(key []byte) *Object {
	h, ref, prev := d.live(key)
	if ref == 0 {
		return nil
	}
	d.keepForWrite(ref)
	o := d.t.heapObject(ref)
	if o != nil {
		d.ks.touch(o)
	} else {
		d.touch(ref)
		at := int64(-1)
		if r := d.t.rec(ref); r.hasExpire() {
			at = r.at()
		}
		o = d.unpack(h, ref, prev, key, at)
	}
	d.note(key, o)
	return o
}

// forWrite finds key for a write command, as live does, counting an
// access and keeping the key for a snapshot.
func (d *DB) forWrite(key []byte) (h uint64, ref, prev uint32) {
	h, ref, prev = d.live(key)
	if ref != 0 {
		d.keepForWrite(ref)
		d.touch(ref)
	}
	return h, ref, prev
}

// unpack moves the packed value of the record at ref (key's, with
// predecessor prev) to a heap Object, which it returns, giving the key the
// expiry time at (-1 for none) and keeping its access and snapshot stamps.
func (d *DB) unpack(h uint64, ref, prev uint32, key []byte, at int64) *Object {
	r := d.t.rec(ref)
	o := d.materialize(r)
	p := d.t.heapParts(key, d.t.addObj(o))
	if at >= 0 {
		p.flags |= fExpire
		p.at = at
	}
	p.access, p.snap = le32(r.b[offAccess:]), le32(r.b[offSnap:])
	d.t.replace(h, ref, prev, &p)
	return o
}

// PeekWrite returns key's value for a write command that will store a
// new string in its place (Overwrite) rather than change it: it counts an
// access and keeps the key for a snapshot as LookupWrite does, but leaves
// a packed string in its record, so the object may only describe it.
// The Spot it returns is where the key is, for an Overwrite right after.
func (d *DB) PeekWrite(key []byte) (*Object, Spot) {
	h, ref, prev := d.forWrite(key)
	if ref != 0 {
		return d.object(ref), Spot{h, ref, prev}
	}
	return nil, Spot{}
}

// Spot is where PeekWrite found a key: valid until the database next
// changes.
type Spot struct {
	h         uint64
	ref, prev uint32
}

// ExistsForWrite reports whether key exists, looking it up as PeekWrite
// does: for write commands that only need to know whether it is there.
func (d *DB) ExistsForWrite(key []byte) bool {
	o, _ := d.PeekWrite(key)
	return o != nil
}

// Peek returns key's value without touching stats or access time.
func (d *DB) Peek(key []byte) *Object {
	_, ref, _ := d.live(key)
	if ref == 0 {
		return nil
	}
	d.keepForWrite(ref)
	return d.object(ref)
}

// keepForWrite saves the record at ref for the running snapshot before
// a write command looks at it: the command may change it in place.
func (d *DB) keepForWrite(ref uint32) {
	if s := d.ks.snap; s != nil && d.ks.Writing && le32(d.t.a.bytes(ref)[offSnap:]) != s.gen {
		s.keep(d, ref)
	}
}

// Exists reports whether key exists (and is not expired).
func (d *DB) Exists(key []byte) bool { return d.Peek(key) != nil }

// Set stores o under key, clearing any TTL unless keepTTL. The object
// itself is stored, so the caller may go on changing it; SetString is
// the compact way to store a string.
func (d *DB) Set(key []byte, o *Object, keepTTL bool) {
	h, ref, prev := d.t.locate(key)
	if ref != 0 && d.ks.snap != nil {
		d.preserveRef(ref)
	}
	d.stampStored(ref, o)
	if o.Unshared {
		d.ks.unshared++
	}
	d.note(key, o)
	if ref == 0 {
		p := d.t.heapParts(key, d.t.addObj(o))
		p.snap = d.ks.snapStamp()
		d.t.insert(h, &p)
		d.added(key)
		d.ks.changed(d.ID, key)
		return
	}
	r := d.t.rec(ref)
	keep := keepTTL && r.hasExpire()
	if r.heap() && keep == r.hasExpire() {
		d.t.objs[r.obj()] = o
		d.ks.changed(d.ID, key)
		return
	}
	old := d.t.parts(ref)
	var idx uint32
	if r.heap() {
		idx = r.obj()
		d.t.objs[idx] = o
	} else {
		idx = d.t.addObj(o)
	}
	p := d.t.heapParts(key, idx)
	if keep {
		p.flags |= fExpire
		p.at = old.at
	}
	p.access, p.snap = old.access, old.snap
	d.t.replace(h, ref, prev, &p)
	d.ks.changed(d.ID, key)
}

// added does what a key new to the database needs: the slot index and
// the "new" hook.
func (d *DB) added(key []byte) {
	if d.ks.slotsOn {
		d.indexNew(key)
	}
	if d.ks.OnNew != nil {
		d.ks.OnNew(d.ID, key)
	}
}

// SetString stores a string value under key, clearing any TTL unless
// keepTTL. A short key and value are packed into one record, overwritten
// in place when the new value takes as much room as the old one.
func (d *DB) SetString(key, val []byte, keepTTL bool) { d.setString(key, val, keepTTL, nil) }

// Overwrite replaces the value of key, which a PeekWrite just found at
// at, with the string val, keeping its TTL and its access stamp (the
// lookup counted the access), as Redis does when INCR stores its result.
func (d *DB) Overwrite(at Spot, key, val []byte) {
	if d.ks.snap == nil {
		r := d.t.rec(at.ref)
		if !r.heap() && r.valLen == len(val) && r.flags&fEnc == encBits(StringEncoding(val)) {
			// The new bytes take the old ones' room and encoding: they
			// change in place, and nothing else in the record does.
			copy(r.b[r.valOff:], val)
			d.ks.changed(d.ID, key)
			return
		}
	}
	d.setString(key, val, true, &at)
}

// setString stores val under key; at is where PeekWrite found key, nil
// when unknown (and the write counts as an access).
func (d *DB) setString(key, val []byte, keepTTL bool, at *Spot) {
	counted := at != nil
	enc := StringEncoding(val)
	p := parts{key: key, flags: encBits(enc), val: val}
	// With keepTTL, room for a TTL the key may have.
	if len(key) > bigKeyLen || !p.fits() || keepTTL && !p.withExpire().fits() {
		o := &Object{Type: TypeString, Enc: enc, Str: append([]byte(nil), val...)}
		if counted {
			o.Access = d.access(key)
		}
		d.Set(key, o, keepTTL)
		return
	}
	var h uint64
	var ref, prev uint32
	if at != nil {
		h, ref, prev = at.h, at.ref, at.prev
	} else {
		h, ref, prev = d.t.locate(key)
		if ref != 0 && d.pastTime(ref) && !d.ks.Replica {
			d.deleteExpired(h, ref, prev)
			ref = 0
		}
	}
	if ref == 0 {
		p.snap = d.ks.snapStamp()
		if d.ks.access.LFU {
			p.access = uint32(d.ks.lfuMinutes()<<8 | LFUInitVal)
		} else {
			p.access = uint32(d.ks.now / 1000)
		}
		d.t.insert(h, &p)
		d.added(key)
		d.ks.changed(d.ID, key)
		return
	}
	if d.ks.snap != nil {
		d.preserveRef(ref)
	}
	r := d.t.rec(ref)
	p.snap = le32(r.b[offSnap:])
	o := Object{Access: d.ks.unpackAccess(le32(r.b[offAccess:]))}
	if r.heap() {
		old := d.t.objs[r.obj()]
		o.Access = old.Access
		d.share(old)
		d.t.freeObj(r.obj())
	}
	switch {
	case counted:
	case d.ks.access.LFU && !d.pastTime(ref):
		// The write counts as an access of the value it replaces.
		d.ks.countAccess(&o)
	default:
		d.ks.initAccess(&o)
	}
	p.access = d.ks.packAccess(o.Access)
	if keepTTL && r.hasExpire() {
		p.flags |= fExpire
		p.at = r.at()
	}
	d.t.replace(h, ref, prev, &p)
	d.ks.changed(d.ID, key)
}

// stampStored sets the access field of o, about to be stored where the
// record at ref (0 for none) is. Outside LFU that is now. Under LFU, a
// new object starts with the initial counter, or takes over the counter
// of the live value it replaces, counting the write as an access (Redis
// looks the key up for writing, then keeps the old counter when it
// overwrites); an object that already has one (moved by MOVE) keeps it.
func (d *DB) stampStored(ref uint32, o *Object) {
	if !d.ks.access.LFU {
		o.Access = d.ks.now
		return
	}
	if o.Access != 0 {
		return
	}
	if ref != 0 && !d.pastTime(ref) {
		r := d.t.rec(ref)
		old := d.ks.unpackAccess(le32(r.b[offAccess:]))
		if r.heap() {
			if d.t.objs[r.obj()] == o {
				d.ks.initAccess(o)
				return
			}
			old = d.t.objs[r.obj()].Access
		}
		if old != 0 {
			o.Access = old
			d.ks.touch(o)
			return
		}
	}
	d.ks.initAccess(o)
}

// access returns the access field of key's value (0 when missing).
func (d *DB) access(key []byte) int64 {
	_, ref, _ := d.t.locate(key)
	if ref == 0 {
		return 0
	}
	r := d.t.rec(ref)
	if r.heap() {
		return d.t.objs[r.obj()].Access
	}
	return d.ks.unpackAccess(le32(r.b[offAccess:]))
}

// Touch signals that key's value was changed in place.
func (d *DB) Touch(key []byte) {
	if d.ks.unshared > 0 {
		if _, ref, _ := d.t.locate(key); ref != 0 {
			if r := d.t.rec(ref); r.heap() {
				d.share(d.t.objs[r.obj()])
			}
		}
	}
	d.ks.changed(d.ID, key)
}

// share clears o's Unshared mark: a rewritten small integer is the shared
// one again in Redis.
func (d *DB) share(o *Object) {
	if o.Unshared {
		o.Unshared = false
		d.ks.unshared--
	}
}

// Delete removes key and reports whether it existed.
func (d *DB) Delete(key []byte) bool {
	h, ref, prev := d.live(key)
	if ref == 0 {
		return false
	}
	if d.ks.snap != nil {
		d.preserveRef(ref)
	}
	if d.slots != nil {
		d.unindex(key)
	}
	d.t.remove(h, ref, prev)
	d.ks.changed(d.ID, key)
	return true
}

// Relocate moves the value and TTL of src, which must exist, to key dst of
// database to (which may be d), replacing whatever dst held. RENAME and
// MOVE use it: a heap object itself moves, so nothing is copied.
func (d *DB) Relocate(src []byte, to *DB, dst []byte) {
	if d.ks.snap != nil {
		d.preserve(src)
		to.preserve(dst)
	}
	hd, dref, dprev := to.t.locate(dst)
	if dref != 0 {
		if to.slots != nil {
			to.unindex(dst)
		}
		to.t.remove(hd, dref, dprev)
	}
	hs, sref, _ := d.t.locate(src)
	old := d.t.parts(sref)
	p := parts{key: dst, flags: old.flags &^ (fHeap | fBigKey), val: old.val}
	if old.flags&fHeap == 0 && (len(dst) > bigKeyLen || !p.fits()) {
		// The new name does not fit a record with the value.
		p = to.t.heapParts(dst, to.t.addObj(d.materialize(d.t.rec(sref))))
		p.flags |= old.flags & fExpire
	} else if old.flags&fHeap != 0 {
		p = to.t.heapParts(dst, to.t.addObj(d.t.objs[old.obj]))
		p.flags |= old.flags & fExpire
	}
	p.at, p.access, p.snap = old.at, old.access, old.snap
	to.t.insert(hd, &p)
	// Inserting may have rehashed src's chain: find it again.
	sref, sprev := d.t.find(hs, src)
	if d.slots != nil {
		d.unindex(src)
	}
	d.t.remove(hs, sref, sprev)
	if d.ks.slotsOn {
		to.indexNew(dst)
	}
	if dref == 0 && d.ks.OnNew != nil {
		d.ks.OnNew(to.ID, dst)
	}
	d.ks.changed(d.ID, src)
	d.ks.changed(to.ID, dst)
}

// Expire returns key's absolute expiry time in ms, or -1 without one.
func (d *DB) Expire(key []byte) int64 {
	if _, ref, _ := d.t.locate(key); ref != 0 {
		if r := d.t.rec(ref); r.hasExpire() {
			return r.at()
		}
	}
	return -1
}

// SetExpire sets the absolute expiry time of an existing key.
func (d *DB) SetExpire(key []byte, atMs int64) {
	h, ref, prev := d.t.locate(key)
	if ref == 0 {
		return
	}
	if d.ks.snap != nil {
		d.preserveRef(ref)
	}
	if r := d.t.rec(ref); r.hasExpire() {
		put64(r.b[r.expOff:], atMs)
	} else if p := d.t.parts(ref); !p.heap() && !p.withExpire().fits() {
		// No room left for the time: the value moves to the heap.
		d.unpack(h, ref, prev, key, atMs)
	} else {
		p.flags |= fExpire
		p.at = atMs
		d.t.replace(h, ref, prev, &p)
	}
	d.ks.changed(d.ID, key)
}

// Persist removes key's TTL and reports whether it had one.
func (d *DB) Persist(key []byte) bool {
	h, ref, prev := d.t.locate(key)
	if ref == 0 || !d.t.rec(ref).hasExpire() {
		return false
	}
	if d.ks.snap != nil {
		d.preserveRef(ref)
	}
	p := d.t.parts(ref)
	p.flags &^= fExpire
	d.t.replace(h, ref, prev, &p)
	d.ks.changed(d.ID, key)
	return true
}

// Flush removes every key.
func (d *DB) Flush() {
	// The hook runs first, so it can still see which keys existed.
	d.ks.changed(d.ID, nil)
	if d.ks.snap != nil {
		d.preserveAll()
	}
	d.t.clear()
	d.slots = nil
}

// Present reports whether key is stored, even if past its expiry time.
func (d *DB) Present(key []byte) bool {
	_, ref, _ := d.t.locate(key)
	return ref != 0
}

// Expired reports whether key is stored but past its expiry time.
func (d *DB) Expired(key []byte) bool {
	_, ref, _ := d.t.locate(key)
	return ref != 0 && d.pastTime(ref)
}

// Range calls fn for every live key until fn returns false; fn must not
// change the database, nor keep the key or the object.
func (d *DB) Range(fn func(key string, o *Object) bool) {
	var v view
	d.t.each(func(ref uint32) bool {
		if d.pastTime(ref) {
			return true
		}
		r := d.t.rec(ref)
		return fn(unsafeString(r.key), d.objectInto(&r, &v))
	})
}

func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Scan visits one cursor step of the key table (see table.scan) and
// returns the next cursor, 0 when the iteration is over (at once for an
// empty database, as Redis answers). Expired keys are skipped and, unless
// this is a replica, deleted once the step is done, as SCAN does in Redis.
// fn must not keep the object; the key stays valid until the database
// next changes.
func (d *DB) Scan(cursor uint64, fn func(key string, o *Object)) uint64 {
	if d.t.n == 0 {
		return 0
	}
	var expired [][]byte
	var v view
	next := d.t.scan(cursor, func(ref uint32) {
		r := d.t.rec(ref)
		if d.pastTime(ref) {
			expired = append(expired, append([]byte(nil), r.key...))
			return
		}
		fn(unsafeString(r.key), d.objectInto(&r, &v))
	})
	if !d.ks.Replica {
		// Deleting may shrink the table; the reverse-binary cursor stays
		// valid across that.
		for _, k := range expired {
			if h, ref, prev := d.t.locate(k); ref != 0 {
				d.deleteExpired(h, ref, prev)
			}
		}
	}
	return next
}

// RandomKey returns a random live key, or "" and false when there is none.
// A master deletes each expired key it draws, so the loop ends within
// Len() draws. A replica cannot delete; when every key has a TTL (so all
// might be expired) it gives up after 100 draws and returns the expired
// key it drew, as Redis does, rather than loop forever.
func (d *DB) RandomKey() (string, bool) {
	allVolatile := d.t.n == len(d.t.vol)
	for tries := 1; ; tries++ {
		ref := d.t.random(rand.Uint64)
		if ref == 0 {
			return "", false
		}
		if !d.pastTime(ref) {
			return string(d.t.rec(ref).key), true
		}
		if !d.ks.Replica {
			d.expireRef(ref)
		} else if allVolatile && tries >= 100 {
			return string(d.t.rec(ref).key), true
		}
	}
}

// ActiveExpire samples keys with a TTL in every database and deletes the
// expired ones, repeating a database while more than a quarter of a sample
// was expired, until budget samples have been taken. It returns how many
// keys it deleted. Replicas never call it.
func (ks *Keyspace) ActiveExpire(budget int) int {
	const sample = 20
	deleted := 0
	for _, d := range ks.DBs {
		for budget > 0 && len(d.t.vol) > 0 {
			n := min(sample, len(d.t.vol))
			expired := 0
			for i := 0; i < n && len(d.t.vol) > 0; i++ {
				ref := d.t.vol[rand.IntN(len(d.t.vol))]
				if d.pastTime(ref) {
					d.expireRef(ref)
					expired++
				}
			}
			budget -= n
			deleted += expired
			if expired*4 <= n {
				break
			}
		}
	}
	return deleted
}
