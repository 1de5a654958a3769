#!/bin/sh
# Sanity check of the reference peers: the grpcio interop client, every
# case, against the grpcio interop server.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"

need_python_grpc
start_server "$DEBIAN_PYTHON3" "$python_dir/interop_server.py" --port=0
timeout 300 "$DEBIAN_PYTHON3" "$python_dir/interop_client.py" \
  --server_host=127.0.0.1 --server_port="$port" --test_case=all
