package keyspace

import (
	"math/rand/v2"
	"unsafe"

	"github.com/respd/respd/internal/clock"
	"github.com/respd/respd/internal/ds/dict"
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
	da.keys, db.keys = db.keys, da.keys
	da.expires, db.expires = db.expires, da.expires
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
	ks      *Keyspace
	ID      int
	keys    *dict.Dict[*Object]
	expires *dict.Dict[int64]
	// slots indexes the keys by cluster hash slot; nil unless
	// EnableSlots was called and the database has held a key since its
	// last flush (slots.go).
	slots *slotIndex
}

func newDB(ks *Keyspace, id int) *DB {
	return &DB{ks: ks, ID: id, keys: dict.New[*Object](), expires: dict.New[int64]()}
}

// Len returns the number of keys, expired-but-not-yet-deleted ones included.
func (d *DB) Len() int { return d.keys.Len() }

// ExpiresLen returns the number of keys with a TTL.
func (d *DB) ExpiresLen() int { return d.expires.Len() }

// Now is the keyspace clock's time in ms.
func (d *DB) Now() int64 { return d.ks.now }

// Tick refreshes the keyspace's notion of now from its clock. The engine
// calls it before each batch of commands and each cron run.
func (ks *Keyspace) Tick() { ks.now = ks.Clock.NowMs() }

// Now returns the time of the last Tick in ms.
func (ks *Keyspace) Now() int64 { return ks.now }

// expired reports whether key is past its time, deleting it unless this is
// a replica.
func (d *DB) expired(key []byte) bool {
	if d.expires.Len() == 0 {
		return false
	}
	at, ok := d.expires.Get(key)
	if !ok || at > d.ks.now {
		return false
	}
	if d.ks.Replica {
		return true
	}
	d.deleteExpired(string(key))
	return true
}

func (d *DB) deleteExpired(key string) {
	if d.ks.snap != nil {
		d.preserve([]byte(key))
	}
	if d.slots != nil {
		d.unindex(unsafe.Slice(unsafe.StringData(key), len(key)))
	}
	d.keys.DeleteString(key)
	d.expires.DeleteString(key)
	d.ks.Stats.ExpiredKeys++
	d.ks.signal(d.ID, []byte(key))
	if d.ks.OnExpire != nil {
		d.ks.OnExpire(d.ID, key)
	}
}

// Lookup returns key's value for a read, counting a hit or a miss.
func (d *DB) Lookup(key []byte) *Object {
	o := d.Peek(key)
	if o == nil {
		d.ks.Stats.Misses++
		if d.ks.OnMiss != nil {
			d.ks.OnMiss(d.ID, key)
		}
		return nil
	}
	d.ks.Stats.Hits++
	d.ks.touch(o)
	return o
}

// LookupNoTouch returns key's value for a read that counts a hit or a miss
// but leaves the access time alone, as TYPE, EXISTS, TTL and OBJECT do so
// that inspecting a key does not make it look recently used.
func (d *DB) LookupNoTouch(key []byte) *Object {
	o := d.Peek(key)
	if o == nil {
		d.ks.Stats.Misses++
		if d.ks.OnMiss != nil {
			d.ks.OnMiss(d.ID, key)
		}
		return nil
	}
	d.ks.Stats.Hits++
	return o
}

// LookupWrite returns key's value for a command about to change it; it
// counts nothing.
func (d *DB) LookupWrite(key []byte) *Object {
	o := d.Peek(key)
	if o != nil {
		d.ks.touch(o)
	}
	return o
}

// Peek returns key's value without touching stats or access time.
func (d *DB) Peek(key []byte) *Object {
	if d.expired(key) {
		return nil
	}
	o, _ := d.keys.Get(key)
	if o != nil && d.ks.snap != nil && d.ks.Writing && o.snap != d.ks.snap.gen {
		d.ks.snap.keep(d, string(key), o)
	}
	return o
}

// Exists reports whether key exists (and is not expired).
func (d *DB) Exists(key []byte) bool { return d.Peek(key) != nil }

