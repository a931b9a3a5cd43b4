//go:build !unix

package server

import "runtime"

// netYielder has no pipe to wait on outside unix: yield is a plain
// runtime.Gosched there (see yield_unix.go for why that is weaker).
type netYielder struct{}

func newNetYielder() *netYielder { return nil }

func (*netYielder) yield() { runtime.Gosched() }

func (*netYielder) close() {}
