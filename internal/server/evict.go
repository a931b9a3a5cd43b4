package server

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/keyspace"
)

// maxmemory: before each command, when used memory is over the limit,
// keys are evicted by maxmemory-policy, sampling maxmemory-samples keys
// per victim as Redis does; with noeviction, or when nothing can be
// evicted, commands flagged denyoom get the OOM error.
//
// Used memory is estimated as the Go heap's live bytes at the last
// garbage collection (runtime/metrics; reading it costs about half a
// microsecond, so it is read at most every memRefresh writes and at every
// cron tick), plus what write commands brought since that collection
// (their arguments and a fixed overhead each), minus the estimated size
// of what eviction deleted since then: the heap itself only shrinks when
// the collector runs. All engine-owned.
type memState struct {
	samples       []metrics.Sample
	live, pending int64
	// freed estimates what eviction released since gcCycles.
	freed    int64
	gcCycles uint64
	writes   int
	evicted  int64
	nextDB   int
	// limit is maxmemory, cached by a config hook: every command reads it.
	limit int64
}

// memRefresh is how many write commands may run between two readings.
const memRefresh = 256

// writeOverhead is the bytes a write is assumed to add beyond its
// arguments (a key's table entry and object).
const writeOverhead = 64

var errOOM = "OOM command not allowed when used memory > 'maxmemory'."

func (s *Server) initMemory() {
	s.cfg.OnChange("maxmemory", func(string) {
		s.mem.limit = s.cfg.Int("maxmemory")
		setGoMemoryLimit(s.mem.limit)
	})
	s.mem.samples = []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	s.readMemory()
}

// operatorMemLimit is set when GOMEMLIMIT was given in the environment:
// the operator's choice then stands.
var operatorMemLimit = os.Getenv("GOMEMLIMIT") != ""

// setGoMemoryLimit gives the Go collector a soft memory limit derived from
// maxmemory. With the default GOGC the heap may grow to twice the live
// data before a collection, so a server holding maxmemory of live data
// could use twice that; the limit makes the collector run sooner instead,
// keeping the process near maxmemory plus headroom for garbage, at some
// CPU cost only when the data is near the limit. The runtime limit is
// process-wide: the last server configured sets it.
func setGoMemoryLimit(maxmemory int64) {
	if operatorMemLimit {
		return
	}
	if maxmemory <= 0 {
		debug.SetMemoryLimit(math.MaxInt64)
		return
	}
	debug.SetMemoryLimit(maxmemory + max(maxmemory/4, 32<<20))
}

// readMemory refreshes the heap figure.
func (s *Server) readMemory() {
	m := &s.mem
	metrics.Read(m.samples)
	m.writes = 0
	if gc := m.samples[1].Value.Uint64(); gc != m.gcCycles {
		m.gcCycles = gc
		m.live = int64(m.samples[0].Value.Uint64())
		m.pending, m.freed = 0, 0
	}
}

// usedMemory is the current estimate.
func (s *Server) usedMemory() int64 {
	m := &s.mem
	return max(m.live+m.pending-m.freed, 0)
}

// checkMemory runs before a command under a maxmemory limit: it evicts
// what it can and reports whether the command must be refused with OOM.
func (s *Server) checkMemory(cmd *command.Command, args [][]byte) bool {
	limit := s.mem.limit
	if limit <= 0 {
		return false
	}
	m := &s.mem
	if cmd.Has(command.Write) {
		m.pending += writeOverhead
		for _, a := range args {
			m.pending += int64(len(a))
		}
		if m.writes++; m.writes >= memRefresh {
			s.readMemory()
		}
	}
	if s.usedMemory() <= limit {
		return false
	}
	s.readMemory()
	if s.usedMemory() <= limit || s.ks.Replica {
		// A replica follows its master (replica-ignore-maxmemory).
		return false
	}
	// As in Redis, a command is refused only when nothing could be
	// evicted; eviction that ran out of time continues with the next one.
	return !s.evict(limit) && s.usedMemory() > limit && cmd.Has(command.DenyOOM)
}

// evictBudget bounds the time one command spends evicting, as
// maxmemory-eviction-tenacity does in Redis.
const evictBudget = 2 * time.Millisecond

// evict deletes keys by the policy until used memory fits the limit, the
// policy finds nothing more (false), or the time budget is spent.
func (s *Server) evict(limit int64) bool {
	policy := s.cfg.Get("maxmemory-policy")
	if policy == "noeviction" {
		return false
	}
	volatile := policy[:9] == "volatile-"
	samples := int(s.cfg.Int("maxmemory-samples"))
	deadline := time.Now().Add(evictBudget)
	for s.usedMemory() > limit && time.Now().Before(deadline) {
		db, key, o := s.pickVictim(policy, volatile, samples)
		if o == nil {
			return false
		}
		s.mem.freed += command.KeyMemory(key, o)
		s.evictKey(db, key)
	}
	return true
}

// pickVictim samples each database and returns the best candidate: the
// least recently used (lru, and lfu, which respd approximates by recency),
// the soonest to expire (ttl), or any (random).
func (s *Server) pickVictim(policy string, volatile bool, samples int) (int, string, *keyspace.Object) {
	bestDB, bestKey := -1, ""
	var best *keyspace.Object
	var bestScore int64
	random := policy == "allkeys-random" || policy == "volatile-random"
	s.mem.nextDB++
	for i := range s.ks.DBs {
		// Each pick starts at the next database, so none is favoured.
		d := s.ks.DBs[(s.mem.nextDB+i)%len(s.ks.DBs)]
		n := samples
		if random {
			n = 1
		}
		d.Sample(n, volatile, func(k string, o *keyspace.Object, at int64) {
			score := o.Access // lru, lfu: oldest access first
			if policy == "volatile-ttl" {
				score = at
			}
			if best == nil || score < bestScore {
				bestDB, bestKey, best, bestScore = d.ID, k, o, score
			}
		})
		if random && best != nil {
			break
		}
	}
	return bestDB, bestKey, best
}

// evictKey deletes one key as an eviction: WATCH sees it, the "evicted"
// event fires, and the deletion is propagated (UNLINK with
// lazyfree-lazy-eviction).
func (s *Server) evictKey(db int, key string) {
	k := []byte(key)
	s.ks.DBs[db].Delete(k)
	s.mem.evicted++
	verb := "DEL"
	if s.cfg.Bool("lazyfree-lazy-eviction") {
		verb = "UNLINK"
	}
	if s.prop.unit.On {
		s.prop.unit.AddStrings(db, verb, key)
		if s.nesting == 0 {
			s.endUnit()
		}
	}
	if s.notifyMask&command.NotifyEvicted != 0 {
		s.Notify(command.NotifyEvicted, "evicted", k, db)
	}
}
