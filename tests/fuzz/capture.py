#!/usr/bin/python3
"""tests/fuzz/capture.py: records real HTTP/2 conversations as seeds.

    /usr/bin/python3 tests/fuzz/capture.py BUILDDIR

Starts BUILDDIR/tests/integration/test_server (crpc) and a grpcio server,
puts a recording proxy in front of each and makes calls through it with
grpcio (python3-grpcio) and nghttp (nghttp2-client). What each client sent
after the 24-byte preface becomes a seed of server_conn; what each server
answered becomes a seed of client_conn (first stream is 1 on both sides, as
for crpc's client). Rerun it only to refresh the committed seeds.
"""
import os
import select
import socket
import subprocess
import sys
import threading
import time
from concurrent import futures

import grpc

MAGIC = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HERE = os.path.dirname(os.path.abspath(__file__))


class Proxy:
    """Forwards one connection at a time to 127.0.0.1:|port|, recording."""

    def __init__(self, port):
        self.upstream = port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.sent = self.answered = b""
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        client, _ = self.sock.accept()
        server = socket.create_connection(("127.0.0.1", self.upstream))
        peers = {client: server, server: client}
        while peers:
            ready, _, _ = select.select(list(peers), [], [], 2.0)
            if not ready:
                break
            for s in ready:
                data = s.recv(65536)
                if not data:
                    for p in (s, peers[s]):
                        peers.pop(p, None)
                    continue
                if s is client:
                    self.sent += data
                else:
                    self.answered += data
                peers[s].sendall(data)
        client.close()
        server.close()

    def wait(self):
        self.thread.join(10)
        assert self.sent.startswith(MAGIC), self.sent[:30]
        return self.sent[len(MAGIC):], self.answered


def save(target, name, data):
    os.makedirs(os.path.join(HERE, "corpus", target), exist_ok=True)
    with open(os.path.join(HERE, "corpus", target, name), "wb") as f:
        f.write(data)


def ask(payload=b"", code=0, message="", echo=False):
    """crpctest.Ask by hand: bytes 1, int32 2, string 3, bool 5."""
    def varint(n):
        out = b""
        while True:
            b, n = n & 0x7F, n >> 7
            out += bytes([b | (0x80 if n else 0)])
            if not n:
                return out
    out = b""
    if payload:
        out += b"\x0a" + varint(len(payload)) + payload
    if code:
        out += b"\x10" + varint(code)
    if message:
        m = message.encode()
        out += b"\x1a" + varint(len(m)) + m
    if echo:
        out += b"\x28\x01"
    return out


def grpcio_call(port, path, request, metadata=None, timeout=5):
    proxy = Proxy(port)
    with grpc.insecure_channel("127.0.0.1:%d" % proxy.port) as ch:
        call = ch.unary_unary(path)
        try:
            call(request, metadata=metadata, timeout=timeout)
        except grpc.RpcError:
            pass
    return proxy.wait()


def nghttp_call(port, path, body, headers):
    proxy = Proxy(port)
    with open("/tmp/capture-body", "wb") as f:
        f.write(body)
    args = ["nghttp", "-d", "/tmp/capture-body"]
    for h in headers:
        args += ["-H", h]
    subprocess.run(args + ["http://127.0.0.1:%d%s" % (proxy.port, path)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=10)
    return proxy.wait()


def grpcio_server():
    def run(request, context):
        context.set_trailing_metadata((("x-trailer", "t"),
                                       ("x-trailer-bin", b"\x00\x01")))
        if request == b"fail":
            context.abort(grpc.StatusCode.NOT_FOUND, "no such thing: caf\u00e9")
        return request

    handler = grpc.method_handlers_generic_handler(
        "crpctest.Test", {"Run": grpc.unary_unary_rpc_method_handler(run)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def main():
    builddir = sys.argv[1]
    crpc = subprocess.Popen([os.path.join(builddir, "tests/integration/test_server")],
                            stdout=subprocess.PIPE, text=True)
    port = int(crpc.stdout.readline().split()[-1])
    gserver, gport = grpcio_server()
    run = "/crpctest.Test/Run"
    grpc_headers = ["content-type: application/grpc", "te: trailers"]
    try:
        sessions = {
            "grpcio_unary": (port, ask(b"hi"), None),
            "grpcio_status": (port, ask(code=5, message="not found: caf\u00e9 100%"), None),
            "grpcio_metadata": (port, ask(b"md", echo=True),
                                (("x-user", "alice"), ("x-trace-bin", b"\x00\xff\x10"))),
            "grpcio_split_data": (port, ask(b"x" * 20000), None),
            "grpcio_server": (gport, ask(b"hi"), None),
        }
        for name, (p, req, md) in sessions.items():
            sent, answered = grpcio_call(p, run, req, md)
            save("server_conn", name, sent)
            save("client_conn", name, answered)
        sent, answered = grpcio_call(gport, run, b"fail")
        save("client_conn", "grpcio_server_error", answered)
        frame = lambda m: b"\x00" + len(m).to_bytes(4, "big") + m
        sent, answered = nghttp_call(port, run, frame(ask(b"hi")), grpc_headers)
        save("server_conn", "nghttp_unary", sent)
        save("client_conn", "crpc_to_nghttp", answered)
        sent, _ = nghttp_call(port, run, frame(ask(b"a")) + frame(ask(b"b")),
                              grpc_headers + ["grpc-timeout: 10S"])
        save("server_conn", "nghttp_two_messages", sent)
        sent, _ = nghttp_call(port, "/crpctest.Test/Nope", b"", grpc_headers)
        save("server_conn", "nghttp_unknown_method", sent)
    finally:
        crpc.terminate()
        gserver.stop(0)


if __name__ == "__main__":
    main()
