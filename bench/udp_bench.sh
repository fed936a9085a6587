#!/bin/bash
# udp_bench.sh -- UDP throughput of evnode's dgram:
#  1. the udp-echo scenario of ../shared/bench/peers.sh (64-byte datagrams, 32 in flight, server
#     pinned to CPU 1) against `evnode udp listen --echo`, plain libuv and Node.js; each call
#     measures the C floor first, so every SUMMARY line carries its own ratio to the floor;
#  2. bench/udp_recv_bench.cc: receive throughput of one socket with and without recvmmsg
#     batching, under a sendmmsg flood.
#
#   bench/udp_bench.sh [EVNODE_BIN=build/bin/evnode] [-- extra peers.sh options, e.g. -n 5]
#
# Needs the release tree (make build): the CLI, and $EVNODE_LIB (default build/libevnode.a) for
# the receive benchmark. `per_server_cpu_s` in the RESULT lines is packets per server CPU-second.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/bin/evnode}
shift || true
[ "${1:-}" = "--" ] && shift
PEERS=../shared/bench/peers.sh
LIB=${EVNODE_LIB:-build/libevnode.a}
OUT=${BENCH_OUT:-/tmp/evnode-udp-bench}
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "no $BIN: run make build first" >&2; exit 1; }
"$PEERS" udp-echo "$@" -l evnode -- "$BIN" udp listen --echo --port 18102
"$PEERS" udp-echo "$@" -l libuv -- ../shared/bench/bin/libuv_udp_echo 18103
"$PEERS" udp-echo "$@" -l node -- node ../shared/bench/peers/node_udp_echo.js 18104
if [ -f "$LIB" ]; then
  g++ -std=c++20 -O2 -DNDEBUG -Iinclude bench/udp_recv_bench.cc "$LIB" -luv -lcares -lssl -lcrypto \
    -pthread -o "$OUT/udp_recv_bench"
  "$OUT/udp_recv_bench" 3 64 3
else
  echo "no $LIB: skipping the recvmmsg receive benchmark" >&2
fi
