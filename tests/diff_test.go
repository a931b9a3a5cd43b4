package tests

import (
	"testing"

	"github.com/respd/respd/internal/servertest"
)

// TestDifferential runs every script in testdata/diff against respd and
// the real redis-server and compares the replies byte for byte.
func TestDifferential(t *testing.T) {
	oracle := servertest.RedisServer(t)
	in := servertest.Start(t)
	servertest.Diff(t, in.Addr, oracle, "testdata/diff/*.txt")
}
