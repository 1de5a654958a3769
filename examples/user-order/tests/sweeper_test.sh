#!/usr/bin/env bash
# examples/user-order/tests/sweeper_test.sh: an order that goes PENDING
# while order-service keeps running, with a ReserveStock that lands after
# its client gave up, is rolled back by the sweeper: order FAILED, stock
# back to what it was, reservation released, and a retry with the same
# request id gets the recorded failure. A confirmed order stays as it is.
. "$(dirname "$0")/lib.sh"
needs_sqlite3

start_users
start_products --slow-ms 2500
# Orders pending for 8 s are abandoned, longer than the 6 s client deadline
# below, as the README asks of --pending-timeout-ms.
start_orders --sweep-interval-ms 300 --pending-timeout-ms 8000
cli create --user 1 --item 4:1 --request-id kept-1 >/dev/null ||
  fail "create kept-1 exited $?"
stock=$(sql products 'SELECT stock FROM products WHERE id = 4')
kill -USR1 "${pids[products]}"
wait_for_log products 'delay now 2500 ms'

# BatchGetProducts takes 2.5 s, then the order is stored PENDING and
# ReserveStock waits 2.5 s more. product-service is stopped in that wait,
# so the client's deadline passes with the reservation's fate unknown.
status=0
cli --timeout-ms 6000 create --user 2 --item 4:2 --request-id swept-1 \
  2>"$tmp/err" >/dev/null &
cli_pid=$!
wait_for_log products 'ReserveStock: delaying'
kill -STOP "${pids[products]}"
wait "$cli_pid" || status=$?
echo "first attempt (exit $status): $(cat "$tmp/err")"
[ "$status" -eq 3 ] || fail "exit $status, want 3 (retry)"

# Resumed, product-service finds its delay over and (unless the sweeper's
# release got there first, which refuses it) takes the stock for an order
# whose client is gone. The client never retries: the sweeper must give
# the stock back.
kill -CONT "${pids[products]}"
for _ in $(seq 200); do
  [ "$(sql orders "SELECT state FROM orders WHERE request_id = 'swept-1'")" = \
    FAILED ] && break
  sleep 0.1
done
grep 'sweeper' "${logs[orders]}" || true
[ "$(sql orders "SELECT state, failure_code, failure FROM orders
      WHERE request_id = 'swept-1'")" = \
  'FAILED|9|abandoned: still pending after 8000 ms' ] ||
  fail "the pending order was not rolled back within 20 s"
grep -q 'sweeper: pending order [0-9]* (swept-1) released and failed' \
  "${logs[orders]}" || fail "no sweeper line in order-service's log"
[ "$(sql products "SELECT state FROM reservations WHERE id = 'swept-1'")" = \
  RELEASED ] || fail "the reservation is not released"
echo "late ReserveStock applied before the release:" \
  "$(sql products "SELECT count(*) FROM reservation_lines
       WHERE reservation_id = 'swept-1'") line(s)"
[ "$(sql products 'SELECT stock FROM products WHERE id = 4')" = "$stock" ] ||
  fail "stock of product 4 is not back to $stock"

status=0
cli create --user 2 --item 4:2 --request-id swept-1 2>"$tmp/err" >/dev/null ||
  status=$?
echo "retry of swept-1 (exit $status): $(cat "$tmp/err")"
[ "$status" -eq 1 ] &&
  grep -q 'abandoned: still pending after 8000 ms (FAILED_PRECONDITION)$' \
    "$tmp/err" || fail "the retry did not get the recorded failure"
[ "$(sql products 'SELECT stock FROM products WHERE id = 4')" = "$stock" ] ||
  fail "the retry took stock"
[ "$(sql orders 'SELECT group_concat(o) FROM
      (SELECT request_id || ":" || state AS o FROM orders ORDER BY id)')" = \
  'kept-1:CONFIRMED,swept-1:FAILED' ] ||
  fail "orders changed: $(sql orders 'SELECT request_id, state FROM orders')"
stop_all
echo "PASS"
