#!/bin/sh
# Over TLS: the grpcio interop client against crpc's interop server (its
# default certificate, tests/interop/certs/server1.pem), verifying it with
# the test CA for the name foo.test.google.fr, for every case of cases.txt.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"

need_python_grpc
server=$top_builddir/tests/interop/interop_server
need_program "$server"
start_server "$server" --port=0 --use_tls
run_cases "$DEBIAN_PYTHON3" "$python_dir/interop_client.py" \
  --server_host=127.0.0.1 --server_port="$port" --use_tls --use_test_ca \
  --ca_file="$interop_dir/certs/ca.pem" \
  --server_host_override=foo.test.google.fr
