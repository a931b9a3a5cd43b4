package main

import (
	"fmt"
	"io"
	"time"

	"github.com/respd/respd/internal/aof"
	"github.com/respd/respd/internal/rdb"
)

// checkAOF is `respd check-aof [--fix] <file.manifest|file.aof>`, the
// counterpart of redis-check-aof: it validates an AOF directory's files
// (or a single old-style AOF), RDB preambles included, and, with --fix,
// truncates a torn tail without asking.
func checkAOF(args []string, stdout io.Writer) int {
	return aof.CheckMain(args, stdout, checkPreamble)
}

// checkPreamble reads an AOF base's RDB part exactly, as the checker
// needs, reporting what it found.
func checkPreamble(r io.Reader, out io.Writer) error {
	c := &rdbCounter{now: time.Now().UnixMilli(), out: io.Discard}
	_, err := rdb.Load(r, rdb.Options{Limits: rdb.DefaultLimits}, c)
	if err == nil {
		fmt.Fprintf(out, "[info] %d keys read\n[info] %d expires\n[info] %d already expired\n", c.keys, c.expires, c.expired)
	}
	return err
}
