#!/bin/bash
# https benchmarks (issue 6) on the common yardstick (../shared/bench/peers.sh), with the
# https_server example (seed 000's "Hello HTTP" over TLS) as evnode's server:
#   https-hello  wrk -t1 -c64 keep-alive over TLS              -> req/s
#   https-close  Connection: close, a full TLS handshake each  -> handshakes/s
# Each peers.sh call measures the nginx TLS peer first (1 worker, same certificate: the
# reference), then evnode; Node.js's https server is measured in its own call for https-hello.
# Every server runs pinned to one core (taskset, CPU 1), wrk to the other.
#
#   bash bench/https/run.sh [EXAMPLES_DIR] [RUNS]
#     EXAMPLES_DIR  where https_server is (default build/bin/examples, a release build)
#     RUNS          measured runs per server (default 3)
#
# Targets: https-hello >= 3x Node.js and >= 1.0x nginx; https-close >= 1.0x nginx. On this
# 2-core machine wrk saturates its own core first, so the ratio printed for each figure is
# given both on raw throughput and per second of server CPU (peers.sh's per_server_cpu_s).
# TSV lines are appended to bench/https/results.tsv. Extra peers.sh options: PEERS_OPTS.
set -euo pipefail
cd "$(dirname "$0")/../.."
EXAMPLES=${1:-build/bin/examples}
RUNS=${2:-3}
PEERS=../shared/bench/peers.sh
OUT=bench/https/results.tsv
SERVER=$EXAMPLES/https_server
[ -x "$SERVER" ] || { echo "no $SERVER (build a release first: ninja -C build example_https_server)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
opts=(-n "$RUNS" ${PEERS_OPTS:-})
tsv=$(mktemp /tmp/bench-https.XXXXXX.tsv)
trap 'rm -f "$tsv"' EXIT

"$PEERS" https-hello "${opts[@]}" --tsv "$tsv" -l evnode-https -- "$SERVER" --cert {cert} --key {key} 18116
if command -v node >/dev/null; then
  "$PEERS" https-hello "${opts[@]}" --no-floor --tsv "$tsv" -l node-https -- \
    node ../shared/bench/peers/node_https_hello.js --cert {cert} --key {key} 18117
fi
"$PEERS" https-close "${opts[@]}" --tsv "$tsv" -l evnode-https -- "$SERVER" --cert {cert} --key {key} 18118

cat "$tsv" >>"$OUT"
# Ratios from this call's medians: raw (column 5) and per server CPU-second (column 12).
awk -F'\t' '
  { raw[$2 "|" $3] = $5; eff[$2 "|" $3] = $12 }
  function ratio(s, a, b) {
    if (!((s "|" a) in raw) || !((s "|" b) in raw) || raw[s "|" b] == 0) return
    printf "%-12s %s / %s: %.2fx raw (%s vs %s %s), %.2fx per server CPU-s (%s vs %s)\n", s, a, b,
           raw[s "|" a] / raw[s "|" b], raw[s "|" a], raw[s "|" b], (s == "https-close" ? "handshakes/s" : "req/s"),
           (eff[s "|" b] > 0 ? eff[s "|" a] / eff[s "|" b] : 0), eff[s "|" a], eff[s "|" b]
  }
  END {
    ratio("https-hello", "evnode-https", "nginx_tls_hello")
    ratio("https-hello", "evnode-https", "node-https")
    ratio("https-close", "evnode-https", "nginx_tls_hello")
  }' "$tsv"
echo "results appended to $OUT"
