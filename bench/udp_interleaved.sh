#!/bin/bash
# udp_interleaved.sh -- udp-echo (64-byte datagrams, 32 in flight, 3 s per run; the same client
# and pinning as ../shared/bench/peers.sh: server on CPU 1, client on CPU 0), but with the
# servers' runs interleaved round by round (floor, evnode, libuv, node, floor, ...), so that a
# machine whose load drifts during the measurement affects every server alike.
#
#   bench/udp_interleaved.sh [EVNODE_BIN=build/bin/evnode] [ROUNDS=7]
#
# Prints every run, then per server the median pkt/s, the median packets per server CPU-second,
# and both as a ratio to the floor's. evnode's stdout (one line per datagram) goes to a file, as
# in peers.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/bin/evnode}
ROUNDS=${2:-7}
B=../shared/bench/bin
[ -x "$B/udp_echo_client" ] || bash ../shared/bench/build.sh >/dev/null
OUT=${BENCH_OUT:-/tmp/evnode-udp-interleaved}
mkdir -p "$OUT"
: >"$OUT/runs.tsv"
HZ=$(getconf CLK_TCK)
run() { # NAME PORT CMD...
  local name=$1 port=$2; shift 2
  taskset -c 1 "$@" >"$OUT/$name.log" 2>&1 &
  local sp=$! i
  for i in $(seq 50); do ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.1; done
  local t0 t1 r pps
  t0=$(awk '{print $14+$15}' /proc/$sp/stat)
  r=$(taskset -c 0 "$B/udp_echo_client" 127.0.0.1 "$port" 64 32 3)
  t1=$(awk '{print $14+$15}' /proc/$sp/stat)
  kill "$sp"; wait "$sp" 2>/dev/null || true
  pps=$(sed -n 's/.*pps=\([0-9.]*\).*/\1/p' <<<"$r")
  local cpu; cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" 'BEGIN { print (b - a) / hz }')
  local per; per=$(awk -v p="$pps" -v c="$cpu" 'BEGIN { print (c > 0 ? p * 3 / c : 0) }')
  printf '%s\t%s\t%s\n' "$name" "$pps" "$per" >>"$OUT/runs.tsv"
  printf '%-7s %10.0f pkt/s  %10.0f pkt per server CPU-s\n' "$name" "$pps" "$per"
}
for r in $(seq "$ROUNDS"); do
  echo "round $r"
  run floor 18301 "$B/floor_udp_echo" 18301
  run evnode 18302 "$BIN" udp listen --echo --port 18302
  run libuv 18303 "$B/libuv_udp_echo" 18303
  run node 18304 node ../shared/bench/peers/node_udp_echo.js 18304
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fp=$(awk -F'\t' '$1=="floor"{print $2}' "$OUT/runs.tsv" | median)
fc=$(awk -F'\t' '$1=="floor"{print $3}' "$OUT/runs.tsv" | median)
for s in floor evnode libuv node; do
  p=$(awk -F'\t' -v s=$s '$1==s{print $2}' "$OUT/runs.tsv" | median)
  c=$(awk -F'\t' -v s=$s '$1==s{print $3}' "$OUT/runs.tsv" | median)
  awk -v s=$s -v p="$p" -v c="$c" -v fp="$fp" -v fc="$fc" 'BEGIN {
    printf "SUMMARY %-7s median %8.0f pkt/s (%.2fx floor)  %8.0f per server CPU-s (%.2fx floor)\n",
      s, p, p / fp, c, c / fc }'
done
