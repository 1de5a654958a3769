#!/usr/bin/env bash
# examples/user-order/dev_env.sh: what the services need to run together on
# one machine: a dev CA with a certificate per program (mutual TLS), and
# dnsmasq answering for the services' DNS names on loopback. The demo
# (scripts/demo.sh) and the tests (tests/lib.sh) source it; run it to set
# things up by hand:
#
#   dev_env.sh certs DIR   makes DIR/ca.pem and a certificate and key per
#                          program unless DIR/ca.pem exists
#   dev_env.sh dns PORT    runs dnsmasq on 127.0.0.1:PORT (foreground)
#
# The names, all under .test (RFC 2606, never on the public DNS):
#   users.svc.test     127.0.0.2 and 127.0.0.3: two user-service instances,
#                      each on its own loopback address, the same port
#   products.svc.test  127.0.0.1
#   orders.svc.test    127.0.0.1

# dnsmasq --host-record values, NAME,ADDRESS.
# shellcheck disable=SC2054
uo_dns_records=(users.svc.test,127.0.0.2 users.svc.test,127.0.0.3
  products.svc.test,127.0.0.1 orders.svc.test,127.0.0.1)

# uo_dnsmasq_command PORT: the dnsmasq command line serving the names on
# 127.0.0.1:PORT and nothing else: no /etc/resolv.conf, no /etc/hosts, no
# upstream, a 1 s TTL so that changes show at once.
uo_dnsmasq_command() {
  local dnsmasq record
  dnsmasq=$(PATH=$PATH:/usr/sbin:/sbin command -v dnsmasq) || return 1
  uo_dnsmasq=("$dnsmasq" --no-daemon --port="$1"
    --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts
    --conf-file=/dev/null --pid-file= --local-ttl=1)
  # dnsmasq drops root privileges to "nobody" unless told to stay.
  [ "$(id -u)" -eq 0 ] && uo_dnsmasq+=(--user=root)
  for record in "${uo_dns_records[@]}"; do
    uo_dnsmasq+=(--host-record="$record")
  done
}

# uo_start_dns LOG: starts dnsmasq in the background on a free high port
# (another one if that is taken meanwhile), output in LOG. Sets
# uo_dns_pid and uo_dns_port; fails after 5 tries.
uo_start_dns() {
  local log=$1
  for _ in 1 2 3 4 5; do
    uo_dns_port=$((20000 + RANDOM % 40000))
    uo_dnsmasq_command "$uo_dns_port" || {
      echo "dnsmasq not found (apt-get install dnsmasq-base)" >&2
      return 1
    }
    : >"$log" # before the background job's redirection opens it
    "${uo_dnsmasq[@]}" >"$log" 2>&1 &
    uo_dns_pid=$!
    # It says "started" once its socket is bound, or exits.
    for _ in $(seq 100); do
      grep -q 'started' "$log" && return 0
      kill -0 "$uo_dns_pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -KILL "$uo_dns_pid" 2>/dev/null
    wait "$uo_dns_pid" 2>/dev/null
  done
  echo "dnsmasq did not start:" >&2
  cat "$log" >&2
  return 1
}

# uo_make_certs DIR: a dev CA (EC P-256) and, signed by it, a certificate
# per program, DIR/NAME.pem with its key DIR/NAME-key.pem. The services'
# certificates name their DNS names and loopback addresses and serve as
# client certificates too (order-service calls the others); order-cli's is
# a client certificate only. Made in a scratch directory moved into place,
# so that concurrent callers never see half a set.
uo_make_certs() {
  local dir=$1 work
  [ -f "$dir/ca.pem" ] && return 0
  command -v openssl >/dev/null || {
    echo "openssl not found (apt-get install openssl)" >&2
    return 1
  }
  mkdir -p "$(dirname "$dir")" &&
    work=$(mktemp -d "$dir.XXXXXX") || return 1
  if ! (cd "$work" && uo_sign_all >openssl.log 2>&1); then
    echo "making certificates failed:" >&2
    cat "$work/openssl.log" >&2
    rm -rf "$work"
    return 1
  fi
  rm -f "$work"/*.csr "$work"/*.ext "$work"/*.srl "$work/openssl.log"
  chmod 755 "$work"
  # Whoever comes second finds DIR made and drops its own set.
  mv -T "$work" "$dir" 2>/dev/null || rm -rf "$work"
  [ -f "$dir/ca.pem" ]
}

# In the current directory: the CA, then each program's certificate. (The
# caller tests the status, which turns set -e off: hence the &&s.)
uo_sign_all() {
  local ips=IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,DNS:localhost
  uo_key ca-key.pem &&
    openssl req -x509 -new -key ca-key.pem -out ca.pem -days 3650 \
      -subj "/CN=user-order dev CA" \
      -addext basicConstraints=critical,CA:true \
      -addext keyUsage=critical,keyCertSign,cRLSign &&
    uo_sign user-service "DNS:users.svc.test,$ips" serverAuth,clientAuth &&
    uo_sign product-service "DNS:products.svc.test,$ips" \
      serverAuth,clientAuth &&
    uo_sign order-service "DNS:orders.svc.test,$ips" serverAuth,clientAuth &&
    uo_sign order-cli "URI:spiffe://user-order.test/order-cli" clientAuth
}

uo_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

# uo_sign NAME SANS EKU: NAME.pem (CN=NAME) and NAME-key.pem, signed by the
# CA of the current directory.
uo_sign() {
  uo_key "$1-key.pem" &&
    openssl req -new -key "$1-key.pem" -subj "/CN=$1" -out "$1.csr" &&
    printf '%s\n' "subjectAltName=$2" "extendedKeyUsage=$3" >"$1.ext" &&
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem \
      -CAcreateserial -days 825 -extfile "$1.ext" -out "$1.pem"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1-} ${2-}" in
  "certs "?*)
    uo_make_certs "$2"
    echo "certificates in $2:"
    ls "$2"
    ;;
  "dns "?*)
    uo_dnsmasq_command "$2" || {
      echo "dnsmasq not found (apt-get install dnsmasq-base)" >&2
      exit 1
    }
    exec "${uo_dnsmasq[@]}"
    ;;
  *)
    echo "usage: $0 certs DIR | dns PORT" >&2
    exit 2
    ;;
  esac
fi
