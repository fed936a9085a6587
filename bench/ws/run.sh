#!/bin/bash
# WebSocket echo benchmarks (issue 20): `evnode ws echo` against npm `ws` on Node.js (Debian's
# node-ws) and against floor_ws (a C epoll server that echoes frames with no validation), and
# the idle cost of a WebSocket connection.
#
#   bench/ws/run.sh [EVNODE_BINARY] [SECONDS]
#     EVNODE_BINARY  a release build of the CLI (default build/bin/evnode)
#     SECONDS        per run (default 10)
#   PARTS="idle idle_warm" bench/ws/run.sh   runs only those parts (default: echo idle idle_warm;
#                                            the idle parts take seconds, echo minutes)
#   EVNODE_ONLY=1 ...                        leaves out the Node.js peer
#
# echo: 64 connections, each with one 16-byte text message in flight (masked, as a browser
# sends). The server is pinned to CPU 1 (taskset), the client to CPU 0; the client saturates
# its own core first, so the figure to read is messages per server CPU-second (from the
# server's utime+stime in /proc), with server user-space microseconds per message. Clients:
# ws_client (C, epoll) and `evnode ws bench`.
# idle: the server's RSS growth for 10,000 idle WebSocket connections (handshake done), per
# connection; `evnode echo` with 10,000 idle plain TCP connections is the baseline of what a
# socket alone costs evnode.
# idle_warm: the same growth for 10,000 connections made after 1,000 others, so what the first
# connections touch once (code pages, per-thread caches and slabs: about 260 bytes per connection
# of the `idle` figure for evnode ws) is not counted: the marginal cost of one more connection
# (evnode ws echo: about 500 bytes, its two listeners included; the goal is at most 512).
set -euo pipefail
cd "$(dirname "$0")/../.."
EVNODE=${1:-build/bin/evnode}
SECS=${2:-10}
OUT=${OUT:-/tmp/evnode-ws-bench}
mkdir -p "$OUT"
cc -O2 -o "$OUT/floor_ws" bench/ws/floor_ws.c -lcrypto
cc -O2 -o "$OUT/ws_client" bench/ws/ws_client.c
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # 10,000 idle connections need fds
HZ=$(getconf CLK_TCK)
SPID=
# A run that fails half way (a refused connection ends the client, and set -e the script) does
# not leave its server behind, listening on the port of the next run.
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; true' EXIT

start() { # LABEL PORT CMD... -> PID in $SPID, waits for the ready line
  local label=$1 port=$2; shift 2
  # The last run of the same label left its ready line in the file, and the redirection below
  # empties it only once the child runs: without this the wait could see the old line and a
  # client connect before the server listens (connect: Connection refused).
  rm -f "$OUT/$label.out"
  taskset -c 1 "$@" >"$OUT/$label.out" 2>/dev/null &
  SPID=$!
  for _ in $(seq 100); do grep -q "listening on" "$OUT/$label.out" 2>/dev/null && return 0; sleep 0.05; done
  echo "$label did not start" >&2; return 1
}
cpu() { awk '{print $14, $15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {print $2 * 1024}' "/proc/$1/status"; }

echo_run() { # LABEL PORT CLIENT(c|evnode) CMD...
  local label=$1 port=$2 client=$3; shift 3
  start "$label" "$port" "$@"
  read -r u0 s0 < <(cpu "$SPID")
  local msgs
  if [ "$client" = c ]; then
    msgs=$(taskset -c 0 "$OUT/ws_client" echo "$port" 64 "$SECS" 16 | awk '{print $2}')
  else
    msgs=$(taskset -c 0 "$EVNODE" ws bench "ws://127.0.0.1:$port/" -c 64 -d "$SECS" --json |
      sed 's/.*"messages":\([0-9]*\).*/\1/')
  fi
  read -r u1 s1 < <(cpu "$SPID")
  kill "$SPID"; wait "$SPID" 2>/dev/null || true
  awk -v l="$label" -v c="$client" -v m="$msgs" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$HZ" \
    -v secs="$SECS" 'BEGIN {
      cpu = (u + s) / hz; us = u / hz * 1e6 / (m ? m : 1); ks = s / hz * 1e6 / (m ? m : 1)
      printf "echo\t%s\tclient=%s\tmsgs/s=%.0f\tserver_cpu_s=%.2f\tmsgs_per_cpu_s=%.0f\tuser_us_per_msg=%.2f\tsys_us_per_msg=%.2f\n",
        l, c, m / secs, cpu, (cpu ? m / cpu : 0), us, ks }'
}

