// Package respdtest starts embedded respd servers bound to a test's
// lifetime, so a test gets a real Redis-compatible server in one line and
// never has to stop it.
package respdtest

import (
	"context"
	"testing"

	"github.com/respd/respd"
)

// New starts a server with default options on a free loopback port and
// closes it when t and its subtests end. A failure to start fails t.
func New(t testing.TB) *respd.Server {
	t.Helper()
	return NewWithOptions(t, respd.Options{})
}

// NewWithOptions is New with options, such as a frozen clock.
func NewWithOptions(t testing.TB, opts respd.Options) *respd.Server {
	t.Helper()
	srv, err := respd.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("respdtest: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// Addr starts a server as New does and returns only its address, for a
// test that talks to it through a client library and needs nothing else.
func Addr(t testing.TB) string {
	t.Helper()
	return New(t).Addr()
}
