package server

import (
	"strconv"

	"github.com/respd/respd/internal/aof"
	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
)

// WAITAOF. The local half compares a client's lseq (the propagation flush
// carrying its last write) with what the AOF reports fsynced; the replica
// half compares its woff with the offsets replicas report fsynced in
// REPLCONF ACK <off> FACK <aofoff> (replicas without an AOF, Redis 7.0
// ones included, send no FACK and never count). Blocked WAITAOFs share
// WAIT's waiter list and its GETACK; fsync progress is polled at the end
// of every batch and by the cron, since fsyncs complete in the
// background.

// waitAOFState is a WAITAOF in progress.
type waitAOFState struct{ local, need, lseq, off int64 }

// markAOF tags what the AOF has been given with the current positions;
// pending is the length of a propagated batch about to be handed out,
// which a master's backlog does not hold yet. Engine lock held.
func (s *Server) markAOF(pending int64) {
	if s.aof == nil {
		return
	}
	off := s.replOffset()
	if s.masterHost == "" && s.repl.backlog != nil {
		off += pending
	}
	s.aof.Mark(aof.Tag{Local: s.prop.seq, Repl: off})
}

// fsyncedTag is what the local AOF has fsynced; ok is false with the AOF
// off.
func (s *Server) fsyncedTag() (aof.Tag, bool) {
	if s.aof == nil {
		return aof.Tag{}, false
	}
	return s.aof.FsyncedTag()
}

// aofCounts is WAITAOF's reply pair for positions lseq and off.
func (s *Server) aofCounts(lseq, off int64) (local, replicas int64) {
	if t, ok := s.fsyncedTag(); ok && t.Local >= lseq {
		local = 1
	}
	for _, rc := range s.repl.replicas {
		if rc.state == replOnline && rc.aofOff >= off {
			replicas++
		}
	}
	return local, replicas
}

func writeAOFCounts(w *resp.Writer, local, replicas int64) {
	w.Array(2)
	w.Int(local)
	w.Int(replicas)
}

// WaitAOF implements command.ReplicationHost.
func (s *Server) WaitAOF(ctx *command.Ctx, numLocal, numReplicas, deadline int64) {
	c := ctx.Conn.(*client)
	st := &waitAOFState{local: numLocal, need: numReplicas, lseq: c.lseq, off: c.woff}
	local, n := s.aofCounts(st.lseq, st.off)
	if (local >= numLocal && n >= numReplicas) || ctx.NoBlock {
		writeAOFCounts(&ctx.Writer, local, n)
		return
	}
	ctx.Block(nil, deadline, func(w *resp.Writer) {
		l, r := s.aofCounts(st.lseq, st.off)
		writeAOFCounts(w, l, r)
	})
	ctx.Blocked.State = st
	s.repl.waiters = append(s.repl.waiters, c)
	s.repl.aofWaiters++
	s.repl.getack = true // even for numreplicas 0, as Redis does
}

// serveWaitAOF answers w's WAITAOF if it can be: done reports whether w
// left the waiters.
func (s *Server) serveWaitAOF(w *client, st *waitAOFState) (done bool) {
	if st.local > 0 && !s.cfg.Bool("appendonly") {
		w.ctx.Error(command.ErrWaitAOFNoAOF)
		s.wake(w)
		return true
	}
	local, n := s.aofCounts(st.lseq, st.off)
	if local < st.local || n < st.need {
		return false
	}
	writeAOFCounts(&w.ctx.Writer, local, n)
	s.wake(w)
	return true
}

// aofCron notes what the AOF fsynced in the background and serves the
// WAITAOFs it satisfies. Engine lock held.
func (s *Server) aofCron() {
	s.markAOF(0)
	if s.repl.aofWaiters > 0 {
		s.serveWaiters()
	}
}

// ackArgs is a replica's REPLCONF ACK <off>, with FACK <aofoff> (the
// replication offset its AOF fsynced) while its AOF is on, as Redis 7.2
// replicas send it; fack is that offset, -1 without. Engine lock held.
func (s *Server) ackArgs(off int64) (args []string, fack int64) {
	args = []string{"REPLCONF", "ACK", strconv.FormatInt(off, 10)}
	t, ok := s.fsyncedTag()
	if !ok {
		return args, -1
	}
	return append(args, "FACK", strconv.FormatInt(t.Repl, 10)), t.Repl
}

// rebaseAOF restarts the AOF's tags after a full sync from our master
// replaced the dataset (and the replication offset): nothing counts as
// fsynced until the rewrite just started is done. Engine lock held.
func (s *Server) rebaseAOF() {
	if s.aof != nil {
		s.aof.Rebase(aof.Tag{Local: s.prop.seq, Repl: s.replOffset()})
	}
}
