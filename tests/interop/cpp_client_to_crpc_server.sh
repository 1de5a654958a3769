#!/bin/sh
# The gRPC C++ interop client against crpc's interop server, for every case
# enabled in cases.txt; first the C++ client against the C++ server, to
# prove the peer. The C++ programs are built once per build tree
# (cpp/build.sh).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"
. "$interop_dir/peers_lib.sh"

server=$top_builddir/tests/interop/interop_server
need_program "$server"
need_cpp_peers
self_check "gRPC C++" "$cpp_server" "$cpp_client"
start_server "$server" --port=0
run_cases "$cpp_client" --server_host=127.0.0.1 --server_port="$port"
