#!/bin/bash
# User-space instructions per request of an HTTP server, under valgrind's callgrind:
# a count that does not depend on the machine's load, for comparing builds on a busy machine
# where req/s figures move by +-20% between runs. The server answers "Hello HTTP" (the
# http_hello example); it is run twice (1024 and 9216 requests) and the difference is divided,
# so start-up and shutdown cancel out.
#
# MODE (bench/http/ir_client.py) picks the traffic: pipeline (16 deep, the default), keepalive
# (one request per read) or close (a connection per request; fewer requests, it is slow).
#
#   [MODE=keepalive] bench/http/ir.sh [HTTP_HELLO_BINARY...]   (default build/bin/examples/http_hello)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 1; }
PORT=${PORT:-18095}
MODE=${MODE:-pipeline}
case "$MODE" in
  pipeline | keepalive) sizes=(1024 9216) ;;
  close) sizes=(256 2304) ;;
  *) echo "MODE is pipeline, keepalive or close" >&2; exit 1 ;;
esac
[ $# -gt 0 ] || set -- build/bin/examples/http_hello
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for bin in "$@"; do
  counts=()
  for n in "${sizes[@]}"; do
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$PORT" >/dev/null 2>"$out/log" &
    pid=$!
    for _ in $(seq 300); do ss -Hltn "sport = :$PORT" | grep -q . && break; sleep 0.1; done
    python3 bench/http/ir_client.py "$MODE" "$PORT" "$n"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    counts+=("$(awk '/^(summary|totals):/ {print $2; exit}' "$out/cg")")
  done
  echo "$bin ($MODE): $(((counts[1] - counts[0]) / (sizes[1] - sizes[0]))) user-space instructions per request"
done
