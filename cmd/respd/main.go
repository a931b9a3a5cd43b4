// Command respd runs the Redis-compatible server. It takes redis-server's
// arguments:
//
//	respd [/path/to/redis.conf] [--directive value ...] [-]
//	respd -v | --version
//	respd -h | --help
//	respd check-rdb FILE
//
// A configuration error ends it with exit status 1 and the message
// redis-server prints.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "check-aof":
			return checkAOF(args[1:], stdout)
		case "-v", "--version":
			fmt.Fprintf(stdout, "Redis server v=%s sha=00000000:0 malloc=go bits=64 build=respd\n", server.Version)
			return 0
		case "-h", "--help":
			usage(stdout)
			return 0
		case "check-rdb":
			return checkRDB(args[1:], stdout, stderr)
		}
	}
	cfg, err := config.Load(args, stdin)
	if err == nil {
		err = checkStartup(cfg)
	}
	if err != nil {
		var le *config.LoadError
		if errors.As(err, &le) {
			fmt.Fprint(stderr, le.Banner(server.Version))
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	srv, err := server.Start(cfg, server.Options{ConfigFile: cfg.File, Log: stderr})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if srv.Addr() == nil {
		// port 0 and nothing else to listen on, as Redis refuses.
		srv.Close()
		fmt.Fprintln(stderr, "Configured to not listen anywhere, exiting.")
		return 1
	}
	fmt.Fprintf(stderr, "respd %s ready to accept connections on %v\n", server.Version, srv.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-sig:
		// As Redis on SIGTERM: save when save points are configured.
		if err := srv.ShutdownFromSignal(); err != nil {
			fmt.Fprintln(stderr, err)
		}
	case <-srv.Done():
	}
	srv.Close()
	return 0
}

// checkStartup rejects what Redis refuses to start with, or respd cannot
// do at all: a bad rename-command line, and loading modules.
func checkStartup(cfg *config.Config) error {
	if _, err := command.Renamed(cfg.Renames); err != nil {
		return err
	}
	if len(cfg.Modules) > 0 {
		m := cfg.Modules[0]
		return fmt.Errorf("Module %s failed to load: respd does not load modules", m.Args[0])
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: respd [config-file] [--directive value ...] [-]
       respd -v | --version
       respd -h | --help
       respd check-rdb <file.rdb>

The config file is read first, then each --directive overrides it, as
if appended to the file. "-" reads more configuration from stdin.
`)
}
