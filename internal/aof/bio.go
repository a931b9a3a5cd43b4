package aof

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
)

// bioTick is how often the background goroutine runs AOF.tick.
const bioTick = 100 * time.Millisecond

// job is background work on a file: an fsync, or an fsync then close of a
// file the AOF stopped writing to.
type job struct {
	f     *os.File
	close bool
	// tag is what the fsync makes safe, in the tags' epoch.
	tag   Tag
	epoch int64
}

// bio is the AOF's background goroutine, Redis's bio thread for the AOF:
// it runs jobs in order (so a file is never closed under a pending
// fsync) and calls tick periodically. Its query methods are nil-safe.
type bio struct {
	mu      sync.Mutex
	q       []job
	pending int   // fsync jobs queued or running
	err     error // last background fsync error; nil when it succeeded
	logged  bool  // err was logged (Redis logs the first of a series)

	sync func(*os.File) error
	log  func(LogLevel, string, ...any)
	tags *tagState
	tick func()
	wake chan struct{}
	done chan struct{}
	exit chan struct{}
}

// startBio starts the background goroutine if it is not running.
func (a *AOF) startBio() {
	if a.bio != nil {
		return
	}
	b := &bio{sync: a.syncFn, log: a.logf, tick: a.tick, tags: &a.tags,
		wake: make(chan struct{}, 1), done: make(chan struct{}), exit: make(chan struct{})}
	a.bio = b
	go b.run()
}

func (b *bio) run() {
	defer close(b.exit)
	t := time.NewTicker(bioTick)
	defer t.Stop()
	for {
		select {
		case <-b.wake:
			b.drain()
		case <-t.C:
			b.tick()
		case <-b.done:
			b.drain()
			return
		}
	}
}

// drain runs the queued jobs.
func (b *bio) drain() {
	for {
		b.mu.Lock()
		if len(b.q) == 0 {
			b.mu.Unlock()
			return
		}
		j := b.q[0]
		b.q = b.q[1:]
		b.mu.Unlock()
		b.do(j)
	}
}

func (b *bio) do(j job) {
	err := b.sync(j.f)
	// A file system that cannot fsync this file is not an error to
	// Redis either.
	if errors.Is(err, syscall.EBADF) || errors.Is(err, syscall.EINVAL) {
		err = nil
	}
	if j.close {
		j.f.Close()
	}
	if !j.close && err == nil {
		b.tags.fsynced(j.epoch, j.tag)
	}
	b.mu.Lock()
	if !j.close {
		b.pending--
		if err != nil && !b.logged {
			b.log(LogWarning, "Fail to fsync the AOF file: %s", strerror(err))
		}
		b.err, b.logged = err, err != nil
	}
	b.mu.Unlock()
}

// submit queues a job for the background goroutine, or runs it now when
// there is none (the AOF was never turned on). It never blocks on the
// goroutine.
func (a *AOF) submit(j job) {
	if a.bio == nil {
		err := a.syncFn(j.f)
		if j.close {
			j.f.Close()
		} else if err == nil {
			a.tags.fsynced(j.epoch, j.tag)
		}
		if err != nil && !errors.Is(err, syscall.EBADF) && !errors.Is(err, syscall.EINVAL) {
			a.logf(LogWarning, "Fail to fsync the AOF file: %s", strerror(err))
		}
		return
	}
	a.bio.submit(j)
}

// submit queues a job; it never blocks.
func (b *bio) submit(j job) {
	b.mu.Lock()
	b.q = append(b.q, j)
	if !j.close {
		b.pending++
	}
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// pendingFsyncs is aof_pending_bio_fsync.
func (b *bio) pendingFsyncs() int {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending
}

// fsyncErr is the error of the last background fsync, nil if it worked.
func (b *bio) fsyncErr() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// stop runs the remaining jobs and ends the goroutine.
func (b *bio) stop() {
	close(b.done)
	<-b.exit
}
