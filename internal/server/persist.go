package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/respd/respd/internal/aof"
	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/rdb"
)

// persistState is the RDB side of persistence; engine-owned.
type persistState struct {
	// dirtyAtSave is ks.Dirty when the last successful save started, so
	// rdb_changes_since_last_save is ks.Dirty minus it.
	dirtyAtSave int64
	// lastSave is the unix time of the last successful save (LASTSAVE).
	lastSave int64
	// lastTry is when the last background save was started, in unix
	// seconds; a failed one is retried by the save points only after
	// bgsaveRetryDelay.
	lastTry      int64
	lastOK       bool
	lastDuration int64 // seconds, -1 before the first
	saves        int64
	// bg is the background save running, nil when none.
	bg *bgsave
	// loadedKeys and loadedExpired describe the last load.
	loadedKeys, loadedExpired int64
	// savePoints are the parsed "save" directive: seconds, changes.
	savePoints [][2]int64
	// scheduled is a BGSAVE SCHEDULE waiting for the running snapshot.
	scheduled bool
	// loadedRepl is the replication position of the RDB file loaded
	// (repl-id, repl-offset, repl-stream-db), nil when it had none.
	loadedRepl *rdbLoader
}

// bgsaveRetryDelay is how long the save points wait after a failed
// background save, as Redis does.
const bgsaveRetryDelay = 5

// bgsave is a background save in progress.
type bgsave struct {
	start time.Time
	snap  *keyspace.Snapshot
	enc   *rdb.Encoder
	// cancel ends the save early (FLUSHALL, shutdown).
	cancel chan struct{}
	// syncing: rdb-save-incremental-fsync (savesync.go).
	syncing bool
}

func (s *Server) initPersist() {
	p := &s.persist
	p.lastOK = true
	p.lastDuration = -1
	p.lastSave = time.Now().Unix()
	s.cfg.OnChange("save", func(v string) { p.savePoints = parseSavePoints(v) })
}

// parseSavePoints reads "3600 1 300 100" into pairs.
func parseSavePoints(v string) [][2]int64 {
	f := strings.Fields(v)
	var out [][2]int64
	for i := 0; i+1 < len(f); i += 2 {
		secs, err1 := strconv.ParseInt(f[i], 10, 64)
		changes, err2 := strconv.ParseInt(f[i+1], 10, 64)
		if err1 == nil && err2 == nil {
			out = append(out, [2]int64{secs, changes})
		}
	}
	return out
}

// heapInUse is the memory figure the used-mem aux field reports.
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// logf writes a line to the server's log, if it has one.
func (s *Server) logf(format string, a ...any) {
	if s.log != nil {
		fmt.Fprintf(s.log, time.Now().Format("02 Jan 2006 15:04:05.000")+" * "+format+"\n", a...)
	}
}

// rdbPath is where the RDB file lives: dbfilename inside dir.
func (s *Server) rdbPath() string {
	return filepath.Join(s.cfg.Get("dir"), s.cfg.Get("dbfilename"))
}

// auxFields are the AUX records Redis 7.0 starts its files with.
func (s *Server) auxFields(aofBase bool) [][2]string {
	base := "0"
	if aofBase {
		base = "1"
	}
	aux := [][2]string{
		{"redis-ver", Version},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(time.Now().Unix(), 10)},
		{"used-mem", strconv.FormatUint(heapInUse(), 10)},
	}
	if db, off, ok := s.replSaveInfo(); ok {
		aux = append(aux, [2]string{"repl-stream-db", strconv.Itoa(db)}, [2]string{"repl-id", s.replid},
			[2]string{"repl-offset", strconv.FormatInt(off, 10)})
	}
	return append(aux, [2]string{"aof-base", base})
}

