#!/bin/sh
# The grpc-js (Node) interop client against crpc's interop server, for every
# case enabled in cases.txt; first the grpc-js client against the grpc-js
# server, to prove the peer.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"
. "$interop_dir/peers_lib.sh"

server=$top_builddir/tests/interop/interop_server
need_program "$server"
need_node
self_check grpc-js "$node_server" "$node_client"
start_server "$server" --port=0
# shellcheck disable=SC2086
run_cases $node_client --server_host=127.0.0.1 --server_port="$port"
