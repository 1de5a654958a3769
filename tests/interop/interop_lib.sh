# tests/interop/interop_lib.sh: sourced by the interop tests.
#
# Skips (exit 77, with the reason) when Debian's python3 lacks grpcio or the
# tools to generate its modules; generates them into $tmp/py; starts servers
# in the background and kills everything this test started on exit.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
: "${DEBIAN_PYTHON3:=/usr/bin/python3}"
: "${PROTOC:=protoc}"
interop_dir=$top_srcdir/tests/interop
python_dir=$interop_dir/python

skip() {
  echo "SKIP: $*"
  exit 77
}

server_pid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/crpc-interop.XXXXXX") || exit 99
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    # timeout(1) passes the TERM on; give the server 10 s to go.
    for _ in $(seq 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# The Python peers run on Debian's python3 with python3-grpcio.
need_python_grpc() {
  [ -x "$DEBIAN_PYTHON3" ] || skip "no Debian python3 at $DEBIAN_PYTHON3"
  "$DEBIAN_PYTHON3" -c 'import grpc' 2>/dev/null ||
    skip "$DEBIAN_PYTHON3 lacks grpcio (apt-get install python3-grpcio)"
  [ -n "$GRPC_PYTHON_PLUGIN" ] && [ -x "$GRPC_PYTHON_PLUGIN" ] ||
    skip "grpc_python_plugin not found (apt-get install protobuf-compiler-grpc)"
  mkdir -p "$tmp/py" || exit 99
  "$PROTOC" --python_out="$tmp/py" --grpc_python_out="$tmp/py" \
    --plugin=protoc-gen-grpc_python="$GRPC_PYTHON_PLUGIN" \
    -I "$interop_dir/proto" grpc/testing/empty.proto \
    grpc/testing/messages.proto grpc/testing/test.proto || exit 99
  CRPC_INTEROP_PYGEN=$tmp/py
  export CRPC_INTEROP_PYGEN
  # protoc's Python output needs a python3-protobuf of the same release.
  if ! err=$(cd "$python_dir" && "$DEBIAN_PYTHON3" -c 'import interop_pb' 2>&1); then
    echo "$err" | tail -n 3
    skip "$DEBIAN_PYTHON3 cannot load what $PROTOC generated" \
      "(python3-protobuf and protoc versions differ?)"
  fi
}

# need_program PATH: our C program, built by make check.
need_program() {
  [ -x "$1" ] || { echo "FAIL: $1 not built"; exit 99; }
}

# start_server COMMAND...: runs a server that prints "listening on PORT",
# sets $port. The server's output goes to $tmp/server.log.
start_server() {
  timeout 600 "$@" >"$tmp/server.log" 2>&1 &
  server_pid=$!
  port=
  for _ in $(seq 200); do
    port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$tmp/server.log" 2>/dev/null || true)
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL: the server did not start: $*"
  cat "$tmp/server.log"
  exit 1
}

# The enabled cases of cases.txt.
enabled_cases() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$interop_dir/cases.txt"
}

# run_cases CLIENT_COMMAND...: runs the client once per enabled case
# (appending --test_case=NAME), each bounded; fails if any case failed.
run_cases() {
  failed=0
  for case in $(enabled_cases); do
    if ! timeout 120 "$@" --test_case="$case"; then
      echo "(case $case failed: client exit status $?)"
      failed=$((failed + 1))
    fi
  done
  if [ "$failed" -ne 0 ]; then
    echo "$failed case(s) failed; server log:"
    cat "$tmp/server.log"
    exit 1
  fi
}
