package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/respd/respd/internal/config"
)

// FsyncPolicy is appendfsync.
type FsyncPolicy int

// The appendfsync values.
const (
	FsyncEverysec FsyncPolicy = iota
	FsyncAlways
	FsyncNo
)

// ParseFsync reads an appendfsync value.
func ParseFsync(s string) (FsyncPolicy, bool) {
	switch s {
	case "everysec":
		return FsyncEverysec, true
	case "always":
		return FsyncAlways, true
	case "no":
		return FsyncNo, true
	}
	return 0, false
}

// LogLevel is the level of a log line: Redis's notice (*) or warning (#).
type LogLevel int

// The log levels the package uses.
const (
	LogNotice LogLevel = iota
	LogWarning
)

// Config is the AOF part of the server configuration. Only DirName and
// FileName are fixed for the life of an AOF; SetConfig changes the rest.
type Config struct {
	DirName           string      // appenddirname
	FileName          string      // appendfilename
	Fsync             FsyncPolicy // appendfsync
	UseRDBPreamble    bool        // aof-use-rdb-preamble: base files in RDB form
	LoadTruncated     bool        // aof-load-truncated
	DisableAutoGC     bool        // aof-disable-auto-gc: keep history files
	NoFsyncOnRewrite  bool        // no-appendfsync-on-rewrite (while an AOF rewrite runs)
	IncrementalFsync  bool        // aof-rewrite-incremental-fsync
	Timestamps        bool        // aof-timestamp-enabled
	RewritePercentage int64       // auto-aof-rewrite-percentage
	RewriteMinSize    int64       // auto-aof-rewrite-min-size
	// Log receives the lines Redis would log; nil drops them. It is
	// called from background goroutines too, and fixed by New.
	Log func(level LogLevel, msg string)
}

// DefaultConfig is Redis's defaults.
func DefaultConfig() Config {
	return Config{
		DirName: "appendonlydir", FileName: "appendonly.aof", Fsync: FsyncEverysec,
		UseRDBPreamble: true, LoadTruncated: true, IncrementalFsync: true,
		RewritePercentage: 100, RewriteMinSize: 64 << 20,
	}
}

// FromServerConfig reads the AOF directives of a server configuration.
// Log is left nil.
func FromServerConfig(c *config.Config) Config {
	fs, _ := ParseFsync(c.Get("appendfsync"))
	return Config{
		DirName:           c.Get("appenddirname"),
		FileName:          c.Get("appendfilename"),
		Fsync:             fs,
		UseRDBPreamble:    c.Bool("aof-use-rdb-preamble"),
		LoadTruncated:     c.Bool("aof-load-truncated"),
		DisableAutoGC:     c.Bool("aof-disable-auto-gc"),
		NoFsyncOnRewrite:  c.Bool("no-appendfsync-on-rewrite"),
		IncrementalFsync:  c.Bool("aof-rewrite-incremental-fsync"),
		Timestamps:        c.Bool("aof-timestamp-enabled"),
		RewritePercentage: c.Int("auto-aof-rewrite-percentage"),
		RewriteMinSize:    c.Int("auto-aof-rewrite-min-size"),
	}
}

// State is Redis's aof_state.
type State int

// The AOF states.
const (
	// StateOff: appendonly no. Nothing is written, but BGREWRITEAOF
	// still produces a new base.
	StateOff State = iota
	// StateOn: commands are appended to the last incremental file.
	StateOn
	// StateWaitRewrite: appendonly was just turned on; commands go to
	// a temporary incremental file until the first rewrite succeeds.
	StateWaitRewrite
)

// FatalError is an error after which Redis exits: a write or fsync
// failure with appendfsync always, since the reply promised durability.
type FatalError struct{ Msg string }

// Error is the line Redis logs before exiting.
func (e *FatalError) Error() string { return e.Msg }

// ErrRewriteInProgress is StartRewrite while a rewrite runs. BGREWRITEAOF
// answers it with "Background append only file rewriting already in
// progress".
var ErrRewriteInProgress = errors.New("aof: rewrite already in progress")

