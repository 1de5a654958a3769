#!/bin/sh
# Only programs that make TLS credentials load OpenSSL: librpc.so and the
# benchmark programs, which link the runtime without TLS, must not need
# libssl or libcrypto; librpc-tls.so must (doc/design.md, "Libraries").
b=${top_builddir:-.}
command -v readelf >/dev/null || { echo "SKIP: no readelf (binutils)"; exit 77; }
[ -f "$b/.libs/librpc.so" ] || { echo "SKIP: no shared librpc (--disable-shared)"; exit 77; }

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'; }

fail=0
for f in .libs/librpc.so bench/crpc_echo_server bench/crpc_loadgen \
  bench/crpc_pingpong; do
  if [ ! -f "$b/$f" ]; then
    echo "FAIL: $f is not built"
    fail=1
  elif needed "$b/$f" | grep -E '^lib(ssl|crypto)\.so'; then
    echo "FAIL: $f needs OpenSSL"
    fail=1
  else
    echo "ok: $f needs no OpenSSL"
  fi
done
if needed "$b/.libs/librpc-tls.so" | grep -q '^libssl\.so'; then
  echo "ok: librpc-tls.so needs libssl"
else
  echo "FAIL: librpc-tls.so does not need libssl"
  fail=1
fi
exit $fail
