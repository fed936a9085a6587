#!/bin/bash
# dns_bench.sh -- DNS queries/s through dnsmasq, 100 in flight: evnode's Resolver vs Node.js's.
#
#   bench/dns_bench.sh [-n RUNS=3] [-q QUERIES=200000] [-c INFLIGHT=100]
#
# dnsmasq (one A record, authoritative for .test, no upstream, no logging) is pinned to CPU 1,
# each client to CPU 0, and runs alternate between the two clients. The evnode client is built
# from bench/dns_bench.cc against $EVNODE_LIB (default build/libevnode.a, the release tree).
# Prints each run, then medians of qps and of qps per client CPU-second, and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=3 QUERIES=200000 INFLIGHT=100
while getopts "n:q:c:" o; do
  case $o in n) RUNS=$OPTARG;; q) QUERIES=$OPTARG;; c) INFLIGHT=$OPTARG;; *) exit 2;; esac
done
LIB=${EVNODE_LIB:-build/libevnode.a}
OUT=${BENCH_OUT:-/tmp/evnode-dns-bench}
mkdir -p "$OUT"
[ -f "$LIB" ] || { echo "no $LIB: build the release tree first (make build)" >&2; exit 1; }
g++ -std=c++20 -O2 -DNDEBUG -Iinclude bench/dns_bench.cc $LIB -luv -lcares -lssl -lcrypto -lidn2 -pthread \
  -o "$OUT/dns_bench"
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
PORT=${DNS_BENCH_PORT:-18153}
taskset -c 1 "$DNSMASQ" --no-resolv --no-hosts --no-daemon --port=$PORT \
  --listen-address=127.0.0.1 --bind-interfaces --local=/test/ --local-ttl=300 \
  --host-record=bench.test,10.1.2.3 --dns-forward-max=1000 2>"$OUT/dnsmasq.log" &
DPID=$!
trap 'kill $DPID 2>/dev/null; wait $DPID 2>/dev/null' EXIT
sleep 0.5
kill -0 $DPID || { cat "$OUT/dnsmasq.log"; exit 1; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$OUT/evnode.txt"; : >"$OUT/node.txt"
for i in $(seq "$RUNS"); do
  e=$(taskset -c 0 "$OUT/dns_bench" 127.0.0.1:$PORT bench.test "$QUERIES" "$INFLIGHT")
  echo "evnode run $i: $e"; echo "$e" >>"$OUT/evnode.txt"
  n=$(taskset -c 0 node bench/dns_bench_node.js 127.0.0.1:$PORT bench.test "$QUERIES" "$INFLIGHT")
  echo "node   run $i: $n"; echo "$n" >>"$OUT/node.txt"
done
eq=$(while read -r l; do field qps "$l"; done <"$OUT/evnode.txt" | median)
nq=$(while read -r l; do field qps "$l"; done <"$OUT/node.txt" | median)
ec=$(while read -r l; do field qps_per_cpu_s "$l"; done <"$OUT/evnode.txt" | median)
nc=$(while read -r l; do field qps_per_cpu_s "$l"; done <"$OUT/node.txt" | median)
echo "SUMMARY dns: evnode median $eq q/s ($ec per client CPU-s); node $nq q/s ($nc per client CPU-s)"
awk -v a="$eq" -v b="$nq" -v c="$ec" -v d="$nc" \
  'BEGIN { printf "ratio evnode/node: %.2fx q/s, %.2fx per client CPU-s\n", a / b, c / d }'
