#!/usr/bin/env bash
# scripts/install-deps.sh [build|test] -- installs the Debian packages evnode needs: `build`
# (the default; `make build`, `make run`) what building the library and the CLI needs; `test`
# (`make test`, `make bench`, `make fuzz`, `make docs`) that plus the test and benchmark tools
# and peers.
#
# Idempotent: packages already installed are skipped, `apt-get update` runs only when something
# is missing, and when everything is present the script prints nothing. Runs through sudo when
# not root (non-interactively when there is no terminal, so CI fails fast instead of waiting for
# a password). On a system without apt-get/dpkg it lists the packages and exits 1.
set -euo pipefail

mode=${1:-build}
case $mode in
  build | test) ;;
  *) printf 'usage: %s [build|test]\n' "$0" >&2; exit 2 ;;
esac

# Building the library and the CLI.
required=(
  build-essential cmake ninja-build pkg-config
  libuv1-dev libssl-dev openssl libc-ares-dev
  libidn2-dev  # IDNA for the URL parser's hosts (src/url/host.cc)
  zlib1g-dev libbrotli-dev  # gzip, deflate and brotli (src/zlib/), permessage-deflate (src/ws/)
)
# Tests, fuzzing, benchmarks and their peers.
for_tests=(
  libgtest-dev googletest libbenchmark-dev
  clang clang-format
  # libFuzzer and the sanitizer runtimes for clang 14 (the `fuzz` preset; `make test` runs it).
  libclang-rt-14-dev
  curl socat wrk dnsmasq python3 netcat-openbsd procps ca-certificates
  testssl.sh  # tests/tls/testssl_test.cc scans our TLS server's configuration
  doxygen     # the API reference (`make docs`); the suite fails on any Doxygen warning
  node-ws python3-websockets  # WebSocket interop peers (tests/ws/)
)
if [[ $mode == test ]]; then
  required+=("${for_tests[@]}")
  # Node.js is a test and benchmark peer; any `node` on PATH will do (it may come from
  # elsewhere).
  command -v node >/dev/null 2>&1 || required+=(nodejs)
fi
# nginx-light is the benchmark peer; newer Debian releases fold it into `nginx`.
nginx_choices=(nginx-light nginx)
# Installed only where the archive has them (none at the moment).
optional=()

say() { printf 'install-deps: %s\n' "$*" >&2; }

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  say "not a Debian-like system (no apt-get/dpkg); install these packages yourself:"
  printf '%s\n' "${required[@]}" "${nginx_choices[0]}" "${optional[@]}"
  exit 1
fi

installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

has_candidate() {
  local c
  c="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2; exit }')"
  [[ -n "$c" && "$c" != "(none)" ]]
}

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    say "not root and sudo is missing; run as root: $0"
    exit 1
  fi
  if [[ -t 0 ]]; then SUDO=(sudo); else SUDO=(sudo -n); fi
fi

missing=()
for p in "${required[@]}"; do
  installed "$p" || missing+=("$p")
done

nginx_ok=0
[[ $mode == test ]] || nginx_ok=1  # only a benchmark peer
for p in "${nginx_choices[@]}" nginx-core nginx-full nginx-extras; do
  if installed "$p"; then nginx_ok=1; break; fi
done

# An optional package is worth an `apt-get update` only if the archive is known to have it.
optional_wanted=()
for p in "${optional[@]}"; do
  installed "$p" && continue
  has_candidate "$p" && optional_wanted+=("$p")
done

if [[ ${#missing[@]} -eq 0 && $nginx_ok -eq 1 && ${#optional_wanted[@]} -eq 0 ]]; then
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq

if [[ $nginx_ok -eq 0 ]]; then
  for p in "${nginx_choices[@]}"; do
    if has_candidate "$p"; then missing+=("$p"); break; fi
  done
fi
# Re-check optional packages against the fresh lists.
optional_wanted=()
for p in "${optional[@]}"; do
  installed "$p" && continue
  has_candidate "$p" && optional_wanted+=("$p")
done
to_install=("${missing[@]}" "${optional_wanted[@]}")
[[ ${#to_install[@]} -gt 0 ]] || exit 0

say "installing: ${to_install[*]}"

# Keep package scripts from starting system services (dnsmasq on port 53, nginx on port 80):
# tests start their own instances on free ports. A policy-rc.d that is already there is left
# alone; ours is removed on exit.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\n# Temporary, from evnode scripts/install-deps.sh\nexit 101\n' |
    "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod 755 "$policy"
  own_policy=1
fi
cleanup() {
  if [[ $own_policy -eq 1 ]]; then "${SUDO[@]}" rm -f "$policy"; fi
}
trap cleanup EXIT

"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${to_install[@]}"

# If a service got started or enabled anyway (a booted systemd ignores policy-rc.d for units
# started later), stop and disable it.
for svc in dnsmasq nginx; do
  [[ " ${to_install[*]} " == *" ${svc}"* ]] || continue
  if [[ -d /run/systemd/system ]]; then
    "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
  else
    "${SUDO[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true
    "${SUDO[@]}" systemctl disable "$svc" >/dev/null 2>&1 || true
    if [[ -x "/etc/init.d/$svc" ]]; then
      "${SUDO[@]}" "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
  fi
done
