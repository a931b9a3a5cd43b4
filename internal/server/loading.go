package server

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
	"github.com/respd/respd/internal/ticks"
)

// Clients are served while the dataset loads, at start-up and on a
// replica loading its master's RDB, as Redis does: the loader holds the
// engine lock but lets it go now and then (pause), and while
// s.repl.load is set the dispatcher refuses every command without the
// loading flag with errLoading, while INFO and the like run and show the
// load's progress.

const errLoading = resp.Error("LOADING Redis is loading the dataset in memory")

// loadYieldEvery is how long the loader keeps the engine lock at most.
const loadYieldEvery = 10 * time.Millisecond

var errLoadStopped = errors.New("server shutting down")

// loadState is a load in progress: the rdb.Handler an RDB load runs with
// (the usual loader, plus pauses) and the load's progress for INFO.
// Engine-owned.
type loadState struct {
	*rdbLoader
	start time.Time
	// progress reports how many bytes of how many the load has read.
	progress  func() (read, total int64)
	usedMem   int64 // the used-mem aux field
	lastYield ticks.Stamp
	delay     int64 // key-load-delay, read once
}

// newLoad makes the state of a load starting now, of nothing known yet.
func (s *Server) newLoad() *loadState {
	return &loadState{rdbLoader: &rdbLoader{s: s}, start: time.Now(), progress: func() (int64, int64) { return 0, 0 },
		lastYield: ticks.Now(), delay: s.cfg.Int("key-load-delay")}
}

// Key loads one key, then pauses, for the key-load-delay (Redis's test
// knob: microseconds per key; a negative -n sleeps 1µs on one key in n)
// if there is one.
func (l *loadState) Key(db int, key []byte, o *keyspace.Object, at int64) error {
	if err := l.rdbLoader.Key(db, key, o, at); err != nil {
		return err
	}
	delay := l.delay
	if delay < 0 {
		if rand.Int64N(-delay) == 0 {
			delay = 1
		} else {
			delay = 0
		}
	}
	return l.pause(delay)
}

// pause lets other goroutines have the engine lock, after sleeping
// delay microseconds if that is not 0, or else if the load has held the
// lock for loadYieldEvery. It fails once the server is stopping.
func (l *loadState) pause(delay int64) error {
	if delay == 0 && ticks.Between(l.lastYield, ticks.Now()) < loadYieldEvery {
		return nil
	}
	s := l.s
	// INFO shows the counts of the load in progress, as Redis does.
	s.persist.loadedKeys, s.persist.loadedExpired = l.keys, l.expired
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(time.Duration(delay) * time.Microsecond)
	} else {
		runtime.Gosched()
	}
	s.mu.Lock()
	l.lastYield = ticks.Now()
	select {
	case <-s.stop:
		return errLoadStopped
	default:
	}
	return nil
}

// Aux keeps used-mem for INFO, then does the usual.
func (l *loadState) Aux(k, v []byte) {
	if string(k) == "used-mem" {
		l.usedMem, _ = strconv.ParseInt(string(v), 10, 64)
	}
	l.rdbLoader.Aux(k, v)
}

// infoLoading renders the loading_* fields of INFO persistence while a
// load runs, with Redis's arithmetic for the percentage and the ETA.
func (s *Server) infoLoading(b *strings.Builder) {
	l := s.repl.load
	if l == nil {
		return
	}
	loaded, total := l.progress()
	elapsed := int64(time.Since(l.start).Seconds())
	field(b, "loading_start_time", l.start.Unix())
	field(b, "loading_total_bytes", total)
	field(b, "loading_rdb_used_mem", l.usedMem)
	field(b, "loading_loaded_bytes", loaded)
	field(b, "loading_loaded_perc", fmt.Sprintf("%.2f", float64(loaded)/float64(total+1)*100))
	eta := int64(1) // Redis's stand-in until a second has passed
	if elapsed > 0 {
		eta = elapsed * (total - loaded) / (loaded + 1)
	}
	field(b, "loading_eta_seconds", eta)
}

// loadAtStart loads the dataset at start-up, from the AOF with
// appendonly yes and from the RDB file otherwise, while the listeners
// already accept clients: s.repl.load was set before they did.
func (s *Server) loadAtStart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ld := s.repl.load
	defer func() { s.repl.load = nil }()
	loaded, err := s.initAOF(ld)
	if err == nil && !loaded {
		if err = s.loadRDBFile(false, ld); err == nil {
			s.restoreReplInfo()
		}
	}
	return err
}
