#!/usr/bin/env bash
# Hostile and broken requests sent with nghttp (nghttp2-client) to a live
# test_server; each has a documented outcome, and a well-behaved call must
# still work afterwards. Outcomes are matched in nghttp -v's output.
set -u
builddir=${top_builddir:-.}
command -v nghttp >/dev/null || { echo "SKIP: nghttp not found (apt-get install nghttp2-client)"; exit 77; }

tmp=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$builddir/tests/integration/test_server" > "$tmp/server.out" 2> "$tmp/server.err" &
server_pid=$!
for _ in $(seq 100); do
  port=$(grep -oE '[0-9]+$' "$tmp/server.out" 2>/dev/null | head -1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: test_server did not start"; cat "$tmp/server.err"; exit 1; }
url=http://127.0.0.1:$port

failures=0
# check NAME EXPECTED-REGEX BODY-PRINTF [nghttp args...]
check() {
  local name=$1 want=$2 body=$3
  shift 3
  printf "$body" > "$tmp/body"
  timeout 10 nghttp -v -d "$tmp/body" "$@" > "$tmp/out" 2>&1
  if grep -qE "$want" "$tmp/out"; then
    echo "PASS $name"
  else
    echo "FAIL $name: wanted /$want/"
    grep -E "recv|ERROR|error" "$tmp/out" | head -20
    failures=$((failures + 1))
  fi
}
grpc=(-H 'content-type: application/grpc' -H 'te: trailers')
run=$url/crpctest.Test/Run

# Ask{payload="hi"}: 0a 02 68 69
ok='\x00\x00\x00\x00\x04\x0a\x02\x68\x69'
check well_formed_call 'grpc-status: 0' "$ok" "${grpc[@]}" "$run"
check wrong_content_type ':status: 415' "$ok" -H 'content-type: text/plain' "$run"
check missing_content_type ':status: 415' "$ok" "$run"
check content_type_suffix_ok 'grpc-status: 0' "$ok" -H 'content-type: application/grpc+proto' "$run"
check wrong_method ':status: 405' '' -H ':method: PUT' "${grpc[@]}" "$run"
check unknown_method 'grpc-message: unknown method Nope for service crpctest.Test' "$ok" "${grpc[@]}" "$url/crpctest.Test/Nope"
check unknown_service 'grpc-status: 12' "$ok" "${grpc[@]}" "$url/no.Such/Thing"
check path_without_method 'grpc-status: 12' "$ok" "${grpc[@]}" "$url/garbage"
check length_prefix_past_the_data 'grpc-message: request ended inside a message' '\x00\x00\x00\x00\x09\x0a\x02' "${grpc[@]}" "$run"
check length_prefix_over_the_limit 'grpc-status: 8' '\x00\x7f\xff\xff\xff' "${grpc[@]}" "$run"
check bad_compressed_flag 'grpc-status: 13' '\x07\x00\x00\x00\x00' "${grpc[@]}" "$run"
check compressed_without_encoding 'grpc-status: 13' '\x01\x00\x00\x00\x00' "${grpc[@]}" "$run"
check unknown_grpc_encoding 'grpc-status: 12' "$ok" "${grpc[@]}" -H 'grpc-encoding: snappy' "$run"
check malformed_protobuf 'grpc-status: 13' '\x00\x00\x00\x00\x02\x0a\x09' "${grpc[@]}" "$run"
check two_messages_on_unary 'grpc-status: 12' "$ok$ok" "${grpc[@]}" "$run"
check no_message_on_unary 'grpc-status: 12' '' "${grpc[@]}" "$run"
check invalid_timeout_unit 'grpc-status: 13' "$ok" "${grpc[@]}" -H 'grpc-timeout: 10x' "$run"
check timeout_too_many_digits 'grpc-status: 13' "$ok" "${grpc[@]}" -H 'grpc-timeout: 123456789m' "$run"
check expired_timeout 'grpc-status: 4' "$ok" "${grpc[@]}" -H 'grpc-timeout: 0n' "$run"
check invalid_base64_metadata 'grpc-status: 0' "$ok" "${grpc[@]}" -H 'x-data-bin: !!!' "$run"
check zero_length_message 'grpc-status: 0' '\x00\x00\x00\x00\x00' "${grpc[@]}" "$run"
check well_formed_call_after_all_that 'grpc-status: 0' "$ok" "${grpc[@]}" "$run"

kill -0 "$server_pid" 2>/dev/null || { echo "FAIL: test_server died"; cat "$tmp/server.err"; exit 1; }
[ "$failures" -eq 0 ] || { echo "$failures case(s) failed"; exit 1; }
