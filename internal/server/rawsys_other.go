//go:build unix && !linux

package server

import "syscall"

// sockRead and sockWrite are syscall.Read and Write elsewhere (see
// rawsys_linux.go).
func sockRead(fd int, b []byte) (int, error) { return syscall.Read(fd, b) }

func sockWrite(fd int, b []byte) (int, error) { return syscall.Write(fd, b) }
