#!/bin/sh
# Runs respd's whole test suite: vet, every test (differential ones need
# redis-server on PATH; with CI=true its absence fails them), then a short
# pass of every fuzz target. FUZZTIME overrides the per-target time.
set -e
cd "$(dirname "$0")"
fuzztime="${FUZZTIME:-10s}"
go vet ./...
go test -count=1 -timeout 15m ./...
# Each fuzz target runs alone: go test -fuzz takes one target per package.
go list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
	grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | while read -r target; do
		echo "fuzz $pkg $target ($fuzztime)"
		go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" "$pkg"
	done
done
