#!/bin/sh
# tests/interop/certs/make_certs.sh [DIR]: the interop programs' default TLS
# certificates, committed in this folder (made once with this script; valid
# from 2024 to 2051, so that a machine's clock hardly matters):
#
#   ca.pem                the test CA (--use_test_ca trusts it; its key is
#                         thrown away)
#   server1.pem/.key      the servers' certificate: DNS *.test.google.fr
#                         (so --server_host_override=foo.test.google.fr
#                         works, as with gRPC's own test certificates),
#                         waterzooi.test.google.be, *.test.youtube.com,
#                         localhost, IP 127.0.0.1 and ::1
#   client.pem/.key       a client certificate for mutual TLS:
#                         CN=testclient, URI spiffe://crpc.test/interop-client
set -eu
dir=$(cd "${1:-$(dirname "$0")}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# `openssl ca` is the CLI that sets explicit validity dates.
mkdir db
: >db/index.txt
echo 1000 >db/serial
cat >ca.cnf <<'CNF'
[ca]
default_ca = test
[test]
dir = db
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
organizationName = optional
commonName = supplied
[ca_ext]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:*.test.google.fr,DNS:waterzooi.test.google.be,DNS:*.test.youtube.com,DNS:localhost,IP:127.0.0.1,IP:::1
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:spiffe://crpc.test/interop-client
authorityKeyIdentifier = keyid
CNF

key ca.key
openssl req -new -key ca.key -subj "/O=crpc interop/CN=crpc interop test CA" \
  -out ca.csr
openssl ca -batch -config ca.cnf -selfsign -startdate 20240101000000Z \
  -enddate 20510101000000Z -keyfile ca.key -extensions ca_ext -notext \
  -in ca.csr -out "$dir/ca.pem" 2>/dev/null

for leaf in server1:server_ext:'*.test.google.fr' client:client_ext:testclient; do
  name=${leaf%%:*}
  rest=${leaf#*:}
  ext=${rest%%:*}
  cn=${rest#*:}
  key "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "/O=crpc interop/CN=$cn" \
    -out "$name.csr"
  openssl ca -batch -config ca.cnf -cert "$dir/ca.pem" -keyfile ca.key \
    -startdate 20240101000000Z -enddate 20510101000000Z -extensions "$ext" \
    -notext -in "$name.csr" -out "$dir/$name.pem" 2>/dev/null
done
chmod 644 "$dir"/*.key
