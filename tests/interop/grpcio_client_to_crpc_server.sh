#!/bin/sh
# The grpcio interop client against crpc's interop server, for every case
# enabled in cases.txt.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"

need_python_grpc
server=$top_builddir/tests/interop/interop_server
need_program "$server"
start_server "$server" --port=0
run_cases "$DEBIAN_PYTHON3" "$python_dir/interop_client.py" \
  --server_host=127.0.0.1 --server_port="$port"
