// Package clock gives the server its notion of time, so tests can replace
// the wall clock with one they advance by hand.
package clock

import (
	"sync/atomic"
	"time"
)

// Clock reports the current time in milliseconds since the Unix epoch.
type Clock interface {
	NowMs() int64
}

// Real is the wall clock.
type Real struct{}

// NowMs returns the wall-clock time in milliseconds.
func (Real) NowMs() int64 { return time.Now().UnixMilli() }

// Fake is a clock that only moves when told to; safe for concurrent use.
type Fake struct{ ms atomic.Int64 }

// NewFake returns a fake clock set to ms.
func NewFake(ms int64) *Fake {
	f := &Fake{}
	f.ms.Store(ms)
	return f
}

// NowMs returns the fake time.
func (f *Fake) NowMs() int64 { return f.ms.Load() }

// Advance moves the fake clock forward by d.
func (f *Fake) Advance(d time.Duration) { f.ms.Add(d.Milliseconds()) }
