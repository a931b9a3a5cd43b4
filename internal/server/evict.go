package server

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/keyspace"
)

// maxmemory: before each command, when used memory is over the limit,
// keys are evicted by maxmemory-policy, sampling maxmemory-samples keys
// of each database per victim into an eviction pool as Redis does; with
// noeviction, or when nothing can be evicted, commands flagged denyoom
// get the OOM error.
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
	pool     evictPool
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
	// The keyspace keeps access times or LFU counters by the policy.
	access := func(string) {
		policy := s.cfg.Get("maxmemory-policy")
		s.ks.SetAccessPolicy(keyspace.AccessPolicy{
			LFU:       strings.HasSuffix(policy, "-lfu"),
			LRU:       strings.HasSuffix(policy, "-lru"),
			LogFactor: s.cfg.Int("lfu-log-factor"),
			DecayTime: s.cfg.Int("lfu-decay-time"),
		})
	}
	for _, name := range []string{"maxmemory-policy", "lfu-log-factor", "lfu-decay-time"} {
		s.cfg.OnChange(name, access)
	}
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
	samples := int(s.cfg.Int("maxmemory-samples"))
	deadline := time.Now().Add(evictBudget)
	for s.usedMemory() > limit && time.Now().Before(deadline) {
		db, key, o := s.pickVictim(policy, samples)
		if o == nil {
			return false
		}
		k := string(key)
		s.mem.freed += command.KeyMemory(k, o)
		s.evictKey(db, key, k)
	}
	return true
}

// evictPoolSize is how many candidates the eviction pool keeps, as in
// Redis.
const evictPoolSize = 16

// evictPool keeps the best victims found by the samplings of earlier
// evictions, best (lowest score) first, so each eviction chooses among
// far more than maxmemory-samples keys: this is what makes Redis's
// sampled LRU close to a true LRU. Entries are not updated when their
// key is used or deleted afterwards: a deleted one is skipped when its
// turn comes, as in Redis.
type evictPool struct {
	n       int
	entries [evictPoolSize]poolEntry
	// policy is the one the scores were computed for.
	policy string
}

type poolEntry struct {
	score int64
	db    int
	// key is a buffer the entry owns, reused by later entries.
	key []byte
}

// insert offers a sampled key; equal scores go after those already
// there, so older candidates leave first.
func (p *evictPool) insert(score int64, db int, key string) {
	for i := range p.n {
		if e := &p.entries[i]; e.db == db && string(e.key) == key {
			return
		}
	}
	i := 0
	for i < p.n && p.entries[i].score <= score {
		i++
	}
	if i == evictPoolSize {
		return
	}
	free := p.n // the slot whose buffer the new entry takes
	if p.n == evictPoolSize {
		free = evictPoolSize - 1
	} else {
		p.n++
	}
	buf := p.entries[free].key
	copy(p.entries[i+1:free+1], p.entries[i:free])
	p.entries[i] = poolEntry{score: score, db: db, key: append(buf[:0], key...)}
}

// pop removes the best entry. Its key stays valid until the next insert.
func (p *evictPool) pop() poolEntry {
	e := p.entries[0]
	copy(p.entries[:p.n-1], p.entries[1:p.n])
	p.n--
	p.entries[p.n] = e // the buffer goes back to the free slots
	return e
}

// pickVictim finds the next key to evict: the least recently used (lru),
// the least frequently used (lfu: lowest access counter after decay), the
// soonest to expire (ttl), or any (random). lru, lfu and ttl sample
// maxmemory-samples keys of every database into the eviction pool and
// take its best entry that still exists.
func (s *Server) pickVictim(policy string, samples int) (int, []byte, *keyspace.Object) {
	volatile := policy[:9] == "volatile-"
	if policy == "allkeys-random" || policy == "volatile-random" {
		return s.pickRandom(volatile)
	}
	lfu := policy == "allkeys-lfu" || policy == "volatile-lfu"
	ttl := policy == "volatile-ttl"
	p := &s.mem.pool
	if p.policy != policy {
		p.n, p.policy = 0, policy
	}
	// Every round samples at least one key or returns; a round's pool
	// can only be emptied by keys deleted since they were sampled.
	for range 8 {
		found := false
		for _, d := range s.ks.DBs {
			d.Sample(samples, volatile, func(k string, o *keyspace.Object, at int64) {
				found = true
				score := o.Access
				switch {
				case lfu:
					score = s.ks.LFUCounter(o)
				case ttl:
					score = at
				}
				p.insert(score, d.ID, k)
			})
		}
		if !found {
			return -1, nil, nil
		}
		for p.n > 0 {
			e := p.pop()
			if o := s.ks.DBs[e.db].Candidate(e.key, volatile); o != nil {
				return e.db, e.key, o
			}
		}
	}
	return -1, nil, nil
}

// pickRandom returns one key drawn at random, from the databases in turn
// so that none is favoured.
func (s *Server) pickRandom(volatile bool) (int, []byte, *keyspace.Object) {
	s.mem.nextDB++
	for i := range s.ks.DBs {
		d := s.ks.DBs[(s.mem.nextDB+i)%len(s.ks.DBs)]
		var key string
		var obj *keyspace.Object
		d.Sample(1, volatile, func(k string, o *keyspace.Object, _ int64) { key, obj = k, o })
		if obj != nil {
			return d.ID, []byte(key), obj
		}
	}
	return -1, nil, nil
}

// evictKey deletes one key as an eviction: WATCH sees it, the "evicted"
// event fires, and the deletion is propagated (UNLINK with
// lazyfree-lazy-eviction).
// key and k are the same name, as the string and bytes each step needs.
func (s *Server) evictKey(db int, k []byte, key string) {
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
