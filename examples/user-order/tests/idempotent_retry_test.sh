#!/usr/bin/env bash
# examples/user-order/tests/idempotent_retry_test.sh: the same request id
# sent again, and sent five times at once, gives one order and takes the
# stock once.
. "$(dirname "$0")/lib.sh"
needs_sqlite3

start_all

first=$(cli create --user 2 --item 1:2 --request-id again-1) ||
  fail "first create exited $?"
second=$(cli create --user 2 --item 1:2 --request-id again-1) ||
  fail "repeated create exited $?"
echo "$second"
[ "$first" = "$second" ] || fail "the repeat returned a different order"
[ "$(sql products 'SELECT stock FROM products WHERE id = 1')" = 98 ] ||
  fail "stock of product 1 is not 100 - 2"

# Same id, different order: refused, nothing taken.
status=0
cli create --user 2 --item 1:3 --request-id again-1 2>"$tmp/err" || status=$?
[ "$status" -eq 1 ] && grep -q '(ALREADY_EXISTS)$' "$tmp/err" ||
  fail "a different order under a used request id was not refused"

# Five at once: one does the work, the others get it or ABORTED (in
# progress) and retry.
jobs_=()
for i in $(seq 5); do
  create_until_done again-2 --user 3 --item 2:1 >"$tmp/id.$i" &
  jobs_+=($!)
done
wait "${jobs_[@]}" # not a bare wait: the servers are background jobs too
sort -u "$tmp"/id.* >"$tmp/ids"
[ "$(wc -l <"$tmp/ids")" -eq 1 ] && [ -s "$tmp/ids" ] ||
  fail "concurrent repeats returned orders: $(cat "$tmp"/id.*)"
[ "$(sql orders "SELECT count(*) FROM orders WHERE request_id LIKE 'again-%'")" \
  = 2 ] || fail "expected exactly 2 order rows"
[ "$(sql products 'SELECT stock FROM products WHERE id = 2')" = 19 ] ||
  fail "stock of product 2 is not 20 - 1"
[ "$(sql products 'SELECT count(*) FROM reservation_lines')" = 2 ] ||
  fail "expected exactly 2 reservation lines"
echo "PASS"
