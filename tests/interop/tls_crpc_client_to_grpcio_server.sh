#!/bin/sh
# Over TLS: crpc's interop client (test CA, its default --ca_file) against
# the grpcio interop server with tests/interop/certs/server1.pem, for every
# case of cases.txt.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"

need_python_grpc
client=$top_builddir/tests/interop/interop_client
need_program "$client"
certs=$interop_dir/certs
start_server "$DEBIAN_PYTHON3" "$python_dir/interop_server.py" --port=0 \
  --use_tls --tls_cert_file="$certs/server1.pem" \
  --tls_key_file="$certs/server1.key"
run_cases "$client" --server_host=127.0.0.1 --server_port="$port" \
  --use_tls --use_test_ca --server_host_override=foo.test.google.fr
