#!/bin/sh
# shellcheck disable=SC3013  # -nt: in dash, bash and busybox sh
# tests/interop/cpp/build.sh OUTDIR: builds the gRPC C++ interop peers,
# OUTDIR/interop_server and OUTDIR/interop_client, against the system's
# grpc++ (Debian: libgrpc++-dev, protobuf-compiler-grpc). See doc/interop.md.
#
# Exits 0 when both are built and newer than their sources (so a second run
# costs nothing), 77 with the reason on stdout when grpc++ or its tools are
# missing, 1 when the compile fails (remembered until a source changes, so
# the tests that run this again fail fast). Concurrent runs wait for each
# other (flock). Environment: PKG_CONFIG, PROTOC, GRPC_CPP_PLUGIN, CXX,
# CRPC_CPP_JOBS (parallel compiles, default 2).

set -u
src=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR}
proto_dir=$src/../proto

: "${PKG_CONFIG:=pkg-config}"
: "${PROTOC:=protoc}"
: "${GRPC_CPP_PLUGIN:=$(command -v grpc_cpp_plugin)}"
: "${CXX:=g++}"
: "${CRPC_CPP_JOBS:=2}"

skip() {
  echo "SKIP: $*"
  exit 77
}

command -v "$PKG_CONFIG" >/dev/null 2>&1 || skip "no pkg-config ($PKG_CONFIG)"
"$PKG_CONFIG" --exists grpc++ protobuf ||
  skip "pkg-config finds no grpc++ (apt-get install libgrpc++-dev)"
[ -n "$GRPC_CPP_PLUGIN" ] && [ -x "$GRPC_CPP_PLUGIN" ] ||
  skip "grpc_cpp_plugin not found (apt-get install protobuf-compiler-grpc)"
command -v "$PROTOC" >/dev/null 2>&1 || skip "no protoc ($PROTOC)"
command -v "$CXX" >/dev/null 2>&1 || skip "no C++ compiler ($CXX)"

mkdir -p "$out" || exit 99
out=$(cd "$out" && pwd)

# One build at a time per OUTDIR.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$out/.build.lock" && flock -w 600 9 ||
    { echo "cannot lock $out/.build.lock"; exit 99; }
fi

protos="grpc/testing/empty.proto grpc/testing/messages.proto grpc/testing/test.proto"
sources="$src/build.sh $src/interop_flags.h $src/interop_compression.h
$src/interop_server.cc $src/interop_client.cc"
for p in $protos; do sources="$sources $proto_dir/$p"; done

# newer FILE: FILE exists and is newer than every source.
newer() {
  [ -f "$1" ] || return 1
  for s in $sources; do
    [ "$s" -nt "$1" ] && return 1
  done
  return 0
}

if newer "$out/interop_server" && newer "$out/interop_client"; then
  exit 0
fi
if newer "$out/build.failed"; then
  echo "the C++ interop peers failed to build earlier; see $out/build.log"
  exit 1
fi
rm -f "$out/interop_server" "$out/interop_client" "$out/build.failed"

echo "building the gRPC C++ interop peers in $out (grpc++ $("$PKG_CONFIG" --modversion grpc++))"
start=$(date +%s)
gen=$out/gen
rm -rf "$gen" && mkdir -p "$gen" || exit 99
log=$out/build.log
: >"$log"

fail() {
  cat "$log"
  echo "FAIL: $*"
  touch "$out/build.failed"
  exit 1
}

# shellcheck disable=SC2086
"$PROTOC" --cpp_out="$gen" --grpc_out="$gen" \
  --plugin=protoc-gen-grpc="$GRPC_CPP_PLUGIN" -I "$proto_dir" $protos \
  >>"$log" 2>&1 || fail "protoc"

cflags="-std=c++17 -O0 -g0 -I$gen -I$src $("$PKG_CONFIG" --cflags grpc++ protobuf)"
libs=$("$PKG_CONFIG" --libs grpc++ protobuf)

# The translation units; empty.grpc.pb.cc and messages.grpc.pb.cc define
# nothing (no services) and are left out.
units="$gen/grpc/testing/empty.pb.cc $gen/grpc/testing/messages.pb.cc
$gen/grpc/testing/test.pb.cc $gen/grpc/testing/test.grpc.pb.cc
$src/interop_server.cc $src/interop_client.cc"
obj() { echo "$gen/$(basename "$1" .cc).o"; }

# Compile in parallel, CRPC_CPP_JOBS at a time.
export CXX cflags log
# shellcheck disable=SC2016
printf '%s\n' $units | xargs -P "$CRPC_CPP_JOBS" -I{} sh -c '
  o=$(dirname "$0")/$(basename "$1" .cc).o
  $CXX $cflags -c "$1" -o "$o" >>"$log" 2>&1 || { echo "cannot compile $1" >>"$log"; exit 1; }
' "$gen/x" {} || fail "compiling"

common="$(obj empty.pb.cc) $(obj messages.pb.cc) $(obj test.pb.cc) $(obj test.grpc.pb.cc)"
# shellcheck disable=SC2086
"$CXX" -o "$out/interop_server.tmp" "$(obj interop_server.cc)" $common $libs \
  -lpthread >>"$log" 2>&1 || fail "linking interop_server"
# shellcheck disable=SC2086
"$CXX" -o "$out/interop_client.tmp" "$(obj interop_client.cc)" $common $libs \
  -lpthread >>"$log" 2>&1 || fail "linking interop_client"
mv "$out/interop_server.tmp" "$out/interop_server" &&
  mv "$out/interop_client.tmp" "$out/interop_client" || exit 99
echo "built the C++ interop peers in $(($(date +%s) - start)) s"
