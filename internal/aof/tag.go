package aof

import "sync"

// Tag says where the server's streams stood when commands were handed to
// Append: Local counts the server's propagated batches, Repl is its
// replication offset. The AOF does not interpret them; it reports the
// newest tag whose commands are known to be on disk (FsyncedTag), which is
// what WAITAOF waits on and what a replica acknowledges as FACK.
type Tag struct{ Local, Repl int64 }

// tagState is the fsync bookkeeping of tags. It has its own lock because
// the background goroutine updates it when an fsync completes, without
// the AOF's lock.
type tagState struct {
	mu     sync.Mutex
	synced Tag
	// epoch changes whenever the tags stop being comparable with the old
	// ones (the AOF turned off and on, a replica's new dataset): fsyncs
	// submitted before then report nothing.
	epoch int64
}

// fsynced records that what was tagged t in epoch e is on disk.
func (ts *tagState) fsynced(e int64, t Tag) {
	ts.mu.Lock()
	if e == ts.epoch {
		ts.synced = t
	}
	ts.mu.Unlock()
}

// restart begins a new epoch in which t counts as on disk.
func (ts *tagState) restart(t Tag) {
	ts.mu.Lock()
	ts.epoch++
	ts.synced = t
	ts.mu.Unlock()
}

func (ts *tagState) get() Tag {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.synced
}

// Mark tags every command appended so far with t. The server marks before
// each Flush and from time to time (its replication offset also moves
// with bytes that never reach the AOF, such as pings to replicas: with
// nothing left to write or fsync, they count as on disk, as in Redis).
func (a *AOF) Mark(t Tag) {
	a.mu.Lock()
	a.tag = t
	if len(a.buf) == 0 && a.writeErr == nil {
		a.written = t
	}
	a.mu.Unlock()
}

// FsyncedTag is the newest tag known to be on disk. ok is false while
// the AOF is off (Redis's fsynced_reploff of -1); while the first
// rewrite after turning it on (or after Rebase) runs, nothing counts as
// on disk yet: the zero Tag.
func (a *AOF) FsyncedTag() (t Tag, ok bool) {
	a.mu.Lock()
	state, hold := a.state, a.hold
	a.mu.Unlock()
	switch {
	case state == StateOff:
		return Tag{}, false
	case state == StateWaitRewrite || hold:
		return Tag{}, true
	}
	return a.tags.get(), true
}

// Rebase restarts the tags at t for a dataset replaced wholesale (a
// replica's full sync), whose rewrite the server has just started:
// nothing counts as on disk until a rewrite completes.
func (a *AOF) Rebase(t Tag) {
	a.mu.Lock()
	a.tag, a.written = t, t
	a.hold = a.state != StateOff
	a.tags.restart(t)
	a.mu.Unlock()
}
