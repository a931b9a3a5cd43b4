//go:build !linux

package server

import "os"

// startWriteback does nothing where sync_file_range is missing: the
// save's final fsync writes everything.
func startWriteback(f *os.File, off, n int64) {}

// awaitWriteback does nothing where sync_file_range is missing.
func awaitWriteback(f *os.File, off, n int64) {}
