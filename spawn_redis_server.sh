#!/bin/sh
# Builds respd (Go's build cache makes repeat builds instant) and runs it
# with every argument passed through: ./spawn_redis_server.sh --port 6380
set -e
cd "$(dirname "$0")"
out="${TMPDIR:-/tmp}/respd-spawn"
go build -o "$out" ./cmd/respd
exec "$out" "$@"
