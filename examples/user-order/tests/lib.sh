# examples/user-order/tests/lib.sh: sourced by the end-to-end tests. Starts
# the services as real processes on loopback the way they run for real:
# mutual TLS with a dev CA made for the test, names resolved through a
# dnsmasq the test starts (../dev_env.sh), two user-service instances behind
# users.svc.test; each service with its SQLite file in a fresh temporary
# directory. Kills whatever is left on exit.
#
#   start NAME PROGRAM ARGS...  starts PROGRAM with the test's certificates
#                               (--port 0 unless ARGS give one), waits for
#                               "listening on", sets ports[NAME]
#   start_users                 users1 on 127.0.0.2 and users2 on
#                               127.0.0.3, same port: users.svc.test
#   start_products [ARGS...]    products on 127.0.0.1: products.svc.test
#   start_orders [ARGS...]      orders, calling the others by DNS name
#   start_all [ORDER-SERVICE ARGS...]
#                               all of the above, wired together
#   target NAME PORT            dns://127.0.0.1:DNS-PORT/NAME.svc.test:PORT
#   stop NAME                   SIGTERM; fails unless it exits 0 within 10 s
#   stop_all                    stop, orders first
#   kill9 NAME                  SIGKILL, no questions asked
#   cli ARGS...                 order-cli against order-service (mTLS, by
#                               name), 20 s at most
#   sql NAME QUERY              sqlite3 on NAME's database (needs_sqlite3)
#   wait_for_log NAME REGEX     fails unless NAME's log has a line matching
#                               REGEX within 10 s
#   fail MESSAGE                prints MESSAGE and every log, exits 1
set -euo pipefail

builddir=${top_builddir:-.}
srcdir=${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
uo=$builddir/examples/user-order
user_service=$uo/users/user-service
product_service=$uo/products/product-service
order_service=$uo/orders/order-service
order_cli=$uo/cli/order-cli

# shellcheck source=../dev_env.sh
. "$srcdir/examples/user-order/dev_env.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/user-order-test.XXXXXX")
declare -A pids=() ports=() logs=()
certs=$tmp/certs
uo_dns_pid=

cleanup() {
  local name
  [ -z "$uo_dns_pid" ] || pids[dnsmasq]=$uo_dns_pid
  for name in "${!pids[@]}"; do
    kill -KILL "${pids[$name]}" 2>/dev/null || true
    wait "${pids[$name]}" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  local name
  echo "FAIL: $*"
  for name in "${!logs[@]}"; do
    echo "--- $name:"
    cat "${logs[$name]}" 2>/dev/null || true
  done
  exit 1
}

skip() {
  echo "SKIP: $*"
  exit 77
}

needs_sqlite3() {
  command -v sqlite3 >/dev/null ||
    skip "the sqlite3 command (Debian package sqlite3) is needed to count rows"
}

sql() {
  sqlite3 -cmd ".timeout 10000" "$tmp/$1.db" "$2"
}

command -v openssl >/dev/null || skip "no openssl command (Debian openssl)"
uo_dnsmasq_command 53 || skip "no dnsmasq (Debian dnsmasq-base)"
uo_make_certs "$certs" || fail "cannot make the test's certificates"
uo_start_dns "$tmp/dnsmasq.log" || fail "cannot start dnsmasq"
logs[dnsmasq]=$tmp/dnsmasq.log

# try_start NAME PROGRAM ARGS...: start, but returns 1 (with the reason in
# the log) when PROGRAM exits before listening.
try_start() {
  local name=$1 program=$2 port= skip_lines
  shift 2
  logs[$name]=$tmp/$name.log
  touch "${logs[$name]}" # before the background job's redirection opens it
  # A restart appends to the same log: read only what this run writes.
  skip_lines=$(wc -l <"${logs[$name]}")
  case " $* " in
  *" --port "*) "$program" --tls-dir "$certs" "$@" >>"${logs[$name]}" 2>&1 & ;;
  *) "$program" --tls-dir "$certs" --port 0 "$@" >>"${logs[$name]}" 2>&1 & ;;
  esac
  pids[$name]=$!
  for _ in $(seq 100); do
    port=$(tail -n +$((skip_lines + 1)) "${logs[$name]}" |
      sed -n 's/.*: listening on .*:\([0-9][0-9]*\)$/\1/p')
    [ -n "$port" ] && break
    if ! kill -0 "${pids[$name]}" 2>/dev/null; then
      wait "${pids[$name]}" 2>/dev/null || true
      unset "pids[$name]"
      return 1
    fi
    sleep 0.1
  done
  [ -n "$port" ] || fail "$name did not report its port within 10 s"
  ports[$name]=$port
}

start() {
  try_start "$@" || fail "$1 exited early"
}

target() {
  echo "dns://127.0.0.1:$uo_dns_port/$1.svc.test:$2"
}

# The second instance needs the first one's port on its own address; in
# the rare case that someone else holds it there, both try another.
start_users() {
  for _ in 1 2 3 4 5; do
    start users1 "$user_service" --host 127.0.0.2 --db "$tmp/users.db"
    try_start users2 "$user_service" --host 127.0.0.3 \
      --port "${ports[users1]}" --db "$tmp/users.db" && return 0
    kill9 users1
  done
  fail "no port free on both 127.0.0.2 and 127.0.0.3"
}

start_products() {
  start products "$product_service" --db "$tmp/products.db" "$@"
}

start_orders() {
  start orders "$order_service" --db "$tmp/orders.db" \
    --users "$(target users "${ports[users1]}")" \
    --products "$(target products "${ports[products]}")" "$@"
}

start_all() {
  start_users
  start_products
  start_orders "$@"
}

stop() {
  local name=$1 status=0
  kill -TERM "${pids[$name]}"
  for _ in $(seq 100); do
    kill -0 "${pids[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "${pids[$name]}" 2>/dev/null && fail "$name ignored SIGTERM for 10 s"
  wait "${pids[$name]}" || status=$?
  unset "pids[$name]"
  [ "$status" -eq 0 ] || fail "$name exited $status after SIGTERM"
}

stop_all() {
  local name
  for name in orders products users1 users2; do
    [ -z "${pids[$name]-}" ] || stop "$name"
  done
}

kill9() {
  kill -KILL "${pids[$1]}" 2>/dev/null || true
  wait "${pids[$1]}" 2>/dev/null || true
  unset "pids[$1]"
}

cli() {
  timeout 20 "$order_cli" --tls-dir "$certs" \
    --target "$(target orders "${ports[orders]}")" "$@"
}

wait_for_log() {
  for _ in $(seq 200); do
    grep -q "$2" "${logs[$1]}" && return 0
    sleep 0.05
  done
  fail "no '$2' in $1's log within 10 s"
}

# create_until_done REQUEST_ID ARGS...: `cli create`, retried with the same
# request id while it exits 3 (worth retrying), up to 50 times. Prints the
# order id on success; returns the last exit status.
create_until_done() {
  local id=$1 status out
  shift
  for _ in $(seq 50); do
    status=0
    out=$(cli create --request-id "$id" "$@" 2>>"$tmp/retries.log") ||
      status=$?
    if [ "$status" -eq 0 ]; then
      echo "$out" | sed -n 's/^order \([0-9]*\) .*/\1/p'
      return 0
    fi
    [ "$status" -eq 3 ] || return "$status"
    sleep 0.2
  done
  return "$status"
}
