package aof

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// Handler receives the dataset an AOF holds, in order.
type Handler interface {
	// LoadRDB reads an RDB image (a base file with a preamble) from r. r
	// is buffered and implements io.ByteReader; LoadRDB must read the RDB
	// exactly, through its checksum, and no further (do not wrap r in
	// another buffered reader): what follows is read as commands. Any
	// error refuses the load.
	LoadRDB(r io.Reader) error
	// Command executes one command. args are only valid during the call.
	// An error refuses the load; its text, followed by " reading the
	// append only file <name>", is the message, so returning "Unknown
	// command 'FOO'" for an unknown command gives Redis's.
	Command(args [][]byte) error
}

// LoadStatus says what Load found.
type LoadStatus int

// The outcomes of a successful Load.
const (
	// LoadNotExist: the manifest lists no base and no incremental file.
	LoadNotExist LoadStatus = iota
	// LoadEmpty: the files listed are all empty.
	LoadEmpty
	// LoadOK: everything was loaded.
	LoadOK
	// LoadTruncated: the last file had a torn tail, which was cut off
	// (aof-load-truncated yes).
	LoadTruncated
)

// LoadError is an AOF Redis refuses to start with.
type LoadError struct {
	File   string // file name inside the AOF directory
	Offset int64  // where the problem is; -1 when no position applies
	Msg    string // the message Redis logs
	Err    error  // the cause, when an error from elsewhere (OS, Handler)
}

// Error is Redis's message, followed by the offset when one applies.
func (e *LoadError) Error() string {
	if e.Offset < 0 {
		return e.Msg
	}
	return e.Msg + " (" + e.File + " offset " + strconv.FormatInt(e.Offset, 10) + ")"
}

// Unwrap gives the cause.
func (e *LoadError) Unwrap() error { return e.Err }

// Load reads the AOF of the server directory dir, as a server starting
// with appendonly yes does, feeding h. The *AOF returned is ready for
// Start. It is New followed by (*AOF).Load.
func Load(dir string, cfg Config, h Handler) (*AOF, LoadStatus, error) {
	a, err := New(dir, cfg)
	if err != nil {
		return nil, 0, err
	}
	st, err := a.Load(h)
	if err != nil {
		return nil, 0, err
	}
	return a, st, nil
}

