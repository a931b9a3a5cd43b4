package server

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// A replica loading its master's RDB answers clients meanwhile: the
// loader lets the engine lock go now and then, and while s.repl.load is
// set the dispatcher refuses every command without the loading flag
// with errLoading, as Redis does, while INFO and the like run and show
// the load's progress.

const errLoading = resp.Error("LOADING Redis is loading the dataset in memory")

// loadYieldEvery is how long the loader keeps the engine lock at most.
const loadYieldEvery = 10 * time.Millisecond

var errLoadStopped = errors.New("server shutting down")

// loadState is a load in progress: the rdb.Handler the load runs with
// (the usual loader, plus pauses) and its progress for INFO.
// Engine-owned.
type loadState struct {
	*rdbLoader
	start     time.Time
	total     int64
	rd        *bytes.Reader
	usedMem   int64 // the used-mem aux field
	lastYield time.Time
	delay     int64 // key-load-delay, read once
}

// Key loads one key, then lets other goroutines have the engine lock if
// it was held long enough, or for the key-load-delay pause (Redis's test
// knob: microseconds per key; a negative -n sleeps 1µs on one key in n).
func (l *loadState) Key(db int, key []byte, o *keyspace.Object, at int64) error {
	if err := l.rdbLoader.Key(db, key, o, at); err != nil {
		return err
	}
	s := l.s
	delay := l.delay
	if delay < 0 {
		if rand.Int64N(-delay) == 0 {
			delay = 1
		} else {
			delay = 0
		}
	}
	if delay == 0 && time.Since(l.lastYield) < loadYieldEvery {
		return nil
	}
	// INFO shows the counts of the load in progress, as Redis does.
	s.persist.loadedKeys, s.persist.loadedExpired = l.keys, l.expired
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(time.Duration(delay) * time.Microsecond)
	} else {
		runtime.Gosched()
	}
	s.mu.Lock()
	l.lastYield = time.Now()
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

// loaded is how many bytes of the payload were read.
func (l *loadState) loaded() int64 { return l.total - int64(l.rd.Len()) }

// infoLoading renders the loading_* fields of INFO persistence while a
// load runs, with Redis's arithmetic for the percentage and the ETA.
func (s *Server) infoLoading(b *strings.Builder) {
	l := s.repl.load
	if l == nil {
		return
	}
	loaded := l.loaded()
	elapsed := int64(time.Since(l.start).Seconds())
	field(b, "loading_start_time", l.start.Unix())
	field(b, "loading_total_bytes", l.total)
	field(b, "loading_rdb_used_mem", l.usedMem)
	field(b, "loading_loaded_bytes", loaded)
	field(b, "loading_loaded_perc", fmt.Sprintf("%.2f", float64(loaded)/float64(l.total+1)*100))
	eta := int64(1) // Redis's stand-in until a second has passed
	if elapsed > 0 {
		eta = elapsed * (l.total - loaded) / (loaded + 1)
	}
	field(b, "loading_eta_seconds", eta)
}
