# tests/services/services_lib.sh: sourced by the reflection and health
# tests. Reuses tests/interop/interop_lib.sh (skip, start_server, the
# cleanup that kills the server and removes $tmp).
# shellcheck shell=sh disable=SC2154,SC2034
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"

services_dir=$top_srcdir/tests/services
services_server=$top_builddir/tests/services/services_server

# need_python_stubs: grpcio on Debian's python3, and Python modules for the
# reflection, health and svctest protos generated into $tmp/py.
need_python_stubs() {
  [ -x "$DEBIAN_PYTHON3" ] || skip "no Debian python3 at $DEBIAN_PYTHON3"
  "$DEBIAN_PYTHON3" -c 'import grpc' 2>/dev/null ||
    skip "$DEBIAN_PYTHON3 lacks grpcio (apt-get install python3-grpcio)"
  [ -n "$GRPC_PYTHON_PLUGIN" ] && [ -x "$GRPC_PYTHON_PLUGIN" ] ||
    skip "grpc_python_plugin not found (apt-get install protobuf-compiler-grpc)"
  mkdir -p "$tmp/py" "$tmp/proto" || exit 99
  # Under flat names: a grpc/ folder of modules would hide grpcio's grpc.
  cp "$top_srcdir/librpc/reflection/proto/grpc/reflection/v1/reflection.proto" \
    "$tmp/proto/reflection_v1.proto" &&
  cp "$top_srcdir/librpc/reflection/proto/grpc/reflection/v1alpha/reflection.proto" \
    "$tmp/proto/reflection_v1alpha.proto" &&
  cp "$top_srcdir/librpc/health/proto/grpc/health/v1/health.proto" \
    "$tmp/proto/health_v1.proto" || exit 99
  "$PROTOC" --python_out="$tmp/py" --grpc_python_out="$tmp/py" \
    --plugin=protoc-gen-grpc_python="$GRPC_PYTHON_PLUGIN" \
    -I "$tmp/proto" -I "$services_dir/proto" -I "$PROTO_INCLUDE" \
    reflection_v1.proto reflection_v1alpha.proto health_v1.proto \
    svctest/types.proto svctest/echo.proto || exit 99
  PYTHONPATH=$tmp/py
  export PYTHONPATH
  if ! err=$("$DEBIAN_PYTHON3" -c 'import reflection_v1_pb2_grpc, svctest.echo_pb2_grpc' 2>&1); then
    echo "$err" | tail -n 3
    skip "$DEBIAN_PYTHON3 cannot load what $PROTOC generated"
  fi
}
