#!/bin/sh
# crpc's interop client against the gRPC C++ interop server, for every case
# enabled in cases.txt; first the C++ client against the C++ server, to
# prove the peer. The C++ programs are built once per build tree
# (cpp/build.sh).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"
. "$interop_dir/peers_lib.sh"

client=$top_builddir/tests/interop/interop_client
need_program "$client"
need_cpp_peers
self_check "gRPC C++" "$cpp_server" "$cpp_client"
start_server "$cpp_server" --port=0
run_cases "$client" --server_host=127.0.0.1 --server_port="$port"
