package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/rdb"
)

// checkRDB validates an RDB file the way redis-check-rdb does: it reads
// every record, verifies the checksum and reports what it found, or the
// first problem and where. It returns the exit status.
func checkRDB(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "Usage: respd check-rdb <rdb-file-name>")
		return 1
	}
	f, err := os.Open(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "Cannot check RDB: %v\n", err)
		return 1
	}
	defer f.Close()
	fmt.Fprintf(stdout, "[info] Checking RDB file %s\n", args[0])
	c := &rdbCounter{now: time.Now().UnixMilli(), out: stdout}
	info, err := rdb.Load(f, rdb.Options{Limits: rdb.DefaultLimits, Warn: func(m string) { fmt.Fprintf(stdout, "[warn] %s\n", m) }}, c)
	if err != nil {
		fmt.Fprintf(stdout, "--- RDB ERROR DETECTED ---\n[info] %d keys read before the error\n%v\n", c.keys, err)
		return 1
	}
	fmt.Fprintf(stdout, "[info] RDB version %d\n[info] %d keys read\n[info] %d expires\n[info] %d already expired\n", info.Version, c.keys, c.expires, c.expired)
	fmt.Fprintln(stdout, "[info] RDB looks OK")
	return 0
}

// rdbCounter is the rdb.Handler of the checker: it keeps nothing but
// counts.
type rdbCounter struct {
	now                    int64
	keys, expires, expired int64
	out                    io.Writer
}

func (c *rdbCounter) Key(db int, key []byte, o *keyspace.Object, at int64) error {
	c.keys++
	if at >= 0 {
		c.expires++
		if at < c.now {
			c.expired++
		}
	}
	return nil
}

func (c *rdbCounter) Aux(k, v []byte) { fmt.Fprintf(c.out, "[info] AUX FIELD %s = '%s'\n", k, v) }

func (c *rdbCounter) Function(code []byte) error { return nil }
