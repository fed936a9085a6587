#!/usr/bin/env bash
# The fuzz step of `make test`: builds every libFuzzer target (the `fuzz` preset, build-fuzz/)
# and runs each for a bounded time over a scratch copy of its seed corpus, so that a fuzz build
# that no longer compiles, or a target that crashes, fails the suite.
#
#   scripts/fuzz-check.sh [SECONDS]    # per target, default 30; JOBS=N limits the build
#   scripts/fuzz-check.sh 0            # only the seeds, each input once
#
# Targets follow fuzz/CMakeLists.txt's convention: fuzz/<name>_fuzz.cc builds
# build-fuzz/bin/fuzz_<name>, seeded from fuzz/corpus/<name>/ (required), with fuzz/<name>.dict
# if there is one. Prints one line per target and a last line `fuzz: ...` that says pass or
# fail; exits 1 on any failure. What a target writes is in build-fuzz/check/<name>.log, a crash
# input next to it (build-fuzz/check/<name>-crash-...).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${1:-30}"
check=build-fuzz/check

fail() {
  echo "fuzz: FAILED: $*"
  exit 1
}

names=()
for src in fuzz/*_fuzz.cc; do
  [[ -f "$src" ]] || continue
  n="${src#fuzz/}"
  names+=("${n%_fuzz.cc}")
done
[[ ${#names[@]} -gt 0 ]] || fail "no fuzz/*_fuzz.cc"

echo "== fuzz: building ${#names[@]} targets (build-fuzz)"
if [[ ! -f build-fuzz/CMakeCache.txt ]]; then
  cmake --preset fuzz || fail "configuring the fuzz preset"
fi
jobs=()
[[ -n "${JOBS:-}" ]] && jobs=(-j "$JOBS")
cmake --build --preset fuzz --target fuzz_targets "${jobs[@]}" || fail "the fuzz build"

rm -rf "$check"
mkdir -p "$check"
failed=()
for name in "${names[@]}"; do
  bin="build-fuzz/bin/fuzz_$name"
  log="$check/$name.log"
  if [[ ! -x "$bin" ]]; then
    echo "fuzz $name: FAILED (no $bin: is it in fuzz/CMakeLists.txt?)"
    failed+=("$name")
    continue
  fi
  if [[ ! -d "fuzz/corpus/$name" ]]; then
    echo "fuzz $name: FAILED (no seed corpus fuzz/corpus/$name)"
    failed+=("$name")
    continue
  fi
  work="$check/$name.corpus"
  mkdir -p "$work"
  cp -R "fuzz/corpus/$name/." "$work/"
  dict=()
  [[ -f "fuzz/$name.dict" ]] && dict=("-dict=fuzz/$name.dict")
  # -timeout: one input running that long is a hang, and a failure.
  if [[ "$seconds" == 0 ]]; then how=(-runs=0); else how=(-max_total_time="$seconds"); fi
  if "$bin" "${how[@]}" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$check/$name-" "${dict[@]}" "$work" >"$log" 2>&1; then
    runs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log")
    echo "fuzz $name: ok (${runs:-?} inputs in ${seconds} s)"
  else
    echo "fuzz $name: FAILED (exit $?); the end of $log:"
    tail -n 30 "$log" | sed 's/^/  /'
    failed+=("$name")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  fail "${failed[*]}"
fi
echo "fuzz: all ${#names[@]} targets passed (${seconds} s each)"
