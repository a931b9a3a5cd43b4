// Command bench measures respd against the real redis-server 7.0 in one
// run and prints every figure of the performance goals with respd's
// value, Redis's value, their ratio, the goal and whether it is met.
//
// Both servers run with the same directives, pinned to one CPU, while
// redis-benchmark and this program's own load generators run on another
// (run it under taskset, as bench/run.sh does). Throughput figures are
// the median of -rounds runs with the two servers interleaved. Sections:
//
//   - rps: redis-benchmark -c 50 -r 100000 for SET, GET, INCR, LPUSH,
//     LPOP, SADD, HSET, ZADD and MSET (10 keys) at -P 1 and -P 16, with
//     the server CPU time per request read from /proc.
//   - big: 3,000,000 keys of 16 bytes with 16-byte values (redis-benchmark
//     -r 3000000 -d 16 names), loaded by a pipelined loader: RSS per key,
//     then SET/GET rps and p99 with those keys, GET latency while garbage
//     is churned until respd has run full GC cycles (gctrace gives their
//     spans and stop-the-world pauses), and GET latency during BGSAVE and
//     BGREWRITEAOF.
//   - ttl: the same keys with a TTL on every other one: RSS per key.
//   - small: hashes, sets and sorted sets of 10 fields: RSS per key.
//   - idle: RSS added by 10,000 idle connections.
//   - cluster: redis-benchmark --cluster SET and GET at -P 16 against a
//     3-master cluster, next to one standalone node (all nodes share
//     the server CPUs).
//
// RSS is VmRSS from /proc/PID/status, less the freshly started server's.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"
)

// config holds the flags.
type config struct {
	respd, redis, benchmark string
	cli                     string
	serverCPU, clientCPU    string
	dir                     string
	rounds, clients         int
	reqP1, reqP16           int
	keys, small, idle       int
	gcTimeout               time.Duration
	only                    map[string]bool
}

func main() {
	var cfg config
	var quick bool
	var only string
	flag.StringVar(&cfg.respd, "respd", "", "respd binary (required)")
	flag.StringVar(&cfg.redis, "redis-server", "redis-server", "redis-server binary")
	flag.StringVar(&cfg.benchmark, "redis-benchmark", "redis-benchmark", "redis-benchmark binary")
	flag.StringVar(&cfg.cli, "redis-cli", "redis-cli", "redis-cli binary (creates the cluster)")
	flag.StringVar(&cfg.serverCPU, "server-cpu", "0", "CPU list the servers are pinned to")
	flag.StringVar(&cfg.clientCPU, "client-cpu", "1", "CPU list redis-benchmark is pinned to")
	flag.BoolVar(&quick, "quick", false, "a short trial run: one round, a tenth of the requests and keys")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds per throughput figure (the median is reported)")
	flag.IntVar(&cfg.clients, "c", 50, "redis-benchmark and probe connections")
	flag.IntVar(&cfg.reqP1, "n1", 300000, "redis-benchmark requests per run at -P 1")
	flag.IntVar(&cfg.reqP16, "n16", 2000000, "redis-benchmark requests per run at -P 16")
	flag.IntVar(&cfg.keys, "keys", 3000000, "keys of the big-keyspace section")
	flag.IntVar(&cfg.small, "small", 200000, "keys of each small-collection type")
	flag.IntVar(&cfg.idle, "idle", 10000, "idle connections")
	flag.DurationVar(&cfg.gcTimeout, "gc-timeout", 90*time.Second, "longest garbage churn waiting for two GC cycles")
	flag.StringVar(&only, "only", "rps,big,ttl,small,idle,cluster", "sections to run")
	flag.Parse()
	if cfg.respd == "" {
		log.Fatal("bench: -respd is required (bench/run.sh builds it)")
	}
	if quick {
		cfg.rounds = 1
		cfg.reqP1 /= 10
		cfg.reqP16 /= 10
		cfg.keys /= 10
		cfg.small /= 10
		cfg.idle /= 10
	}
	cfg.only = map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		cfg.only[s] = true
	}
	raiseFileLimit()
	var err error
	cfg.dir, err = os.MkdirTemp("", "respd-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(cfg.dir)

	var t table
	start := time.Now()
	for _, sec := range []struct {
		name string
		run  func(*config, *table) error
	}{
		{"rps", rpsSection},
		{"big", bigSection},
		{"ttl", ttlSection},
		{"small", smallSection},
		{"idle", idleSection},
		{"cluster", clusterSection},
	} {
		if !cfg.only[sec.name] {
			continue
		}
		log.Printf("section %s", sec.name)
		if err := sec.run(&cfg, &t); err != nil {
			t.failed("section "+sec.name, err)
			log.Printf("section %s: %v", sec.name, err)
		}
	}
	fmt.Printf("respd vs redis-server, %d round(s), -c %d, servers on cpu %s, clients on cpu %s, %s\n\n",
		cfg.rounds, cfg.clients, cfg.serverCPU, cfg.clientCPU, time.Since(start).Round(time.Second))
	t.print(os.Stdout)
}
