package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
)

// FAILOVER, as Redis 7.0 coordinates it. The master pauses writes and
// waits (in the cron) until a replica, the named one or any, has
// acknowledged the whole stream; it then turns itself into a replica of
// that one, whose first PSYNC carries the FAILOVER keyword. The target
// takes it as an order to become a master: it promotes itself (its
// replid becomes its replid2) and, the offsets being equal, answers
// +CONTINUE with its new id, which ends the failover on the old master
// and lifts the pause; clients whose writes were held then get READONLY.
// A rejected PSYNC rolls the old master back to a master; a target that
// cannot be reached keeps the failover in progress (retrying) until
// FAILOVER ABORT, as in Redis. With TIMEOUT the wait for the sync ends in
// an abort, or with FORCE in switching anyway.

// Failover states, as INFO's master_failover_state names them.
const (
	foNone = iota
	foWaitSync
	foInProgress
)

var foStateNames = [...]string{"no-failover", "waiting-for-sync", "failover-in-progress"}

// failoverState is a FAILOVER under way; engine-owned.
type failoverState struct {
	state int
	// host and port name the target once known ("" for any replica
	// while waiting).
	host string
	port int
	// endMs is when the wait for the sync ends (unix ms; 0: never).
	endMs int64
	force bool
}

var (
	errFoInProgress   = resp.Error("ERR FAILOVER already in progress.")
	errFoOnReplica    = resp.Error("ERR FAILOVER is not valid when server is a replica.")
	errFoNoReplicas   = resp.Error("ERR FAILOVER requires connected replicas.")
	errFoForce        = resp.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
	errFoNotReplica   = resp.Error("ERR FAILOVER target HOST and PORT is not a replica.")
	errFoNotOnline    = resp.Error("ERR FAILOVER target replica is not online.")
	errFoNone         = resp.Error("ERR No failover in progress.")
	errFoPSyncMaster  = resp.Error("ERR PSYNC FAILOVER can't be sent to a master.")
	errFoPSyncReplid  = resp.Error("ERR PSYNC FAILOVER replid must match my replid.")
	errFoSyncRefused  = resp.Error("NOMASTERLINK Can't SYNC while failing over")
	foRejected        = "Failover target rejected psync request"
	foManuallyAborted = "Failover manually aborted"
)

// Failover implements command.FailoverHost, with Redis's order of checks.
func (s *Server) Failover(ctx *command.Ctx, req command.FailoverRequest) {
	fo := &s.repl.failover
	switch {
	case fo.state != foNone:
		ctx.Error(errFoInProgress)
		return
	case s.masterHost != "":
		ctx.Error(errFoOnReplica)
		return
	case len(s.repl.replicas) == 0:
		ctx.Error(errFoNoReplicas)
		return
	case req.Force && (req.TimeoutMs == 0 || !req.To):
		ctx.Error(errFoForce)
		return
	}
	if req.To {
		rc := s.findReplica(req.Host, req.Port)
		if rc == nil {
			ctx.Error(errFoNotReplica)
			return
		}
		if rc.state != replOnline {
			ctx.Error(errFoNotOnline)
			return
		}
		fo.host, fo.port = req.Host, int(req.Port)
		s.logf("FAILOVER requested to %s:%d.", fo.host, fo.port)
	} else {
		s.logf("FAILOVER requested to any replica.")
	}
	fo.endMs = 0
	if req.TimeoutMs > 0 {
		fo.endMs = time.Now().UnixMilli() + req.TimeoutMs
	}
	fo.force = req.Force
	fo.state = foWaitSync
	s.pause.failover = true
	s.freezeDataset()
	ctx.OK()
}

// FailoverAbort implements command.FailoverHost.
func (s *Server) FailoverAbort(ctx *command.Ctx) {
	if s.repl.failover.state == foNone {
		ctx.Error(errFoNone)
		return
	}
	s.abortFailover(foManuallyAborted)
	ctx.OK()
}

// FailingOver implements command.FailoverHost.
func (s *Server) FailingOver() bool { return s.repl.failover.state != foNone }

// findReplica is the replica at host (compared as Redis does, without
// case) announcing port.
func (s *Server) findReplica(host string, port int64) *replicaConn {
	for _, rc := range s.repl.replicas {
		if strings.EqualFold(rc.addrIP(), host) && int64(rc.port) == port {
			return rc
		}
	}
	return nil
}

