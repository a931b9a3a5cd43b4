package aof

import (
	"errors"
	"os"
	"syscall"
	"unicode"
	"unicode/utf8"
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

// strerror renders an error as C's strerror does for its errno (Go's
// texts are glibc's, lower-cased), for the log lines and replies Redis
// words with it.
func strerror(err error) string {
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errno.Error()
	}
	r, n := utf8.DecodeRuneInString(msg)
	return string(unicode.ToUpper(r)) + msg[n:]
}
