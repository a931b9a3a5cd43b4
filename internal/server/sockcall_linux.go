package server

import (
	"syscall"
	"unsafe"
)

// sockRead and sockWrite are read(2) and write(2) on a client's
// non-blocking socket, made without telling the Go scheduler.
//
// syscall.Read and syscall.Write announce each call to the scheduler,
// so that it can give the goroutine's P to another thread should the
// call block. A call on a non-blocking socket does not block, and the
// announcement costs more than itself: when the runtime's Ps were all
// idle, the monitor thread (sysmon) sleeps without a period, and the
// next announced call wakes it, after which it wakes every 20 µs until
// it has found nothing to do for a millisecond, and hands the P to
// another thread when it finds it in the same call twice. A server
// whose P idles between batches many times a second pays for that all
// the time, on the same CPU when the process is pinned to one: at GET
// -P 16 the monitor took a tenth of respd's CPU, and the work moved
// among threads. Unannounced, the monitor stays asleep.
func sockRead(fd uintptr, b []byte) (int, error) {
	return sockCall(syscall.SYS_READ, fd, b)
}

// sockWrite: see sockRead.
func sockWrite(fd uintptr, b []byte) (int, error) {
	return sockCall(syscall.SYS_WRITE, fd, b)
}

// sockCall makes the read or write system call trap on fd over b.
func sockCall(trap, fd uintptr, b []byte) (int, error) {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	r, _, errno := syscall.RawSyscall(trap, fd, uintptr(p), uintptr(len(b)))
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}
