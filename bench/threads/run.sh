#!/bin/bash
# Every core (issue 19): evnode on N threads against nginx with N worker processes, against
# itself on one thread, and `evnode bench --threads` against `wrk -t` as load generators.
#
#   bench/threads/run.sh [RUNS] [SECONDS]      (default 3 runs of 5 s; the median is used)
#
# Scenarios, all keep-alive on loopback, nothing pinned (server threads and the load generator
# share the machine's cores, as the yardstick's two_cores.sh does):
#   hello-2t-vs-nginx   examples/http_hello_threads on 2 threads vs nginx `return 200` with
#                       worker_processes 2 (reuseport), both loaded by `wrk -t2 -c128`
#   hello-2t-vs-1t      http_hello_threads on 2 threads vs on 1 thread, same wrk
#   client-2t-vs-wrk    `evnode bench --threads 2 -c128` vs `wrk -t2 -c128` against the
#                       yardstick's C floor server (../shared/bench/bin/floor_http)
# For servers: raw requests/s and requests per server CPU-second (utime+stime of every thread
# of the server, from /proc, before and after each run). For the clients: raw requests/s.
# Results are appended to bench/threads/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}
DUR=${2:-5}
HELLO=build/bin/examples/http_hello_threads
EVNODE=build/bin/evnode
FLOOR=../shared/bench/bin/floor_http
OUT=bench/threads/results.tsv
[ -x "$HELLO" ] && [ -x "$EVNODE" ] || { echo "build first: make build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (make test-deps)" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is not installed (make test-deps)" >&2; exit 1; }
[ -x "$FLOOR" ] || bash ../shared/bench/build.sh >/dev/null 2>&1 || true

work=$(mktemp -d /tmp/evnode-threads-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
hz=$(getconf CLK_TCK)

ticks() {  # utime+stime of a process and its children, every thread, in clock ticks
  local t=0 p f
  for p in $1 $(pgrep -P "$1" || true); do
    for f in /proc/$p/task/*/stat; do
      [ -r "$f" ] && t=$((t + $(awk '{print $14 + $15}' "$f")))
    done
  done
  echo "$t"
}
wait_port() { for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done; return 1; }
start() {  # port cmd... -> pid in $started
  local port=$1; shift
  "$@" >/dev/null 2>"$work/server-$port.err" &
  started=$!
  pids+=("$started")
  wait_port "$port" || { echo "no answer on $port from: $*" >&2; cat "$work/server-$port.err" >&2; exit 1; }
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
measure() {  # pid port -> "req/s cpu_seconds"
  local before after rps
  before=$(ticks "$1")
  rps=$(wrk -t2 -c128 -d"${DUR}s" "http://127.0.0.1:$2/" | awk '/Requests\/sec/ {print $2}')
  after=$(ticks "$1")
  echo "$rps $(awk -v a="$after" -v b="$before" -v hz="$hz" 'BEGIN {print (a - b) / hz}')"
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# Alternating runs of two servers; prints both medians (raw and per CPU-second) and the ratios.
compare() {  # scenario labelA pidA portA labelB pidB portB
  local scen=$1 la=$2 pa=$3 qa=$4 lb=$5 pb=$6 qb=$7 i a b
  : > "$work/a"; : > "$work/b"
  wrk -t2 -c128 -d1s "http://127.0.0.1:$qa/" >/dev/null; wrk -t2 -c128 -d1s "http://127.0.0.1:$qb/" >/dev/null
  for i in $(seq "$RUNS"); do
    a=$(measure "$pa" "$qa"); b=$(measure "$pb" "$qb")
    echo "  run $i: $la $a | $lb $b"
    echo "$a" >> "$work/a"; echo "$b" >> "$work/b"
  done
  local ar ac br bc
  ar=$(awk '{print $1}' "$work/a" | median); br=$(awk '{print $1}' "$work/b" | median)
  ac=$(awk -v d="$DUR" '$2 > 0 {print $1 * d / $2}' "$work/a" | median)
  bc=$(awk -v d="$DUR" '$2 > 0 {print $1 * d / $2}' "$work/b" | median)
  # Ratios of the paired (back-to-back) runs, then their median: the machine's load drifts
  # between runs far more than within one pair.
  local raw cpu
  raw=$(paste "$work/a" "$work/b" | awk '$3 > 0 {print $1 / $3}' | median | awk '{printf "%.3f", $1}')
  cpu=$(paste "$work/a" "$work/b" | awk '$2 > 0 && $4 > 0 && $3 > 0 {print ($1 / $2) / ($3 / $4)}' |
    median | awk '{printf "%.3f", $1}')
  printf '%s: %s %.0f req/s (%.0f per server CPU-s), %s %.0f req/s (%.0f per server CPU-s): paired ratios raw %s, per CPU-s %s\n' \
    "$scen" "$la" "$ar" "$ac" "$lb" "$br" "$bc" "$raw" "$cpu"
  printf '%s\t%s\t%s/%s\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%s\n' "$(date -u +%FT%TZ)" "$scen" "$la" "$lb" \
    "$ar" "$ac" "$br" "$bc" "$raw" "$cpu" >> "$OUT"
}

# nginx `return 200 'Hello HTTP'` on 2 worker processes sharing the port (reuseport).
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 2;
worker_rlimit_nofile 20000;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 100000000;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:18311 reuseport; location / { return 200 'Hello HTTP'; } }
}
CONF

start 18312 "$HELLO" 18312 2; two=$started
start 18311 nginx -p "$work/nginx/" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" -g 'daemon off;'; ngx=$started
echo "== hello-2t-vs-nginx (wrk -t2 -c128, ${RUNS}x${DUR}s)"
compare hello-2t-vs-nginx evnode-2t "$two" 18312 nginx-2w "$ngx" 18311
stop "$ngx"

start 18313 "$HELLO" 18313 1; one=$started
echo "== hello-2t-vs-1t"
compare hello-2t-vs-1t evnode-2t "$two" 18312 evnode-1t "$one" 18313
stop "$one"; stop "$two"

if [ -x "$FLOOR" ]; then
  start 18314 "$FLOOR" 18314; floor=$started
  echo "== client-2t-vs-wrk (against floor_http)"
  : > "$work/e"; : > "$work/w"
  for i in $(seq "$RUNS"); do
    e=$("$EVNODE" bench "http://127.0.0.1:18314/" -c 128 -d "${DUR}s" --threads 2 --json |
      sed -n 's/.*"requests_per_sec":\([0-9.]*\).*/\1/p')
    w=$(wrk -t2 -c128 -d"${DUR}s" "http://127.0.0.1:18314/" | awk '/Requests\/sec/ {print $2}')
    echo "  run $i: evnode bench $e | wrk $w"
    echo "$e" >> "$work/e"; echo "$w" >> "$work/w"
  done
  em=$(median < "$work/e"); wm=$(median < "$work/w")
  ratio=$(paste "$work/e" "$work/w" | awk '$2 > 0 {print $1 / $2}' | median | awk '{printf "%.3f", $1}')
  printf 'client-2t-vs-wrk: evnode bench --threads 2 %.0f req/s, wrk -t2 %.0f req/s: paired ratio %s (target >= 0.9)\n' "$em" "$wm" "$ratio"
  printf '%s\tclient-2t-vs-wrk\tevnode-bench-2t/wrk-t2\t%.0f\t-\t%.0f\t-\t%s\t-\n' "$(date -u +%FT%TZ)" "$em" "$wm" "$ratio" >> "$OUT"
  stop "$floor"
else
  echo "no $FLOOR (the shared yardstick): client-2t-vs-wrk skipped" >&2
fi
echo "results appended to $OUT"
