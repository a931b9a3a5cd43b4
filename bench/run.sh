#!/bin/bash
# Benchmarks respd against the real redis-server in one run and prints
# every figure of the performance goals (rps, CPU per request, 3M-key
# memory, throughput and latency, GC pauses, latency during BGSAVE and
# BGREWRITEAOF, small collections, idle connections, a 3-master cluster
# against one node) as a Markdown table
# with respd's value, Redis's, the ratio, the goal and whether it is met.
# Servers run on cpu0; redis-benchmark and the loaders on cpu1.
#
#   bench/run.sh                    # the full run, 9-30 minutes
#   QUICK=1 bench/run.sh            # a short trial: 1 round, a tenth of everything
#   bench/run.sh -only rps,idle     # some sections; see `go run ./bench -h`
#
# Progress goes to stderr, the table to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

for bin in redis-server redis-benchmark redis-cli taskset; do
	command -v "$bin" >/dev/null || { echo "bench: $bin not found" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/respd" ./cmd/respd
go build -o "$work/bench" ./bench
args=()
if [ -n "${QUICK:-}" ]; then args+=(-quick); fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
taskset -c 1 "$work/bench" -respd "$work/respd" "${args[@]}" "$@"
