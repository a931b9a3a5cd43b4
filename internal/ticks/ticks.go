package ticks

import (
	"math/bits"
	"time"
)

// Stamp is a reading, meaningful only to Between.
type Stamp int64

// counter is the time-stamp counter when the package uses it.
var counter struct {
	on bool
	// perTick is nanoseconds per tick, as a fixed-point fraction with 32
	// bits after the point.
	perTick uint64
}

// base anchors the readings of the monotonic clock.
var base = time.Now()

// calibration is how long the counter's rate is measured at start.
const calibration = 2 * time.Millisecond

func init() {
	if !trusted() {
		return
	}
	t0, c0 := time.Now(), readTSC()
	time.Sleep(calibration)
	c1, el := readTSC(), time.Since(t0)
	if perTick, ok := rate(el, c1-c0); ok {
		counter.perTick, counter.on = perTick, true
	}
}

// rate is the fixed-point nanoseconds per tick of a counter that advanced
// by ticks in el; ok is false for a rate no processor has (under 100 MHz
// or over 20 GHz), which means the counter cannot be used.
func rate(el time.Duration, ticks uint64) (perTick uint64, ok bool) {
	if el <= 0 || ticks == 0 {
		return 0, false
	}
	perTick = uint64(el) << 32 / ticks
	const lo, hi = (1 << 32) / 20, (1 << 32) * 10 // 20 GHz, 100 MHz
	return perTick, perTick >= lo && perTick <= hi
}

// Now takes a reading.
func Now() Stamp {
	if counter.on {
		return Stamp(readTSC())
	}
	return Stamp(time.Since(base))
}

// Between is the time from reading a to reading b, zero if b is not
// later (counters of two CPUs may disagree by a few ticks).
func Between(a, b Stamp) time.Duration {
	if b <= a {
		return 0
	}
	if !counter.on {
		return time.Duration(b - a)
	}
	return scale(uint64(b-a), counter.perTick)
}

// scale converts ticks to nanoseconds at the fixed-point rate perTick,
// without overflowing for any interval a server lives through.
func scale(ticks, perTick uint64) time.Duration {
	hi, lo := bits.Mul64(ticks, perTick)
	return time.Duration(hi<<32 | lo>>32)
}
