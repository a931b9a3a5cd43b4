package server

import "os"

// A background save's file is synced as it is written
// (rdb-save-incremental-fsync, on by default as in Redis), so that the
// fsync that ends the save has little left to write. That fsync is one
// system call, and the runtime leaves the processor with the goroutine
// making it until its monitor notices: with one P nothing else runs
// meanwhile. Without the incremental sync, 3,000,000 keys left 78 ms of
// writing to that fsync, and GETs during the bench's BGSAVE waited up to
// 11 to 22 ms. (An AOF rewrite's base is synced by package aof, with a
// full fsync every 4 MB: aof-rewrite-incremental-fsync.)

// saveSyncEvery is how much of the file is written between two steps of
// the incremental sync.
const saveSyncEvery = 4 << 20

// syncingWriter writes a save's file and, every saveSyncEvery bytes,
// waits until the part whose writeback it started at the step before is
// on disk, then starts the writeback of what it wrote since. The waits
// are short: that part was started a step's worth of encoding earlier.
type syncingWriter struct {
	f *os.File
	// written is the bytes written; the writeback of [prior, started)
	// was started at the last step and that of [started, written) not
	// yet.
	written, started, prior int64
}

func (w *syncingWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if err == nil && w.written-w.started >= saveSyncEvery {
		if w.started > w.prior {
			awaitWriteback(w.f, w.prior, w.started-w.prior)
		}
		startWriteback(w.f, w.started, w.written-w.started)
		w.prior, w.started = w.started, w.written
	}
	return n, err
}
