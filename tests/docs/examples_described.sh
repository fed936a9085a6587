#!/bin/bash
# tests/docs/examples_described.sh SOURCE_DIR -- every program in examples/ says what it is: its
# file opens with a comment that names it ("// NAME: ...") and shows the Node.js program it
# mirrors ("Node.js:"), and README.md's table of examples lists it (`NAME`; `async/NAME` for the
# co_await versions in examples/async/). Prints one line per example that falls short; exits
# non-zero if any does.
set -euo pipefail
src=$(cd "$1" && pwd)
bad=0
n=0
for f in "$src"/examples/*.cc "$src"/examples/async/*.cc; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .cc)
  listed=$name
  case $f in */examples/async/*) listed=async/$name ;; esac
  n=$((n + 1))
  header=$(sed -n '/^\/\//!q; p' "$f")
  if ! head -1 "$f" | grep -q "^// $name: "; then
    printf 'docs: FAILED: examples/%s.cc does not open with "// %s: what it does"\n' "$name" "$name"
    bad=1
  fi
  if ! grep -q 'Node\.js:' <<<"$header"; then
    printf 'docs: FAILED: examples/%s.cc: its opening comment shows no Node.js program\n' "$name"
    bad=1
  fi
  if ! grep -q "^| [^|]*\`$listed\`[^|]* |" "$src/README.md"; then
    printf "docs: FAILED: README.md's table of examples does not list %s\n" "$listed"
    bad=1
  fi
done
[ "$n" -gt 0 ] || { echo "docs: FAILED: no examples/*.cc" >&2; exit 1; }
[ "$bad" -eq 0 ] || exit 1
printf 'docs: all %d examples are described and listed in README.md\n' "$n"