// snapshotInto starts a snapshot whose keys enc receives, each database's
// records preceded by SELECTDB. Engine lock held.
func (s *Server) snapshotInto(enc snapshotEncoder) *keyspace.Snapshot {
	if e, ok := enc.(*rdb.Encoder); ok {
		// IDLE or FREQ records by the policy in force as each key is
		// written.
		e.Access = s.ks.AccessRecords
	}
	cur := -1
	var snap *keyspace.Snapshot
	snap = s.ks.BeginSnapshot(func(db int, key string, o *keyspace.Object, at int64) {
		if db != cur {
			sz := snap.Sizes[db]
			enc.SelectDB(db, sz[0], sz[1])
			cur = db
		}
		enc.Key(key, o, at)
	})
	return snap
}

var (
	errBgsaveRunning = errors.New("ERR Background save already in progress")
	errChildActive   = errors.New("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
)

// Save writes the dataset to the RDB file at once (SAVE). Engine lock
// held.
func (s *Server) Save() error {
	if s.persist.bg != nil {
		return errBgsaveRunning
	}
	start := time.Now()
	dirty := s.ks.Dirty
	err := writeAtomically(s.rdbPath(), func(f *os.File) error {
		enc := rdb.NewEncoder(f, s.cfg.Bool("rdbcompression"))
		enc.Header(s.auxFields(false))
		s.writeFunctions(enc)
		snap := s.snapshotInto(enc)
		for snap.Step(1 << 30) {
		}
		return enc.End()
	})
	s.saved(err, dirty, start)
	return err
}

// saved records the outcome of a save that started when ks.Dirty was
// dirty.
func (s *Server) saved(err error, dirty int64, start time.Time) {
	p := &s.persist
	p.lastOK = err == nil
	if err != nil {
		s.logf("Error saving DB on disk: %v", err)
		return
	}
	p.dirtyAtSave = dirty
	p.lastSave = time.Now().Unix()
	p.saves++
	s.logf("DB saved on disk in %v", time.Since(start).Round(time.Millisecond))
}

// BGSave implements command.PersistenceHost.
func (s *Server) BGSave(schedule bool) (string, error) {
	if s.persist.bg == nil && s.ks.Snapshotting() && schedule {
		s.persist.scheduled = true
		return "Background saving scheduled", nil
	}
	if err := s.startBgsave(); err != nil {
		return "", err
	}
	return "Background saving started", nil
}

// startBgsave starts a background save. Engine lock held.
func (s *Server) startBgsave() error {
	if s.persist.bg != nil {
		return errBgsaveRunning
	}
	if s.ks.Snapshotting() {
		return errChildActive
	}
	path := s.rdbPath()
	f, err := os.CreateTemp(filepath.Dir(path), "temp-bgsave-*.rdb")
	if err != nil {
		// Redis's child would fail here after BGSAVE has replied that it
		// started: the failure shows in INFO and MISCONF, not the reply.
		s.logf("Failed opening the temp RDB file for saving: %v", err)
		s.persist.lastOK = false
		s.persist.lastTry = time.Now().Unix()
		return nil
	}
	enc := rdb.NewEncoder(nil, s.cfg.Bool("rdbcompression"))
	enc.Header(s.auxFields(false))
	s.writeFunctions(enc)
	bg := &bgsave{start: time.Now(), enc: enc, cancel: make(chan struct{}), syncing: s.cfg.Bool("rdb-save-incremental-fsync")}
	bg.snap = s.snapshotInto(enc)
	s.persist.bg = bg
	s.persist.lastTry = time.Now().Unix()
	dirty := s.ks.Dirty
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.runBgsave(bg, f, path)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.persist.bg == bg {
			s.persist.bg = nil
		}
		s.persist.lastDuration = int64(time.Since(bg.start).Seconds())
		s.saved(err, dirty, bg.start)
	}()
	return nil
}

// snapshotTurn is how long a background snapshot holds the engine lock
// per turn when the clients leave it the processor, and so about the
// longest a request waits for it: the number of keys per turn adapts to
// it (the cost of a key varies from a few bytes to a big collection).
// Between turns the writer yields to the clients (see netYielder).
const snapshotTurn = 50 * time.Microsecond

