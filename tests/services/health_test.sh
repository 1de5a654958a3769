#!/bin/sh
# grpc.health.v1.Health of a crpc server with a grpcio client: Check, Watch
# streaming changes, unknown services, NOT_SERVING when the server shuts
# down (health_client.py sends it SIGTERM).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/services/services_lib.sh"

need_python_stubs
need_program "$services_server"
start_server "$services_server" --port=0
if ! timeout 60 "$DEBIAN_PYTHON3" "$services_dir/health_client.py" \
    --port="$port" --server_pid="$server_pid"; then
  echo "server log:"
  cat "$tmp/server.log"
  exit 1
fi
# Watch handlers end at shutdown, so the server stops well within its 5 s
# grace; one still running would hold it there.
for _ in $(seq 30); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null || ! grep -q '^stopped$' "$tmp/server.log"; then
  echo "FAIL: the server did not stop within 3 s of SIGTERM; log:"
  cat "$tmp/server.log"
  exit 1
fi
echo "ok   the server stopped within 3 s"
