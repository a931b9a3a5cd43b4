// Package ticks measures short intervals cheaply, for timing every
// command a server runs.
//
// A reading of the runtime's monotonic clock is a clock_gettime call
// through the vDSO, about 25 ns on the machines we measure on. Where the
// kernel itself keeps time by the processor's time-stamp counter (its
// current clocksource is "tsc", which it picks only when the counter runs
// at a constant rate and agrees across CPUs), a reading here is one RDTSC
// instruction instead, about 9 ns, and an interval is converted to
// nanoseconds with a rate measured against the monotonic clock when the
// package starts. Everywhere else a reading is the monotonic clock's.
package ticks
