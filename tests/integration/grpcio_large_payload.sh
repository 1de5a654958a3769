#!/usr/bin/env bash
# A grpcio client sends 1 MiB and 4 MiB - 64 payloads to test_server and
# gets them back byte for byte (Ask and Answer share field 1, so the reply
# bytes equal the request bytes).
set -u
builddir=${top_builddir:-.}
py=${DEBIAN_PYTHON3:-/usr/bin/python3}
"$py" -c 'import grpc' 2>/dev/null || { echo "SKIP: $py has no grpcio (apt-get install python3-grpcio)"; exit 77; }

tmp=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$builddir/tests/integration/test_server" > "$tmp/out" 2> "$tmp/err" &
server_pid=$!
for _ in $(seq 100); do
  port=$(grep -oE '[0-9]+$' "$tmp/out" 2>/dev/null | head -1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: test_server did not start"; exit 1; }

timeout 60 "$py" - "$port" <<'PY'
import os, sys, grpc

def field1(data):
    n, v = len(data), b""
    while True:
        b = n & 0x7f
        n >>= 7
        v += bytes([b | (0x80 if n else 0)])
        if not n:
            break
    return b"\x0a" + v + data

ch = grpc.insecure_channel("127.0.0.1:" + sys.argv[1],
                           options=[("grpc.max_receive_message_length", 8 << 20)])
run = ch.unary_unary("/crpctest.Test/Run")
for size in (0, 1 << 20, (4 << 20) - 64):
    req = field1(os.urandom(size)) if size else b""
    reply = run(req, timeout=20)
    if reply != req:
        print(f"FAIL {size} bytes: got {len(reply)} bytes back")
        sys.exit(1)
    print(f"PASS {size} bytes")
PY
