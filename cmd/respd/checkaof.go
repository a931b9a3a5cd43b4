package main

import (
	"io"

	"github.com/respd/respd/internal/aof"
)

// checkAOF is `respd check-aof [--fix] <file.manifest|file.aof>`, the
// counterpart of redis-check-aof: it validates an AOF directory's files
// (or a single old-style AOF) and, with --fix, truncates a torn tail
// without asking. RDB preambles are not verified until respd has an RDB
// reader to hand to aof.CheckMain.
func checkAOF(args []string, stdout io.Writer) int {
	return aof.CheckMain(args, stdout, nil)
}
