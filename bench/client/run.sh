#!/bin/bash
# HTTP client benchmark (issue 5): `evnode bench -c 64` against the C epoll floor server of the
# common yardstick (../shared/bench, so the server is never the bottleneck), compared in this one
# call with `wrk -t1 -c64` and a Node.js keep-alive-agent client loop (node_client.js, 64
# requests in flight). The floor server is pinned to CPU 1, each client to CPU 0 in turn; the
# clients run interleaved, RUNS rounds, and the medians are compared.
#
#   bench/client/run.sh [EVNODE_BINARY] [RUNS] [SECONDS]
#     EVNODE_BINARY  a release build of the CLI (default build/bin/evnode)
#     RUNS           rounds (default 3)      SECONDS  per client run (default 5)
#
# Targets (issue 5): evnode >= 0.8x wrk's requests/s and >= 3x the Node.js client.
# One TSV line per round is appended to bench/client/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
EVNODE=${1:-build/bin/evnode}
RUNS=${2:-3}
SECS=${3:-5}
SHARED=../shared/bench
PORT=${PORT:-18087}
OUT=bench/client/results.tsv
CONNS=64
[ -x "$EVNODE" ] || { echo "no evnode binary at $EVNODE (build a Release first)" >&2; exit 1; }
[ -x "$SHARED/build.sh" ] || { echo "no $SHARED (the shared yardstick)" >&2; exit 1; }
for t in taskset wrk node ss; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done
[ -x "$SHARED/bin/floor_http" ] || "$SHARED/build.sh" >&2
if ss -Hltn "sport = :$PORT" | grep -q .; then echo "port $PORT is already in use" >&2; exit 1; fi

taskset -c 1 "$SHARED/bin/floor_http" "$PORT" >/tmp/bench-client-floor.log 2>&1 &
FLOOR=$!
trap 'kill "$FLOOR" 2>/dev/null; wait "$FLOOR" 2>/dev/null || true' EXIT
for _ in $(seq 150); do
  ss -Hltn "sport = :$PORT" | grep -q . && break
  kill -0 "$FLOOR" 2>/dev/null || { echo "floor_http exited" >&2; cat /tmp/bench-client-floor.log >&2; exit 1; }
  sleep 0.1
done
URL=http://127.0.0.1:$PORT/

# Each client prints "REQ_PER_S CPU_SECONDS": the CPU its process used (user + sys, measured by
# bash's `time` for evnode and wrk, whose runs are the measured window; by process.cpuUsage()
# over the counted window for node, which warms up first). On a shared machine the client may
# not get its whole core, so req/s per client CPU-second is printed next to the raw req/s.
TIMEFORMAT='%U %S'
timed() { # CMD... -> CMD's stdout, then "user sys" as the last line
  { time "$@" 2>/dev/null; } 2>&1
}
run_evnode() {
  timed taskset -c 0 "$EVNODE" bench "$URL" -c "$CONNS" -d "$SECS" --json | awk '
    /requests_per_sec/ { match($0, /"requests_per_sec":[0-9.]+/); r = substr($0, RSTART + 19, RLENGTH - 19) }
    /^[0-9.]+ [0-9.]+$/ { c = $1 + $2 }
    END { if (r != "") print r, c }'
}
run_wrk() {
  timed taskset -c 0 wrk -t1 -c"$CONNS" -d"${SECS}s" "$URL" | awk '
    /^Requests\/sec:/ { r = $2 }  /^[0-9.]+ [0-9.]+$/ { c = $1 + $2 }
    END { if (r != "") print r, c }'
}
run_node() {
  taskset -c 0 node bench/client/node_client.js "$URL" "$CONNS" "$SECS" 2>/dev/null |
    awk '/^requests_per_sec/ { print $2, $4 }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{ print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2 }'; }

# one short warm-up of each (page cache, CPU frequency), not counted
SECS_SAVED=$SECS; SECS=1; run_evnode >/dev/null; run_wrk >/dev/null; SECS=$SECS_SAVED
ev=() wr=() nd=() evc=() wrc=() ndc=()
percpu() { awk -v r="$1" -v c="$2" -v s="$SECS" 'BEGIN { printf "%.0f", (c > 0) ? r * s / c : 0 }'; }
for i in $(seq "$RUNS"); do
  read -r e ec < <(run_evnode) || true
  read -r w wc < <(run_wrk) || true
  read -r n nc < <(run_node) || true
  [ -n "${e:-}" ] && [ -n "${w:-}" ] && [ -n "${n:-}" ] || { echo "a client failed (evnode '${e:-}' wrk '${w:-}' node '${n:-}')" >&2; exit 1; }
  ev+=("$e"); wr+=("$w"); nd+=("$n")
  evc+=("$(percpu "$e" "$ec")"); wrc+=("$(percpu "$w" "$wc")"); ndc+=("$(percpu "$n" "$nc")")
  printf 'round %d, req/s (per client CPU-s): evnode %s (%s)  wrk %s (%s)  node %s (%s)\n' \
    "$i" "$e" "${evc[-1]}" "$w" "${wrc[-1]}" "$n" "${ndc[-1]}"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$e" "$w" "$n" \
    "${evc[-1]}" "${wrc[-1]}" "${ndc[-1]}" "-c$CONNS -d$SECS" >>"$OUT"
done
E=$(median "${ev[@]}"); W=$(median "${wr[@]}"); N=$(median "${nd[@]}")
EC=$(median "${evc[@]}"); WC=$(median "${wrc[@]}"); NC=$(median "${ndc[@]}")
awk -v e="$E" -v w="$W" -v n="$N" -v ec="$EC" -v wc="$WC" -v nc="$NC" -v r="$RUNS" 'BEGIN {
  printf "median of %d rounds (client on CPU 0, floor_http on CPU 1):\n", r
  printf "%-20s %12s %16s\n", "", "req/s", "per client CPU-s"
  printf "%-20s %12.0f %16.0f\n%-20s %12.0f %16.0f\n%-20s %12.0f %16.0f\n", \
    "evnode bench -c64", e, ec, "wrk -t1 -c64", w, wc, "node keep-alive", n, nc
  printf "evnode/wrk   %.3f  (per CPU-s %.3f)  target >= 0.8\n", e / w, ec / wc
  printf "evnode/node  %.3f  (per CPU-s %.3f)  target >= 3\n", e / n, ec / nc }'
