package ticks

import (
	"testing"
	"time"
)

// withCounter runs f with the counter on or off (off is the monotonic
// clock's path); on is skipped where the kernel does not keep time by it.
func withCounter(t *testing.T, on bool, f func(t *testing.T)) {
	if on && counter.perTick == 0 {
		t.Skip("the kernel does not keep time by the time-stamp counter here")
	}
	saved := counter.on
	counter.on = on
	defer func() { counter.on = saved }()
	f(t)
}

func TestBetween(t *testing.T) {
	for _, on := range []bool{false, true} {
		name := map[bool]string{false: "monotonic", true: "tsc"}[on]
		t.Run(name, func(t *testing.T) {
			withCounter(t, on, func(t *testing.T) {
				const pause = 20 * time.Millisecond
				outer := time.Now()
				a := Now()
				time.Sleep(pause)
				b := Now()
				bound := time.Since(outer)
				d := Between(a, b)
				// The counter's rate may be off by its calibration's
				// error, far under a percent.
				if d < pause*99/100 || d > bound*101/100 {
					t.Fatalf("Between = %v over a sleep of %v measured as %v", d, pause, bound)
				}
				if got := Between(b, a); got != 0 {
					t.Fatalf("Between backwards = %v, want 0", got)
				}
				if got := Between(a, a); got != 0 {
					t.Fatalf("Between a reading and itself = %v, want 0", got)
				}
			})
		})
	}
}

func TestScale(t *testing.T) {
	// 2.5 GHz: 0.4 ns per tick.
	perTick, ok := rate(2*time.Millisecond, 5_000_000)
	if !ok {
		t.Fatal("rate refused 2.5 GHz")
	}
	for _, c := range []struct {
		ticks uint64
		want  time.Duration
	}{
		{1, 0},   // 0.4 ns rounds down
		{25, 10}, //
		{2_500_000_000, time.Second},
		{2_500_000_000 * 86400 * 365, 365 * 24 * time.Hour}, // no overflow
	} {
		got := scale(c.ticks, perTick)
		if diff := got - c.want; diff < -c.want/1_000_000-1 || diff > c.want/1_000_000+1 {
			t.Errorf("scale(%d) = %v, want %v", c.ticks, got, c.want)
		}
	}
}

func TestRate(t *testing.T) {
	for _, c := range []struct {
		el    time.Duration
		ticks uint64
		ok    bool
	}{
		{time.Millisecond, 2_600_000, true},   // 2.6 GHz
		{time.Millisecond, 100_000, true},     // 100 MHz
		{time.Millisecond, 99_000, false},     // slower than any
		{time.Millisecond, 20_000_000, true},  // 20 GHz
		{time.Millisecond, 21_000_000, false}, // faster than any
		{time.Millisecond, 0, false},          // stopped
		{0, 1000, false},
	} {
		if _, ok := rate(c.el, c.ticks); ok != c.ok {
			t.Errorf("rate(%v, %d) ok = %v, want %v", c.el, c.ticks, ok, c.ok)
		}
	}
}

func BenchmarkNow(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := map[bool]string{false: "monotonic", true: "tsc"}[on]
		b.Run(name, func(b *testing.B) {
			if on && counter.perTick == 0 {
				b.Skip("no counter")
			}
			saved := counter.on
			counter.on = on
			defer func() { counter.on = saved }()
			var sum time.Duration
			a := Now()
			for b.Loop() {
				sum += Between(a, Now())
			}
			_ = sum
		})
	}
}
