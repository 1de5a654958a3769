#!/usr/bin/env bash
# scripts/deps.sh: the one list of Debian packages crpc needs to build and
# test. Installs the missing ones with apt-get when run as root; otherwise
# prints the apt-get line to run and exits 1. Says nothing when all are
# installed, so check.sh and demo.sh call it every time.
#
#   scripts/deps.sh          check, and install what is missing (root only)
#   scripts/deps.sh --list   print the packages, one a line
set -euo pipefail

# Needed by configure and make (configure.ac names the same packages).
build_packages=(
  build-essential autoconf automake libtool pkg-config
  libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotoc-dev
  libnghttp2-dev libssl-dev libc-ares-dev libev-dev libcriterion-dev
  zlib1g-dev libjson-c-dev libsqlite3-dev sqlite3
)

# Used by `make check`: interop peers (grpcio, gRPC C++), HTTP/2 and DNS
# tools for integration tests, clang's libFuzzer runtime, valgrind. Tests
# whose peer is missing skip, but CI must run them, so they are installed too.
test_packages=(
  python3-grpcio python3-protobuf libgrpc++-dev protobuf-compiler-grpc
  nghttp2-client dnsmasq-base openssl util-linux
  clang libclang-rt-14-dev valgrind
)

packages=("${build_packages[@]}" "${test_packages[@]}")

if [ "${1:-}" = --list ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "deps.sh: not a Debian system; make sure the equivalents of these are installed:" >&2
  echo "  ${packages[*]}" >&2
  exit 0
fi

# A package counts as installed when any architecture of it is ("ii").
is_installed() {
  dpkg-query -W -f='${db:Status-Abbrev}\n' "$1" 2>/dev/null | grep -q '^ii'
}

missing=()
for pkg in "${packages[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing Debian packages; install them with:" >&2
  echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"

# Say so plainly if apt-get reported success but something is still absent
# (a package name unknown to this release, for instance).
still_missing=()
for pkg in "${missing[@]}"; do
  is_installed "$pkg" || still_missing+=("$pkg")
done
if [ "${#still_missing[@]}" -ne 0 ]; then
  echo "deps.sh: still missing after apt-get: ${still_missing[*]}" >&2
  exit 1
fi
