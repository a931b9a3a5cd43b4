package tests

import (
	"path/filepath"
	"testing"

	"github.com/respd/respd/internal/servertest"
)

// redisDefaults puts back the Redis defaults that servertest.Start
// changes for speed, so that CONFIG GET compares alike.
var redisDefaults = []string{"--repl-diskless-sync-delay", "5"}

// TestDifferential runs every script in testdata/diff against respd and
// the real redis-server and compares the replies byte for byte.
func TestDifferential(t *testing.T) {
	oracle := servertest.RedisServer(t)
	in := servertest.Start(t, redisDefaults...)
	servertest.Diff(t, in.Addr, oracle, "testdata/diff/*.txt")
}

// TestDifferentialRESP3 runs the same scripts with both connections
// switched to RESP3 by HELLO 3, so every reply's RESP3 type (maps, sets,
// doubles, nulls, booleans) is compared too. pubsub.txt is left out: it
// tests RESP2 subscribed mode and switches protocols itself.
func TestDifferentialRESP3(t *testing.T) {
	oracle := servertest.RedisServer(t)
	in := servertest.Start(t, redisDefaults...)
	files, err := filepath.Glob("testdata/diff/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatal("no differential scripts")
	}
	for _, f := range files {
		if filepath.Base(f) == "pubsub.txt" {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) { servertest.RunScriptProto(t, in.Addr, oracle, f, 3) })
	}
}
