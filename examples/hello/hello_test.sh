#!/usr/bin/env bash
# examples/hello/hello_test.sh: `make check` runs the hello example end to
# end: starts hello_server on a free loopback port, calls it with
# hello_client, checks the greeting and an error, then stops the server with
# SIGTERM and expects it to exit 0.
set -euo pipefail

builddir=${top_builddir:-.}
server=$builddir/examples/hello/hello_server
client=$builddir/examples/hello/hello_client

tmp=$(mktemp -d)
server_pid=

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  echo "--- server output:"
  cat "$tmp/server.out" 2>/dev/null || true
  exit 1
}

# Port 0: the server binds a free port and prints it.
"$server" --port 0 >"$tmp/server.out" 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^hello_server: listening on .*:\([0-9][0-9]*\)$/\1/p' \
    "$tmp/server.out" 2>/dev/null || true)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "hello_server exited early"
  sleep 0.1
done
[ -n "$port" ] || fail "hello_server did not report a port within 10 s"
echo "hello_server listens on 127.0.0.1:$port"

out=$(timeout 10 "$client" --target "127.0.0.1:$port" --name test) ||
  fail "hello_client exited $?"
echo "reply: $out"
[ "$out" = "Hello, test!" ] || fail "expected 'Hello, test!', got '$out'"

# An empty name is the handler's INVALID_ARGUMENT, reported on stderr.
if timeout 10 "$client" --target "127.0.0.1:$port" --name "" \
  >"$tmp/client.out" 2>&1; then
  fail "hello_client succeeded with an empty name"
fi
echo "empty name: $(cat "$tmp/client.out")"
grep -q '^error: .*(INVALID_ARGUMENT)$' "$tmp/client.out" ||
  fail "expected 'error: ... (INVALID_ARGUMENT)'"

kill -TERM "$server_pid"
for _ in $(seq 100); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "hello_server ignored SIGTERM for 10 s"
status=0
wait "$server_pid" || status=$?
server_pid=
[ "$status" -eq 0 ] || fail "hello_server exited $status after SIGTERM"
echo "hello_server stopped cleanly"
