# tests/interop/peers_lib.sh: sourced after interop_lib.sh by the tests with
# the grpc-js (Node) and gRPC C++ peers (doc/interop.md).
# shellcheck shell=sh disable=SC2154,SC2034,SC3013
# (interop_lib.sh sets top_builddir and interop_dir; the tests use the
# *_server/*_client set here; -nt is in dash, bash and busybox sh.)
#
# need_node installs @grpc/grpc-js into the build tree with npm;
# need_cpp_peers builds the C++ programs there. Both skip (exit 77, with
# the reason) when their tools are missing. self_check runs a peer's client
# against its own server first, so that a broken peer is not taken for a
# crpc bug.

: "${NODE:=node}"
: "${NPM:=npm}"
node_src=$interop_dir/node
cpp_src=$interop_dir/cpp

# locked LOCKFILE COMMAND...: one at a time per build tree (the tests may
# run in parallel); no lock without flock(1). COMMAND may be a function.
locked() {
  (
    if command -v flock >/dev/null 2>&1; then
      flock -w 600 9 || { echo "cannot lock $1"; exit 99; }
    fi
    shift
    "$@"
  ) 9>"$1"
}

# npm_install DIR: installs package.json's pinned packages (package-lock.json)
# into DIR/node_modules unless already done for these files.
npm_install() {
  dir=$1
  stamp=$dir/node_modules/.crpc-installed
  if [ -f "$stamp" ] && [ ! "$node_src/package.json" -nt "$stamp" ] &&
     [ ! "$node_src/package-lock.json" -nt "$stamp" ]; then
    return 0
  fi
  if [ "$(cd "$node_src" && pwd)" != "$(cd "$dir" && pwd)" ]; then
    cp "$node_src/package.json" "$node_src/package-lock.json" "$dir/" ||
      return 1
  fi
  echo "npm install into $dir"
  # Few, short retries: an unreachable registry should skip the test soon.
  timeout 300 "$NPM" install --no-audit --no-fund --no-save \
      --fetch-retries=1 --fetch-retry-mintimeout=2000 \
      --fetch-retry-maxtimeout=10000 \
      --prefix "$dir" >"$dir/npm.log" 2>&1 &&
    touch "$stamp"
}

# need_node: @grpc/grpc-js and @grpc/proto-loader from the npm registry,
# installed into $top_builddir/tests/interop/node; sets NODE_PATH.
need_node() {
  command -v "$NODE" >/dev/null 2>&1 || skip "no node ($NODE) on PATH"
  command -v "$NPM" >/dev/null 2>&1 || skip "no npm ($NPM) on PATH"
  node_dir=$top_builddir/tests/interop/node
  mkdir -p "$node_dir" || exit 99
  if ! locked "$node_dir/.install.lock" npm_install "$node_dir"; then
    tail -n 20 "$node_dir/npm.log" 2>/dev/null
    skip "npm install of @grpc/grpc-js failed (registry unreachable?)"
  fi
  NODE_PATH=$node_dir/node_modules
  export NODE_PATH
  "$NODE" -e 'require("@grpc/grpc-js"); require("@grpc/proto-loader")' ||
    skip "node cannot load @grpc/grpc-js from $NODE_PATH"
  node_server="$NODE $node_src/interop_server.js"
  node_client="$NODE $node_src/interop_client.js"
}

# need_cpp_peers: builds (once per build tree) the gRPC C++ programs into
# $top_builddir/tests/interop/cpp; sets cpp_server and cpp_client.
need_cpp_peers() {
  cpp_dir=$top_builddir/tests/interop/cpp
  timeout 600 sh "$cpp_src/build.sh" "$cpp_dir" >"$tmp/cpp-build.out" 2>&1
  rc=$?
  cat "$tmp/cpp-build.out"
  case $rc in
    0) ;;
    77) exit 77 ;;  # build.sh said why
    *) echo "FAIL: the gRPC C++ peers did not build (exit $rc)"; exit 99 ;;
  esac
  cpp_server=$cpp_dir/interop_server
  cpp_client=$cpp_dir/interop_client
}

# stop_server: ends the server start_server started.
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" 2>/dev/null
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=
}

# self_check NAME SERVER_COMMAND CLIENT_COMMAND: a peer's client, every case
# (--test_case=all) in one run, against its own server. A failure here is the
# peer's or the environment's, not crpc's: the test errors out (exit 99).
self_check() {
  name=$1
  # shellcheck disable=SC2086
  start_server $2 --port=0
  # shellcheck disable=SC2086
  if ! timeout 120 $3 --server_host=127.0.0.1 --server_port="$port" \
      --test_case=all >"$tmp/self.log" 2>&1; then
    cat "$tmp/self.log"
    echo "ERROR: the $name client fails against the $name server; server log:"
    cat "$tmp/server.log"
    echo "(a bug of the $name peers or of this machine, not of crpc)"
    exit 99
  fi
  echo "self-check: the $name client passes against the $name server"
  stop_server
}
