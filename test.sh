#!/bin/sh
# Runs respd's whole test suite: vet, every test (differential ones need
# redis-server on PATH; with CI=true its absence fails them), then a short
# pass of every fuzz target. FUZZTIME overrides the per-target time.
set -e
cd "$(dirname "$0")"
fuzztime="${FUZZTIME:-10s}"
go vet ./...
go test -count=1 -timeout 15m ./...
# The event loop polls, blocks and coalesces rounds only with one P (a
# server pinned to one CPU), so the server package runs again with one.
GOMAXPROCS=1 go test -count=1 -timeout 5m ./internal/server
# Each fuzz target runs alone: go test -fuzz takes one target per package.
# Minimizing a new input is kept short, so that it cannot run the engine
# past its deadline.
go list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
	grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | while read -r target; do
		echo "fuzz $pkg $target ($fuzztime)"
		log=$(mktemp)
		if ! go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s "$pkg" >"$log" 2>&1; then
			cat "$log"
			# On a loaded machine the fuzz engine itself can miss its own
			# deadline while stopping its workers ("context deadline
			# exceeded") without having found anything; that one case is
			# run again. A failing input always fails the run.
			if grep -q 'Failing input written' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
				rm -f "$log"
				exit 1
			fi
			echo "fuzz $pkg $target: the engine missed its deadline; running it again"
			go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s "$pkg"
		else
			tail -n 2 "$log"
		fi
		rm -f "$log"
	done
done
