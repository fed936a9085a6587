#!/bin/bash
# HTTP server benchmarks (issue 4) on the common yardstick (../shared/bench/peers.sh): the
# http_hello example against the C epoll floor server, nginx and Node.js, all in this one call.
#
#   bench/http/run.sh [HTTP_HELLO_BINARY] [RUNS]
#     HTTP_HELLO_BINARY  a release build of the example (default build/bin/examples/http_hello)
#     RUNS               measured runs per server and scenario (default 3; the median is used)
#   SCENARIOS='http-hello http-pipeline'  only some scenarios (default: all four below)
#   PEERS=0                               evnode and the floor only (quick iteration)
#
# Scenarios: http-hello (wrk -t1 -c64 keep-alive), http-pipeline (16 requests per write),
# http-close (a connection per request), idle-conn (server RSS growth per idle connection).
# The server is pinned to CPU 1 and wrk to CPU 0; wrk saturates its own core first, so the
# http-* figures to read are requests per server CPU-second (per_cpu). Each scenario measures
# the floor first (in evnode's peers.sh call), then evnode, then nginx and Node.js; the table at
# the end gives every server's ratio to that floor and evnode's ratio to each peer.
#
# Targets (issue 4): http-hello >= 0.9x the floor per CPU-second, http-pipeline >= 0.6x,
# http-close >= 0.9x, idle-conn <= 1 KiB per idle keep-alive connection.
# Every result is appended as a TSV line to bench/http/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
HELLO=${1:-build/bin/examples/http_hello}
RUNS=${2:-3}
PEERS_SH=../shared/bench/peers.sh
PEER_DIR=../shared/bench/peers
OUT=bench/http/results.tsv
SCENARIOS=${SCENARIOS:-http-hello http-pipeline http-close idle-conn}
[ -x "$HELLO" ] || { echo "no http_hello at $HELLO (build a Release first)" >&2; exit 1; }
[ -x "$PEERS_SH" ] || { echo "no $PEERS_SH (the shared yardstick)" >&2; exit 1; }

# the servers: label, port, command (the port is the command's last argument)
servers=("evnode 18086 $HELLO 18086")
if [ "${PEERS:-1}" != 0 ]; then
  command -v nginx >/dev/null && servers+=("nginx 18084 $PEER_DIR/nginx_hello.sh 18084") \
    || echo "nginx is not installed: no nginx peer" >&2
  command -v node >/dev/null && servers+=("node 18083 node $PEER_DIR/node_http_hello.js 18083") \
    || echo "node is not installed: no Node.js peer" >&2
fi

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for scen in $SCENARIOS; do
  runs=$RUNS; [ "$scen" = idle-conn ] && runs=1   # 10,000 connections: one run is steady
  floor=(); first=1
  for entry in "${servers[@]}"; do
    read -r label _ cmd <<<"$entry"
    floor=(--no-floor); [ "$first" = 1 ] && floor=()   # the floor runs once, before evnode
    first=0
    # shellcheck disable=SC2086
    "$PEERS_SH" "$scen" -n "$runs" "${floor[@]}" --label "$label" --tsv "$OUT" -- $cmd \
      | tee -a "$results" || { echo "FAILED: $scen $label" >&2; continue; }
  done
done

# RESULT <tab> scenario label median min max unit runs= server_cpu%= client_core%= steal%=
# per_server_cpu_s= notes peak: one table row per server, ratios to the floor of its scenario
# (per server CPU-second for http-*, bytes per connection for idle-conn) and evnode / peer.
echo
awk -F'\t' '
  $1 != "RESULT" { next }
  {
    s = $2; l = $3; med[s, l] = $4; unit[s] = $7
    pc = $12; sub(/^per_server_cpu_s=/, "", pc); pcpu[s, l] = pc
    cpu = $9; sub(/^server_cpu%=/, "", cpu); scpu[s, l] = cpu
    if (!((s, l) in seen)) { seen[s, l] = 1; order[s] = order[s] " " l }
    if (!(s in sorder)) { sorder[s] = ++ns; sname[ns] = s }
  }
  END {
    printf "%-14s %-11s %12s %8s %14s %9s %10s\n", "scenario", "server", "median", "unit", \
      "per_server_cpu", "cpu%", "vs_floor"
    for (i = 1; i <= ns; i++) {
      s = sname[i]; n = split(order[s], ls, " "); idle = (s == "idle-conn")
      fl = idle ? med[s, "floor_http"] : pcpu[s, "floor_http"]
      for (j = 1; j <= n; j++) {
        l = ls[j]; v = idle ? med[s, l] : pcpu[s, l]
        r = (fl > 0 && v > 0) ? sprintf("%.3f", v / fl) : "n/a"
        printf "%-14s %-11s %12s %8s %14s %9s %10s\n", s, l, med[s, l], unit[s], \
          idle ? "-" : pcpu[s, l], idle ? "-" : scpu[s, l], r
      }
      ev = idle ? med[s, "evnode"] : pcpu[s, "evnode"]
      for (j = 1; j <= n; j++) {
        l = ls[j]; if (l == "evnode" || l == "floor_http") continue
        v = idle ? med[s, l] : pcpu[s, l]
        if (v > 0 && ev > 0)
          printf "%-14s evnode/%-8s %s%s\n", s, l, sprintf("%.3f", ev / v), \
            idle ? " (bytes per idle connection: lower is better)" : " (per server CPU-second)"
      }
    }
  }' "$results"
echo "results appended to $OUT"
