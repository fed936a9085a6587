#!/bin/bash
# tests/packaging/check.sh BUILD_DIR SOURCE_DIR -- evnode as a library, the three ways a project
# takes it, each building and running tests/packaging/consumer (an HTTP server and a request to
# it): find_package against `cmake --install` output, pkg-config against the same tree, and
# add_subdirectory of the source tree (which must build only the library). Then a second build
# with BUILD_SHARED_LIBS=ON, installed: libevnode.so's SONAME and symlinks, the CLI finding it
# through its RUNPATH, and the consumer through find_package and pkg-config. Then `cpack`'s
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

step "BUILD_SHARED_LIBS=ON: libevnode.so and the CLI, installed into a fresh prefix"
# Unoptimised (no build type): what is under test is the packaging, and -O2 would triple the time.
cmake -S "$src" -B "$work/so" -G Ninja -DCMAKE_BUILD_TYPE= -DBUILD_SHARED_LIBS=ON \
  -DEVNODE_BUILD_CLI=ON -DEVNODE_BUILD_EXAMPLES=OFF -DEVNODE_BUILD_TESTS=OFF \
  -DEVNODE_BUILD_BENCH=OFF >"$work/so.log" 2>&1 || fail "configure: $(tail -20 "$work/so.log")"
cmake --build "$work/so" -j "$jobs" >>"$work/so.log" 2>&1 ||
  fail "build: $(tail -20 "$work/so.log")"
cmake --install "$work/so" --prefix "$work/so-prefix" >>"$work/so.log" 2>&1 ||
  fail "install: $(tail -20 "$work/so.log")"
lib="$work/so-prefix/lib"
[ ! -e "$lib/libevnode.a" ] || fail "a shared build installed libevnode.a"
# libevnode.so -> libevnode.so.MAJOR.MINOR (the SONAME) -> libevnode.so.MAJOR.MINOR.PATCH
v=${version#evnode }
soname=libevnode.so.${v%.*}
[ "$(readlink "$lib/libevnode.so")" = "$soname" ] ||
  fail "libevnode.so -> '$(readlink "$lib/libevnode.so")', not $soname"
[ "$(readlink "$lib/$soname")" = "libevnode.so.$v" ] ||
  fail "$soname -> '$(readlink "$lib/$soname")', not libevnode.so.$v"
[[ -f $lib/libevnode.so.$v && ! -L $lib/libevnode.so.$v ]] || fail "libevnode.so.$v is not a file"
readelf -d "$lib/libevnode.so.$v" | grep -q "(SONAME) *Library soname: \[$soname\]" ||
  fail "libevnode.so.$v has no SONAME $soname: $(readelf -d "$lib/libevnode.so.$v" | grep SONAME)"
# The installed CLI finds the library through its RUNPATH ($ORIGIN/../lib), nothing else.
out=$(env -u LD_LIBRARY_PATH "$work/so-prefix/bin/evnode" --version 2>&1) ||
  fail "installed shared CLI: $out"
[ "$out" = "$version" ] || fail "installed shared CLI said '$out'"
step "  libevnode.so -> $soname -> libevnode.so.$v (SONAME $soname); bin/evnode --version: $out"

step "find_package(evnode) against the shared install"
cmake -S "$here/consumer" -B "$work/so-fp" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/so-prefix" >"$work/so-fp.log" 2>&1 ||
  fail "configure: $(tail -20 "$work/so-fp.log")"
cmake --build "$work/so-fp" -j "$jobs" >>"$work/so-fp.log" 2>&1 ||
  fail "build: $(tail -20 "$work/so-fp.log")"
readelf -d "$work/so-fp/consumer" | grep -q "(NEEDED) *Shared library: \[$soname\]" ||
  fail "the consumer does not load $soname: $(readelf -d "$work/so-fp/consumer" | grep NEEDED)"
# CMake gives a consumer in its build tree the RUNPATH of the imported library's directory.
loaded=$(env -u LD_LIBRARY_PATH ldd "$work/so-fp/consumer" |
  awk -v l="$soname" '$1 == l { print $3 }')
[ "$loaded" = "$lib/$soname" ] || fail "the consumer would load '$loaded', not $lib/$soname"
out=$(env -u LD_LIBRARY_PATH "$work/so-fp/consumer") || fail "find_package consumer (shared): $out"
step "  ran: $out"

step "pkg-config against the shared install: -levnode alone (its dependencies are private)"
pc=$(PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --cflags --libs evnode) || fail "pkg-config evnode"
grep -q -- '-luv' <<<"$pc" && fail "pkg-config --libs of a shared libevnode lists libuv: $pc"
# shellcheck disable=SC2086
g++ -O1 -o "$work/so-pc-consumer" "$here/consumer/main.cc" $pc 2>"$work/so-pc.log" ||
  fail "g++ with pkg-config flags: $(tail -20 "$work/so-pc.log")"
out=$(LD_LIBRARY_PATH="$lib" "$work/so-pc-consumer") || fail "pkg-config consumer (shared): $out"
step "  ran (LD_LIBRARY_PATH=PREFIX/lib): $out"

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
for d in libuv1 libc-ares2 libssl3 libidn2-0 zlib1g libbrotli1 libuv1-dev libc-ares-dev libssl-dev \
         libidn2-dev zlib1g-dev libbrotli-dev; do
  grep -Eq "(^|, )$d( |,|$)" <<<"$depends" || fail "Depends lacks $d: $depends"
done
step "  $(basename "$deb"): Depends: $depends"
step "all passed"