// AOF is the append-only file of one server. Its methods are safe for
// concurrent use; the server calls Append and Flush with its engine lock
// held, in the order commands executed.
type AOF struct {
	dir string // the server's dir; the AOF lives in dir/DirName

	mu        sync.Mutex
	cfg       Config
	state     State
	man       *Manifest
	f         *os.File // file commands go to; nil when none
	buf       []byte   // commands not yet written (aof_buf)
	lastTS    int64    // last #TS annotation written, unix seconds
	scheduled bool     // aof_rewrite_scheduled

	// Sizes as Redis keeps them for INFO and the growth trigger.
	currentSize  int64 // aof_current_size
	baseSize     int64 // aof_rewrite_base_size
	lastIncrSize int64 // bytes in the current incremental file
	fsyncOffset  int64 // currentSize at the last fsync (submitted)
	lastFsync    time.Time

	writeErr error // aof_last_write_status; nil is ok

	// While Load runs: the bytes of the files it replays, and how many
	// of them it has read (LoadProgress).
	loadTotal, loadRead atomic.Int64

	rw          *rewrite // running rewrite, nil if none
	rewriteID   int64
	rewrites    int64     // aof_rewrites
	failures    int64     // aof_rewrites_consecutive_failures
	rewriteErr  error     // aof_last_bgrewrite_status; nil is ok
	lastRewrite int64     // aof_last_rewrite_time_sec; -1 if none
	limitDelay  int       // minutes of the current retry delay
	limitUntil  time.Time // no automatic rewrite before this
	rwWG        sync.WaitGroup

	bio *bio
	log func(LogLevel, string) // cfg.Log as given to New

	// WAITAOF's bookkeeping (tag.go): the tag of everything appended,
	// of everything written, and what is fsynced.
	tag, written Tag
	tags         tagState
	hold         bool // nothing counts as fsynced until a rewrite succeeds

	// Seams for tests.
	now    func() time.Time
	syncFn func(*os.File) error
}

// New opens the AOF of the server directory dir, reading its manifest as
// Redis does at every start, appendonly or not: a malformed manifest is
// an error (*ManifestError, print its Banner) and the server must not
// start. Nothing is written until Load/Start or Enable.
func New(dir string, cfg Config) (*AOF, error) {
	a := &AOF{dir: dir, cfg: cfg, log: cfg.Log, lastRewrite: -1, now: time.Now, syncFn: syncFile}
	a.rewriteID = int64(os.Getpid())
	m, err := ReadManifest(a.aofDir(), cfg.FileName)
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = &Manifest{}
	}
	a.man = m
	return a, nil
}

// aofDir is the AOF directory.
func (a *AOF) aofDir() string { return filepath.Join(a.dir, a.cfg.DirName) }

// mkdirAOF creates the AOF directory if missing, as Redis's
// dirCreateIfMissing (one level, 0755).
func (a *AOF) mkdirAOF() error {
	err := os.Mkdir(a.aofDir(), 0o755)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	return err
}

func (a *AOF) logf(level LogLevel, format string, args ...any) {
	if a.log != nil {
		a.log(level, fmt.Sprintf(format, args...))
	}
}

// Manifest returns a copy of the current manifest.
func (a *AOF) Manifest() *Manifest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.man.Clone()
}

// State is the current state.
func (a *AOF) State() State {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state
}

// SetConfig applies a configuration change (CONFIG SET of an AOF
// directive other than appendonly, which is Enable/Disable). DirName,
// FileName and Log cannot change and are ignored.
func (a *AOF) SetConfig(cfg Config) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cfg.DirName, cfg.FileName = a.cfg.DirName, a.cfg.FileName
	a.cfg = cfg
}

