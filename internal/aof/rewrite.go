package aof

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"
)

// rewrite is a running BGREWRITEAOF.
type rewrite struct {
	start     time.Time
	tmp       string // path of the base being written
	rdb       bool   // base in RDB form, as configured at the start
	abandoned atomic.Bool
}

// Rewriting reports whether a rewrite runs (aof_rewrite_in_progress).
func (a *AOF) Rewriting() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rw != nil
}

// ScheduleRewrite records a BGREWRITEAOF that cannot start now (Redis:
// another child is active, or inside EXEC): "Background append only file
// rewriting scheduled". It also forgets past failures, so the retry
// limit does not delay it. RewriteDue reports it.
func (a *AOF) ScheduleRewrite() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.scheduled = true
	a.failures = 0
}

// StartRewrite starts a background rewrite (BGREWRITEAOF, or a rewrite
// RewriteDue asked for), as Redis 7 does: buffered commands are written
// to the current incremental file, a new incremental file is opened and
// listed (so commands from now on go there), then writeBase runs on its
// own goroutine, writing the new base. When it returns nil, the new base
// and the incremental files opened since the start become the dataset,
// the older files history (deleted unless aof-disable-auto-gc); on error
// nothing changes but the statistics.
//
// Call it with the engine lock held, after handing Append everything
// propagated so far; writeBase must write the dataset exactly as it is at
// this call (an RDB image when aof-use-rdb-preamble is yes, else
// commands, SELECT included), from a snapshot taken under the same lock
// hold: commands executed after the call are in the new incremental file
// and must not be in the base, those before it must be. The next command
// appended must be preceded by a SELECT. writeBase's writes fail once the
// rewrite is abandoned (Disable, Close, Enable); it should then return.
//
// It works with the AOF off too, as in Redis: the new base replaces the
// old files without any incremental file.
func (a *AOF) StartRewrite(writeBase func(w io.Writer) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.startRewriteLocked(writeBase)
}

func (a *AOF) startRewriteLocked(writeBase func(w io.Writer) error) error {
	if a.rw != nil {
		return ErrRewriteInProgress
	}
	if err := a.mkdirAOF(); err != nil {
		a.logf(LogWarning, "Can't open or create append-only dir %s: %s", a.cfg.DirName, strerror(err))
		a.rewriteErr = err
		return err
	}
	if err := a.writeLocked(); err != nil {
		return err
	}
	if err := a.openNewIncrLocked(); err != nil {
		a.rewriteErr = err
		return err
	}
	a.rewrites++
	a.rewriteID++
	rw := &rewrite{
		start: a.now(),
		tmp:   filepath.Join(a.aofDir(), "temp-rewriteaof-bg-"+strconv.FormatInt(a.rewriteID, 10)+".aof"),
		rdb:   a.cfg.UseRDBPreamble,
	}
	a.rw = rw
	a.scheduled = false
	a.startBio()
	a.logf(LogNotice, "Background append only file rewriting started")
	o := a.baseOptsLocked(rw.rdb)
	o.stop = rw.abandoned.Load
	a.rwWG.Add(1)
	go func() {
		defer a.rwWG.Done()
		err := writeBaseFile(rw.tmp, o, writeBase)
		if err == nil {
			a.logf(LogNotice, "Successfully created the temporary AOF base file %s", filepath.Base(rw.tmp))
		}
		a.finishRewrite(rw, err)
	}()
	return nil
}

