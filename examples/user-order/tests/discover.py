"""examples/user-order/tests/discover.py: a grpcio client that knows none of
the user-order protos, run by reflection_health_test.sh. Over mutual TLS
with the test's certificates, for each ADDRESS=SERVICE given:

  - grpc.health.v1.Health/Check: "" (the server) and SERVICE are SERVING,
    an unknown name is NOT_FOUND;
  - grpc.reflection.v1 list_services is exactly SERVICE, health and both
    reflection versions;
  - file_containing_symbol SERVICE gives its .proto, which declares it;
  - with --call ADDRESS METHOD JSON: calls METHOD ("pkg.Service/Method")
    with the request JSON, the types built from what reflection sent, and
    prints the reply as JSON, the way grpcurl works.

Exits 0 when every check passes.
"""
import argparse
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf import message_factory

import health_v1_pb2
import health_v1_pb2_grpc
import reflection_v1_pb2
import reflection_v1_pb2_grpc

SERVING = health_v1_pb2.HealthCheckResponse.SERVING
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def reflect(channel, request):
    """One request on a ServerReflectionInfo stream, its one response."""
    stub = reflection_v1_pb2_grpc.ServerReflectionStub(channel)
    return next(stub.ServerReflectionInfo(iter([request]), timeout=10))


def file_of(channel, symbol):
    """A DescriptorPool with the file declaring |symbol| and its imports."""
    resp = reflect(channel, reflection_v1_pb2.ServerReflectionRequest(
        file_containing_symbol=symbol))
    files = [descriptor_pb2.FileDescriptorProto.FromString(raw) for raw in
             resp.file_descriptor_response.file_descriptor_proto]
    by_name = {fd.name: fd for fd in files}
    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(fd):  # imports (sent along) first
        if fd.name not in added:
            for dep in fd.dependency:
                add(by_name[dep])
            pool.Add(fd)
            added.add(fd.name)

    for fd in files:
        add(fd)
    return pool, files


def status_of(health, service):
    try:
        return health.Check(health_v1_pb2.HealthCheckRequest(service=service),
                            timeout=10).status
    except grpc.RpcError as e:
        return e.code()


def check_server(channel, address, service):
    health = health_v1_pb2_grpc.HealthStub(channel)
    check(status_of(health, "") == SERVING, address + ": server SERVING")
    check(status_of(health, service) == SERVING,
          "%s: %s SERVING" % (address, service))
    check(status_of(health, "no.Such") == grpc.StatusCode.NOT_FOUND,
          address + ": unknown name NOT_FOUND")

    resp = reflect(channel, reflection_v1_pb2.ServerReflectionRequest(
        list_services=""))
    names = sorted(s.name for s in resp.list_services_response.service)
    want = sorted([service, "grpc.health.v1.Health",
                   "grpc.reflection.v1.ServerReflection",
                   "grpc.reflection.v1alpha.ServerReflection"])
    check(names == want, "%s: lists %s" % (address, ", ".join(names)))

    _, files = file_of(channel, service)
    package, _, name = service.rpartition(".")
    declaring = [fd.name for fd in files if fd.package == package and
                 name in [s.name for s in fd.service]]
    check(len(declaring) == 1, "%s: reflection sends %s, declaring %s" %
          (address, ", ".join(declaring) or "no file", name))


def message_class(desc):
    """The Python class of a message type from a DescriptorPool."""
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(desc.file.pool).GetPrototype(desc)


def call(channel, method, request_json):
    service, _, name = method.partition("/")
    pool, _ = file_of(channel, service)
    desc = pool.FindServiceByName(service).FindMethodByName(name)
    request_class = message_class(desc.input_type)
    reply_class = message_class(desc.output_type)
    rpc = channel.unary_unary("/" + method,
                              request_serializer=lambda m: m.SerializeToString(),
                              response_deserializer=reply_class.FromString)
    reply = rpc(json_format.Parse(request_json, request_class()), timeout=10)
    print(json_format.MessageToJson(reply, indent=None))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--certs", required=True,
                        help="ca.pem, order-cli.pem and order-cli-key.pem")
    parser.add_argument("--call", nargs=3,
                        metavar=("ADDRESS", "METHOD", "JSON"))
    parser.add_argument("servers", nargs="*", metavar="ADDRESS=SERVICE")
    args = parser.parse_args()

    def read(name):
        with open("%s/%s" % (args.certs, name), "rb") as f:
            return f.read()

    creds = grpc.ssl_channel_credentials(read("ca.pem"),
                                         read("order-cli-key.pem"),
                                         read("order-cli.pem"))
    for spec in args.servers:
        address, service = spec.split("=")
        with grpc.secure_channel(address, creds) as channel:
            check_server(channel, address, service)
    if args.call:
        with grpc.secure_channel(args.call[0], creds) as channel:
            call(channel, args.call[1], args.call[2])
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
