# examples/user-order/tests/lib.sh: sourced by the end-to-end tests. Starts
# the services as real processes on loopback, each with its SQLite file in
# a fresh temporary directory, and kills whatever is left on exit.
#
#   start NAME PROGRAM ARGS...  starts PROGRAM (--port 0 unless ARGS give
#                               one), waits for "listening on", sets
#                               ports[NAME]
#   start_all [ORDER-SERVICE ARGS...]
#                               users, products, orders, wired together
#   stop NAME                   SIGTERM; fails unless it exits 0 within 10 s
#   kill9 NAME                  SIGKILL, no questions asked
#   cli ARGS...                 order-cli against order-service, 20 s at most
#   sql NAME QUERY              sqlite3 on NAME's database (needs_sqlite3)
#   fail MESSAGE                prints MESSAGE and every log, exits 1
set -euo pipefail

builddir=${top_builddir:-.}
uo=$builddir/examples/user-order
user_service=$uo/users/user-service
product_service=$uo/products/product-service
order_service=$uo/orders/order-service
order_cli=$uo/cli/order-cli

tmp=$(mktemp -d "${TMPDIR:-/tmp}/user-order-test.XXXXXX")
declare -A pids=() ports=() logs=()

cleanup() {
  local name
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

start() {
  local name=$1 program=$2 port= skip_lines
  shift 2
  logs[$name]=$tmp/$name.log
  touch "${logs[$name]}" # before the background job's redirection opens it
  # A restart appends to the same log: read only what this run writes.
  skip_lines=$(wc -l <"${logs[$name]}")
  case " $* " in
  *" --port "*) "$program" "$@" >>"${logs[$name]}" 2>&1 & ;;
  *) "$program" --port 0 "$@" >>"${logs[$name]}" 2>&1 & ;;
  esac
  pids[$name]=$!
  for _ in $(seq 100); do
    port=$(tail -n +$((skip_lines + 1)) "${logs[$name]}" |
      sed -n 's/.*: listening on .*:\([0-9][0-9]*\)$/\1/p')
    [ -n "$port" ] && break
    kill -0 "${pids[$name]}" 2>/dev/null || fail "$name exited early"
    sleep 0.1
  done
  [ -n "$port" ] || fail "$name did not report its port within 10 s"
  ports[$name]=$port
}

start_all() {
  start users "$user_service" --db "$tmp/users.db"
  start products "$product_service" --db "$tmp/products.db"
  start orders "$order_service" --db "$tmp/orders.db" \
    --users "127.0.0.1:${ports[users]}" \
    --products "127.0.0.1:${ports[products]}" "$@"
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

kill9() {
  kill -KILL "${pids[$1]}" 2>/dev/null || true
  wait "${pids[$1]}" 2>/dev/null || true
  unset "pids[$1]"
}

cli() {
  timeout 20 "$order_cli" --target "127.0.0.1:${ports[orders]}" "$@"
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
