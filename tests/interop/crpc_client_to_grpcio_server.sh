#!/bin/sh
# crpc's interop client against the grpcio interop server, for every case
# enabled in cases.txt.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"

need_python_grpc
client=$top_builddir/tests/interop/interop_client
need_program "$client"
start_server "$DEBIAN_PYTHON3" "$python_dir/interop_server.py" --port=0
run_cases "$client" --server_host=127.0.0.1 --server_port="$port"
