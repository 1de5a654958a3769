#!/usr/bin/python3
"""gRPC interop test server (grpc.testing.TestService) on grpcio.

The reference peer for crpc's interop client; see doc/interop.md. Implements
the server features of grpc/grpc doc/interop-test-descriptions.md except
compression. Prints "listening on PORT" once it accepts calls (--port=0
picks a free port) and runs until SIGTERM or SIGINT.
"""

import argparse
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

sys.dont_write_bytecode = True  # keep the source tree clean
import interop_pb  # noqa: E402
from interop_pb import empty_pb2, messages_pb2, test_pb2_grpc

ECHO_INITIAL_KEY = "x-grpc-test-echo-initial"
ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin"


def echo_metadata(context):
    """Echo Metadata: the initial key back in headers, the -bin one in trailers."""
    for key, value in context.invocation_metadata():
        if key == ECHO_INITIAL_KEY:
            context.send_initial_metadata(((key, value),))
        elif key == ECHO_TRAILING_KEY:
            context.set_trailing_metadata(((key, value),))


def status_code(number):
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN


def echo_status(request, context):
    """Echo Status: ends the call with the status the request asks for."""
    if request.HasField("response_status") and request.response_status.code:
        context.abort(status_code(request.response_status.code),
                      request.response_status.message)


def payload(response_type, size, context):
    if response_type != messages_pb2.COMPRESSABLE:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                      "unsupported response_type %d" % response_type)
    if size < 0:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                      "negative size %d" % size)
    return messages_pb2.Payload(type=response_type, body=bytes(size))


def stream_replies(request, context):
    """One StreamingOutputCallResponse per ResponseParameters."""
    echo_status(request, context)
    for params in request.response_parameters:
        if params.interval_us > 0:
            time.sleep(params.interval_us / 1e6)
        yield messages_pb2.StreamingOutputCallResponse(
            payload=payload(request.response_type, params.size, context))


class TestService(test_pb2_grpc.TestServiceServicer):
    """Every TestService method but UnimplementedCall (left to the base)."""

    def EmptyCall(self, request, context):
        echo_metadata(context)
        return empty_pb2.Empty()

    def UnaryCall(self, request, context):
        echo_metadata(context)
        echo_status(request, context)
        return messages_pb2.SimpleResponse(payload=payload(
            request.response_type, request.response_size, context))

    def CacheableUnaryCall(self, request, context):
        context.send_initial_metadata((("cache-control", "max-age=60"),))
        body = str(time.time_ns()).encode()
        return messages_pb2.SimpleResponse(
            payload=messages_pb2.Payload(body=body))

    def StreamingOutputCall(self, request, context):
        echo_metadata(context)
        yield from stream_replies(request, context)

    def StreamingInputCall(self, request_iterator, context):
        echo_metadata(context)
        total = sum(len(r.payload.body) for r in request_iterator)
        return messages_pb2.StreamingInputCallResponse(
            aggregated_payload_size=total)

    def FullDuplexCall(self, request_iterator, context):
        echo_metadata(context)
        for request in request_iterator:
            yield from stream_replies(request, context)

    def HalfDuplexCall(self, request_iterator, context):
        echo_metadata(context)
        for request in list(request_iterator):
            yield from stream_replies(request, context)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1)")
    parser.add_argument("--use_tls", nargs="?", const=True, default=False,
                        type=interop_pb.parse_bool)
    parser.add_argument("--tls_cert_file", default="",
                        help="PEM certificate chain (with --use_tls)")
    parser.add_argument("--tls_key_file", default="",
                        help="PEM private key (with --use_tls)")
    args = parser.parse_args()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    test_pb2_grpc.add_TestServiceServicer_to_server(TestService(), server)
    address = "%s:%d" % (args.host, args.port)
    if args.use_tls:
        if not args.tls_cert_file or not args.tls_key_file:
            sys.exit("--use_tls needs --tls_cert_file and --tls_key_file")
        with open(args.tls_key_file, "rb") as f:
            key = f.read()
        with open(args.tls_cert_file, "rb") as f:
            cert = f.read()
        creds = grpc.ssl_server_credentials(((key, cert),))
        port = server.add_secure_port(address, creds)
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        sys.exit("cannot listen on " + address)
    server.start()
    print("listening on %d" % port, flush=True)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    server.stop(1).wait(5)


if __name__ == "__main__":
    main()
