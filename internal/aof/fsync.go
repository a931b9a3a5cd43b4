package aof

import (
	"errors"
	"os"
	"syscall"

	"github.com/respd/respd/internal/config"
)

// syncFile flushes a file's data to disk. Like Redis's redis_fsync it
// uses fdatasync where the platform has it (see fsync_*.go): the size
// is metadata fdatasync does write, the times are not needed.
var syncFile = fdatasync

// syncDir fsyncs a directory, so that the files created, renamed or
// removed in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	// Some file systems cannot fsync a directory; Redis ignores that too.
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EBADF) {
		err = nil
	}
	return err
}

// strerror renders an OS error in C's words, as Redis's log lines and
// replies have them.
var strerror = config.Strerror