// Set stores o under key, clearing any TTL unless keepTTL.
func (d *DB) Set(key []byte, o *Object, keepTTL bool) { d.set(key, "", o, keepTTL) }

// set is Set; name, when not empty, is key as a string the table may keep
// instead of copying key.
func (d *DB) set(key []byte, name string, o *Object, keepTTL bool) {
	d.stampStored(key, o)
	if d.ks.snap != nil {
		d.preserve(key)
		d.ks.stamp(o)
	}
	if o.Unshared {
		d.ks.unshared++
	}
	var isNew bool
	if name != "" {
		isNew = d.keys.SetString(name, o)
	} else {
		isNew = d.keys.Set(key, o)
	}
	if isNew {
		if d.ks.slotsOn {
			d.indexNew(key)
		}
		if d.ks.OnNew != nil {
			d.ks.OnNew(d.ID, key)
		}
	}
	if !keepTTL && d.expires.Len() > 0 {
		d.expires.Delete(key)
	}
	d.ks.changed(d.ID, key)
}

// SetString stores a string value under key, reusing the existing string
// object's buffer where it can so overwrites do not allocate.
func (d *DB) SetString(key, val []byte, keepTTL bool) {
	if p := d.keys.Ptr(key); p != nil && (*p).Type == TypeString && !d.expired(key) {
		o := *p
		if d.ks.snap != nil {
			d.preserve(key)
		}
		o.Str = append(o.Str[:0], val...)
		o.Enc = StringEncoding(val)
		d.share(o)
		d.ks.touch(o)
		if !keepTTL && d.expires.Len() > 0 {
			d.expires.Delete(key)
		}
		d.ks.changed(d.ID, key)
		return
	}
	o, name := newString(key, val)
	d.set(key, name, o, keepTTL)
}

// stampStored sets the access field of o, about to be stored under key.
// Outside LFU that is now. Under LFU, a new object starts with the
// initial counter, or takes over the counter of the live value it
// replaces, counting the write as an access (Redis looks the key up for
// writing, then keeps the old counter when it overwrites); an object that
// already has one (moved by RENAME or MOVE) keeps it.
func (d *DB) stampStored(key []byte, o *Object) {
	if !d.ks.access.LFU {
		o.Access = d.ks.now
		return
	}
	if o.Access != 0 {
		return
	}
	old, ok := d.keys.Get(key)
	if ok && old != o && old.Access != 0 {
		if at, has := d.expires.Get(key); !has || at > d.ks.now {
			o.Access = old.Access
			d.ks.touch(o)
			return
		}
	}
	d.ks.initAccess(o)
}

