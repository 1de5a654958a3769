"""tests/services/reflection_client.py: grpcio client of crpc's server
reflection, run by reflection_test.sh against services_server.

Sends every kind of request over one stream per version (v1 and v1alpha),
checks the answers, and builds the files it got into a protobuf
DescriptorPool, which fails unless every import came along. Exits 0 when
all checks pass.
"""
import argparse
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool

import reflection_v1_pb2
import reflection_v1_pb2_grpc
import reflection_v1alpha_pb2
import reflection_v1alpha_pb2_grpc

NOT_FOUND = 5
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def files_of(resp):
    """The FileDescriptorProtos of a file_descriptor_response, by name."""
    out = {}
    for raw in resp.file_descriptor_response.file_descriptor_proto:
        fd = descriptor_pb2.FileDescriptorProto()
        fd.ParseFromString(raw)
        out[fd.name] = fd
    return out, [descriptor_pb2.FileDescriptorProto.FromString(raw).name
                 for raw in resp.file_descriptor_response.file_descriptor_proto]


def pool_of(files):
    """A DescriptorPool with |files| added, imports first."""
    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(name):
        if name in added:
            return
        for dep in files[name].dependency:
            if dep not in files:
                raise KeyError("import %s of %s not sent" % (dep, name))
            add(dep)
        pool.Add(files[name])
        added.add(name)

    for name in files:
        add(name)
    return pool


