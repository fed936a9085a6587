#!/bin/bash
# Instructions per request under callgrind (valgrind), which other load on the machine does not
# change: (1) the server: examples/async/http_hello (coroutine handler) against
# examples/http_hello (callback), the difference between a run of 1,000 and one of 6,000
# requests from bench_fetch's callback client, divided by 5,000; (2) the client: bench_fetch
# `fetch` against `callback` (both reading the body whole), 3,000 requests each, against the
# callback http_hello. User-space instructions only (a request's syscalls are not counted).
#
#   bench/async/ir.sh [BUILD_DIR]     (default build)
set -euo pipefail
shopt -s inherit_errexit  # a failed run inside $(...) stops the script instead of giving a count
cd "$(dirname "$0")/../.."
B=${1:-build}
FETCH=$B/bin/bench_fetch
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
[ -x "$FETCH" ] || { echo "missing $FETCH (build a Release)" >&2; exit 1; }
tmp=$(mktemp -d)
PID=
# A run cut short (a failed step, or a reader of its output that went away) leaves no server.
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$tmp"' EXIT

# Starts $1 (a server example) on a free port, under callgrind if $2 is set; sets PID and PORT.
start() {
  if [ -n "${2:-}" ]; then
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$1" 0 >"$tmp/out" 2>"$tmp/err" &
  else
    "$1" 0 >"$tmp/out" 2>"$tmp/err" &
  fi
  PID=$!
  for _ in $(seq 600); do grep -q listening "$tmp/out" && break; sleep 0.1; done
  PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/out" | head -1)
  [ -n "$PORT" ] || { echo "$1 did not start listening" >&2; cat "$tmp/err" >&2; exit 1; }
}
stop() {
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  PID=
}
server_ir() { # example, requests -> instructions of the whole server run
  start "$1" cg
  "$FETCH" callback "http://127.0.0.1:$PORT/" 16 100 "$2" >/dev/null
  stop
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/err"
}
for ex in http_hello async/http_hello; do
  a=$(server_ir "$B/bin/examples/$ex" 1000)
  b=$(server_ir "$B/bin/examples/$ex" 6000)
  echo "server $ex: $(( (b - a) / 5000 )) instructions per request"
done

start "$B/bin/examples/http_hello"
for mode in callback fetch; do
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cgc.out" "$FETCH" "$mode" \
    "http://127.0.0.1:$PORT/" 64 100 3000 >/dev/null 2>"$tmp/cerr"
  echo "client $mode: $(( $(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cerr") / 3000 )) instructions per request (startup included)"
done
stop