// snapshotShare is the part of the time the snapshot takes for itself
// when clients keep the server busy: a turn lasts a third of the time the
// clients had since the last one (a quarter of the whole), up to
// maxSnapshotTurn. So a saturated server serves its requests at about
// three quarters of its pace during a snapshot, rather than starving the
// snapshot, whose copy-on-write pre-images pile up while it runs.
const (
	snapshotShare   = 3
	maxSnapshotTurn = 2 * time.Millisecond
)

// minTurnKeys keeps a turn's fixed costs (a write, a yield) small next to
// its encoding.
const minTurnKeys = 8

var errBgsaveCancelled = errors.New("background save cancelled")

// runBgsave encodes a turn of keys under the engine lock, then writes them
// without it, until the snapshot is done.
func (s *Server) runBgsave(bg *bgsave, f *os.File, path string) error {
	fail := func(err error) error {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	var w io.Writer = f
	if bg.syncing {
		w = &syncingWriter{f: f}
	}
	if err := s.streamSnapshot(bg.snap, bg.enc, w, bg.cancel); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fail(err)
	}
	return syncDir(filepath.Dir(path))
}

// streamSnapshot writes a snapshot to w: a turn of keys encoded under the
// engine lock (sized to snapshotTurn), then written without it, then a
// yield to the clients whose requests came meanwhile, until the snapshot
// is complete and the encoder's ending written; or until cancel is
// closed, the server stops or a write fails, which abort the snapshot.
func (s *Server) streamSnapshot(snap *keyspace.Snapshot, enc snapshotEncoder, w io.Writer, cancel <-chan struct{}) error {
	abort := func(err error) error {
		s.mu.Lock()
		snap.Abort()
		s.mu.Unlock()
		return err
	}
	y := newNetYielder()
	defer y.close()
	step, turn := 64, snapshotTurn
	for more := true; more; {
		select {
		case <-cancel:
			return errBgsaveCancelled // the canceller aborted it
		case <-s.stop:
			return abort(errBgsaveCancelled)
		default:
		}
		s.mu.Lock()
		t0 := time.Now()
		before := snap.Saved()
		delay := s.cfg.Int("rdb-key-save-delay")
		n := step
		if delay > 0 {
			n = 1
		}
		more = snap.Step(n)
		if !more {
			enc.End()
		}
		b := enc.Take()
		saved := snap.Saved() - before
		took := time.Since(t0)
		s.mu.Unlock()
		step = nextTurnKeys(step, saved, took, turn)
		if delay > 0 {
			// Redis's test knob: microseconds per key saved, to widen
			// the window in which writes race a background save.
			time.Sleep(time.Duration(delay*int64(saved)) * time.Microsecond)
		}
		if len(b) > 0 {
			if _, err := w.Write(b); err != nil {
				return abort(err)
			}
		}
		if more {
			ty := time.Now()
			y.yield()
			turn = min(max(time.Since(ty)/snapshotShare, snapshotTurn), maxSnapshotTurn)
		}
	}
	_, err := w.Write(enc.Trailer())
	return err
}

// nextTurnKeys is the number of keys for the next turn of a snapshot,
// after one that saved saved keys in took: what fits in turn at that
// pace, at most double the last, so one cheap turn does not swing it.
func nextTurnKeys(step, saved int, took, turn time.Duration) int {
	if saved <= 0 {
		return step
	}
	want := int64(saved) * int64(turn) / max(int64(took), 1)
	return int(max(min(want, int64(step)*2), minTurnKeys))
}

// snapshotEncoder renders a snapshot: an RDB file, or the command form of
// an AOF base.
type snapshotEncoder interface {
	SelectDB(db, keys, expires int)
	Key(key string, o *keyspace.Object, expireAt int64)
	// End closes the stream of records; Take returns what was encoded
	// since the last Take, valid until the next Take; Trailer is what
	// follows everything taken (an RDB's checksum).
	End() error
	Take() []byte
	Trailer() []byte
}

// cancelBgsave stops a background save in progress, as FLUSHALL does in
// Redis (it kills the child). Engine lock held.
func (s *Server) cancelBgsave() {
	if bg := s.persist.bg; bg != nil {
		bg.snap.Abort()
		close(bg.cancel)
		s.persist.bg = nil
	}
}

