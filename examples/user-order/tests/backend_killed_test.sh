#!/usr/bin/env bash
# examples/user-order/tests/backend_killed_test.sh: 40 orders from 4
# clients while backends die. First one of the two user-service instances
# behind users.svc.test is killed for good: order-service's channel
# (round_robin, retries on UNAVAILABLE) moves to the other one and no
# client sees an error. Then product-service is killed and restarted on its
# port; clients retry with the same request id whenever order-cli says the
# failure is worth it (exit 3). Afterwards every order is there exactly
# once, none pending, and the stock moved exactly once per order, counted
# in the SQLite files.
. "$(dirname "$0")/lib.sh"
needs_sqlite3

start_all

client() { # N: places orders N, N+4, N+8, ...
  local i
  for i in $(seq "$1" 4 40); do
    create_until_done "load-$i" --user $((i % 3 + 1)) --item 3:1 \
      >"$tmp/id.$i" || echo "order load-$i failed: exit $?" >>"$tmp/lost"
  done
}
jobs_=()
for n in 1 2 3 4; do
  client "$n" &
  jobs_+=($!)
done

# wait_done N: waits until N orders are done or every client has finished.
wait_done() {
  until [ "$(cat "$tmp"/id.* 2>/dev/null | grep -c .)" -ge "$1" ]; do
    kill -0 "${jobs_[@]}" 2>/dev/null || break
    sleep 0.05
  done
  cat "$tmp"/id.* 2>/dev/null | grep -c . || true
}
echo "killing user-service instance 1 (127.0.0.2) after $(wait_done 8) orders"
kill9 users1
echo "killing product-service after $(wait_done 20) orders"
touch "$tmp/retries.log"
cp "$tmp/retries.log" "$tmp/retries-users.log"
kill9 products
sleep 0.5
start_products --port "${ports[products]}"
echo "product-service restarted"
wait "${jobs_[@]}" # not a bare wait: the servers are background jobs too

[ ! -s "$tmp/lost" ] || fail "$(cat "$tmp/lost")"
echo "retries: $(grep -c "^error" "$tmp/retries.log" || true) failed attempts, by kind:"
grep "^error" "$tmp/retries.log" | sed "s/[0-9][0-9]*/N/g" | sort | uniq -c | sort -rn
# order-service retried the calls that hit the dead user-service instance.
! grep '^error' "$tmp/retries-users.log" ||
  fail "clients saw errors while only a user-service instance was down"
[ "$(cat "$tmp"/id.* | sort -u | wc -l)" -eq 40 ] ||
  fail "40 orders did not get 40 distinct ids"
[ "$(sql orders "SELECT count(*) FROM orders WHERE request_id LIKE 'load-%'
  AND state = 'CONFIRMED'")" -eq 40 ] || fail "not 40 confirmed rows"
[ "$(sql orders "SELECT count(*) FROM orders")" -eq 40 ] ||
  fail "extra order rows"
[ "$(sql products "SELECT count(*) FROM reservations
  WHERE state = 'RESERVED'")" -eq 40 ] || fail "not 40 reservations"
[ "$(sql products 'SELECT stock FROM products WHERE id = 3')" -eq 460 ] ||
  fail "stock of product 3 is not 500 - 40"
stop_all
echo "PASS"