idle_run() { # LABEL PORT MODE(idle|tcpidle) CMD...
  local label=$1 port=$2 mode=$3; shift 3
  start "$label" "$port" "$@"
  sleep 0.3
  local before after
  before=$(rss "$SPID")
  taskset -c 0 "$OUT/ws_client" "$mode" "$port" 10000 4 >"$OUT/idle.out" &
  local cpid=$!
  for _ in $(seq 300); do grep -q ready "$OUT/idle.out" 2>/dev/null && break; sleep 0.1; done
  sleep 1
  after=$(rss "$SPID")
  kill "$SPID"; wait "$SPID" 2>/dev/null || true
  wait "$cpid" 2>/dev/null || true
  if ! grep -q ready "$OUT/idle.out"; then  # a refused or failed connection: no figure
    printf "idle\t%s\t%s\tfailed: not every connection was made\n" "$label" "$mode"
    return 0
  fi
  awk -v l="$label" -v b="$before" -v a="$after" -v m="$mode" \
    'BEGIN { printf "idle\t%s\t%s\tbytes_per_conn=%.0f\n", l, m, (a - b) / 10000 }'
}

idle_warm_run() { # LABEL PORT MODE(idle|tcpidle) CMD...
  local label=$1 port=$2 mode=$3; shift 3
  start "$label" "$port" "$@"
  taskset -c 0 "$OUT/ws_client" "$mode" "$port" 1000 30 >"$OUT/warm.out" &
  local wpid=$!
  for _ in $(seq 300); do grep -q ready "$OUT/warm.out" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  local before after
  before=$(rss "$SPID")
  taskset -c 0 "$OUT/ws_client" "$mode" "$port" 10000 4 >"$OUT/idle.out" &
  local cpid=$!
  for _ in $(seq 300); do grep -q ready "$OUT/idle.out" 2>/dev/null && break; sleep 0.1; done
  sleep 1
  after=$(rss "$SPID")
  kill "$SPID"; wait "$SPID" 2>/dev/null || true
  kill "$wpid" 2>/dev/null || true
  wait "$cpid" "$wpid" 2>/dev/null || true
  if ! grep -q ready "$OUT/idle.out" || ! grep -q ready "$OUT/warm.out"; then
    printf "idle_warm\t%s\t%s\tfailed: not every connection was made\n" "$label" "$mode"
    return 0
  fi
  awk -v l="$label" -v b="$before" -v a="$after" -v m="$mode" \
    'BEGIN { printf "idle_warm\t%s\t%s\tbytes_per_conn=%.0f\n", l, m, (a - b) / 10000 }'
}

PARTS=${PARTS:-echo idle idle_warm}
part() { [[ " $PARTS " == *" $1 "* ]]; }
NODE_OK=0
if [ -z "${EVNODE_ONLY:-}" ]; then
  NODE_PATH=/usr/share/nodejs node -e "require('ws')" 2>/dev/null && NODE_OK=1
fi
if part echo; then
  for client in c evnode; do
    echo_run floor_ws 18301 "$client" "$OUT/floor_ws" 18301
    echo_run evnode 18302 "$client" "$EVNODE" ws echo --port 18302
    if [ "$NODE_OK" = 1 ]; then
      echo_run node_ws 18303 "$client" env NODE_PATH=/usr/share/nodejs node bench/ws/node_ws_echo.js 18303
    fi
  done
fi
if part idle; then
  idle_run evnode 18304 idle "$EVNODE" ws echo --port 18304
  idle_run evnode_tcp_echo 18305 tcpidle "$EVNODE" echo --port 18305
  if [ "$NODE_OK" = 1 ]; then
    idle_run node_ws 18306 idle env NODE_PATH=/usr/share/nodejs node bench/ws/node_ws_echo.js 18306
  fi
fi
if part idle_warm; then
  idle_warm_run evnode 18307 idle "$EVNODE" ws echo --port 18307
  idle_warm_run evnode_tcp_echo 18308 tcpidle "$EVNODE" echo --port 18308
fi
exit 0
