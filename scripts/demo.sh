#!/usr/bin/env bash
# scripts/demo.sh: builds crpc and runs the demo, examples/user-order: three
# services (users, products, orders) calling each other over loopback with
# mutual TLS, finding each other by DNS name, driven by order-cli.
#
#   1. scripts/deps.sh (installs missing packages when root)
#   2. autoreconf -fi and configure, unless already done; make in build/
#   3. demo: make a dev CA on first run (build/examples/user-order/run/
#      certs), start dnsmasq and the services (two user-service instances
#      behind users.svc.test), place and read orders, look at the services
#      through reflection (buf curl, when installed), kill a user-service
#      instance, slow product-service down, stop everything with SIGTERM
#
# Everything the demo starts is stopped when the script exits, however it
# exits. The demo itself is the function `demo` below; the rest is build
# steps and helpers for starting and stopping servers.
set -euo pipefail

cd "$(dirname "$0")/.."
srcdir=$PWD
builddir=$srcdir/build

say() { printf '\n==> %s\n' "$*"; }

# --- Build -------------------------------------------------------------------

build() {
  bash scripts/deps.sh
  if [ -f config.status ]; then
    echo "demo.sh: $srcdir is configured in tree; run 'make distclean' there first" >&2
    exit 1
  fi
  # Once configured, make reruns autoreconf and configure itself when
  # configure.ac or a Makefile fragment changes.
  if [ ! -f configure ]; then
    say "autoreconf -fi"
    autoreconf -fi
  fi
  mkdir -p "$builddir"
  if [ ! -f "$builddir/Makefile" ]; then
    say "configure in build"
    (cd "$builddir" && "$srcdir/configure" -q)
  fi
  say "make in build"
  make -C "$builddir" -j2
  make -C "$builddir" -j2 examples/user-order/users/user-service \
    examples/user-order/products/product-service \
    examples/user-order/orders/order-service examples/user-order/cli/order-cli
}

# --- Servers -----------------------------------------------------------------

# The dev CA, certificates and dnsmasq set-up (examples/user-order/dev_env.sh).
# shellcheck source=examples/user-order/dev_env.sh
. "$srcdir/examples/user-order/dev_env.sh"

tmp=$(mktemp -d)
server_names=() # every server started, by index: its program's name
server_logs=()  # same index: its stdout and stderr
server_pids=()  # same index: its pid, until it is stopped
uo_dns_pid=     # dnsmasq's, once started

