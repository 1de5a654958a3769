"""The grpc.testing modules, generated from tests/interop/proto.

If CRPC_INTEROP_PYGEN names a directory, the modules generated there are
used (the make-check tests generate them once). Otherwise they are generated
into a temporary directory with $PROTOC (default protoc) and
$GRPC_PYTHON_PLUGIN (default grpc_python_plugin on PATH).
"""

import atexit
import os
import shutil
import subprocess
import tempfile

import grpc

PROTOS = [
    "grpc/testing/empty.proto",
    "grpc/testing/messages.proto",
    "grpc/testing/test.proto",
]


def generate(out_dir):
    """Runs protoc on the interop protos, writing Python modules to out_dir."""
    here = os.path.dirname(os.path.abspath(__file__))
    proto_dir = os.path.join(here, os.pardir, "proto")
    protoc = os.environ.get("PROTOC") or "protoc"
    plugin = (os.environ.get("GRPC_PYTHON_PLUGIN")
              or shutil.which("grpc_python_plugin"))
    if not plugin:
        raise RuntimeError("grpc_python_plugin not found")
    subprocess.run([
        protoc, "--python_out=" + out_dir, "--grpc_python_out=" + out_dir,
        "--plugin=protoc-gen-grpc_python=" + plugin, "-I", proto_dir
    ] + PROTOS, check=True)


def _gen_dir():
    gen = os.environ.get("CRPC_INTEROP_PYGEN")
    if gen:
        return gen
    gen = tempfile.mkdtemp(prefix="crpc-interop-py-")
    atexit.register(shutil.rmtree, gen, True)
    generate(gen)
    return gen


# The protos' package is grpc.testing, but grpcio owns the "grpc" package:
# let its subpackage search also look in the generated tree.
grpc.__path__.append(os.path.join(_gen_dir(), "grpc"))

from grpc.testing import empty_pb2  # noqa: E402
from grpc.testing import messages_pb2  # noqa: E402
from grpc.testing import test_pb2_grpc  # noqa: E402

__all__ = ["empty_pb2", "messages_pb2", "test_pb2_grpc", "generate"]


def parse_bool(text):
    """--flag=true|false|1|0|yes|no, or a bare --flag (True)."""
    value = text.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValueError("not a boolean: " + text)
