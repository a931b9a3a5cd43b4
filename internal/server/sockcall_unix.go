//go:build unix

package server

import (
	"syscall"
	"unsafe"
)

// Client reads and writes enter the kernel through RawSyscall, which
// does not tell the scheduler. On a non-blocking socket these calls
// never wait, so the scheduler loses nothing by not knowing: it would
// give the thread's P to another thread only during a call that lasts.
// What it saves is the runtime's monitor thread (sysmon): when every P
// was idle it sleeps deeply, and any goroutine entering a syscall wakes
// it, after which it polls every 20 µs for a while. A server idle between
// requests, as under redis-benchmark -P 1, woke it thousands of times a
// second, on the CPU the server runs on (7% of the server's CPU there).
// The monitor still wakes for the server's timers (the cron runs hz times
// a second) and does its rounds while the server is busy.

// sysRead is read(2) on a non-blocking descriptor, retried on EINTR.
func sysRead(fd uintptr, b []byte) (int, error) {
	return sysIO(syscall.SYS_READ, fd, b)
}

// sysWrite is write(2) on a non-blocking descriptor, retried on EINTR.
func sysWrite(fd uintptr, b []byte) (int, error) {
	return sysIO(syscall.SYS_WRITE, fd, b)
}

func sysIO(trap, fd uintptr, b []byte) (int, error) {
	for {
		n, _, e := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		switch e {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		}
		return 0, e
	}
}
