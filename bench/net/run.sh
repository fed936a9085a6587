#!/bin/bash
# net benchmarks: `evnode echo` on the common yardstick (../shared/bench/peers.sh), each run
# measured against the C epoll floor server in the same call, then Node.js's net echo for the
# ratio. Results are ratios, not pass/fail.
#
#   bench/net/run.sh [EVNODE_BINARY] [RUNS]
#     EVNODE_BINARY  a release build of the CLI (default build/bin/evnode)
#     RUNS           measured runs per scenario (default 5)
#
# Targets (issue 3): tcp-echo >= 0.95x the floor and >= 1.3x Node.js; idle-conn <= 512 B of
# server RSS per idle connection. Output TSV lines are appended to bench/net/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
EVNODE=${1:-build/bin/evnode}
RUNS=${2:-5}
PEERS=../shared/bench/peers.sh
OUT=bench/net/results.tsv
[ -x "$EVNODE" ] || { echo "no evnode binary at $EVNODE (build a Release first)" >&2; exit 1; }

"$PEERS" tcp-echo -n "$RUNS" --tsv "$OUT" -- "$EVNODE" echo --port 18092
"$PEERS" tcp-echo -n "$RUNS" --no-floor --tsv "$OUT" -- node ../shared/bench/peers/node_net_echo.js 18094
"$PEERS" idle-conn --tsv "$OUT" -- "$EVNODE" echo --port 18093
