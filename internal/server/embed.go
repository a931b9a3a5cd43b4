package server

import "github.com/respd/respd/internal/keyspace"

// The methods in this file serve the public respd package, which embeds
// the server in a Go program: they let it look at and change the
// keyspace between commands, and run the cron on demand, under the same
// engine lock the connections take.

// Do runs fn under the engine lock with the keyspace clock freshly ticked,
// so fn sees the keyspace exactly as the next command would. Clients
// blocked on keys fn changes are served afterwards, as after a command.
// Values fn reads are only valid until it returns.
func (s *Server) Do(fn func(ks *keyspace.Keyspace)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ks.Tick()
	fn(s.ks)
	if len(s.block.ready) > 0 {
		s.serveReady()
	}
	s.flushPropagation()
}

// Housekeep runs one pass of the cron now, instead of waiting up to a
// tick for it: the keyspace clock is read, expired keys are sampled and
// reclaimed, and blocked clients whose timeout passed get their timeout
// reply. An embedding program calls it after moving a fake clock, so the
// jump takes effect at once.
func (s *Server) Housekeep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ks.Tick()
	paceGC()
	if s.repl.load != nil {
		// The dataset is half loaded (loading.go): no saving,
		// eviction or anything else that would act on it.
		return
	}
	if !s.ks.Replica && !s.intro.noActiveExpire {
		s.ks.ActiveExpire(200)
	}
	s.broadcast(nil)
	s.expireBlocked()
	s.checkPause()
	s.closeIdle()
	s.replCron()
	s.aofCron()
	s.persistCron()
	if s.mem.limit > 0 {
		s.readMemory()
	}
	if len(s.block.ready) > 0 {
		s.serveReady()
	}
	s.flushPropagation()
}
