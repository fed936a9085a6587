#!/bin/bash
# bench/serve/run.sh [EVNODE_BINARY] -- `evnode serve` against nginx (and the C sendfile floor)
# in ../shared/bench/peers.sh's file-download scenario: curl fetches a 1 GiB file three times
# over one keep-alive connection; the result is GB/s and the server's peak RSS.
#
#   bash bench/serve/run.sh                    # build/bin/evnode (make a release build first)
#   bash bench/serve/run.sh /tmp/rel/evnode    # any evnode binary
#
# The ratio to read is evnode's GB/s over nginx's, both measured in this one call (the floor
# runs before each of them, so each line also carries its ratio to the floor). Extra
# peers.sh options go in PEERS_OPTS (e.g. PEERS_OPTS='-n 5').
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
peers=$(cd "$repo/../shared/bench" 2>/dev/null && pwd)/peers.sh
evnode=${1:-$repo/build/bin/evnode}
[ -x "$evnode" ] || { echo "no evnode binary at $evnode (build the release first)" >&2; exit 1; }
[ -x "$peers" ] || { echo "no $peers (the shared yardstick)" >&2; exit 1; }
opts=(${PEERS_OPTS:-})
tsv=${TSV:-/tmp/bench-serve.tsv}

if command -v nginx >/dev/null; then
  "$peers" file-download "${opts[@]}" --tsv "$tsv" -l nginx -- \
    "$(dirname "$peers")/peers/nginx_static.sh" 18125
else
  echo "nginx is not installed: no reference run" >&2
fi
"$peers" file-download "${opts[@]}" --tsv "$tsv" -l evnode-serve -- \
  "$evnode" serve {files} --port 18126
echo "results appended to $tsv"
# Small files: requests per server CPU-second against nginx (two_cores.sh --one-core).
bash "$here/small_files.sh" "$evnode"
