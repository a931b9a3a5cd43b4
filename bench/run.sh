#!/bin/bash
# Benchmarks respd against the real redis-server in one run, following the
# protocol in ARCHITECTURE.md: same settings for both servers, server on
# cpu0 and redis-benchmark on cpu1, -c 50, always -r, the two servers
# interleaved, median of ROUNDS runs. Prints rps, server CPU-µs per request
# and the respd/redis ratios.
#
#   bench/run.sh                 # SET,GET at -P 1 and -P 16
#   TESTS=set,get,incr PIPES="1 16" REQUESTS=1000000 ROUNDS=3 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

TESTS=${TESTS:-set,get}
PIPES=${PIPES:-1 16}
REQUESTS=${REQUESTS:-}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
RESPD_PORT=${RESPD_PORT:-16379}
REDIS_PORT=${REDIS_PORT:-16380}

for bin in redis-server redis-benchmark redis-cli taskset; do
	command -v "$bin" >/dev/null || { echo "bench: $bin not found" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'kill $respd_pid $redis_pid 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/respd" ./cmd/respd

common=(--save "" --appendonly no --bind 127.0.0.1 --protected-mode no --dir "$work")
taskset -c 0 "$work/respd" --port "$RESPD_PORT" "${common[@]}" 2>"$work/respd.log" &
respd_pid=$!
taskset -c 0 redis-server --port "$REDIS_PORT" "${common[@]}" --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
for port in "$RESPD_PORT" "$REDIS_PORT"; do
	for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
done

ticks=$(getconf CLK_TCK)
# cpu_ticks PID prints utime+stime of the process in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# one PORT PID TEST PIPE prints "rps cpu_us_per_request" for one run.
one() {
	local port=$1 pid=$2 test=$3 pipe=$4 n=$REQUESTS
	if [ -z "$n" ]; then n=$(( pipe > 1 ? 2000000 : 300000 )); fi
	local before after rps
	before=$(cpu_ticks "$pid")
	rps=$(taskset -c 1 redis-benchmark -p "$port" -c "$CLIENTS" -r "$KEYSPACE" -n "$n" -P "$pipe" -t "$test" --csv -q 2>/dev/null |
		awk -F'","' 'NR>1 {gsub(/"/,"",$2); print $2; exit}')
	after=$(cpu_ticks "$pid")
	awk -v r="$rps" -v t=$((after - before)) -v hz="$ticks" -v n="$n" 'BEGIN { printf "%s %.3f\n", r, t * 1e6 / hz / n }'
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-8s %3s %12s %12s %7s %10s %10s %7s\n' test P respd_rps redis_rps ratio respd_us redis_us ratio
IFS=, read -ra tests <<<"$TESTS"
for test in "${tests[@]}"; do
	for pipe in $PIPES; do
		: >"$work/a"; : >"$work/b"
		for _ in $(seq "$ROUNDS"); do
			one "$RESPD_PORT" "$respd_pid" "$test" "$pipe" >>"$work/a"
			one "$REDIS_PORT" "$redis_pid" "$test" "$pipe" >>"$work/b"
		done
		ar=$(cut -d' ' -f1 "$work/a" | median); au=$(cut -d' ' -f2 "$work/a" | median)
		br=$(cut -d' ' -f1 "$work/b" | median); bu=$(cut -d' ' -f2 "$work/b" | median)
		awk -v t="$test" -v p="$pipe" -v ar="$ar" -v br="$br" -v au="$au" -v bu="$bu" 'BEGIN {
			printf "%-8s %3d %12.0f %12.0f %7.2f %10.3f %10.3f %7.2f\n", t, p, ar, br, ar/br, au, bu, (bu > 0 ? au/bu : 0) }'
	done
done
