#!/usr/bin/env bash
# examples/user-order/tests/happy_path_test.sh: an order placed, read back
# and listed (server streaming); every service stops cleanly on SIGTERM.
. "$(dirname "$0")/lib.sh"

start_all

out=$(cli create --user 1 --item 1:2 --item 3:1) || fail "create exited $?"
echo "$out"
echo "$out" | grep -q '^order [0-9]*  CONFIRMED  user 1 (Ada Lovelace)' ||
  fail "create: no confirmed order for Ada"
echo "$out" | grep -q '^  total 42.30 EUR$' || fail "create: wrong total"
id=$(echo "$out" | sed -n 's/^order \([0-9]*\) .*/\1/p')

got=$(cli get "$id") || fail "get exited $?"
[ "$got" = "$out" ] || fail "get $id differs from what create returned"

cli create --user 1 --item 2:1 >/dev/null || fail "second create failed"
list=$(cli list --user 1) || fail "list exited $?"
echo "$list"
echo "$list" | grep -q "^order $id .*CONFIRMED" || fail "list misses order $id"
echo "$list" | grep -q '^2 order(s) for user 1$' || fail "list: expected 2"
list=$(cli list --user 3) || fail "list for user 3 exited $?"
[ "$list" = "0 order(s) for user 3" ] || fail "user 3 has orders: $list"

stop_all
echo "PASS"
