#!/bin/bash
# tests/docs/whole_programs.sh BUILD_DIR SOURCE_DIR -- every whole program shown in the
# documentation compiles and links against the library of this build tree. A whole program is a
# fenced ```cpp block (or c++, cc, cxx) of README.md or docs/*.md that contains `int main`; other
# blocks are fragments and are left alone. Each one is written in turn, behind a #line directive
# naming its Markdown file and line, into BUILD_DIR/docs-programs/program.cc, the one source of
# the tree's docs_program target (tests/CMakeLists.txt: linked with evnode, built with the tree's
# flags, warnings included), and that target is built. Prints one line per block; exits non-zero
# if any block fails to build, or if no whole program is found at all.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
out="$build/docs-programs"
mkdir -p "$out"
step() { printf 'docs: %s\n' "$*"; }
fail() { printf 'docs: FAILED: %s\n' "$*" >&2; exit 1; }
# One build may not take longer than this many seconds (a first build of the library included).
limit=${DOCS_BUILD_TIMEOUT:-600}

# Every block as FILE:LINE (the line of its first code line) and its text, split into
# $out/blocks/N.cc and listed in $out/blocks/index (N FILE:LINE).
rm -rf "$out/blocks"
mkdir -p "$out/blocks"
cd "$src"
awk -v dir="$out/blocks" '
  FNR == 1 { inside = 0 }
  !inside && /^[ \t]*```[ \t]*(cpp|c\+\+|cc|cxx)[ \t]*$/ {
    inside = 1; n++; file = dir "/" n ".cc"; start = FNR + 1; text = ""; next
  }
  inside && /^[ \t]*```[ \t]*$/ {
    inside = 0
    if (text ~ /(^|[^A-Za-z0-9_])int[ \t]+main[ \t]*\(/) {
      printf "%s", text > file; close(file)
      print n, FILENAME ":" start > (dir "/index")
    }
    next
  }
  inside { text = text $0 "\n" }
' README.md docs/*.md
[ -s "$out/blocks/index" ] || fail "no \`\`\`cpp block with int main in README.md or docs/*.md"

failed=()
while read -r n where; do
  {
    printf '#line %s "%s"\n' "${where##*:}" "$src/${where%:*}"
    cat "$out/blocks/$n.cc"
  } >"$out/program.cc"
  if timeout "$limit" cmake --build "$build" --target docs_program </dev/null \
    >"$out/build.log" 2>&1; then
    step "compiles and links: $where"
  else
    failed+=("$where")
    printf 'docs: FAILED: %s does not build:\n' "$where" >&2
    grep -v '^\[' "$out/build.log" | head -40 >&2
  fi
done <"$out/blocks/index"

total=$(wc -l <"$out/blocks/index")
[ ${#failed[@]} -eq 0 ] || fail "${#failed[@]} of $total whole programs: ${failed[*]}"
step "all $total whole programs compile"
