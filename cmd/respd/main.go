// Command respd runs the Redis-compatible server.
//
//	respd [/path/to/redis.conf] [--directive value ...]
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "\n*** FATAL CONFIG ERROR (respd) ***\n%v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 1 && (args[0] == "-v" || args[0] == "--version") {
		fmt.Printf("respd v=%s\n", server.Version)
		return nil
	}
	file, lines, err := config.ParseArgs(args)
	if err != nil {
		return err
	}
	cfg := config.New()
	if file != "" {
		fileLines, err := config.LoadFile(file)
		if err != nil {
			return err
		}
		if err := cfg.Apply(fileLines, file); err != nil {
			return err
		}
	}
	if err := cfg.Apply(lines, "command line"); err != nil {
		return err
	}
	srv, err := server.Start(cfg, server.Options{ConfigFile: file})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "respd %s ready to accept connections on %v\n", server.Version, srv.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	return srv.Close()
}
