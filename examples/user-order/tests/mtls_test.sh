#!/usr/bin/env bash
# examples/user-order/tests/mtls_test.sh: the services speak mutual TLS
# only. A client with the dev CA's certificate gets in; one without a
# certificate, with a certificate from another CA, or in plaintext is
# refused (UNAVAILABLE, exit 3) and the server logs why; a client refuses
# a server whose certificate is not from the dev CA. --plaintext on both
# sides works, for local debugging.
. "$(dirname "$0")/lib.sh"

start_all

# A client certificate signed by another CA, next to the right ca.pem; and
# ca.pem alone, so that order-cli presents no certificate.
uo_make_certs "$tmp/rogue" || fail "cannot make the other CA"
mkdir "$tmp/foreign" "$tmp/none"
cp "$certs/ca.pem" "$tmp/foreign/"
cp "$tmp/rogue/order-cli.pem" "$tmp/rogue/order-cli-key.pem" "$tmp/foreign/"
cp "$certs/ca.pem" "$tmp/none/"

orders_target=$(target orders "${ports[orders]}")
# expect_refused WHAT SERVER-LOG-LINE ORDER-CLI-ARGS...: order-cli exits 3
# with UNAVAILABLE, and order-service logs SERVER-LOG-LINE (if not empty).
expect_refused() {
  local what=$1 want=$2 status=0
  shift 2
  timeout 20 "$order_cli" "$@" list --user 1 >"$tmp/out" 2>"$tmp/err" ||
    status=$?
  echo "$what: exit $status: $(tail -n 1 "$tmp/err")"
  [ "$status" -eq 3 ] || fail "$what: exit $status, want 3"
  grep -q '(UNAVAILABLE)$' "$tmp/err" || fail "$what: want UNAVAILABLE"
  [ ! -s "$tmp/out" ] || fail "$what: got an answer: $(cat "$tmp/out")"
  [ -z "$want" ] || grep -q "TLS handshake failed: .*$want" "${logs[orders]}" ||
    fail "$what: order-service did not log '$want'"
}

cli list --user 1 >/dev/null || fail "a client with a dev CA certificate: $?"
echo "with a dev CA certificate: ok"
expect_refused "no client certificate" "did not return a certificate" \
  --tls-dir "$tmp/none" --target "$orders_target"
grep -q "no $tmp/none/order-cli.pem: connecting without" "$tmp/err" ||
  fail "order-cli did not say it has no certificate"
expect_refused "a certificate from another CA" "certificate verify failed" \
  --tls-dir "$tmp/foreign" --target "$orders_target"
expect_refused "plaintext" "not a TLS ClientHello\|wrong version number" \
  --plaintext --target "$orders_target"

# The other way round: a server with another CA's certificate.
start rogue "$user_service" --tls-dir "$tmp/rogue" --db "$tmp/rogue.db"
status=0
timeout 20 "$order_cli" --tls-dir "$certs" users \
  --users "127.0.0.1:${ports[rogue]}" >/dev/null 2>"$tmp/err" || status=$?
echo "a server from another CA: exit $status: $(cat "$tmp/err")"
[ "$status" -eq 3 ] && grep -q 'certificate verify failed' "$tmp/err" ||
  fail "order-cli trusted a server from another CA"
stop rogue

# Plaintext on both sides, for debugging.
start plain "$user_service" --plaintext --db "$tmp/users.db"
timeout 20 "$order_cli" --plaintext users \
  --users "127.0.0.1:${ports[plain]}" | grep 'Ada Lovelace' ||
  fail "--plaintext client and server"
stop plain
stop_all
echo "PASS"
