//go:build !amd64

package ticks

// readTSC is never called here: trusted says no.
func readTSC() uint64 { return 0 }

// trusted is false: there is no counter to read.
func trusted() bool { return false }