// Start turns the AOF on at start-up, after Load, as Redis does for
// appendonly yes: when the manifest lists no file it first writes a base
// with writeBase (the dataset, empty or loaded otherwise; nil writes an
// empty base), synchronously;
// then it opens the last incremental file for appending, or creates one;
// it persists the manifest and deletes history files. The first command
// appended afterwards must be preceded by a SELECT.
func (a *AOF) Start(writeBase func(w io.Writer) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state != StateOff {
		return errors.New("aof: already on")
	}
	if err := a.mkdirAOF(); err != nil {
		return fmt.Errorf("Can't open or create append-only dir %s: %s", a.cfg.DirName, strerror(err))
	}
	m := a.man.Clone()
	dirty := false
	if m.Empty() {
		name := m.newBase(a.cfg.FileName, a.cfg.UseRDBPreamble)
		tmp := filepath.Join(a.aofDir(), "temp-rewriteaof-"+strconv.FormatInt(a.rewriteID, 10)+".aof")
		if writeBase == nil {
			writeBase = func(io.Writer) error { return nil }
		}
		if err := writeBaseFile(tmp, a.baseOptsLocked(a.cfg.UseRDBPreamble), writeBase); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("Write error writing append only file on disk: %s", strerror(err))
		}
		if err := os.Rename(tmp, filepath.Join(a.aofDir(), name)); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("Error moving temp append only file on the final destination: %s", strerror(err))
		}
		a.logf(LogNotice, "Creating AOF base file %s on server start", name)
		dirty = true
	}
	created := len(m.Incr) == 0
	var name string
	if created {
		name = m.newIncr(a.cfg.FileName)
		dirty = true
	} else {
		name = m.Incr[len(m.Incr)-1].Name
	}
	f, err := os.OpenFile(filepath.Join(a.aofDir(), name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("Can't open the append-only file %s: %s", name, strerror(err))
	}
	if dirty {
		if err := WriteManifest(a.aofDir(), a.cfg.FileName, m); err != nil {
			f.Close()
			return err
		}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("Unable to obtain the AOF file %s length. stat: %s", name, strerror(err))
	}
	a.man, a.f, a.lastIncrSize = m, f, st.Size()
	if created {
		a.logf(LogNotice, "Creating AOF incr file %s on server start", name)
	} else {
		a.logf(LogNotice, "Opening AOF incr file %s on server start", name)
	}
	a.state = StateOn
	a.lastFsync = a.now()
	a.hold = false
	a.tags.restart(a.tag)
	a.startBio()
	a.deleteHistoryLocked()
	return nil
}

// Enable turns the AOF on at run time (CONFIG SET appendonly yes): the
// state becomes StateWaitRewrite, commands go to a temporary incremental
// file, and a rewrite starts with writeBase; when it succeeds the AOF is
// on. A nil writeBase only schedules that rewrite, for a server that
// cannot snapshot now: RewriteDue then reports it due. On error the AOF
// stays off and CONFIG SET answers "Unable to turn on AOF. Check server
// logs.". See StartRewrite for what the server must do around the call.
func (a *AOF) Enable(writeBase func(w io.Writer) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state != StateOff {
		return nil
	}
	a.state = StateWaitRewrite
	// The rewrite's base holds everything tagged so far: once it is
	// done, that counts as fsynced (FsyncedTag says nothing before).
	a.hold = false
	a.tags.restart(a.tag)
	a.startBio()
	if writeBase == nil {
		a.scheduled = true
		a.logf(LogWarning, "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.")
		return nil
	}
	if a.rw != nil {
		a.logf(LogWarning, "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.")
		a.cancelRewriteLocked()
	}
	if err := a.startRewriteLocked(writeBase); err != nil {
		a.state = StateOff
		a.logf(LogWarning, "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.")
		return err
	}
	a.lastFsync = a.now()
	return nil
}

// Disable turns the AOF off (CONFIG SET appendonly no): buffered commands
// are written and fsynced, the file closed, a running rewrite abandoned.
// The files stay, with their manifest.
func (a *AOF) Disable() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state == StateOff {
		return nil
	}
	err := a.writeLocked()
	if a.f != nil {
		if serr := a.syncFn(a.f); serr != nil {
			a.logf(LogWarning, "Fail to fsync the AOF file: %s", strerror(serr))
		} else {
			a.fsyncOffset = a.currentSize
		}
		a.submit(job{f: a.f, close: true})
		a.f = nil
	}
	if a.state == StateWaitRewrite {
		os.Remove(filepath.Join(a.aofDir(), tempIncrName(a.cfg.FileName)))
	}
	a.state = StateOff
	a.hold = false
	a.tags.restart(Tag{})
	a.scheduled = false
	a.lastIncrSize = 0
	a.buf = a.buf[:0]
	a.cancelRewriteLocked()
	var fe *FatalError
	if errors.As(err, &fe) {
		return err
	}
	return nil
}

// Close shuts the AOF down: a running rewrite is abandoned, buffered
// commands are written and fsynced, the file is closed and the
// background goroutines are stopped. Redis refuses a plain SHUTDOWN while
// State is StateWaitRewrite ("Writing initial AOF, can't exit."); that is
// the server's decision to make before calling Close.
func (a *AOF) Close() error {
	a.mu.Lock()
	a.cancelRewriteLocked()
	var err error
	if a.f != nil {
		err = a.writeLocked()
		a.logf(LogNotice, "Calling fsync() on the AOF file.")
		if serr := a.syncFn(a.f); serr != nil && err == nil {
			err = serr
		}
		a.submit(job{f: a.f, close: true})
		a.f = nil
	}
	a.state = StateOff
	b := a.bio
	a.bio = nil
	a.mu.Unlock()
	a.rwWG.Wait()
	if b != nil {
		b.stop()
	}
	return err
}