# Stops whatever is still running; the EXIT trap calls it.
cleanup() {
  local i
  for i in "${!server_pids[@]}"; do
    stop_server "$i" >/dev/null 2>&1 || true
  done
  stop_dns
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stop_dns() {
  [ -n "$uo_dns_pid" ] || return 0
  kill -TERM "$uo_dns_pid" 2>/dev/null || true
  wait "$uo_dns_pid" 2>/dev/null || true
  uo_dns_pid=
}

# start_server PROGRAM ARGS...: starts PROGRAM in the background with
# --port 0 (unless ARGS give another --port, which wins), waits for its
# "listening on HOST:PORT" line, and sets server_port to that port.
server_port=
start_server() {
  local program=$1 i=${#server_names[@]} name log pid address port=
  shift
  name=$(basename "$program")
  log=$tmp/$i.$name.log
  : >"$log" # before the background job's redirection opens it
  "$program" --port 0 "$@" >"$log" 2>&1 &
  pid=$!
  server_pids[i]=$pid
  server_names[i]=$name
  server_logs[i]=$log
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$log")
    [ -n "$port" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "demo.sh: $name exited before listening:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "demo.sh: $name did not report its port within 10 s" >&2
    return 1
  fi
  address=$(sed -n 's/.*listening on \(.*\)$/\1/p' "$log")
  echo "$name (pid $pid) listens on $address"
  server_port=$port
}

# stop_server INDEX: SIGTERM, up to 10 s to exit, then SIGKILL. Prints the
# server's output; fails unless it exited 0.
stop_server() {
  local i=$1 pid=${server_pids[$1]} name=${server_names[$1]} status=0
  echo "stopping $name (SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "demo.sh: $name ignored SIGTERM for 10 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || status=$?
  unset "server_pids[$i]"
  sed "s/^/  [$name] /" "${server_logs[$i]}"
  echo "$name exited with status $status"
  [ "$status" -eq 0 ]
}

# kill_server INDEX: SIGKILL, the way a crashed machine stops; no output.
kill_server() {
  local i=$1 pid=${server_pids[$1]}
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "server_pids[$i]"
  echo "killed ${server_names[$i]} (pid $pid) with SIGKILL"
}

stop_servers() {
  local i ok=0
  for i in "${!server_pids[@]}"; do
    stop_server "$i" || ok=1
  done
  return "$ok"
}

# run PROGRAM ARGS...: shows the command line like a shell session, then
# runs it (30 s at most).
run() {
  local shown
  shown=$(printf ' %q' "$(basename "$1")" "${@:2}")
  echo "\$${shown}"
  timeout 30 "$@"
}

# --- Demo --------------------------------------------------------------------

# examples/user-order (its README.md explains the services and the
# consistency rules behind what this shows).
demo() {
  local bin=$builddir/examples/user-order db=$tmp/db cli dns
  local users1 users_port products products_port orders_target id out status
  cli=$bin/cli/order-cli
  # Every program reads ./certs by default: run them all from here.
  mkdir -p "$db" "$bin/run"
  cd "$bin/run"

  say "user-order demo: dnsmasq, user-service x2, product-service, order-service"
  if [ -f certs/ca.pem ]; then
    echo "# mutual TLS with the dev CA made on the first run, in $PWD/certs"
  else
    echo "# first run: a dev CA and a certificate per program, in $PWD/certs"
    uo_make_certs certs
  fi
  ls certs
  uo_start_dns "$tmp/dnsmasq.log"
  dns=dns://127.0.0.1:$uo_dns_port
  echo "dnsmasq (pid $uo_dns_pid) on 127.0.0.1:$uo_dns_port:" \
    "${uo_dns_records[*]}"
  echo "# Each service owns its SQLite file in $db; the two user-service"
  echo "# instances share users.db, each on its own loopback address."
  users1=${#server_names[@]}
  start_server "$bin/users/user-service" --host 127.0.0.2 --db "$db/users.db"
  users_port=$server_port
  start_server "$bin/users/user-service" --host 127.0.0.3 \
    --port "$users_port" --db "$db/users.db"
  products=${#server_names[@]}
  start_server "$bin/products/product-service" --db "$db/products.db" \
    --slow-ms 3000
  products_port=$server_port
  # round_robin over both users.svc.test addresses, and retries of
  # UNAVAILABLE, are in order-service's service config for each channel.
  start_server "$bin/orders/order-service" --db "$db/orders.db" \
    --users "$dns/users.svc.test:$users_port" \
    --products "$dns/products.svc.test:$products_port"
  orders_target=$dns/orders.svc.test:$server_port

  # order ARGS...: order-cli against order-service, by name, over mTLS.
  order() {
    run "$cli" --target "$orders_target" "$@"
  }

  say "who and what is there"
  run "$cli" users --users "$dns/users.svc.test:$users_port"
  run "$cli" products --products "$dns/products.svc.test:$products_port" \
    1 2 3 4 5

  say "place an order, read it back, list the user's orders (a stream)"
  out=$(order create --user 1 --item 1:2 --item 3:1 --request-id demo-1)
  echo "$out"
  id=$(echo "$out" | sed -n 's/^order \([0-9]*\) .*/\1/p')
  order get "$id"
  order list --user 1

  say "the same request again (a client retry): same order, stock taken once"
  order create --user 1 --item 1:2 --item 3:1 --request-id demo-1
  run "$cli" products --products "$dns/products.svc.test:$products_port" 1 3

  say "errors are status codes with a readable message, and exit codes"
  status=0
  order create --user 42 --item 1:1 || status=$?
  echo "(exit status $status: failed for good)"
  status=0
  order create --user 2 --item 5:50 || status=$?
  echo "(exit status $status)"
  status=0
  run "$cli" --plaintext --target "$orders_target" get "$id" || status=$?
  echo "(exit status $status: the services speak mutual TLS only)"

  reflection "127.0.0.2:$users_port"

  say "kill one user-service instance: orders still go through"
  kill_server "$users1"
  echo "# order-service's channel to users.svc.test drops 127.0.0.2 and"
  echo "# retries calls that failed UNAVAILABLE on 127.0.0.3."
  for id in 2 3 4; do
    order create --user "$((id - 1))" --item 2:1 --request-id "demo-$id"
  done

  say "slow product-service down (SIGUSR1): DEADLINE_EXCEEDED, on time"
  kill -USR1 "${server_pids[$products]}"
  sleep 0.2
  echo "# order-cli gives the call 800 ms; order-service passes the rest of"
  echo "# that deadline on to user-service and product-service."
  status=0
  order --timeout-ms 800 create --user 3 --item 4:1 || status=$?
  echo "(exit status $status: worth retrying)"
  sleep 0.2
  echo "# product-service's handler saw its call cancelled two hops away:"
  grep 'cancelled after' "${server_logs[$products]}" | sed 's/^/  /'
  kill -USR1 "${server_pids[$products]}"
  sleep 0.2
  echo "# fast again (SIGUSR1 toggles the delay):"
  order --timeout-ms 800 create --user 3 --item 4:1

  say "all of user 1's, 2's and 3's orders (a server-streaming call each)"
  order list --user 1
  order list --user 2
  order list --user 3

  say "shut down (SIGTERM): each service drains its calls and exits 0"
  stop_servers
  stop_dns
  echo "dnsmasq stopped"
}

# reflection ADDRESS: what a tool that has none of the .proto files
# sees of user-service at ADDRESS, through server reflection and health
# checking: buf curl (npm @bufbuild/buf) when installed, on PATH or where
# the tests put it.
reflection() {
  local url=https://$1 buf
  buf=$(command -v buf ||
    echo "$builddir/tests/services/node/node_modules/.bin/buf")
  say "reflection and health: the services explained by themselves"
  if ! [ -x "$buf" ] || ! "$buf" --version >/dev/null 2>&1; then
    echo "# buf is not installed (npm install -g @bufbuild/buf), so this"
    echo "# part is skipped; examples/user-order/README.md shows the same"
    echo "# with grpcurl."
    return 0
  fi
  buf_curl() {
    run "$buf" curl --protocol grpc --cacert certs/ca.pem \
      --cert certs/order-cli.pem --key certs/order-cli-key.pem "$@"
  }
  buf_curl --list-methods "$url"
  buf_curl -d '{"id": 1}' "$url/userorder.users.v1.UserService/GetUser"
  buf_curl -d '{"service": "userorder.users.v1.UserService"}' \
    "$url/grpc.health.v1.Health/Check"
}

build
demo
say "demo finished"
