package keyspace

// A snapshot is a point-in-time copy of every database taken without
// stopping the server (BGSAVE, AOF rewrite, a replica's full sync). It
// works copy-on-write, one key at a time:
//
//   - Begin stamps a new generation. Every key stored from then on
//     carries it in its record, so the snapshot knows it was not there
//     at the start.
//   - Step walks the key tables with their SCAN cursors and hands each
//     key whose record lacks the current stamp to the save function,
//     stamping it.
//   - Before anything changes a key whose record lacks the stamp, the
//     keyspace hands its value, as it still is, to the save function
//     first (a "pre-image") and stamps it. Changing points are the
//     keyspace's own writes (Set, Delete, expiry, flush, swap, rename,
//     TTL changes) and, while Writing is set, every lookup: a write
//     command may change in place whatever object it looks up.
//
// So each key that existed at Begin is saved exactly once, with the value
// and TTL it had at Begin, and no key added later is saved. All of it
// runs under the engine lock; the save function only encodes, and its
// owner writes the bytes out between steps without the lock.

// SaveFunc receives one key of a snapshot: its database, name, value and
// absolute expiry time in ms (-1 for none). It must not keep key or o.
type SaveFunc func(db int, key string, o *Object, expireAt int64)

// Snapshot is a snapshot in progress.
type Snapshot struct {
	ks      *Keyspace
	gen     uint32
	save    SaveFunc
	db      int
	cursor  uint64
	started bool
	// view describes a packed value being saved.
	view view
	// Sizes are each database's key and TTL counts at Begin.
	Sizes [][2]int
	saved int
}

// Saved is how many keys the snapshot has saved so far.
func (s *Snapshot) Saved() int { return s.saved }

// Total is how many keys existed at Begin.
func (s *Snapshot) Total() int {
	n := 0
	for _, sz := range s.Sizes {
		n += sz[0]
	}
	return n
}

// BeginSnapshot starts a snapshot that passes keys to save. Only one may
// run at a time; the caller ends it with Step returning false or with
// Abort.
func (ks *Keyspace) BeginSnapshot(save SaveFunc) *Snapshot {
	if ks.snap != nil {
		panic("keyspace: a snapshot is already running")
	}
	ks.snapGen++
	s := &Snapshot{ks: ks, gen: ks.snapGen, save: save}
	for _, d := range ks.DBs {
		s.Sizes = append(s.Sizes, [2]int{d.Len(), d.ExpiresLen()})
	}
	ks.snap = s
	return s
}

// Snapshotting reports whether a snapshot is running.
func (ks *Keyspace) Snapshotting() bool { return ks.snap != nil }

// Step saves at least n keys not saved yet (fewer at the end) and reports
// whether any remain.
func (s *Snapshot) Step(n int) bool {
	ks := s.ks
	for s.db < len(ks.DBs) {
		d := ks.DBs[s.db]
		if s.started && s.cursor == 0 || d.Len() == 0 {
			s.db++
			s.cursor, s.started = 0, false
			continue
		}
		s.started = true
		s.cursor = d.t.scan(s.cursor, func(ref uint32) {
			if le32(d.t.a.bytes(ref)[offSnap:]) != s.gen {
				s.keep(d, ref)
				n--
			}
		})
		if n <= 0 {
			return true
		}
	}
	ks.snap = nil
	return false
}

// Abort stops the snapshot; nothing more is saved.
func (s *Snapshot) Abort() {
	if s.ks.snap == s {
		s.ks.snap = nil
	}
}

// keep saves the record at ref and stamps it saved.
func (s *Snapshot) keep(d *DB, ref uint32) {
	r := d.t.rec(ref)
	put32(r.b[offSnap:], s.gen)
	s.saved++
	at := int64(-1)
	if r.hasExpire() {
		at = r.at()
	}
	s.save(d.ID, unsafeString(r.key), d.objectInto(&r, &s.view), at)
}

// preserve saves key's current value first if a snapshot still needs it.
func (d *DB) preserve(key []byte) {
	if _, ref, _ := d.t.locate(key); ref != 0 {
		d.preserveRef(ref)
	}
}

// preserveRef saves the record at ref first if the snapshot still needs
// it.
func (d *DB) preserveRef(ref uint32) {
	if s := d.ks.snap; le32(d.t.a.bytes(ref)[offSnap:]) != s.gen {
		s.keep(d, ref)
	}
}

// preserveAll saves every key of d the snapshot still needs.
func (d *DB) preserveAll() {
	d.t.each(func(ref uint32) bool {
		d.preserveRef(ref)
		return true
	})
}
