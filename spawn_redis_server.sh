#!/bin/sh
# Builds respd (Go's build cache makes repeat builds instant) and runs it
# with every argument passed through: ./spawn_redis_server.sh --port 6380
# The server runs in the caller's directory, so relative paths (a config
# file, --dir) mean what the caller means.
set -e
out="${TMPDIR:-/tmp}/respd-spawn"
(cd "$(dirname "$0")" && go build -o "$out" ./cmd/respd)
exec "$out" "$@"
