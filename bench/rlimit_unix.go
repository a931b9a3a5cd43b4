//go:build unix

package main

import (
	"log"
	"syscall"
)

// raiseFileLimit lifts the open-file limit to its maximum for the idle
// connections here and in the servers, which inherit it.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		log.Printf("raising the open-file limit: %v", err)
	}
}