// openNewIncrLocked switches writes to a new incremental file at the start
// of a rewrite: a listed F.<seq>.incr.aof when on, the temporary
// temp-F.incr while waiting for the first rewrite, none when off. The old
// file is fsynced and closed in the background.
func (a *AOF) openNewIncrLocked() error {
	if a.state == StateOff {
		return nil
	}
	var m *Manifest
	var name string
	if a.state == StateWaitRewrite {
		name = tempIncrName(a.cfg.FileName)
	} else {
		m = a.man.Clone()
		name = m.newIncr(a.cfg.FileName)
	}
	f, err := os.OpenFile(filepath.Join(a.aofDir(), name), os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		a.logf(LogWarning, "Can't open the append-only file %s: %s", name, strerror(err))
		return err
	}
	if m != nil {
		if err := WriteManifest(a.aofDir(), a.cfg.FileName, m); err != nil {
			a.logf(LogWarning, "%s", err)
			f.Close()
			os.Remove(filepath.Join(a.aofDir(), name))
			return err
		}
		a.man = m
	}
	a.logf(LogNotice, "Creating AOF incr file %s on background rewrite", name)
	if a.f != nil {
		a.submit(job{f: a.f, close: true})
		a.fsyncOffset = a.currentSize
		a.lastFsync = a.now()
	}
	a.f = f
	a.lastIncrSize = 0
	return nil
}

// cancelRewriteLocked abandons the running rewrite: its writer fails from
// now on and its result is thrown away.
func (a *AOF) cancelRewriteLocked() {
	if a.rw == nil {
		return
	}
	a.logf(LogNotice, "Killing running AOF rewrite")
	a.rw.abandoned.Store(true)
	a.rw = nil
}

// finishRewrite is Redis's backgroundRewriteDoneHandler, run by the
// rewrite's goroutine once the base is written (err nil) or failed.
func (a *AOF) finishRewrite(rw *rewrite, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rw != rw {
		os.Remove(rw.tmp)
		return
	}
	a.rw = nil
	defer func() { a.lastRewrite = a.now().Unix() - rw.start.Unix() }()
	if err != nil {
		a.logf(LogWarning, "Background AOF rewrite terminated with error")
		a.rewriteFailedLocked(rw, err)
		return
	}
	a.logf(LogNotice, "Background AOF rewrite terminated with success")
	m := a.man.Clone()
	baseName := m.newBase(a.cfg.FileName, rw.rdb)
	basePath := filepath.Join(a.aofDir(), baseName)
	if err := os.Rename(rw.tmp, basePath); err != nil {
		a.logf(LogWarning, "Error trying to rename the temporary AOF file %s into %s: %s", filepath.Base(rw.tmp), baseName, strerror(err))
		a.rewriteFailedLocked(rw, err)
		return
	}
	a.logf(LogNotice, "Successfully renamed the temporary AOF base file %s into %s", filepath.Base(rw.tmp), baseName)
	incrPath := ""
	if a.state == StateWaitRewrite {
		incrName := m.newIncr(a.cfg.FileName)
		incrPath = filepath.Join(a.aofDir(), incrName)
		if err := os.Rename(filepath.Join(a.aofDir(), tempIncrName(a.cfg.FileName)), incrPath); err != nil {
			a.logf(LogWarning, "Error trying to rename the temporary AOF incr file %s into %s: %s", tempIncrName(a.cfg.FileName), incrName, strerror(err))
			os.Remove(basePath)
			a.rewriteFailedLocked(rw, err)
			return
		}
		a.logf(LogNotice, "Successfully renamed the temporary AOF incr file %s into %s", tempIncrName(a.cfg.FileName), incrName)
	}
	// Every incremental file but the one being written holds commands
	// the new base already has; with the AOF off, all of them.
	keep := 0
	if a.f != nil {
		keep = 1
	}
	m.retireIncr(keep)
	if err := WriteManifest(a.aofDir(), a.cfg.FileName, m); err != nil {
		a.logf(LogWarning, "%s", err)
		os.Remove(basePath)
		if incrPath != "" {
			os.Remove(incrPath)
		}
		a.rewriteFailedLocked(rw, err)
		return
	}
	a.man = m
	if a.f != nil {
		if st, err := os.Stat(basePath); err == nil {
			a.currentSize = st.Size() + a.lastIncrSize
		}
		a.baseSize = a.currentSize
		a.fsyncOffset = a.currentSize
		a.lastFsync = a.now()
	}
	a.deleteHistoryLocked()
	a.rewriteErr = nil
	a.failures = 0
	a.hold = false
	a.logf(LogNotice, "Background AOF rewrite finished successfully")
	if a.state == StateWaitRewrite {
		a.state = StateOn
	}
}

