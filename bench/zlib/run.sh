#!/bin/bash
# bench/zlib/run.sh [GZIP_FILE_BINARY] -- gzip of a 100 MiB text file through zlib::createGzip
# (examples/gzip_file.cc: pipeline(fs.createReadStream, createGzip({level: 6}),
# fs.createWriteStream)) against the `gzip -6` command, and Node's own pipeline when `node` is
# there. Each is run RUNS times (default 3) and its best wall time kept; the line to read is
#   ratio evnode/gzip=R   (throughput: gzip's best time over evnode's; the target is >= 0.95)
# Both outputs are checked with `gzip -t` and must decompress to the input.
#
#   bash bench/zlib/run.sh                          # build/bin/examples/gzip_file
#   SIZE_MB=20 RUNS=5 bash bench/zlib/run.sh        # a smaller file, more runs
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-$repo/build/bin/examples/gzip_file}
[ -x "$bin" ] || { echo "no $bin (build the release first: example_gzip_file)" >&2; exit 1; }
size_mb=${SIZE_MB:-100}
runs=${RUNS:-3}
work=$(mktemp -d /tmp/evnode-zlib-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The input: the repository's own sources and docs (real text: code, prose, tables), repeated
# until SIZE_MB MiB.
input=$work/input.txt
find "$repo/src" "$repo/include" "$repo/docs" "$repo/tools" -type f \( -name '*.cc' -o -name '*.h' \
  -o -name '*.md' \) -print0 | sort -z | xargs -0 cat >"$work/one.txt"
while [ "$(stat -c %s "$input" 2>/dev/null || echo 0)" -lt $((size_mb << 20)) ]; do
  cat "$work/one.txt" >>"$input"
done
truncate -s $((size_mb << 20)) "$input"
cat "$input" >/dev/null  # in the page cache for every run

best() {  # best wall time in seconds of RUNS runs of "$@"
  local b="" t
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N)
    "$@"
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}

t_gzip=$(best sh -c "gzip -6 -c '$input' > '$work/gzip.gz'")
t_evnode=$(best "$bin" "$input" "$work/evnode.gz" 6)
gzip -t "$work/evnode.gz"
cmp <(gzip -dc "$work/evnode.gz") "$input"
mib() { echo "scale=1; $size_mb / $1" | bc -l; }
printf 'gzip -6:               %6.2f s  %6s MiB/s  %s bytes\n' "$t_gzip" "$(mib "$t_gzip")" \
  "$(stat -c %s "$work/gzip.gz")"
printf 'evnode createGzip(6):  %6.2f s  %6s MiB/s  %s bytes\n' "$t_evnode" "$(mib "$t_evnode")" \
  "$(stat -c %s "$work/evnode.gz")"
if command -v node >/dev/null; then
  t_node=$(best node -e "
    const fs = require('fs'), zlib = require('zlib'), { pipeline } = require('stream');
    pipeline(fs.createReadStream(process.argv[1]), zlib.createGzip({ level: 6 }),
             fs.createWriteStream(process.argv[2]), (e) => { if (e) throw e; });
  " "$input" "$work/node.gz")
  printf 'node createGzip(6):    %6.2f s  %6s MiB/s  %s bytes\n' "$t_node" "$(mib "$t_node")" \
    "$(stat -c %s "$work/node.gz")"
fi
echo "ratio evnode/gzip=$(echo "scale=3; $t_gzip / $t_evnode" | bc -l)"
