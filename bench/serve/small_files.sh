#!/bin/bash
# bench/serve/small_files.sh [EVNODE_BINARY] -- `evnode serve` against nginx on small files, with
# ../shared/bench/two_cores.sh --one-core (server pinned to one core, `wrk -t1 -c64` keep-alive on
# the other, requests per server CPU-second): the 1 KiB index.html quiet (-q) and with the
# access log on, then the same file grown to 64 KiB (for both servers: the wrapper rewrites it
# before evnode starts, and nginx has no open-file cache). Each scenario ends with
#   ratio raw=R cpu=C   (evnode over nginx: req/s, and req per server CPU-second)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
yardstick=$(cd "$repo/../shared/bench" 2>/dev/null && pwd)/two_cores.sh
evnode=${1:-$repo/build/bin/evnode}
[ -x "$evnode" ] || { echo "no evnode binary at $evnode (build the release first)" >&2; exit 1; }
[ -f "$yardstick" ] || { echo "no $yardstick (the shared yardstick)" >&2; exit 1; }
opts=(-n "${RUNS:-3}" -d "${SECS:-5}")

echo "== 1 KiB, -q"
bash "$yardstick" --one-core "${opts[@]}" -- "$evnode" serve {dir} --port {port} -q | tail -2
echo "== 1 KiB, access log on (to a file)"
bash "$yardstick" --one-core "${opts[@]}" -- "$evnode" serve {dir} --port {port} | tail -2
echo "== 64 KiB, -q"
bash "$yardstick" --one-core "${opts[@]}" -- bash -c \
  'head -c 65536 /dev/zero | tr "\0" x > "$1/index.html" && exec "$0" serve "$1" --port "$2" -q' \
  "$evnode" {dir} {port} | tail -2
