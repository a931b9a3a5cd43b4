//go:build unix && !linux

package server

import "syscall"

// sockRead is read(2) on a client's socket (see sockcall_linux.go).
func sockRead(fd uintptr, b []byte) (int, error) { return syscall.Read(int(fd), b) }

// sockWrite is write(2) on a client's socket (see sockcall_linux.go).
func sockWrite(fd uintptr, b []byte) (int, error) { return syscall.Write(int(fd), b) }