// Load replays the base and incremental files the manifest lists into h,
// first moving a legacy single-file AOF into the directory as Redis 7
// does. Call it once, before Start, when the server starts with
// appendonly yes; an error means the server must not start. The AOF's
// lock is not held while h runs: h may wait for locks the server holds
// around calls into the AOF (its INFO, CONFIG SET) while clients are
// served during the load.
func (a *AOF) Load(h Handler) (LoadStatus, error) {
	start := time.Now()
	files, dir, legacyName, truncate, err := a.loadPlan()
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return LoadNotExist, nil
	}
	var total int64
	for _, fi := range files {
		st, err := os.Stat(filepath.Join(dir, fi.Name))
		if err != nil {
			return 0, &LoadError{File: fi.Name, Offset: -1, Err: err,
				Msg: "Unable to obtain the AOF file " + fi.Name + " length. stat: " + strerror(err)}
		}
		total += st.Size()
	}
	if total == 0 {
		return LoadEmpty, nil
	}
	a.loadTotal.Store(total)
	status := LoadOK
	for i, fi := range files {
		last := i == len(files)-1
		t0 := time.Now()
		st, err := a.loadFile(dir, fi.Name, h, fi.Type == TypeBase && fi.Name == legacyName, truncate)
		if err != nil {
			return 0, err
		}
		kind := "incr"
		if fi.Type == TypeBase {
			kind = "base"
		}
		if st == LoadOK || (st == LoadTruncated && last) {
			a.logf(LogNotice, "DB loaded from %s file %s: %.3f seconds", kind, fi.Name, time.Since(t0).Seconds())
		}
		if st == LoadTruncated {
			if !last {
				return 0, &LoadError{File: fi.Name, Offset: -1, Msg: "Fatal error: the truncated file is not the last file"}
			}
			status = LoadTruncated
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	// Sizes after any truncation (Redis keeps the sizes from before it).
	total = 0
	for _, fi := range files {
		if st, err := os.Stat(filepath.Join(dir, fi.Name)); err == nil {
			total += st.Size()
			if fi.Type == TypeBase {
				a.baseSize = st.Size()
			}
		}
	}
	a.currentSize, a.fsyncOffset = total, total
	a.logf(LogNotice, "DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
	return status, nil
}

// loadPlan is Load's start, under the lock: the legacy upgrade, then the
// files to replay (none when the manifest lists none), the AOF directory,
// the legacy file name and whether a torn tail may be cut off.
func (a *AOF) loadPlan() (files []FileInfo, dir, legacyName string, truncate bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state != StateOff {
		return nil, "", "", false, errors.New("aof: Load on a running AOF")
	}
	if err := a.upgradeLegacy(); err != nil {
		return nil, "", "", false, err
	}
	if a.man.Base != nil {
		files = append(files, *a.man.Base)
	}
	files = append(files, a.man.Incr...)
	return files, a.aofDir(), a.cfg.FileName, a.cfg.LoadTruncated, nil
}

// LoadProgress reports, while Load runs, how many bytes the files it
// replays hold and how many of them it has read; both are 0 before it
// knows. Safe from any goroutine.
func (a *AOF) LoadProgress() (read, total int64) {
	return a.loadRead.Load(), a.loadTotal.Load()
}

// progressReader adds what it reads to the count LoadProgress reports.
type progressReader struct {
	r    io.Reader
	read *atomic.Int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.read.Add(int64(n))
	return n, err
}

// upgradeLegacy moves a Redis 6 appendonly.aof from dir into the AOF
// directory and lists it as the base, in the three situations Redis 7
// does: no AOF directory; a directory whose manifest lists nothing; a
// manifest listing only that file as base while it is not there yet (a
// previous upgrade that stopped between manifest and rename).
func (a *AOF) upgradeLegacy() error {
	legacy := filepath.Join(a.dir, a.cfg.FileName)
	if st, err := os.Stat(legacy); err != nil || !st.Mode().IsRegular() {
		return nil
	}
	_, dirErr := os.Stat(a.aofDir())
	m := a.man
	_, inDirErr := os.Stat(filepath.Join(a.aofDir(), a.cfg.FileName))
	if !(dirErr != nil || m.Empty() ||
		(m.Base != nil && len(m.Incr) == 0 && m.Base.Name == a.cfg.FileName && inDirErr != nil)) {
		return nil
	}
	if err := a.mkdirAOF(); err != nil {
		return &LoadError{Offset: -1, Err: err, Msg: "Can't open or create append-only dir " + a.cfg.DirName + ": " + strerror(err)}
	}
	m = m.Clone()
	m.Base = &FileInfo{Name: a.cfg.FileName, Seq: 1, Type: TypeBase}
	m.BaseSeq = 1
	if err := WriteManifest(a.aofDir(), a.cfg.FileName, m); err != nil {
		return &LoadError{Offset: -1, Err: err, Msg: err.Error()}
	}
	a.man = m
	if err := os.Rename(legacy, filepath.Join(a.aofDir(), a.cfg.FileName)); err != nil {
		return &LoadError{Offset: -1, Err: err, Msg: fmt.Sprintf("Error trying to rename the old AOF file %s into dir %s: %s", a.cfg.FileName, a.cfg.DirName, strerror(err))}
	}
	a.logf(LogNotice, "Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).", a.cfg.FileName, a.cfg.DirName)
	return nil
}

// loadFile replays one file of the AOF directory dir; legacy marks a
// Redis 6 single-file AOF, which only changes the log lines. A torn tail
// is cut off here when truncate (aof-load-truncated) allows it.
func (a *AOF) loadFile(dir, name string, h Handler, legacy, truncate bool) (LoadStatus, error) {
	path := filepath.Join(dir, name)
	f, err := os.Open(path)
	if err != nil {
		msg := "Fatal error: can't open the append log file " + name + " for reading: " + strerror(err)
		if errors.Is(err, os.ErrNotExist) {
			msg = "The append log file " + name + " doesn't exist: " + strerror(err)
		}
		return 0, &LoadError{File: name, Offset: -1, Err: err, Msg: msg}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, &LoadError{File: name, Offset: -1, Err: err, Msg: "Unrecoverable error reading the append only file " + name + ": " + strerror(err)}
	}
	if st.Size() == 0 {
		return LoadEmpty, nil
	}
	valid, torn, err := replay(name, &progressReader{f, &a.loadRead}, st.Size(), h, legacy, a.logf)
	if err != nil {
		return 0, err
	}
	if !torn {
		return LoadOK, nil
	}
	if truncate {
		a.logf(LogWarning, "!!! Warning: short read while loading the AOF file %s!!!", name)
		a.logf(LogWarning, "!!! Truncating the AOF %s at offset %d !!!", name, valid)
		if err := os.Truncate(path, valid); err != nil {
			a.logf(LogWarning, "Error truncating the AOF file %s: %s", name, strerror(err))
		} else {
			a.logf(LogWarning, "AOF %s loaded anyway because aof-load-truncated is enabled", name)
			return LoadTruncated, nil
		}
	}
	return 0, &LoadError{File: name, Offset: valid, Msg: "Unexpected end of file reading the append only file " + name +
		". You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. " +
		"2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."}
}

// queued is a command read inside MULTI, held until its EXEC.
type queued struct {
	start int64
	args  [][]byte
}

// replay feeds the file body r (size bytes) to h. It returns the offset
// just past the last complete command (for an unfinished MULTI, the
// offset of the MULTI) and whether the input ended in a torn command;
// err is a *LoadError for anything that refuses the load.
func replay(name string, r io.Reader, size int64, h Handler, legacy bool, logf func(LogLevel, string, ...any)) (valid int64, torn bool, err error) {
	c := newCmdReader(r, size)
	fail := func(off int64, msg string, cause error) (int64, bool, error) {
		return 0, false, &LoadError{File: name, Offset: off, Msg: msg, Err: cause}
	}
	if p, _ := c.br.Peek(5); string(p) == "REDIS" {
		if legacy {
			logf(LogNotice, "Reading RDB preamble from AOF file...")
		} else {
			logf(LogNotice, "Reading RDB base file on AOF loading...")
		}
		if err := h.LoadRDB(c.br); err != nil {
			msg := "Error reading the RDB base file " + name + ", AOF loading aborted"
			if legacy {
				msg = "Error reading the RDB preamble of the AOF file " + name + ", AOF loading aborted"
			}
			return fail(c.offset(), msg, err)
		}
		// Redis leaves the truncation point at 0 here, so a torn tail
		// after an RDB preamble would cut the whole file; keep the RDB.
		valid = c.offset()
		if legacy {
			logf(LogNotice, "Reading the remaining AOF tail...")
		}
	}
	var (
		inMulti     bool
		beforeMulti int64
		queue       []queued
	)
	for {
		args, start, err := c.next()
		switch err {
		case nil:
		case io.EOF:
			if inMulti {
				logf(LogWarning, "Revert incomplete MULTI/EXEC transaction in AOF file %s", name)
				return beforeMulti, true, nil
			}
			return valid, false, nil
		case errTorn:
			if inMulti {
				// Redis cuts after the last complete command even inside
				// a transaction, leaving a MULTI the next start reverts;
				// cut at the MULTI at once (the same data loads).
				return beforeMulti, true, nil
			}
			return valid, true, nil
		case errFormat:
			return fail(start, "Bad file format reading the append only file "+name+
				": make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", nil)
		case errNulArgc:
			return fail(start, "Unrecoverable error reading the append only file "+name+": Success", nil)
		default:
			return fail(start, "Unrecoverable error reading the append only file "+name+": "+strerror(err), err)
		}
		switch {
		case bytes.EqualFold(args[0], []byte("multi")):
			if inMulti {
				// Redis queues it, fails it at EXEC, and moves its revert
				// point here; keep the outer MULTI's, so that a revert
				// leaves no MULTI behind.
				logf(LogWarning, "== CRITICAL == This server is sending an error to its AOF-loading-client: 'MULTI calls can not be nested' after processing the command 'exec'")
				break
			}
			inMulti, beforeMulti = true, valid
		case bytes.EqualFold(args[0], []byte("exec")):
			if !inMulti {
				logf(LogWarning, "== CRITICAL == This server is sending an error to its AOF-loading-client: 'EXEC without MULTI' after processing the command 'exec'")
				break
			}
			for _, q := range queue {
				if err := h.Command(q.args); err != nil {
					return fail(q.start, err.Error()+" reading the append only file "+name, err)
				}
			}
			inMulti, queue = false, queue[:0]
		default:
			if inMulti {
				q := queued{start: start, args: make([][]byte, len(args))}
				for i, a := range args {
					q.args[i] = slices.Clone(a)
				}
				queue = append(queue, q)
				break
			}
			if err := h.Command(args); err != nil {
				return fail(start, err.Error()+" reading the append only file "+name, err)
			}
		}
		valid = c.offset()
	}
}
