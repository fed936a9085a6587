#!/bin/bash
# async/await benchmarks (issue 18), each a same-run comparison with the callback form:
#  1. server: examples/async/http_hello (a coroutine handler) against examples/http_hello (a
#     callback), wrk -t1 -c64 keep-alive, server pinned to CPU 1 and wrk to CPU 0; the figure is
#     requests per server CPU-second (utime + stime of the server process over the run, from
#     /proc). Target: coroutine >= 0.97x callback.
#  2. client: bench_fetch, `fetch` in 64 concurrent coroutines against the callback client
#     (http::get, 64 in flight), both through the global keep-alive Agent, against the callback
#     http_hello pinned to CPU 1, client on CPU 0. Target: fetch >= 0.95x callback requests/s.
# The two sides alternate, RUNS rounds each; the medians are compared, and the median of each
# round's ratio. Then bench_await_allocs prints allocations per await and the coroutine frame
# size. On a shared 2-core machine the rounds swing by +-20%: bench/async/ir.sh counts
# instructions per request under callgrind instead, which does not.
#
#   bench/async/run.sh [BUILD_DIR] [RUNS] [SECONDS]     (default build, 5 rounds of 5 s)
# Every round is appended as a TSV line to bench/async/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
RUNS=${2:-5}
SECS=${3:-5}
OUT=bench/async/results.tsv
CB=$B/bin/examples/http_hello
CO=$B/bin/examples/async/http_hello
FETCH=$B/bin/bench_fetch
ALLOCS=$B/bin/bench_await_allocs
for f in "$CB" "$CO" "$FETCH" "$ALLOCS"; do
  [ -x "$f" ] || { echo "missing $f (build a Release: cmake --build $B --target example_http_hello example_async_http_hello bench_fetch bench_await_allocs)" >&2; exit 1; }
done
for t in taskset wrk; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done
TICKS=$(getconf CLK_TCK)

# Starts a server binary on CPU 1 on a free port; sets PID and PORT.
start() {
  local log
  log=$(mktemp)
  taskset -c 1 "$1" 0 >"$log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    grep -q listening "$log" && break
    sleep 0.05
  done
  PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
  rm -f "$log"
  [ -n "$PORT" ] || { echo "server $1 did not start" >&2; exit 1; }
}
stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{ print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2 }'; }

# requests per server CPU-second of one wrk run against the server binary $1
server_round() {
  start "$1"
  taskset -c 0 wrk -t1 -c64 -d1s "http://127.0.0.1:$PORT/" >/dev/null  # warm-up
  local c0 c1 reqs
  c0=$(cpu_ticks "$PID")
  reqs=$(taskset -c 0 wrk -t1 -c64 -d"${SECS}s" "http://127.0.0.1:$PORT/" |
    awk '/requests in/ { print $1 }')
  c1=$(cpu_ticks "$PID")
  stop
  awk -v r="$reqs" -v c=$((c1 - c0)) -v t="$TICKS" 'BEGIN { printf "%.0f", (c > 0) ? r * t / c : 0 }'
}

echo "== server: coroutine handler vs callback handler (requests per server CPU-second)"
cbs=() cos=()
for i in $(seq "$RUNS"); do
  c=$(server_round "$CB")
  o=$(server_round "$CO")
  cbs+=("$c"); cos+=("$o")
  printf 'round %d: callback %s  coroutine %s\n' "$i" "$c" "$o"
  printf '%s\tserver\t%s\t%s\n' "$(date -u +%FT%TZ)" "$c" "$o" >>"$OUT"
done
C=$(median "${cbs[@]}"); O=$(median "${cos[@]}")
rs=(); for i in "${!cbs[@]}"; do rs+=("$(awk -v c="${cbs[$i]}" -v o="${cos[$i]}" 'BEGIN { printf "%.3f", o / c }')"); done
awk -v c="$C" -v o="$O" -v r="$(median "${rs[@]}")" 'BEGIN { printf "server median: callback %s  coroutine %s  ratio %.3f, median of the rounds'"'"' ratios %s (target >= 0.97)\n", c, o, o / c, r }'

echo "== client: fetch in 64 coroutines vs the callback client (requests/s)"
start "$CB"
url="http://127.0.0.1:$PORT/"
taskset -c 0 "$FETCH" callback "$url" 64 1 >/dev/null  # warm-up
fs=() cs=()
for i in $(seq "$RUNS"); do
  c=$(taskset -c 0 "$FETCH" callback "$url" 64 "$SECS" | awk '{ print $2 }')
  f=$(taskset -c 0 "$FETCH" fetch "$url" 64 "$SECS" | awk '{ print $2 }')
  cs+=("$c"); fs+=("$f")
  printf 'round %d: callback %s  fetch %s\n' "$i" "$c" "$f"
  printf '%s\tclient\t%s\t%s\n' "$(date -u +%FT%TZ)" "$c" "$f" >>"$OUT"
done
stop
C=$(median "${cs[@]}"); F=$(median "${fs[@]}")
rs=(); for i in "${!cs[@]}"; do rs+=("$(awk -v c="${cs[$i]}" -v f="${fs[$i]}" 'BEGIN { printf "%.3f", f / c }')"); done
awk -v c="$C" -v f="$F" -v r="$(median "${rs[@]}")" 'BEGIN { printf "client median: callback %s  fetch %s  ratio %.3f, median of the rounds'"'"' ratios %s (target >= 0.95)\n", c, f, f / c, r }'

echo "== allocations"
"$ALLOCS"
