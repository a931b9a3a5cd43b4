package server

import (
	"testing"
	"time"
)

// TestNextTurnKeys checks how a background snapshot sizes its turns: to
// the pace of the last turn, growing at most twofold, never below
// minTurnKeys, and unchanged by a turn that saved nothing.
func TestNextTurnKeys(t *testing.T) {
	for _, c := range []struct {
		step, saved int
		took, turn  time.Duration
		want        int
	}{
		{64, 64, 50 * time.Microsecond, 50 * time.Microsecond, 64},       // on target
		{64, 64, 25 * time.Microsecond, 50 * time.Microsecond, 128},      // twice as fast
		{64, 64, time.Microsecond, 50 * time.Microsecond, 128},           // much faster: only doubles
		{64, 64, 100 * time.Microsecond, 50 * time.Microsecond, 32},      // twice as slow
		{512, 512, 10 * time.Millisecond, 50 * time.Microsecond, 8},      // a big key: down to the floor
		{100, 0, time.Millisecond, 50 * time.Microsecond, 100},           // nothing saved (the end)
		{1000, 1000, 500 * time.Microsecond, 2 * time.Millisecond, 2000}, // a longer turn when clients are busy
	} {
		if got := nextTurnKeys(c.step, c.saved, c.took, c.turn); got != c.want {
			t.Errorf("nextTurnKeys(%d, %d, %v, %v) = %d, want %d", c.step, c.saved, c.took, c.turn, got, c.want)
		}
	}
}