def run(version, pb, stub_class, channel):
    stub = stub_class(channel)
    requests = [
        pb.ServerReflectionRequest(host="h", list_services=""),
        pb.ServerReflectionRequest(file_containing_symbol="svctest.Echo"),
        pb.ServerReflectionRequest(file_containing_symbol="svctest.Echo.Count"),
        pb.ServerReflectionRequest(file_containing_symbol="svctest.Point"),
        pb.ServerReflectionRequest(
            file_containing_symbol="svctest.Outer.Inner"),
        pb.ServerReflectionRequest(
            file_containing_symbol="svctest.Outer.Inner.Kind"),
        pb.ServerReflectionRequest(file_containing_symbol="svctest.Color"),
        pb.ServerReflectionRequest(file_containing_symbol="svctest.Nope"),
        pb.ServerReflectionRequest(file_by_filename="svctest/echo.proto"),
        pb.ServerReflectionRequest(file_by_filename="no/such.proto"),
        pb.ServerReflectionRequest(
            file_by_filename="google/protobuf/empty.proto"),
        pb.ServerReflectionRequest(
            file_containing_symbol="google.protobuf.Duration"),
        pb.ServerReflectionRequest(
            file_containing_symbol="grpc.health.v1.HealthCheckResponse."
                                   "ServingStatus"),
        pb.ServerReflectionRequest(
            file_containing_symbol="grpc.reflection.%s.ServerReflection."
                                   "ServerReflectionInfo" % version),
        pb.ServerReflectionRequest(
            file_containing_extension=pb.ExtensionRequest(
                containing_type="google.protobuf.MethodOptions",
                extension_number=50001)),
        pb.ServerReflectionRequest(
            file_containing_extension=pb.ExtensionRequest(
                containing_type="google.protobuf.MethodOptions",
                extension_number=7)),
        pb.ServerReflectionRequest(
            all_extension_numbers_of_type="google.protobuf.MethodOptions"),
        pb.ServerReflectionRequest(all_extension_numbers_of_type="svctest.Point"),
        pb.ServerReflectionRequest(all_extension_numbers_of_type="no.Such"),
        pb.ServerReflectionRequest(),
    ]
    # One stream; each answer is read before the next request goes out, so
    # the server must answer each request as it arrives.
    import queue
    q = queue.Queue()
    done = object()

    def gen():
        while True:
            item = q.get()
            if item is done:
                return
            yield item

    responses = stub.ServerReflectionInfo(gen(), timeout=30)
    answers = []
    for req in requests:
        q.put(req)
        answers.append(next(responses))
    q.put(done)
    check(list(responses) == [], version + ": stream ends after half-close")

    (ls, echo, count, point, inner, kind, color, nope, by_name, no_file,
     empty, duration, serving_status, info, ext, no_ext, ext_numbers,
     point_numbers, no_type, empty_req) = answers

    names = [s.name for s in ls.list_services_response.service]
    check(ls.valid_host == "h" and ls.original_request.list_services == "",
          version + ": valid_host and original_request echo the request")
    check(sorted(names) == sorted([
        "grpc.health.v1.Health", "svctest.Echo",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection"]),
          version + ": list_services lists every service: %s" % names)

    files, order = files_of(echo)
    check(order[0] == "svctest/echo.proto",
          version + ": symbol svctest.Echo -> svctest/echo.proto first")
    check({"svctest/echo.proto", "svctest/types.proto",
           "google/protobuf/timestamp.proto",
           "google/protobuf/descriptor.proto"} == set(order),
          version + ": with its transitive imports: %s" % order)
    pool = pool_of(files)
    method = pool.FindMethodByName("svctest.Echo.Say")
    check(method.input_type.fields_by_name["at"].message_type.full_name ==
          "google.protobuf.Timestamp",
          version + ": the files build a pool resolving WKT fields")
    check(pool.FindMessageTypeByName("svctest.Outer.Inner")
          .enum_types_by_name["Kind"].values_by_name["BIG"].number == 1,
          version + ": nested enum resolves")

    for name, answer, want in [
            ("svctest.Echo.Count", count, "svctest/echo.proto"),
            ("svctest.Point", point, "svctest/types.proto"),
            ("svctest.Outer.Inner", inner, "svctest/types.proto"),
            ("svctest.Outer.Inner.Kind", kind, "svctest/types.proto"),
            ("svctest.Color", color, "svctest/types.proto"),
            ("google.protobuf.Duration", duration,
             "google/protobuf/duration.proto"),
            ("grpc.health.v1.HealthCheckResponse.ServingStatus",
             serving_status, "grpc/health/v1/health.proto"),
            ("ServerReflectionInfo", info,
             "grpc/reflection/%s/reflection.proto" % version),
            ("extension 50001", ext, "svctest/types.proto"),
            ("file_by_filename", by_name, "svctest/echo.proto"),
            ("file_by_filename empty.proto", empty,
             "google/protobuf/empty.proto")]:
        got = files_of(answer)[1] if answer.HasField(
            "file_descriptor_response") else answer
        check(answer.HasField("file_descriptor_response") and got[0] == want,
              "%s: %s -> %s (%s)" % (version, name, want, got))
    files, order = files_of(ext)
    check("google/protobuf/descriptor.proto" in order,
          version + ": the extension's file comes with descriptor.proto")

    for name, answer in [("symbol svctest.Nope", nope),
                         ("file no/such.proto", no_file),
                         ("extension 7", no_ext),
                         ("type no.Such", no_type)]:
        check(answer.HasField("error_response") and
              answer.error_response.error_code == NOT_FOUND,
              version + ": %s: error_response NOT_FOUND (%s)" %
              (name, answer.error_response.error_message))
    check(empty_req.HasField("error_response") and
          empty_req.error_response.error_code != 0,
          version + ": an empty request gets an error_response")
    check(list(ext_numbers.all_extension_numbers_response.extension_number)
          == [50001] and ext_numbers.all_extension_numbers_response
          .base_type_name == "google.protobuf.MethodOptions",
          version + ": all_extension_numbers_of_type MethodOptions = [50001]")
    check(point_numbers.HasField("all_extension_numbers_response") and
          list(point_numbers.all_extension_numbers_response.extension_number)
          == [], version + ": a message without extensions: []")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with grpc.insecure_channel("127.0.0.1:%d" % args.port) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        run("v1", reflection_v1_pb2,
            reflection_v1_pb2_grpc.ServerReflectionStub, channel)
        run("v1alpha", reflection_v1alpha_pb2,
            reflection_v1alpha_pb2_grpc.ServerReflectionStub, channel)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all reflection checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
