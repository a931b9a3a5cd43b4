package server

import (
	"strconv"

	"github.com/respd/respd/internal/command"
)

// Command propagation: the stream of write commands the AOF and replicas
// consume, in the deterministic form Redis 7.0 sends (see
// command.Propagation for what handlers do).
//
// The engine groups what it propagates in units. A unit is one command
// run from a client's batch, with the deletions of the keys it found
// expired, or one transaction (EXEC), or one blocked client served later,
// or one key the cron expired. A unit of more than one command is
// wrapped in MULTI/EXEC, as Redis wraps it, so a replica applies it at
// once. Each command is preceded by SELECT when its database is not the
// last one propagated. The bytes wait in out until the end of the batch
// (or of the cron run, ...), when flushPropagation hands them to the
// registered functions, before any reply of the batch is written.

// propState is the engine's propagation state; engine-owned.
type propState struct {
	fns []func(b []byte)
	// unit collects the running unit's commands; every client's
	// Ctx.Prop points at it.
	unit command.Propagation
	// out is the encoded stream not yet handed to fns.
	out []byte
	// seq counts the flushes of out: WAITAOF's local position (a
	// client's lseq is the flush that carries its last write).
	seq int64
	// lastDB is the database of the last propagated command; -1 makes
	// the next one start with SELECT.
	lastDB int
	// unlinkExpired mirrors lazyfree-lazy-expire: expired keys are then
	// propagated as UNLINK instead of DEL.
	unlinkExpired bool
}

func (s *Server) initPropagation() {
	s.prop.lastDB = -1
	s.ks.OnExpire = s.keyExpired
	s.cfg.OnChange("lazyfree-lazy-expire", func(string) { s.prop.unlinkExpired = s.cfg.Bool("lazyfree-lazy-expire") })
}

// OnPropagate registers fn to receive every propagated byte chunk, in
// order, at the end of each batch (before replies are written, so an AOF
// with appendfsync always can fsync first). Called with the engine lock
// held; b is only valid during the call. OnPropagate itself must be
// called with the engine lock held too: from a command handler, or
// inside Do.
func (s *Server) OnPropagate(fn func(b []byte)) {
	s.prop.fns = append(s.prop.fns, fn)
	s.prop.unit.On = true
}

// ResetPropagationDB forgets the last selected db so the next command is
// preceded by SELECT (a new replica or a new AOF file needs it). Call it
// with the engine lock held.
func (s *Server) ResetPropagationDB() { s.prop.lastDB = -1 }

// Propagate appends a command to the stream, as its own unit, for writes
// made outside commands (the embedding Go API). Call it with the engine
// lock held; the bytes go out with the next flush.
func (s *Server) Propagate(db int, args ...[]byte) {
	if !s.prop.unit.On {
		return
	}
	s.prop.unit.Add(db, args...)
	if s.nesting == 0 {
		s.endUnit()
	}
}

// keyExpired is the keyspace's expiry hook: the deletion is propagated
// (inside the unit of the command that found the key expired, or alone
// when the cron did) and the expired event notified.
func (s *Server) keyExpired(db int, key string) {
	if p := &s.prop; p.unit.On {
		verb := "DEL"
		if p.unlinkExpired {
			verb = "UNLINK"
		}
		p.unit.AddStrings(db, verb, key)
		if s.nesting == 0 {
			s.endUnit()
		}
	}
	if s.notifyMask&command.NotifyExpired != 0 {
		s.Notify(command.NotifyExpired, "expired", []byte(key), db)
	}
}

// endCall adds a finished call's own command to the unit: the rewrite
// its handler gave, or args when it is a write that changed the keyspace
// since dirtyBefore. A call made outside any other call also ends the
// unit.
func (s *Server) endCall(cmd *command.Command, args [][]byte, db int, dirtyBefore int64) {
	s.prop.unit.EndCall(db, args, cmd.Has(command.Write), s.ks.Dirty != dirtyBefore)
	if s.nesting == 0 {
		s.endUnit()
	}
}

// endUnit moves the unit's commands to the stream, wrapped in MULTI/EXEC
// when there are several.
func (s *Server) endUnit() {
	p := &s.prop
	buf, ops := p.unit.Unit()
	if len(ops) == 0 {
		return
	}
	multi := len(ops) > 1
	if multi {
		s.selectDB(ops[0].DB)
		p.out = append(p.out, "*1\r\n$5\r\nMULTI\r\n"...)
	}
	start := 0
	for _, op := range ops {
		s.selectDB(op.DB)
		p.out = append(p.out, buf[start:op.End]...)
		start = op.End
	}
	if multi {
		p.out = append(p.out, "*1\r\n$4\r\nEXEC\r\n"...)
	}
	p.unit.Reset()
}

// selectDB appends SELECT db unless db is the last one propagated.
func (s *Server) selectDB(db int) {
	p := &s.prop
	if db == p.lastDB {
		return
	}
	p.lastDB = db
	var num [20]byte
	n := strconv.AppendInt(num[:0], int64(db), 10)
	p.out = append(p.out, "*2\r\n$6\r\nSELECT\r\n$"...)
	p.out = strconv.AppendInt(p.out, int64(len(n)), 10)
	p.out = append(p.out, '\r', '\n')
	p.out = append(p.out, n...)
	p.out = append(p.out, '\r', '\n')
}

// flushPropagation hands the stream built since the last flush to the
// registered functions. The engine calls it at the end of every batch
// and of every other place commands or expiries run.
func (s *Server) flushPropagation() {
	p := &s.prop
	if len(p.out) > 0 {
		p.seq++
		s.markAOF(int64(len(p.out)))
		for _, fn := range p.fns {
			fn(p.out)
		}
		p.out = p.out[:0]
	}
	if s.repl.getack {
		s.replFlush()
	}
	if s.repl.aofWaiters > 0 {
		s.serveWaiters()
	}
}
