#!/bin/bash
# udp_bench.sh -- the udp-echo scenario of ../shared/bench/peers.sh (64-byte datagrams, 32 in
# flight, server pinned to CPU 1) against `evnode udp listen --echo`, plain libuv and Node.js,
# each call measuring the C floor first, so every line comes with its own ratio to the floor.
#
#   bench/udp_bench.sh [EVNODE_BIN=build/bin/evnode] [-- extra peers.sh options, e.g. -n 5]
#
# Needs a release build (make build). Results: the SUMMARY lines (pkt/s and ratio to floor);
# `per_server_cpu_s` in the RESULT lines is packets per second of server CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/bin/evnode}
shift || true
[ "${1:-}" = "--" ] && shift
PEERS=../shared/bench/peers.sh
[ -x "$BIN" ] || { echo "no $BIN: run make build first" >&2; exit 1; }
"$PEERS" udp-echo "$@" -l evnode -- "$BIN" udp listen --echo --port 18102
"$PEERS" udp-echo "$@" -l libuv -- ../shared/bench/bin/libuv_udp_echo 18103
"$PEERS" udp-echo "$@" -l node -- node ../shared/bench/peers/node_udp_echo.js 18104