// updateFailover moves a failover waiting for its sync on: to an abort or
// a forced switch when its time is up, or to the switch once the target
// (or, with none named, the first replica that has) acknowledged the
// whole stream. It runs in the cron, never inside a command, so that
// what a batch propagated is in the stream before offsets are compared.
func (s *Server) updateFailover() {
	fo := &s.repl.failover
	if fo.state != foWaitSync {
		return
	}
	s.flushPropagation()
	if fo.endMs != 0 && time.Now().UnixMilli() >= fo.endMs {
		if fo.force {
			s.logf("FAILOVER to %s:%d time out exceeded, failing over.", fo.host, fo.port)
			s.failoverSwitch()
			return
		}
		s.abortFailover("Replica never caught up before timeout")
		return
	}
	off := s.replOffset()
	var target *replicaConn
	if fo.host != "" {
		target = s.findReplica(fo.host, int64(fo.port))
	} else {
		for _, rc := range s.repl.replicas {
			if rc.state == replOnline && rc.ackOff == off {
				target = rc
				fo.host, fo.port = rc.addrIP(), rc.port
				break
			}
		}
	}
	if target != nil && target.state == replOnline && target.ackOff == off {
		s.logf("Failover target %s:%d is synced, failing over.", fo.host, fo.port)
		s.failoverSwitch()
	}
}

// failoverSwitch turns the master into a replica of the target; its
// link then sends PSYNC ... FAILOVER (failoverInProgress).
func (s *Server) failoverSwitch() {
	fo := &s.repl.failover
	fo.state = foInProgress
	p := strconv.Itoa(fo.port)
	s.setMaster(fo.host, p)
	s.cfg.Set("replicaof", fo.host+" "+p, true)
}

// abortFailover ends a failover without switching: a server that had
// already turned into a replica becomes a master again (with a new
// replid, as REPLICAOF NO ONE gives it).
func (s *Server) abortFailover(reason string) {
	fo := &s.repl.failover
	if fo.state == foNone {
		return
	}
	if fo.host != "" {
		s.logf("FAILOVER to %s:%d aborted: %s", fo.host, fo.port, reason)
	} else {
		s.logf("FAILOVER to any replica aborted: %s", reason)
	}
	if fo.state == foInProgress {
		s.promote()
		s.cfg.Set("replicaof", "no one", true)
	}
	s.clearFailover()
}

// clearFailover forgets the failover and lifts its pause.
func (s *Server) clearFailover() {
	s.repl.failover = failoverState{}
	s.pause.failover = false
	s.freezeDataset()
	s.wakePaused()
}

// failoverInProgress reports whether the master link's PSYNC must carry
// FAILOVER. Engine lock held.
func (s *Server) failoverInProgress() bool {
	return s.repl.failover.state == foInProgress
}

// failoverPSyncReply ends the failover once the target answered the
// PSYNC ... FAILOVER of link l: accepted (+CONTINUE or +FULLRESYNC) it is
// done, refused it is rolled back. It reports whether the link goes on.
func (s *Server) failoverPSyncReply(l *masterLink, reply string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repl.link != l || s.repl.failover.state != foInProgress {
		return true
	}
	if strings.HasPrefix(reply, "+CONTINUE") || strings.HasPrefix(reply, "+FULLRESYNC") {
		s.clearFailover()
		return true
	}
	s.abortFailover(foRejected)
	return false
}

// psyncFailover is the target's side: a PSYNC whose fourth argument is
// FAILOVER, from the master being replaced, promotes this replica before
// the PSYNC is served (so the old master continues from our replid2).
// Any PSYNC is refused while this server is failing over itself. It
// reports whether the PSYNC goes on.
func (s *Server) psyncFailover(ctx *command.Ctx) bool {
	if len(ctx.Args) > 3 && ctx.ArgIs(0, "psync") && ctx.ArgIs(3, "failover") {
		if s.masterHost == "" {
			ctx.Error(errFoPSyncMaster)
			return false
		}
		if !strings.EqualFold(string(ctx.Args[1]), s.replid) {
			ctx.Error(errFoPSyncReplid)
			return false
		}
		s.promote()
		s.cfg.Set("replicaof", "no one", true)
		s.logf("Failover request received for replid %s.", ctx.Args[1])
	}
	if s.repl.failover.state != foNone {
		ctx.Error(errFoSyncRefused)
		return false
	}
	return true
}

// errRoleChanged ends the blocking commands of a server turning into a
// replica.
const errRoleChanged = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"

// unblockOnRoleChange answers every client parked by a blocking command
// (BLPOP, WAIT, ...) with UNBLOCKED and closes its connection after it,
// as Redis does whenever it becomes a replica (by REPLICAOF or a
// failover), so that such clients go and find the master. Clients held
// by a pause are not blocked in that sense: they run their command once
// it ends. Engine lock held.
func (s *Server) unblockOnRoleChange() {
	if s.block.count == 0 && len(s.repl.waiters) == 0 {
		return
	}
	s.cmu.Lock()
	var parked []*client
	for _, c := range s.clients {
		if c.blocked != nil && !c.killed {
			parked = append(parked, c)
		}
	}
	s.cmu.Unlock()
	for _, c := range parked {
		c.ctx.Errorf(errRoleChanged)
		c.sess.CloseAfterReply = true
		s.wake(c)
	}
}

// failoverStateName is INFO's master_failover_state.
func (s *Server) failoverStateName() string { return foStateNames[s.repl.failover.state] }
