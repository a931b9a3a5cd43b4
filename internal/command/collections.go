package command

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/ds/glob"
	"github.com/respd/respd/internal/ds/hash"
	"github.com/respd/respd/internal/resp"
)

// Helpers shared by the hash and set commands: the live encoding limits,
// random-count parsing and HSCAN/SSCAN.

// Errors of HRANDFIELD and SRANDMEMBER counts.
var (
	errCountRange = resp.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
	errValueRange = resp.Error("ERR value is out of range")
)

// emptyScan is the reply to HSCAN/SSCAN of a missing key.
const emptyScan = "*2\r\n$1\r\n0\r\n*0\r\n"

// encLimits are the encoding thresholds of the live configuration.
type encLimits struct {
	hash      hash.Limits
	maxIntset int64
}

// defaultLimits are Redis 7.0's defaults, for handlers run without a host
// (unit tests).
var defaultLimits = encLimits{hash: hash.Limits{MaxEntries: 512, MaxValue: 64}, maxIntset: 512}

// limitsByConfig caches each configuration's limits, kept current by
// OnChange hooks: hash and set writes consult them on every call, and
// parsing the directive text each time would cost more than the write.
// Hooks and readers both run on the engine that owns the configuration.
var limitsByConfig sync.Map // *config.Config -> *encLimits

// lastLimits is the configuration limits last answered for, with its
// limits: a process runs one server (only tests run more), so the map is
// seldom consulted.
var lastLimits atomic.Pointer[configLimits]

// configLimits pairs a configuration with its limits.
type configLimits struct {
	cfg *config.Config
	l   *encLimits
}

func limits(c *Ctx) *encLimits {
	if c.Host == nil {
		return &defaultLimits
	}
	cfg := c.Host.Config()
	if cfg == nil {
		return &defaultLimits
	}
	if last := lastLimits.Load(); last != nil && last.cfg == cfg {
		return last.l
	}
	if l, ok := limitsByConfig.Load(cfg); ok {
		lastLimits.Store(&configLimits{cfg, l.(*encLimits)})
		return l.(*encLimits)
	}
	l := &encLimits{}
	watch := func(name string, dst *int64) {
		cfg.OnChange(name, func(string) { *dst = cfg.Int(name) })
	}
	watch("hash-max-listpack-entries", &l.hash.MaxEntries)
	watch("hash-max-listpack-value", &l.hash.MaxValue)
	watch("set-max-intset-entries", &l.maxIntset)
	limitsByConfig.Store(cfg, l)
	lastLimits.Store(&configLimits{cfg, l})
	return l
}

// parseRandomCount reads the count of HRANDFIELD, SRANDMEMBER and
// ZRANDMEMBER: any
// integer but the one whose negation overflows.
func parseRandomCount(c *Ctx, arg []byte) (int64, bool) {
	n, ok := resp.ParseInt(arg)
	if !ok {
		c.Error(ErrNotInt)
		return 0, false
	}
	if n == math.MinInt64 {
		c.Error(errCountRange)
		return 0, false
	}
	return n, true
}

// collScan is one HSCAN or SSCAN call's options and results.
type collScan struct {
	count   int64
	pattern []byte
	// per is how many reply elements one element adds (2 for a hash
	// field and its value), which Redis counts against COUNT.
	per int64
	// gathered counts elements seen, matching or not: Redis gathers
	// first and filters after, so rejected ones count towards COUNT too.
	gathered int64
	items    [][]byte
}

// parseCollScanOptions reads MATCH and COUNT from argument 3 on (no TYPE,
// unlike SCAN), replying with an error and returning false when wrong.
func parseCollScanOptions(c *Ctx, s *collScan) bool {
	var ok bool
	s.count, s.pattern, _, ok = parseScanOptions(c, 3, false)
	return ok
}

// run drives step, one cursor step of the collection, as Redis's SCAN
// loop does: until the cursor wraps, COUNT elements were gathered, or ten
// times COUNT steps were taken. step reports elements with add.
func (s *collScan) run(cursor uint64, step func(cursor uint64) uint64) uint64 {
	budget := int64(math.MaxInt64)
	if s.count <= math.MaxInt64/10 {
		budget = s.count * 10
	}
	for {
		cursor = step(cursor)
		if cursor == 0 || budget == 0 || s.gathered >= s.count {
			return cursor
		}
		budget--
	}
}

// add records one element: a set member (value nil) or a hash field and
// its value, kept unless the pattern rejects the member or field. The
// slices must stay valid until reply.
func (s *collScan) add(key, value []byte) {
	s.gathered += s.per
	if s.pattern != nil && !glob.Match(s.pattern, key, false) {
		return
	}
	s.items = append(s.items, key)
	if s.per == 2 {
		s.items = append(s.items, value)
	}
}

func (s *collScan) reply(c *Ctx, cursor uint64) {
	c.Array(2)
	var buf [20]byte
	c.Bulk(strconv.AppendUint(buf[:0], cursor, 10))
	c.Array(len(s.items))
	for _, it := range s.items {
		c.Bulk(it)
	}
}
