#!/bin/sh
# Mutual TLS both ways with grpcio: each server requires a client
# certificate signed by the test CA. A client presenting
# tests/interop/certs/client.pem passes every case of cases.txt; one
# without a certificate is refused (UNAVAILABLE on crpc's side).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"

need_python_grpc
server=$top_builddir/tests/interop/interop_server
client=$top_builddir/tests/interop/interop_client
need_program "$server"
need_program "$client"
certs=$interop_dir/certs
py_client="$DEBIAN_PYTHON3 $python_dir/interop_client.py"

stop_server() {
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=
}

echo "== grpcio client -> crpc server (mutual TLS)"
start_server "$server" --port=0 --use_tls --client_ca_file="$certs/ca.pem"
# shellcheck disable=SC2086
run_cases $py_client --server_host=127.0.0.1 --server_port="$port" \
  --use_tls --use_test_ca --ca_file="$certs/ca.pem" \
  --server_host_override=foo.test.google.fr \
  --client_cert_file="$certs/client.pem" --client_key_file="$certs/client.key"
# shellcheck disable=SC2086
if timeout 60 $py_client --server_host=127.0.0.1 --server_port="$port" \
  --use_tls --use_test_ca --ca_file="$certs/ca.pem" \
  --server_host_override=foo.test.google.fr --test_case=empty_unary; then
  echo "FAIL: a grpcio client without a certificate got through"
  exit 1
fi
grep -q "did not return a certificate" "$tmp/server.log" || {
  echo "FAIL: crpc's server did not log the missing client certificate"
  cat "$tmp/server.log"
  exit 1
}
stop_server

echo "== crpc client -> grpcio server (mutual TLS)"
start_server "$DEBIAN_PYTHON3" "$python_dir/interop_server.py" --port=0 \
  --use_tls --tls_cert_file="$certs/server1.pem" \
  --tls_key_file="$certs/server1.key" --client_ca_file="$certs/ca.pem"
run_cases "$client" --server_host=127.0.0.1 --server_port="$port" \
  --use_tls --use_test_ca --server_host_override=foo.test.google.fr \
  --client_cert_file="$certs/client.pem" --client_key_file="$certs/client.key"
out=$(timeout 60 "$client" --server_host=127.0.0.1 --server_port="$port" \
  --use_tls --use_test_ca --server_host_override=foo.test.google.fr \
  --test_case=empty_unary 2>&1) && {
  echo "FAIL: crpc's client got through without a certificate"
  exit 1
}
echo "$out"
case $out in
*UNAVAILABLE*) ;;
*) echo "FAIL: expected UNAVAILABLE without a client certificate"; exit 1 ;;
esac
