#!/usr/bin/env bash
# A server out of file descriptors (EMFILE) pauses accepting instead of
# spinning on its still-readable listener, and serves again once descriptors
# are free. test_server runs with a small descriptor limit; 80 idle TCP
# connections exhaust it for 2 s.
set -u
builddir=${top_builddir:-.}
command -v nghttp >/dev/null || { echo "SKIP: nghttp not found (apt-get install nghttp2-client)"; exit 77; }
py=${DEBIAN_PYTHON3:-/usr/bin/python3}

tmp=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && { kill -9 "$server_pid"; wait "$server_pid"; } 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

(ulimit -n 64 && exec "$builddir/tests/integration/test_server") > "$tmp/server.out" 2> "$tmp/server.err" &
server_pid=$!
for _ in $(seq 100); do
  port=$(grep -oE '[0-9]+$' "$tmp/server.out" 2>/dev/null | head -1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: test_server did not start"; cat "$tmp/server.err"; exit 1; }

"$py" - "$port" <<'PY' || exit 1
import socket, sys, time
conns = []
for _ in range(80):
    conns.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5))
time.sleep(2)
for c in conns:
    c.close()
PY

pauses=$(grep -c 'accept: Too many open files; pausing' "$tmp/server.err")
others=$(grep -c 'accept: Too many open files$' "$tmp/server.err")
echo "EMFILE pauses logged: $pauses, unpaused EMFILE errors: $others"
# One pause per 100 ms at most: a spinning listener logs thousands.
if [ "$pauses" -lt 1 ] || [ "$pauses" -gt 60 ] || [ "$others" -ne 0 ]; then
  echo "FAIL: want 1..60 pauses and no unpaused EMFILE"
  head -20 "$tmp/server.err"
  exit 1
fi

# Served again once the idle connections are gone (the server closes them on
# EOF); the listener resumes within its pause.
printf '\x00\x00\x00\x00\x04\x0a\x02\x68\x69' > "$tmp/body"
for _ in $(seq 50); do
  if timeout 10 nghttp -v -d "$tmp/body" -H 'content-type: application/grpc' -H 'te: trailers' \
       "http://127.0.0.1:$port/crpctest.Test/Run" > "$tmp/out" 2>&1 &&
     grep -q 'grpc-status: 0' "$tmp/out"; then
    echo "PASS served after descriptors were freed"
    exit 0
  fi
  sleep 0.1
done
echo "FAIL: no well-formed call succeeded after the connections closed"
cat "$tmp/out"
exit 1
