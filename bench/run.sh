#!/bin/bash
# `make bench`: every benchmark suite, one after the other, on a release build (build/).
# Each suite measures its peers (the C floor, nginx, Node.js) in the same call and prints ratios;
# see the header of each script for its targets and options.
#
#   bash bench/run.sh [SUITE...]   suites: net http client https serve threads async udp dns zlib (default: all)
set -uo pipefail
cd "$(dirname "$0")/.."
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(net http client https serve threads async udp dns zlib)
failed=()
for s in "${suites[@]}"; do
  echo "=== bench: $s"
  case $s in
    net | http | client | https | serve | threads | async | zlib) bash "bench/$s/run.sh" ;;
    udp) bash bench/udp_bench.sh ;;
    dns) bash bench/dns_bench.sh ;;
    *) echo "unknown suite '$s'" >&2; false ;;
  esac || failed+=("$s")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: failed suites: ${failed[*]}" >&2
  exit 1
fi
