#!/usr/bin/env bash
# examples/user-order/tests/deadline_test.sh: the deadline crosses both
# hops. With product-service slowed to 3 s, a CLI deadline of 300 ms ends
# the call with DEADLINE_EXCEEDED in about 300 ms, and product-service's
# handler, two hops away, sees its call cancelled at that time too. Same
# when order-service's own bound on backend calls is the shorter one.
# SIGUSR1 turns the delay off again.
. "$(dirname "$0")/lib.sh"

start_users
start_products --delay-ms 3000
start_orders --backend-timeout-ms 400

# expect_deadline MAX-MS ARGS...: create fails with DEADLINE_EXCEEDED,
# exit 3, within MAX-MS; product-service logs a cancelled handler.
expect_deadline() {
  local max=$1 start elapsed status=0 cancels
  shift
  cancels=$(grep -c 'cancelled after' "${logs[products]}" || true)
  start=$(date +%s%N)
  cli "$@" create --user 1 --item 1:1 >/dev/null 2>"$tmp/err" || status=$?
  elapsed=$((($(date +%s%N) - start) / 1000000))
  echo "after ${elapsed} ms: $(head -n 1 "$tmp/err")"
  [ "$status" -eq 3 ] || fail "exit $status, want 3"
  grep -q '(DEADLINE_EXCEEDED)' "$tmp/err" || fail "want DEADLINE_EXCEEDED"
  [ "$elapsed" -lt "$max" ] || fail "took ${elapsed} ms, want < ${max} ms"
  for _ in $(seq 40); do
    [ "$(grep -c 'cancelled after' "${logs[products]}")" -gt "$cancels" ] &&
      break
    sleep 0.05
  done
  [ "$(grep -c 'cancelled after' "${logs[products]}")" -gt "$cancels" ] ||
    fail "product-service's handler did not see the cancellation"
  grep 'cancelled after' "${logs[products]}" | tail -n 1
}

echo "# client deadline 300 ms, shorter than order-service's 400 ms bound"
expect_deadline 1500 --timeout-ms 300
echo "# client deadline 5 s, order-service bounds backend calls to 400 ms"
expect_deadline 1500 --timeout-ms 5000

[ "$(grep -c 'cancelled after [0-9]* ms' "${logs[products]}")" -ge 2 ] ||
  fail "missing cancellations"
# Neither attempt got as far as storing an order.
status=0
cli get 1 2>/dev/null || status=$?
[ "$status" -eq 1 ] || fail "an order was stored"

kill -USR1 "${pids[products]}"
for _ in $(seq 50); do
  grep -q 'delay now 0 ms' "${logs[products]}" && break
  sleep 0.1
done
cli create --user 1 --item 1:1 >/dev/null || fail "fast again: exit $?"
echo "PASS"