// rewriteFailedLocked records a failed rewrite. A server turning the AOF
// on drops what it buffered for the temporary incremental file and
// schedules another attempt, as Redis does.
func (a *AOF) rewriteFailedLocked(rw *rewrite, err error) {
	os.Remove(rw.tmp)
	a.rewriteErr = err
	a.failures++
	if a.state == StateWaitRewrite {
		a.buf = a.buf[:0]
		if a.f != nil {
			a.submit(job{f: a.f, close: true})
			a.f = nil
		}
		os.Remove(filepath.Join(a.aofDir(), tempIncrName(a.cfg.FileName)))
		a.scheduled = true
	}
}

// deleteHistoryLocked drops history files from the manifest, then from
// the directory, unless aof-disable-auto-gc is on.
func (a *AOF) deleteHistoryLocked() {
	if a.cfg.DisableAutoGC || len(a.man.History) == 0 {
		return
	}
	m := a.man.Clone()
	old := m.History
	m.History = nil
	if err := WriteManifest(a.aofDir(), a.cfg.FileName, m); err != nil {
		a.logf(LogWarning, "%s", err)
		return
	}
	a.man = m
	for _, fi := range old {
		a.logf(LogNotice, "Removing the history file %s in the background", fi.Name)
		if err := os.Remove(filepath.Join(a.aofDir(), fi.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			a.logf(LogWarning, "Fail to remove the history file %s: %s", fi.Name, strerror(err))
		}
	}
}

// Rewrite-retry limit, as Redis's aofRewriteLimited: after this many
// consecutive failures automatic rewrites wait, 1 minute doubling up to
// an hour.
const (
	rewriteLimitThreshold = 3
	rewriteLimitMaxMinute = 60
)

// limitedLocked reports whether automatic rewrites must wait after
// repeated failures; the first refusal of a series sets the next delay.
func (a *AOF) limitedLocked() bool {
	if a.failures < rewriteLimitThreshold {
		a.limitDelay, a.limitUntil = 0, time.Time{}
		return false
	}
	now := a.now()
	if !a.limitUntil.IsZero() {
		if now.Before(a.limitUntil) {
			return true
		}
		a.limitUntil = time.Time{}
		return false
	}
	a.limitDelay = min(max(a.limitDelay*2, 1), rewriteLimitMaxMinute)
	a.limitUntil = now.Add(time.Duration(a.limitDelay) * time.Minute)
	a.logf(LogWarning, "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in %d minutes", a.limitDelay)
	return true
}

// RewriteDue is the server cron's question: should a rewrite start now?
// It is when one was scheduled, or (AOF on) when the files grew past
// auto-aof-rewrite-min-size and by auto-aof-rewrite-percentage since the
// last rewrite; never while a rewrite or another background save
// (otherChild) runs, and not too soon after repeated failures. The
// server answers yes with a snapshot and StartRewrite.
func (a *AOF) RewriteDue(otherChild bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rw != nil || otherChild {
		return false
	}
	if a.scheduled && !a.limitedLocked() {
		return true
	}
	if a.state != StateOn || a.cfg.RewritePercentage == 0 || a.currentSize <= a.cfg.RewriteMinSize {
		return false
	}
	base := max(a.baseSize, 1)
	growth := a.currentSize*100/base - 100
	if growth >= a.cfg.RewritePercentage && !a.limitedLocked() {
		a.logf(LogNotice, "Starting automatic rewriting of AOF on %d%% growth", growth)
		return true
	}
	return false
}

// WaitRewrite blocks until no rewrite runs, for tests and tools.
func (a *AOF) WaitRewrite() {
	a.rwWG.Wait()
}

// LastRewriteErr is the error of the last rewrite, nil if it succeeded
// (aof_last_bgrewrite_status).
func (a *AOF) LastRewriteErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rewriteErr == nil {
		return nil
	}
	return fmt.Errorf("aof: rewrite failed: %w", a.rewriteErr)
}
