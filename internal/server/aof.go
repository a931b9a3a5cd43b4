package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/respd/respd/internal/aof"
	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/rdb"
	"github.com/respd/respd/internal/resp"
)

// The AOF glue: the server owns one *aof.AOF (which has its own lock and
// background goroutines), feeds it the propagated stream at the end of
// every batch, and hands it snapshots for rewrites. Lock order: the
// engine lock, then the AOF's; a rewrite's base writer takes the engine
// lock per turn of keys without holding the AOF's.

// initAOF opens the AOF directory's manifest (always, as Redis refuses to
// start on a bad one) and, with appendonly yes, loads the dataset from
// it instead of the RDB file, pausing as ld does and showing its progress
// (loading.go), and turns the AOF on.
func (s *Server) initAOF(ld *loadState) (loaded bool, err error) {
	cfg := aof.FromServerConfig(s.cfg)
	cfg.Log = func(level aof.LogLevel, msg string) { s.logf("%s", msg) }
	a, err := aof.New(s.cfg.Get("dir"), cfg)
	if err != nil {
		var me *aof.ManifestError
		if errors.As(err, &me) {
			return false, errors.New(me.Banner())
		}
		return false, err
	}
	s.aof = a
	defer func() {
		// Registered last: OnChange runs the hook at once with the
		// start-up value, which the code above has already acted on.
		started := false
		s.cfg.OnChange("appendonly", func(v string) {
			if started {
				s.appendonlyChanged(v)
			}
		})
		started = true
	}()
	for _, name := range []string{"appendfsync", "aof-use-rdb-preamble", "aof-load-truncated", "aof-disable-auto-gc",
		"no-appendfsync-on-rewrite", "aof-rewrite-incremental-fsync", "aof-timestamp-enabled",
		"auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size"} {
		s.cfg.OnChange(name, func(string) { a.SetConfig(aof.FromServerConfig(s.cfg)) })
	}
	if !s.cfg.Bool("appendonly") {
		return false, nil
	}
	start := time.Now()
	ld.progress = a.LoadProgress
	if _, err := a.Load(&aofLoader{ld: ld, c: s.loadingClient()}); err != nil {
		return false, err
	}
	s.logf("DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
	s.persist.dirtyAtSave = s.ks.Dirty
	if err := a.Start(s.syncBase); err != nil {
		return false, err
	}
	s.feedAOF()
	return true, nil
}

// feedAOF registers the AOF as a consumer of the propagated stream (once)
// and makes the next command select its database.
func (s *Server) feedAOF() {
	if !s.aofFed {
		s.aofFed = true
		s.OnPropagate(s.appendAOF)
	}
	s.ResetPropagationDB()
}

// appendAOF writes a batch's commands to the AOF before its replies go
// out; with appendfsync always that includes the fsync. A write that
// fails for good under appendfsync always ends the server, as in Redis:
// acknowledging the batch would promise what the disk does not hold.
func (s *Server) appendAOF(b []byte) {
	s.aof.Append(b)
	if err := s.aof.Flush(); err != nil {
		s.logf("%v", err)
		s.fatal(err)
	}
}

// fatal stops the process (Options.Fatal replaces it in tests).
func (s *Server) fatal(err error) {
	if s.onFatal != nil {
		s.onFatal(err)
		return
	}
	os.Exit(1)
}

// appendonlyChanged is CONFIG SET appendonly: on starts a rewrite that
// writes the first base (scheduled if a snapshot is already running), off
// closes the file. Engine lock held.
func (s *Server) appendonlyChanged(v string) {
	if s.aof == nil {
		return
	}
	if v != "yes" {
		if err := s.aof.Disable(); err != nil {
			s.logf("%v", err)
		}
		s.serveWaiters() // WAITAOFs for a local fsync fail now
		return
	}
	if s.aof.State() != aof.StateOff {
		return
	}
	s.flushPropagation()
	var base func(io.Writer) error
	if !s.ks.Snapshotting() {
		base = s.backgroundBase()
	}
	s.markAOF(0) // the first rewrite covers all up to here
	if err := s.aof.Enable(base); err != nil {
		s.logf("%v", err)
		return
	}
	s.feedAOF()
}

// BGRewriteAOF implements command.PersistenceHost. Engine lock held.
func (s *Server) BGRewriteAOF() (string, error) {
	if s.aof.Rewriting() {
		return "", errors.New("ERR Background append only file rewriting already in progress")
	}
	if s.ks.Snapshotting() {
		s.aof.ScheduleRewrite()
		return "Background append only file rewriting scheduled", nil
	}
	if err := s.startRewrite(); err != nil {
		return "", errors.New("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
	}
	return "Background append only file rewriting started", nil
}

// startRewrite starts an AOF rewrite from a snapshot of this instant.
// Engine lock held.
func (s *Server) startRewrite() error {
	s.flushPropagation()
	if err := s.aof.StartRewrite(s.backgroundBase()); err != nil {
		return err
	}
	s.ResetPropagationDB()
	return nil
}

// backgroundBase takes a snapshot now and returns the writer of the new
// base file, which streams it a turn of keys per engine lock hold: an RDB
// image with aof-use-rdb-preamble, commands otherwise. Engine lock held.
func (s *Server) backgroundBase() func(io.Writer) error {
	enc := s.baseEncoder()
	snap := s.snapshotInto(enc)
	return func(w io.Writer) error { return s.streamSnapshot(snap, enc, w, nil) }
}

// syncBase writes a base of the dataset at once (start-up with no AOF
// files yet). Engine lock held by the caller of Start.
func (s *Server) syncBase(w io.Writer) error {
	enc := s.baseEncoder()
	snap := s.snapshotInto(enc)
	for snap.Step(1 << 30) {
	}
	enc.End()
	if _, err := w.Write(enc.Take()); err != nil {
		return err
	}
	_, err := w.Write(enc.Trailer())
	return err
}

// loadingClient is the client AOF commands run as while loading.
func (s *Server) loadingClient() *client {
	c := &client{s: s, loader: true}
	c.sess = command.Session{ID: -1, Name: "aof-loader"}
	c.ctx = command.Ctx{Sess: &c.sess, KS: s.ks, DB: s.ks.DBs[0], Host: s, Conn: c, Writer: resp.Writer{Proto: 2, OnError: s.countError}, Notifying: &s.notifyMask, Prop: &s.prop.unit}
	return c
}

// aofLoader executes what the AOF holds, pausing as its load does.
type aofLoader struct {
	ld *loadState
	c  *client
}

func (h *aofLoader) LoadRDB(r io.Reader) error {
	s := h.ld.s
	_, err := rdb.Load(r, rdb.Options{Limits: rdb.ConfigLimits(s.cfg), DBs: len(s.ks.DBs), Warn: func(m string) { s.logf("%s", m) }}, h.ld)
	// INFO's rdb_last_load_keys_* describe the preamble, as in Redis.
	s.persist.loadedKeys, s.persist.loadedExpired = h.ld.keys, h.ld.expired
	return err
}

func (h *aofLoader) Command(args [][]byte) error {
	top := h.ld.s.finder.Stream(args[0])
	if top == nil {
		return fmt.Errorf("Unknown command '%s'", args[0])
	}
	h.c.dispatch(top, args)
	h.c.ctx.B = h.c.ctx.B[:0]
	return h.ld.pause(0)
}

// baseEncoder is how a new AOF base is written: an RDB image with
// aof-use-rdb-preamble yes, commands otherwise.
func (s *Server) baseEncoder() snapshotEncoder {
	if !s.cfg.Bool("aof-use-rdb-preamble") {
		enc := &aof.BaseEncoder{}
		for _, l := range s.lua.engine.Libraries() {
			enc.Function([]byte(l.Code))
		}
		return enc
	}
	enc := rdb.NewEncoder(nil, s.cfg.Bool("rdbcompression"))
	enc.Header(s.auxFields(true))
	s.writeFunctions(enc)
	return enc
}