// Append adds the RESP encoding of executed write commands (SELECT
// included when the database changes) to the buffer written by the next
// Flush. It does nothing while the AOF is off, as in Redis. With
// aof-timestamp-enabled, a "#TS:<seconds>" annotation goes first when the
// second changed since the last one.
func (a *AOF) Append(b []byte) {
	a.mu.Lock()
	if a.state == StateOn || (a.state == StateWaitRewrite && a.rw != nil) {
		if a.cfg.Timestamps {
			if ts := a.now().Unix(); ts > a.lastTS {
				a.buf = append(a.buf, "#TS:"...)
				a.buf = strconv.AppendInt(a.buf, ts, 10)
				a.buf = append(a.buf, "\r\n"...)
				a.lastTS = ts
			}
		}
		a.buf = append(a.buf, b...)
	}
	a.mu.Unlock()
}

// Flush writes the buffer to the file, at the end of each batch, before
// the server sends the batch's replies. With appendfsync always it also
// fsyncs before returning; with everysec it asks the background goroutine
// for an fsync when the last one is a second old; with no it only writes.
// A write error with everysec or no is kept (WriteErr) and retried; with
// always, write and fsync errors are *FatalError: Redis exits.
func (a *AOF) Flush() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.flushLocked()
}

func (a *AOF) flushLocked() error {
	if a.f == nil {
		a.buf = a.buf[:0]
		return nil
	}
	if len(a.buf) == 0 {
		if a.cfg.Fsync == FsyncEverysec && a.fsyncOffset != a.currentSize && a.secondPassed() && a.bio.pendingFsyncs() == 0 {
			return a.fsyncLocked()
		}
		// Everything written is fsynced: what was tagged since (bytes
		// that never reach the AOF) is as safe. Not with appendfsync
		// no, where nothing ever counts as fsynced, as in Redis.
		if a.cfg.Fsync != FsyncNo && a.writeErr == nil && a.fsyncOffset == a.currentSize && a.bio.pendingFsyncs() == 0 && a.bio.fsyncErr() == nil {
			a.tags.fsynced(a.tags.epoch, a.tag)
		}
		return nil
	}
	if err := a.writeLocked(); err != nil {
		return err
	}
	if a.writeErr != nil {
		return nil
	}
	return a.fsyncLocked()
}

// writeLocked writes the buffer, handling errors as Redis's
// flushAppendOnlyFile: a partial write is cut off the file again when
// possible, the error is remembered and the write retried later.
func (a *AOF) writeLocked() error {
	if a.f == nil || len(a.buf) == 0 {
		return nil
	}
	n, err := a.f.Write(a.buf)
	if err == nil && n == len(a.buf) {
		if a.writeErr != nil {
			a.logf(LogWarning, "AOF write error looks solved, Redis can write again.")
			a.writeErr = nil
		}
		a.currentSize += int64(n)
		a.lastIncrSize += int64(n)
		a.written = a.tag
		if cap(a.buf) > 1<<20 {
			a.buf = nil
		} else {
			a.buf = a.buf[:0]
		}
		return nil
	}
	if n == 0 {
		a.logf(LogWarning, "Error writing to the AOF file: %s", strerror(err))
		a.writeErr = err
	} else {
		a.logf(LogWarning, "Short write while writing to the AOF file: (nwritten=%d, expected=%d)", n, len(a.buf))
		if terr := a.f.Truncate(a.lastIncrSize); terr != nil {
			a.logf(LogWarning, "Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: %s", strerror(terr))
		} else {
			n = 0
		}
		a.writeErr = errNoSpace(err)
	}
	if a.cfg.Fsync == FsyncAlways {
		a.logf(LogWarning, "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...")
		return &FatalError{Msg: "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."}
	}
	if n > 0 {
		a.currentSize += int64(n)
		a.lastIncrSize += int64(n)
		a.buf = append(a.buf[:0], a.buf[n:]...)
	}
	return nil
}

