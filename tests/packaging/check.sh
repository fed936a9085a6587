#!/bin/bash
# tests/packaging/check.sh BUILD_DIR SOURCE_DIR -- evnode as a library, the three ways a project
# takes it, each building and running tests/packaging/consumer (an HTTP server and a request to
# it): find_package against `cmake --install` output, pkg-config against the same tree, and
# add_subdirectory of the source tree (which must build only the library). Then `cpack`'s
# Debian package: its files and its Depends. Prints one line per check; exits non-zero on the
# first failure.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
here="$src/tests/packaging"
work=$(mktemp -d /tmp/evnode-packaging.XXXXXX)
trap 'rm -rf "$work"' EXIT
step() { printf 'packaging: %s\n' "$*"; }
fail() { printf 'packaging: FAILED: %s\n' "$*" >&2; exit 1; }
jobs=${JOBS:-2}

step "cmake --install into a fresh prefix"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" || fail "install: $(tail -5 "$work/install.log")"
for f in include/evnode/evnode.h include/evnode/version.h lib/libevnode.a bin/evnode \
         lib/cmake/evnode/evnodeConfig.cmake lib/cmake/evnode/evnodeConfigVersion.cmake \
         lib/cmake/evnode/evnodeTargets.cmake lib/pkgconfig/evnode.pc share/man/man1/evnode.1; do
  [ -e "$work/prefix/$f" ] || fail "not installed: $f"
done
version=$("$work/prefix/bin/evnode" --version)
[[ $version =~ ^evnode\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "evnode --version said '$version'"
step "installed: $version"

step "find_package(evnode) + evnode::evnode"
cmake -S "$here/consumer" -B "$work/fp" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/fp.log" 2>&1 || fail "configure: $(tail -20 "$work/fp.log")"
cmake --build "$work/fp" -j "$jobs" >>"$work/fp.log" 2>&1 || fail "build: $(tail -20 "$work/fp.log")"
out=$("$work/fp/consumer") || fail "find_package consumer: $out"
step "  ran: $out"

step "pkg-config --cflags --libs evnode"
pc=$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs evnode) ||
  fail "pkg-config evnode"
[ "$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --modversion evnode)" = "${version#evnode }" ] ||
  fail "pkg-config --modversion disagrees with evnode --version"
# shellcheck disable=SC2086
g++ -O1 -o "$work/pc-consumer" "$here/consumer/main.cc" $pc 2>"$work/pc.log" ||
  fail "g++ with pkg-config flags: $(tail -20 "$work/pc.log")"
out=$("$work/pc-consumer") || fail "pkg-config consumer: $out"
step "  ran: $out"

step "add_subdirectory(evnode): the library only"
cmake -S "$here/consumer" -B "$work/sub" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DEVNODE_SOURCE="$src" >"$work/sub.log" 2>&1 || fail "configure: $(tail -20 "$work/sub.log")"
# GTest is not needed and no CLI, example or test is part of the subproject's build.
targets=$(cmake --build "$work/sub" --target help 2>/dev/null)
for t in evnode_cli test_core example_http_hello; do
  grep -q "^$t:" <<<"$targets" && fail "add_subdirectory builds $t too"
done
cmake --build "$work/sub" -j "$jobs" >>"$work/sub.log" 2>&1 || fail "build: $(tail -20 "$work/sub.log")"
out=$("$work/sub/consumer") || fail "add_subdirectory consumer: $out"
step "  ran: $out"

step "cpack: the Debian package"
(cd "$build" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) || fail "cpack: $(tail -20 "$work/cpack.log")"
deb=$(ls "$work"/deb/evnode_*_amd64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no evnode_X.Y.Z_amd64.deb in $(ls "$work/deb")"
[ "$(basename "$deb")" = "evnode_${version#evnode }_amd64.deb" ] || fail "package named $(basename "$deb")"
files=$(dpkg-deb -c "$deb")
for f in ./usr/bin/evnode ./usr/include/evnode/evnode.h ./usr/include/evnode/version.h \
         ./usr/lib/libevnode.a ./usr/lib/cmake/evnode/evnodeConfig.cmake \
         ./usr/lib/pkgconfig/evnode.pc ./usr/share/man/man1/evnode.1; do
  grep -q " $f\$" <<<"$files" || fail "$f is not in the package"
done
depends=$(dpkg-deb -f "$deb" Depends)
for d in libuv1 libc-ares2 libssl3 libidn2-0 libuv1-dev libc-ares-dev libssl-dev libidn2-dev; do
  grep -Eq "(^|, )$d( |,|$)" <<<"$depends" || fail "Depends lacks $d: $depends"
done
step "  $(basename "$deb"): Depends: $depends"
step "all passed"
