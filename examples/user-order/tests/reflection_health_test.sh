#!/usr/bin/env bash
# examples/user-order/tests/reflection_health_test.sh: every service (both
# user-service instances too) answers grpc.health.v1.Health and server
# reflection over mutual TLS, checked by discover.py, a grpcio client that
# has none of the user-order protos: it lists the services, fetches each
# one's .proto by reflection, and calls GetUser and GetProduct with types
# built from those.
. "$(dirname "$0")/lib.sh"

python=${DEBIAN_PYTHON3:-/usr/bin/python3}
[ -x "$python" ] || skip "no Debian python3 at $python"
"$python" -c 'import grpc' 2>/dev/null ||
  skip "$python lacks grpcio (apt-get install python3-grpcio)"
[ -n "${GRPC_PYTHON_PLUGIN-}" ] && [ -x "$GRPC_PYTHON_PLUGIN" ] ||
  skip "grpc_python_plugin not found (apt-get install protobuf-compiler-grpc)"
# Health and reflection stubs, under flat names: a grpc/ folder of modules
# would hide grpcio's grpc.
mkdir -p "$tmp/proto" "$tmp/py"
cp "$srcdir/librpc/reflection/proto/grpc/reflection/v1/reflection.proto" \
  "$tmp/proto/reflection_v1.proto"
cp "$srcdir/librpc/health/proto/grpc/health/v1/health.proto" \
  "$tmp/proto/health_v1.proto"
"${PROTOC:-protoc}" --python_out="$tmp/py" --grpc_python_out="$tmp/py" \
  --plugin=protoc-gen-grpc_python="$GRPC_PYTHON_PLUGIN" -I "$tmp/proto" \
  reflection_v1.proto health_v1.proto || fail "protoc failed"
export PYTHONPATH=$tmp/py
"$python" -c 'import reflection_v1_pb2_grpc, health_v1_pb2_grpc' 2>/dev/null ||
  skip "$python cannot load what ${PROTOC:-protoc} generated"

start_all
discover() {
  timeout 60 "$python" "$srcdir/examples/user-order/tests/discover.py" \
    --certs "$certs" "$@" || fail "discover.py $*"
}
discover "127.0.0.2:${ports[users1]}=userorder.users.v1.UserService" \
  "127.0.0.3:${ports[users2]}=userorder.users.v1.UserService" \
  "127.0.0.1:${ports[products]}=userorder.products.v1.ProductService" \
  "127.0.0.1:${ports[orders]}=userorder.orders.v1.OrderService"

out=$(discover --call "127.0.0.2:${ports[users1]}" \
  userorder.users.v1.UserService/GetUser '{"id": 2}')
echo "$out"
echo "$out" | grep -q '"name": "Grace Hopper"' || fail "GetUser by reflection"
out=$(discover --call "127.0.0.1:${ports[products]}" \
  userorder.products.v1.ProductService/GetProduct '{"id": 5}')
echo "$out"
echo "$out" | grep -q '"stock": "10"' || fail "GetProduct by reflection"
stop_all
echo "PASS"
