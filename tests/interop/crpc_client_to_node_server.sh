#!/bin/sh
# crpc's interop client against the grpc-js (Node) interop server, for every
# case enabled in cases.txt; first the grpc-js client against the grpc-js
# server, to prove the peer.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"
. "$interop_dir/peers_lib.sh"

client=$top_builddir/tests/interop/interop_client
need_program "$client"
need_node
self_check grpc-js "$node_server" "$node_client"
# shellcheck disable=SC2086
start_server $node_server --port=0
run_cases "$client" --server_host=127.0.0.1 --server_port="$port"
