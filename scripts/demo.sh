#!/usr/bin/env bash
# scripts/demo.sh: builds crpc and runs the demo, a server and a few client
# calls over loopback.
#
#   1. scripts/deps.sh (installs missing packages when root)
#   2. autoreconf -fi and configure, unless already done; make in build/
#   3. demo: start the server(s), make calls, stop them with SIGTERM
#
# Everything the demo starts is stopped when the script exits, however it
# exits. The demo itself is the function `demo` below; the rest is build
# steps and helpers for starting and stopping servers.
set -euo pipefail

cd "$(dirname "$0")/.."
srcdir=$PWD
builddir=$srcdir/build

say() { printf '\n==> %s\n' "$*"; }

# --- Build -------------------------------------------------------------------

build() {
  bash scripts/deps.sh
  if [ -f config.status ]; then
    echo "demo.sh: $srcdir is configured in tree; run 'make distclean' there first" >&2
    exit 1
  fi
  # Once configured, make reruns autoreconf and configure itself when
  # configure.ac or a Makefile fragment changes.
  if [ ! -f configure ]; then
    say "autoreconf -fi"
    autoreconf -fi
  fi
  mkdir -p "$builddir"
  if [ ! -f "$builddir/Makefile" ]; then
    say "configure in build"
    (cd "$builddir" && "$srcdir/configure" -q)
  fi
  say "make in build"
  make -C "$builddir" -j2
  make -C "$builddir" -j2 examples/hello/hello_server examples/hello/hello_client
}

# --- Servers -----------------------------------------------------------------

tmp=$(mktemp -d)
server_names=() # every server started, by index: its program's name
server_logs=()  # same index: its stdout and stderr
server_pids=()  # same index: its pid, until it is stopped

# Stops whatever is still running; the EXIT trap calls it.
cleanup() {
  local i
  for i in "${!server_pids[@]}"; do
    stop_server "$i" >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server PROGRAM ARGS...: starts PROGRAM in the background with
# --port 0, waits for its "listening on HOST:PORT" line, and sets
# server_port to that port.
server_port=
start_server() {
  local program=$1 i=${#server_names[@]} name log pid port=
  shift
  name=$(basename "$program")
  log=$tmp/$i.$name.log
  "$program" --port 0 "$@" >"$log" 2>&1 &
  pid=$!
  server_pids[i]=$pid
  server_names[i]=$name
  server_logs[i]=$log
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$log")
    [ -n "$port" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "demo.sh: $name exited before listening:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "demo.sh: $name did not report its port within 10 s" >&2
    return 1
  fi
  echo "$name (pid $pid) listens on 127.0.0.1:$port"
  server_port=$port
}

# stop_server INDEX: SIGTERM, up to 10 s to exit, then SIGKILL. Prints the
# server's output; fails unless it exited 0.
stop_server() {
  local i=$1 pid=${server_pids[$1]} name=${server_names[$1]} status=0
  echo "stopping $name (SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "demo.sh: $name ignored SIGTERM for 10 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || status=$?
  unset "server_pids[$i]"
  sed "s/^/  [$name] /" "${server_logs[$i]}"
  echo "$name exited with status $status"
  [ "$status" -eq 0 ]
}

stop_servers() {
  local i ok=0
  for i in "${!server_pids[@]}"; do
    stop_server "$i" || ok=1
  done
  return "$ok"
}

# run PROGRAM ARGS...: shows the command line like a shell session, then
# runs it (10 s at most).
run() {
  local shown
  shown=$(printf ' %q' "$(basename "$1")" "${@:2}")
  echo "\$${shown}"
  timeout 10 "$@"
}

# --- Demo --------------------------------------------------------------------

# The hello-world of doc/getting-started.md: one Greeter server, a few calls.
demo() {
  local bin=$builddir/examples/hello port

  say "hello world demo"
  start_server "$bin/hello_server"
  port=$server_port
  echo
  run "$bin/hello_client" --target "127.0.0.1:$port" --name world
  run "$bin/hello_client" --target "127.0.0.1:$port" --name crpc
  run "$bin/hello_client" --target "127.0.0.1:$port" --name "gRPC in C"
  echo
  echo "# An empty name is refused by the handler with INVALID_ARGUMENT;"
  echo "# the client prints the status and exits 1:"
  if run "$bin/hello_client" --target "127.0.0.1:$port" --name ""; then
    echo "demo.sh: expected the empty name to fail" >&2
    return 1
  fi
  echo
  stop_servers
}

build
demo
say "demo finished"
