#!/usr/bin/env bash
# examples/user-order/tests/oversell_test.sh: 30 concurrent orders for the
# 10 limited-edition mugs (product 5). However they interleave, the stock
# never goes below zero and what the confirmed orders hold is exactly what
# left the stock, counted in both services' SQLite files.
. "$(dirname "$0")/lib.sh"
needs_sqlite3

start_all
[ "$(sql products 'SELECT stock FROM products WHERE id = 5')" = 10 ] ||
  fail "product 5 is not seeded with 10"

jobs_=()
for i in $(seq 30); do
  quantity=$((i % 3 == 0 ? 2 : 1))
  (
    status=0
    cli create --user $((i % 3 + 1)) --item "5:$quantity" --item 3:1 \
      --request-id "mug-$i" >/dev/null 2>"$tmp/err.$i" || status=$?
    echo "$status" >"$tmp/status.$i"
  ) &
  jobs_+=($!)
done
wait "${jobs_[@]}" # not a bare wait: the servers are background jobs too

ok=$(grep -lx 0 "$tmp"/status.* | wc -l)
short=$(grep -l '(FAILED_PRECONDITION)$' "$tmp"/err.* | wc -l)
echo "$ok orders confirmed, $short refused for lack of stock"
[ $((ok + short)) -eq 30 ] || fail "$((30 - ok - short)) orders ended otherwise"

stock=$(sql products 'SELECT stock FROM products WHERE id = 5')
confirmed=$(sql orders "SELECT coalesce(sum(l.quantity), 0) FROM orders o
  JOIN order_lines l ON l.order_id = o.id
  WHERE o.state = 'CONFIRMED' AND l.product_id = 5")
reserved=$(sql products "SELECT coalesce(sum(l.quantity), 0)
  FROM reservations r JOIN reservation_lines l ON l.reservation_id = r.id
  WHERE r.state = 'RESERVED' AND l.product_id = 5")
echo "stock left $stock, in confirmed orders $confirmed, reserved $reserved"
[ "$stock" -ge 0 ] || fail "stock below zero"
[ $((stock + confirmed)) -eq 10 ] || fail "stock + confirmed != 10"
[ "$confirmed" -eq "$reserved" ] || fail "confirmed != reserved"
[ "$(sql orders "SELECT count(*) FROM orders WHERE state = 'CONFIRMED'")" \
  -eq "$ok" ] || fail "confirmed rows != successful creates"
[ "$(sql orders "SELECT count(*) FROM orders WHERE state = 'PENDING'")" \
  -eq 0 ] || fail "orders left pending"
# The paper filters on refused orders went back: only confirmed ones hold.
[ "$(sql products 'SELECT stock FROM products WHERE id = 3')" \
  -eq $((500 - ok)) ] || fail "product 3 stock leaked"
echo "PASS"
