//go:build !linux

package server

// Outside Linux there is no sleep poller: client goroutines stay.

func armSleeper(*sockConn) bool { return false }

func forgetSleeper(*sockConn) {}
