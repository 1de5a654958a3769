#!/usr/bin/env bash
# examples/user-order/tests/backend_killed_test.sh: 40 orders from 4
# clients while backends die: one of two user-service instances is killed
# for good (order-service reaches users through an ipv4:A,B target), and
# product-service is killed and restarted on its port. Clients retry with
# the same request id whenever order-cli says the failure is worth it
# (exit 3); crpc has no retries of its own yet. Afterwards every order is
# there exactly once, none pending, and the stock moved exactly once per
# order, counted in the SQLite files.
. "$(dirname "$0")/lib.sh"
needs_sqlite3

start users1 "$user_service" --db "$tmp/users.db"
start users2 "$user_service" --db "$tmp/users.db"
start products "$product_service" --db "$tmp/products.db"
start orders "$order_service" --db "$tmp/orders.db" \
  --users "ipv4:127.0.0.1:${ports[users1]},127.0.0.1:${ports[users2]}" \
  --products "127.0.0.1:${ports[products]}"

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

done_count() { cat "$tmp"/id.* 2>/dev/null | grep -c . || true; }
until [ "$(done_count)" -ge 8 ]; do sleep 0.05; done
echo "killing user-service instance 1 after $(done_count) orders"
kill9 users1
until [ "$(done_count)" -ge 20 ]; do sleep 0.05; done
echo "killing product-service after $(done_count) orders"
kill9 products
sleep 0.5
start products "$product_service" --db "$tmp/products.db" \
  --port "${ports[products]}"
echo "product-service restarted"
wait "${jobs_[@]}" # not a bare wait: the servers are background jobs too

[ ! -s "$tmp/lost" ] || fail "$(cat "$tmp/lost")"
echo "retries: $(grep -c "^error" "$tmp/retries.log" || true) failed attempts, by kind:"
grep "^error" "$tmp/retries.log" | sed "s/[0-9][0-9]*/N/g" | sort | uniq -c | sort -rn
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
stop orders
stop products
stop users2
echo "PASS"