// Touch signals that key's value was changed in place.
func (d *DB) Touch(key []byte) {
	if d.ks.unshared > 0 {
		if o, _ := d.keys.Get(key); o != nil {
			d.share(o)
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
	if d.expired(key) {
		return false
	}
	if d.ks.snap != nil {
		d.preserve(key)
	}
	if d.slots != nil {
		d.unindex(key)
	}
	if !d.keys.Delete(key) {
		return false
	}
	if d.expires.Len() > 0 {
		d.expires.Delete(key)
	}
	d.ks.changed(d.ID, key)
	return true
}

// Relocate moves the value and TTL of src, which must exist, to key dst of
// database to (which may be d), replacing whatever dst held. RENAME and
// MOVE use it: the object itself moves, so nothing is copied.
func (d *DB) Relocate(src []byte, to *DB, dst []byte) {
	if d.ks.snap != nil {
		d.preserve(src)
		to.preserve(dst)
	}
	o, _ := d.keys.Get(src)
	at, hasTTL := d.expires.Get(src)
	if d.slots != nil {
		d.unindex(src)
	}
	d.keys.Delete(src)
	if hasTTL {
		d.expires.Delete(src)
	}
	if to.keys.Set(dst, o) {
		if d.ks.slotsOn {
			to.indexNew(dst)
		}
		if d.ks.OnNew != nil {
			d.ks.OnNew(to.ID, dst)
		}
	}
	if hasTTL {
		to.setExpire(dst, at)
	} else if to.expires.Len() > 0 {
		to.expires.Delete(dst)
	}
	d.ks.changed(d.ID, src)
	d.ks.changed(to.ID, dst)
}

// Expire returns key's absolute expiry time in ms, or -1 without one.
func (d *DB) Expire(key []byte) int64 {
	if at, ok := d.expires.Get(key); ok {
		return at
	}
	return -1
}

// SetExpire sets the absolute expiry time of an existing key.
func (d *DB) SetExpire(key []byte, atMs int64) {
	if d.ks.snap != nil {
		d.preserve(key)
	}
	d.setExpire(key, atMs)
	d.ks.changed(d.ID, key)
}

// setExpire records key's expiry time under the key table's copy of the
// name, so a TTL costs no second copy of the key.
func (d *DB) setExpire(key []byte, atMs int64) {
	if k, ok := d.keys.Key(key); ok {
		d.expires.SetString(k, atMs)
		return
	}
	d.expires.Set(key, atMs)
}

// Persist removes key's TTL and reports whether it had one.
func (d *DB) Persist(key []byte) bool {
	if d.ks.snap != nil {
		d.preserve(key)
	}
	if d.expires.Delete(key) {
		d.ks.changed(d.ID, key)
		return true
	}
	return false
}

// Flush removes every key.
func (d *DB) Flush() {
	// The hook runs first, so it can still see which keys existed.
	d.ks.changed(d.ID, nil)
	if d.ks.snap != nil {
		d.preserveAll()
	}
	d.keys.Clear()
	d.expires.Clear()
	d.slots = nil
}

// Present reports whether key is stored, even if past its expiry time.
func (d *DB) Present(key []byte) bool {
	_, ok := d.keys.Get(key)
	return ok
}

// Expired reports whether key is stored but past its expiry time.
func (d *DB) Expired(key []byte) bool {
	at, ok := d.expires.Get(key)
	return ok && at <= d.ks.now && d.Present(key)
}

// Range calls fn for every live key until fn returns false; fn must not
// change the database.
func (d *DB) Range(fn func(key string, o *Object) bool) {
	now := d.ks.now
	d.keys.Range(func(k string, o *Object) bool {
		if at, ok := d.expires.GetString(k); ok && at <= now {
			return true
		}
		return fn(k, o)
	})
}

// Scan visits one cursor step of the key table (see package dict) and
// returns the next cursor, 0 when the iteration is over (at once for an
// empty database, as Redis answers). Expired keys are skipped and, unless
// this is a replica, deleted once the step is done, as SCAN does in Redis.
func (d *DB) Scan(cursor uint64, fn func(key string, o *Object)) uint64 {
	if d.keys.Len() == 0 {
		return 0
	}
	now := d.ks.now
	var expired []string
	next := d.keys.Scan(cursor, func(k string, o *Object) {
		if at, ok := d.expires.GetString(k); ok && at <= now {
			expired = append(expired, k)
			return
		}
		fn(k, o)
	})
	if !d.ks.Replica {
		// Deleting may shrink the table; the reverse-binary cursor stays
		// valid across that.
		for _, k := range expired {
			d.deleteExpired(k)
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
	allVolatile := d.keys.Len() == d.expires.Len()
	for tries := 1; ; tries++ {
		k, _, ok := d.keys.Random(rand.Uint64)
		if !ok {
			return "", false
		}
		at, has := d.expires.GetString(k)
		if !has || at > d.ks.now {
			return k, true
		}
		if !d.ks.Replica {
			d.deleteExpired(k)
		} else if allVolatile && tries >= 100 {
			return k, true
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
		for budget > 0 && d.expires.Len() > 0 {
			now := ks.now
			n := min(sample, d.expires.Len())
			expired := 0
			for i := 0; i < n; i++ {
				k, at, ok := d.expires.Random(rand.Uint64)
				if !ok {
					break
				}
				if at <= now {
					d.deleteExpired(k)
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
