package aof

import (
	"errors"
	"io"
	"testing"
	"time"
)

// fsyncedWithin polls FsyncedTag until it reaches want.
func fsyncedWithin(t *testing.T, a *AOF, want Tag, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got, ok := a.FsyncedTag()
		if ok && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("FsyncedTag = %v, %v; want %v", got, ok, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTagsPerPolicy: always reports a batch fsynced when Flush returns,
// everysec once the background fsync is done, no never.
func TestTagsPerPolicy(t *testing.T) {
	set := []byte(cmd("SET", "a", "1"))
	t.Run("always", func(t *testing.T) {
		cfg := testConfig(nil)
		cfg.Fsync = FsyncAlways
		a, _, s := newTestAOF(t, cfg)
		if _, ok := a.FsyncedTag(); ok {
			t.Fatal("FsyncedTag ok before Start")
		}
		if err := a.Start(baseOf()); err != nil {
			t.Fatal(err)
		}
		a.Mark(Tag{1, 10})
		a.Append(set)
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		got, ok := a.FsyncedTag()
		eq(t, "ok", ok, true)
		eq(t, "tag", got, Tag{1, 10})
		// A failed fsync does not count (and is fatal under always).
		s.mu.Lock()
		s.err = errors.New("input/output error")
		s.mu.Unlock()
		a.Mark(Tag{2, 20})
		a.Append(set)
		a.Flush()
		got, _ = a.FsyncedTag()
		eq(t, "tag after a failed fsync", got, Tag{1, 10})
	})
	t.Run("everysec", func(t *testing.T) {
		a, c, _ := newTestAOF(t, testConfig(nil))
		if err := a.Start(baseOf()); err != nil {
			t.Fatal(err)
		}
		a.Mark(Tag{1, 10})
		a.Append(set)
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		got, _ := a.FsyncedTag()
		eq(t, "tag before the second passed", got, Tag{})
		c.advance(time.Second)
		fsyncedWithin(t, a, Tag{1, 10}, 5*time.Second)
		// Bytes that never reach the file (pings to replicas) count
		// once everything written is fsynced.
		a.Mark(Tag{1, 30})
		fsyncedWithin(t, a, Tag{1, 30}, 5*time.Second)
	})
	t.Run("no", func(t *testing.T) {
		cfg := testConfig(nil)
		cfg.Fsync = FsyncNo
		a, c, _ := newTestAOF(t, cfg)
		if err := a.Start(baseOf()); err != nil {
			t.Fatal(err)
		}
		a.Mark(Tag{1, 10})
		a.Append(set)
		a.Flush()
		c.advance(2 * time.Second)
		time.Sleep(3 * bioTick)
		got, ok := a.FsyncedTag()
		eq(t, "ok", ok, true)
		eq(t, "tag", got, Tag{})
	})
}

// TestTagsOffAndOn: off reports nothing; turned on, nothing counts until
// the first rewrite is done, which covers everything tagged before it.
func TestTagsOffAndOn(t *testing.T) {
	cfg := testConfig(nil)
	cfg.Fsync = FsyncAlways
	a, _, _ := newTestAOF(t, cfg)
	if err := a.Start(baseOf()); err != nil {
		t.Fatal(err)
	}
	a.Mark(Tag{1, 10})
	a.Append([]byte(cmd("SET", "a", "1")))
	a.Flush()
	if err := a.Disable(); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.FsyncedTag(); ok {
		t.Fatal("FsyncedTag ok with the AOF off")
	}
	a.Mark(Tag{2, 20})
	release := make(chan struct{})
	if err := a.Enable(func(io.Writer) error { <-release; return nil }); err != nil {
		t.Fatal(err)
	}
	got, ok := a.FsyncedTag()
	eq(t, "ok while the first rewrite runs", ok, true)
	eq(t, "tag while the first rewrite runs", got, Tag{})
	close(release)
	fsyncedWithin(t, a, Tag{2, 20}, 5*time.Second)
}