// persistCron starts what the cron owes persistence: a scheduled or due
// AOF rewrite, a scheduled BGSAVE, or a save point reached
// (cron). Engine lock held.
func (s *Server) persistCron() {
	p := &s.persist
	if p.bg != nil || s.ks.Snapshotting() {
		return
	}
	if s.aof.RewriteDue(false) {
		if err := s.startRewrite(); err != nil {
			s.logf("Background AOF rewrite failed to start: %v", err)
		}
		return
	}
	if p.scheduled {
		p.scheduled = false
		if err := s.startBgsave(); err != nil {
			s.logf("Background saving failed: %v", err)
		}
		return
	}
	now := time.Now().Unix()
	changes := s.ks.Dirty - p.dirtyAtSave
	for _, sp := range p.savePoints {
		if changes >= sp[1] && now-p.lastSave > sp[0] && (p.lastOK || now-p.lastTry > bgsaveRetryDelay) {
			s.logf("%d changes in %d seconds. Saving...", sp[1], sp[0])
			if err := s.startBgsave(); err != nil {
				s.logf("Background saving failed: %v", err)
			}
			return
		}
	}
}

// FlushedAll implements command.PersistenceHost.
func (s *Server) FlushedAll() {
	s.cancelBgsave()
	if len(s.persist.savePoints) > 0 {
		s.Save()
	}
}

// errMisconfRDB is Redis's refusal of writes after a failed background
// save (stop-writes-on-bgsave-error).
const errMisconfRDB = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."

// diskError is the MISCONF error writes get while persistence is failing,
// "" when all is well: the last background save failed (with save points
// and stop-writes-on-bgsave-error), or the AOF cannot be written.
func (s *Server) diskError() string {
	if !s.persist.lastOK && len(s.persist.savePoints) > 0 && s.cfg.Bool("stop-writes-on-bgsave-error") {
		return errMisconfRDB
	}
	if s.aofFed {
		if err := s.aof.WriteErr(); err != nil {
			return "MISCONF Errors writing to the AOF file: " + err.Error()
		}
	}
	return ""
}

// LastSave is the unix time of the last successful save.
func (s *Server) LastSave() int64 { return s.persist.lastSave }

