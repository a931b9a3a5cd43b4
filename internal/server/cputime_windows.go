package server

import (
	"syscall"
	"time"
)

// cpuTimes returns the system and user CPU time of the process. respd
// starts no children (it saves without forking), so theirs are zero.
func cpuTimes() (sys, user, childSys, childUser time.Duration) {
	self, err := syscall.GetCurrentProcess()
	if err != nil {
		return
	}
	var created, exited, kernel, usr syscall.Filetime
	if syscall.GetProcessTimes(self, &created, &exited, &kernel, &usr) != nil {
		return
	}
	// A Filetime interval counts 100 ns units.
	d := func(f syscall.Filetime) time.Duration {
		return time.Duration(int64(f.HighDateTime)<<32|int64(f.LowDateTime)) * 100
	}
	return d(kernel), d(usr), 0, 0
}
