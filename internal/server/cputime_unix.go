//go:build unix

package server

import (
	"syscall"
	"time"
)

// cpuTimes returns the system and user CPU time of the process and of
// its children that have ended; respd starts none (it saves without
// forking).
func cpuTimes() (sys, user, childSys, childUser time.Duration) {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	d := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return d(self.Stime), d(self.Utime), d(children.Stime), d(children.Utime)
}