// writeAtomically writes path through a temporary file in the same
// directory, fsyncs it and renames it into place, so a crash leaves the
// old file or the new one, never half of one.
func writeAtomically(path string, fill func(f *os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "temp-*.rdb")
	if err != nil {
		return err
	}
	err = fill(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// LoadRDB implements command.PersistenceHost (DEBUG RELOAD). Without
// merge the functions go first, as the keys did: Redis empties both.
func (s *Server) LoadRDB(merge bool) error {
	if !merge {
		s.lua.engine.FlushFunctions()
	}
	err := s.loadRDBFile(merge, nil)
	if err != nil {
		s.logf("%v", err)
	}
	return err
}

// loadRDBFile fills the keyspace from the RDB file, if there is one.
// With ld, the load at start-up, it pauses as ld does and shows its
// progress (loading.go).
func (s *Server) loadRDBFile(merge bool, ld *loadState) error {
	f, err := os.Open(s.rdbPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	h := &rdbLoader{s: s, merge: merge}
	var handler rdb.Handler = h
	if ld != nil {
		var size int64
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		// The file's offset: INFO asks while the load is paused.
		ld.rdbLoader, ld.progress = h, func() (int64, int64) {
			off, _ := f.Seek(0, io.SeekCurrent)
			return off, size
		}
		handler = ld
	}
	_, err = rdb.Load(f, rdb.Options{Limits: rdb.ConfigLimits(s.cfg), DBs: len(s.ks.DBs), Warn: func(m string) { s.logf("%s", m) }}, handler)
	if err != nil {
		return fmt.Errorf("Error loading %s: %w", s.rdbPath(), err)
	}
	s.persist.loadedKeys, s.persist.loadedExpired = h.keys, h.expired
	s.persist.dirtyAtSave = s.ks.Dirty // loading is not a change
	if !merge && h.replid != "" && h.hasOffset {
		s.persist.loadedRepl = h
	}
	s.logf("DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
	return nil
}

// rdbLoader stores what rdb.Load reads into the keyspace.
type rdbLoader struct {
	s *Server
	// merge lets a loaded key replace an existing one (DEBUG RELOAD
	// MERGE) instead of failing the load.
	merge         bool
	keys, expired int64
	replid        string
	replOffset    int64
	streamDB      int
	hasOffset     bool
}

func (h *rdbLoader) Key(db int, key []byte, o *keyspace.Object, at int64) error {
	d := h.s.ks.DBs[db]
	if at >= 0 && at < h.s.ks.Now() && !h.s.ks.Replica {
		// A master drops what expired while it was down; a replica
		// keeps it for its master's DEL.
		h.expired++
		return nil
	}
	if d.Present(key) && !h.merge {
		return fmt.Errorf("RDB has duplicated key '%s' in DB %d", key, db)
	}
	if o.Type == keyspace.TypeString {
		// Packed into a record when short, as SET stores it.
		d.SetString(key, o.Str, false)
	} else {
		d.Set(key, o, false)
	}
	if at >= 0 {
		d.SetExpire(key, at)
	}
	h.s.ks.Settle()
	h.keys++
	return nil
}

// KeyAccess implements rdb.AccessHandler: the key keeps the idle time
// (LRU policies) or the access counter (LFU policies) it was saved with.
func (h *rdbLoader) KeyAccess(db int, key []byte, freq, idleSeconds int64) {
	h.s.ks.DBs[db].SetAccessHints(key, freq, idleSeconds)
}

func (h *rdbLoader) Aux(k, v []byte) {
	switch string(k) {
	case "repl-id":
		h.replid = string(v)
	case "repl-offset":
		var err error
		h.replOffset, err = strconv.ParseInt(string(v), 10, 64)
		h.hasOffset = err == nil
	case "repl-stream-db":
		h.streamDB, _ = strconv.Atoi(string(v))
	}
}

func (h *rdbLoader) Function(code []byte) error {
	// A library loaded twice fails the load, as in Redis, unless keys may
	// replace each other too (DEBUG RELOAD MERGE).
	if _, errText := h.s.lua.engine.LoadLibrary(string(code), h.merge); errText != "" {
		return errors.New(errText)
	}
	return nil
}

var (
	errNoShutdown     = errors.New("ERR No shutdown in progress.")
	errShutdownFailed = errors.New("ERR Errors trying to SHUTDOWN. Check logs.")
)

// Shutdown implements command.PersistenceHost: it saves when save points
// are configured or SAVE is given (not with NOSAVE), then stops the
// server. Engine lock held; the stopping itself happens after the
// calling command returns.
func (s *Server) Shutdown(o command.ShutdownOptions) error {
	if o.Abort {
		return errNoShutdown
	}
	s.cancelBgsave()
	if s.repl.load != nil {
		// Half a dataset is not saved, as in Redis (loading.go).
		o.Save, o.NoSave = false, true
	}
	if o.Save || len(s.persist.savePoints) > 0 && !o.NoSave {
		s.logf("Saving the final RDB snapshot before exiting.")
		if err := s.Save(); err != nil && !o.Force {
			s.logf("Error trying to save the DB, can't exit.")
			return errShutdownFailed
		}
	}
	if s.aof.State() == aof.StateWaitRewrite && !o.Force {
		s.logf("Writing initial AOF, can't exit.")
		return errShutdownFailed
	}
	if err := s.aof.Close(); err != nil {
		s.logf("%v", err)
	}
	s.logf("Redis is now ready to exit, bye bye...")
	s.shutdownOnce.Do(func() {
		close(s.shutdown)
		go s.Close()
	})
	return nil
}

// Done is closed when SHUTDOWN has stopped the server.
func (s *Server) Done() <-chan struct{} { return s.shutdown }

// ShutdownFromSignal is Shutdown with default options, taking the engine
// lock: what SIGTERM and SIGINT do.
func (s *Server) ShutdownFromSignal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Shutdown(command.ShutdownOptions{})
}
