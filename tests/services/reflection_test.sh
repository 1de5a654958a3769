#!/bin/sh
# Server reflection (v1 and v1alpha) of a crpc server, explored by a grpcio
# client: list_services, file_by_filename, file_containing_symbol,
# extensions, errors that leave the stream open (reflection_client.py).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/services/services_lib.sh"

need_python_stubs
need_program "$services_server"
start_server "$services_server" --port=0
if ! timeout 60 "$DEBIAN_PYTHON3" "$services_dir/reflection_client.py" \
    --port="$port"; then
  echo "server log:"
  cat "$tmp/server.log"
  exit 1
fi