// fsyncLocked applies the fsync policy after a write.
func (a *AOF) fsyncLocked() error {
	if a.cfg.NoFsyncOnRewrite && a.rw != nil {
		return nil
	}
	switch a.cfg.Fsync {
	case FsyncAlways:
		if err := a.syncFn(a.f); err != nil {
			msg := "Can't persist AOF for fsync error when the AOF fsync policy is 'always': " + strerror(err) + ". Exiting..."
			a.logf(LogWarning, "%s", msg)
			return &FatalError{Msg: msg}
		}
		a.fsyncOffset = a.currentSize
		a.lastFsync = a.now()
		a.tags.fsynced(a.tags.epoch, a.written)
	case FsyncEverysec:
		if a.secondPassed() {
			if a.bio.pendingFsyncs() == 0 {
				a.submit(job{f: a.f, tag: a.written, epoch: a.tags.epoch})
				a.fsyncOffset = a.currentSize
			}
			a.lastFsync = a.now()
		}
	}
	return nil
}

// secondPassed reports whether the last fsync was a second ago or more.
func (a *AOF) secondPassed() bool { return a.now().Sub(a.lastFsync) >= time.Second }

// tick is the background goroutine's periodic work, Redis's cron and
// beforeSleep duties that must happen even when no command runs: retry a
// failed write, and fsync data written in the last second (everysec).
func (a *AOF) tick() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return
	}
	if a.writeErr != nil && len(a.buf) > 0 {
		if a.writeLocked() != nil || a.writeErr != nil {
			return
		}
	}
	a.flushLocked()
}

// WriteErr is the error that makes Redis refuse write commands with
// "-MISCONF Errors writing to the AOF file: <WriteErr text>": the last
// write failed, or the last background fsync did. nil when all is well.
func (a *AOF) WriteErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state == StateOff {
		return nil
	}
	if a.writeErr != nil {
		return errors.New(strerror(a.writeErr))
	}
	if err := a.bio.fsyncErr(); err != nil {
		return errors.New(strerror(err))
	}
	return nil
}

// baseOpts are the settings a base is written with, captured under the
// lock when the write starts.
type baseOpts struct {
	rdb         bool // RDB form: no timestamp annotation
	incremental bool // fsync every autosyncBytes
	timestamps  bool
	now         time.Time
	sync        func(*os.File) error
	stop        func() bool // reports an abandoned rewrite; may be nil
}

func (a *AOF) baseOptsLocked(rdb bool) baseOpts {
	return baseOpts{rdb: rdb, incremental: a.cfg.IncrementalFsync, timestamps: a.cfg.Timestamps, now: a.now(), sync: a.syncFn}
}

// writeBaseFile writes a base to path through writeBase: a timestamp
// annotation first for a command-form base when enabled, buffered, with
// an fsync every 4 MB when aof-rewrite-incremental-fsync is on, and a
// final fsync, as Redis's rewrite does.
func writeBaseFile(path string, o baseOpts, writeBase func(w io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	w := &baseWriter{f: f, o: o}
	bw := bufio.NewWriterSize(w, 64*1024)
	if o.timestamps && !o.rdb {
		fmt.Fprintf(bw, "#TS:%d\r\n", o.now.Unix())
	}
	err = writeBase(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = o.sync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// autosyncBytes is how often aof-rewrite-incremental-fsync fsyncs a base
// being written (Redis's REDIS_AUTOSYNC_BYTES), so the kernel never holds
// much dirty data that a final fsync would stall on.
const autosyncBytes = 4 << 20

// errAbandoned fails the writes of a rewrite that was abandoned
// (appendonly turned off, shutdown), so the server's writer stops early.
var errAbandoned = errors.New("aof: rewrite abandoned")

// baseWriter is the file under a base being written.
type baseWriter struct {
	f        *os.File
	o        baseOpts
	unsynced int
}

func (w *baseWriter) Write(p []byte) (int, error) {
	if w.o.stop != nil && w.o.stop() {
		return 0, errAbandoned
	}
	n, err := w.f.Write(p)
	w.unsynced += n
	if err == nil && w.o.incremental && w.unsynced >= autosyncBytes {
		w.unsynced = 0
		err = w.o.sync(w.f)
	}
	return n, err
}

// errNoSpace is the error of a short write: the OS error when there is
// one, else ENOSPC, which is what Redis assumes.
func errNoSpace(err error) error {
	if err != nil {
		return err
	}
	return syscall.ENOSPC
}
