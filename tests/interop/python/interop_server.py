#!/usr/bin/python3
"""gRPC interop test server (grpc.testing.TestService) on grpcio.

The reference peer for crpc's interop client; see doc/interop.md. Implements
the server features of grpc/grpc doc/interop-test-descriptions.md, with
CompressedRequest checked by gunzipping requests itself (see
DecompressingInterceptor). Prints "listening on PORT" once it accepts calls (--port=0
picks a free port) and runs until SIGTERM or SIGINT.
"""

import argparse
import gzip
import os
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


# CompressedRequest. grpcio tells a servicer neither whether a message came
# compressed (its flag byte) nor the call's grpc-encoding. So the server
# turns grpc core's decompression off (grpc.per_message_decompression) and
# DecompressingInterceptor gunzips in the deserializer: gzip data starts
# 1f 8b, which no protobuf message can (field 3 with wire type 7). Requests
# that came compressed are remembered here, by id, until checked. Only gzip
# is recognised (what the interop clients send).
_compressed = {}
_compressed_lock = threading.Lock()


def _decompressing(deserialize):
    def wrapped(data):
        if data[:2] == b"\x1f\x8b":
            message = deserialize(gzip.decompress(data))
            with _compressed_lock:
                _compressed[id(message)] = message
            return message
        return deserialize(data)
    return wrapped


class DecompressingInterceptor(grpc.ServerInterceptor):
    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        return handler._replace(
            request_deserializer=_decompressing(handler.request_deserializer))


def was_compressed(request):
    with _compressed_lock:
        return _compressed.pop(id(request), None) is request


def check_compression(request, context):
    """A set expect_compressed must match how the request came."""
    compressed = was_compressed(request)
    if request.HasField("expect_compressed") and \
            request.expect_compressed.value != compressed:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                      "expected a compressed request"
                      if request.expect_compressed.value else
                      "expected an uncompressed request")


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
    # CompressedResponse: gzip the call once any reply asks about it, then
    # turn compression off for each reply that asks for none.
    compression = any(p.HasField("compressed")
                      for p in request.response_parameters)
    if compression:
        context.set_compression(grpc.Compression.Gzip)
    for params in request.response_parameters:
        if params.interval_us > 0:
            time.sleep(params.interval_us / 1e6)
        if compression and not params.compressed.value:
            context.disable_next_message_compression()
        yield messages_pb2.StreamingOutputCallResponse(
            payload=payload(request.response_type, params.size, context))


class TestService(test_pb2_grpc.TestServiceServicer):
    """Every TestService method but UnimplementedCall (left to the base)."""

    def EmptyCall(self, request, context):
        echo_metadata(context)
        return empty_pb2.Empty()

    def UnaryCall(self, request, context):
        echo_metadata(context)
        check_compression(request, context)
        echo_status(request, context)
        if request.response_compressed.value:
            context.set_compression(grpc.Compression.Gzip)
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
        total = 0
        for request in request_iterator:
            check_compression(request, context)
            total += len(request.payload.body)
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
    certs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "certs")
    parser.add_argument("--tls_cert_file",
                        default=os.path.join(certs, "server1.pem"),
                        help="PEM certificate chain (with --use_tls)")
    parser.add_argument("--tls_key_file",
                        default=os.path.join(certs, "server1.key"),
                        help="PEM private key (with --use_tls)")
    parser.add_argument("--client_ca_file", default="",
                        help="require client certificates signed by this "
                             "CA (mutual TLS, with --use_tls)")
    args = parser.parse_args()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16),
                         interceptors=(DecompressingInterceptor(),),
                         options=(("grpc.per_message_decompression", 0),))
    test_pb2_grpc.add_TestServiceServicer_to_server(TestService(), server)
    address = "%s:%d" % (args.host, args.port)
    if args.use_tls:
        if not args.tls_cert_file or not args.tls_key_file:
            sys.exit("--use_tls needs --tls_cert_file and --tls_key_file")
        with open(args.tls_key_file, "rb") as f:
            key = f.read()
        with open(args.tls_cert_file, "rb") as f:
            cert = f.read()
        if args.client_ca_file:
            with open(args.client_ca_file, "rb") as f:
                client_ca = f.read()
            creds = grpc.ssl_server_credentials(
                ((key, cert),), root_certificates=client_ca,
                require_client_auth=True)
        else:
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
