#!/bin/sh
# tests/tls/make_certs.sh DIR: a test PKI for tests/tls, made with the
# openssl CLI (EC P-256 keys, quick to make):
#
#   ca.pem              "crpc test CA", trusted by the tests
#   server.pem/.key     CN=localhost; DNS:localhost, DNS:*.test.example,
#                       IP:127.0.0.1; signed by ca
#   client.pem/.key     CN=test-client; URI:spiffe://crpc.test/client,
#                       DNS:client.test; clientAuth; signed by ca
#   expired.pem/.key    as server.pem but valid only in January 2020
#   other_ca.pem        a second CA that the tests do not trust at first
#   other_server.pem/.key, other_client.pem/.key: signed by other_ca
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() { # name subject
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 3650 -subj "$2" \
    -addext basicConstraints=critical,CA:true \
    -addext keyUsage=critical,keyCertSign,cRLSign
}

leaf() { # name subject ca extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf '%s\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" \
    -CAcreateserial -days 3650 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

server_ext='basicConstraints=CA:false
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:*.test.example,IP:127.0.0.1'
client_ext='basicConstraints=CA:false
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectAltName=URI:spiffe://crpc.test/client,DNS:client.test'

ca ca "/O=crpc tests/CN=crpc test CA"
ca other_ca "/O=crpc tests/CN=crpc other CA"
leaf server "/O=crpc tests/CN=localhost" ca "$server_ext"
leaf client "/O=crpc tests/CN=test-client" ca "$client_ext"
leaf other_server "/O=crpc tests/CN=localhost" other_ca "$server_ext"
leaf other_client "/O=crpc tests/CN=other-client" other_ca "$client_ext"

# An expired certificate needs explicit dates, which only `openssl ca` sets.
key expired.key
openssl req -new -key expired.key -subj "/O=crpc tests/CN=localhost" \
  -out expired.csr
mkdir -p ca.db
: >ca.db/index.txt
echo 1000 >ca.db/serial
cat >ca.cnf <<CNF
[ca]
default_ca = test
[test]
dir = ca.db
database = ca.db/index.txt
serial = ca.db/serial
new_certs_dir = ca.db
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
organizationName = optional
[ext]
$server_ext
CNF
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
  -startdate 20200101000000Z -enddate 20200102000000Z -extensions ext \
  -in expired.csr -out expired.pem 2>/dev/null
rm -rf expired.csr ca.db ca.cnf ./*.srl
