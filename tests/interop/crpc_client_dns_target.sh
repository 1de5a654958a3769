#!/bin/sh
# crpc's interop client dialing the crpc interop server by a DNS name, as
# gRPC's interop clients build their target: --server_host=dns://DNS/svc.test
# and --server_port=PORT make dns://127.0.0.1:DNSPORT/svc.test:PORT, which
# c-ares resolves through dnsmasq to 127.0.0.2, where the server listens.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/interop/interop_lib.sh"

client=$top_builddir/tests/interop/interop_client
dns_server=$top_builddir/tests/lib/test_dns_server
need_program "$client"
need_program "$dns_server"
need_program "$top_builddir/tests/interop/interop_server"
[ -x /usr/sbin/dnsmasq ] || [ -x /sbin/dnsmasq ] ||
  skip "dnsmasq not found (apt-get install dnsmasq-base)"

start_server "$top_builddir/tests/interop/interop_server" --host=127.0.0.2 \
  --port=0
server_port=$port

# The DNS server is a second background process: stop it on exit too.
dns_pid=
timeout 600 "$dns_server" svc.test,127.0.0.2 >"$tmp/dns.log" 2>&1 &
dns_pid=$!
trap 'kill "$dns_pid" 2>/dev/null; wait "$dns_pid" 2>/dev/null; cleanup' EXIT
dns_port=
for _ in $(seq 100); do
  dns_port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$tmp/dns.log")
  [ -n "$dns_port" ] && break
  kill -0 "$dns_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$dns_port" ] || { cat "$tmp/dns.log"; skip "dnsmasq did not start"; }

run_cases "$client" --server_host="dns://127.0.0.1:$dns_port/svc.test" \
  --server_port="$server_port"

# A name the DNS server does not know fails, naming the host.
if out=$(timeout 60 "$client" --server_host="dns://127.0.0.1:$dns_port/nope.test" \
  --server_port="$server_port" --test_case=empty_unary 2>&1); then
  echo "FAIL: a call to an unknown name succeeded"
  exit 1
fi
echo "$out" | grep -q "nope.test" || {
  echo "FAIL: the error does not name the host: $out"
  exit 1
}
echo "PASS: every case over dns://127.0.0.1:$dns_port/svc.test:$server_port"
