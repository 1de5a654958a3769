#!/usr/bin/env bash
# examples/user-order/tests/not_found_test.sh: unknown user, product and
# order give NOT_FOUND with a readable message and exit 1, and leave no
# order behind; bad arguments exit 2.
. "$(dirname "$0")/lib.sh"

start_all

expect_error() { # EXPECTED-STATUS EXPECTED-LINE ARGS...
  local want_status=$1 want=$2 status=0
  shift 2
  cli "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
  echo "order-cli $*: exit $status: $(cat "$tmp/err")"
  [ "$status" -eq "$want_status" ] || fail "exit $status, want $want_status"
  [ "$(cat "$tmp/err")" = "$want" ] || fail "want '$want'"
}

expect_error 1 "error: user 42 not found (NOT_FOUND)" \
  create --user 42 --item 1:1
expect_error 1 "error: product 99 not found (NOT_FOUND)" \
  create --user 1 --item 1:1 --item 99:1
expect_error 1 "error: order 12345 not found (NOT_FOUND)" get 12345
expect_error 1 "error: product 1 listed twice (INVALID_ARGUMENT)" \
  create --user 1 --item 1:1 --item 1:2
status=0
cli create --user 1 >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "create without items exited $status, want 2"

if command -v sqlite3 >/dev/null; then
  [ "$(sql orders 'SELECT count(*) FROM orders')" = 0 ] ||
    fail "a refused order left a row"
  [ "$(sql products 'SELECT count(*) FROM reservations')" = 0 ] ||
    fail "a refused order left a reservation"
fi
echo "PASS"
