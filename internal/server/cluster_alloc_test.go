package server

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/resp"
)

// TestClusterProcessAllocs checks that routing in cluster mode keeps the
// hot commands allocation-free when this node serves the slot.
func TestClusterProcessAllocs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bus := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := config.New()
	_, lines, err := config.ParseArgs([]string{"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus), "--dir", t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Apply(lines, "test"); err != nil {
		t.Fatal(err)
	}
	srv, err := Start(cfg, Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := &client{s: srv}
	c.ctx = command.Ctx{Sess: &c.sess, KS: srv.ks, DB: srv.ks.DBs[0], Host: srv, Writer: resp.Writer{Proto: 2}}
	c.defaultAuth()
	_, _, out := c.process([]byte("*4\r\n$7\r\nCLUSTER\r\n$13\r\nADDSLOTSRANGE\r\n$1\r\n0\r\n$5\r\n16383\r\n"))
	if string(out) != "+OK\r\n" {
		t.Fatalf("ADDSLOTSRANGE: %q", out)
	}
	c.spare = out[:0]
	// Let the configuration change settle (nodes.conf written, the
	// role loop run) before counting.
	time.Sleep(300 * time.Millisecond)
	for _, tc := range []struct{ name, setup, req string }{
		{"GET", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\nv\r\n", "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"},
		{"SET", "", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\nw\r\n"},
		{"INCR", "", "*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n"},
		{"MGET", "", "*3\r\n$4\r\nMGET\r\n$6\r\n{k}key\r\n$7\r\n{k}none\r\n"},
		{"PING", "", "PING\r\n"},
	} {
		_, _, out := c.process([]byte(tc.setup + tc.req))
		if strings.HasPrefix(string(out), "-") {
			t.Fatalf("%s: %q", tc.name, out)
		}
		c.spare = out[:0]
		buf := []byte(strings.Repeat(tc.req, 16))
		// Raft's and the cluster's own goroutines allocate now and then,
		// and AllocsPerRun counts the whole process: the best of three
		// runs is the router's own figure.
		allocs := 1e9
		for range 3 {
			allocs = min(allocs, testing.AllocsPerRun(200, func() {
				_, _, out := c.process(buf)
				c.spare = out[:0]
			}))
		}
		if allocs != 0 {
			t.Errorf("%s: %v allocs per 16-request batch in cluster mode, want 0", tc.name, allocs)
		}
	}
}
