#!/bin/sh
# The real `buf curl` (npm package @bufbuild/buf, installed into
# tests/services/node of the build tree) explores a crpc server through
# server reflection alone: lists services and methods (both reflection
# versions), calls a unary and a server-streaming method with JSON, whose
# messages use a well-known type and types from an imported file.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/services/services_lib.sh"
# shellcheck disable=SC2154
. "$top_srcdir/tests/interop/peers_lib.sh"   # locked

: "${BUF_VERSION:=1.75.0}"
need_program "$services_server"
command -v "$NPM" >/dev/null 2>&1 || skip "no npm ($NPM) on PATH"
buf_dir=$top_builddir/tests/services/node
mkdir -p "$buf_dir" || exit 99
install_buf() {
  [ -x "$buf_dir/node_modules/.bin/buf" ] && return 0
  echo "npm install @bufbuild/buf@$BUF_VERSION into $buf_dir"
  timeout 300 "$NPM" install --no-audit --no-fund --no-save \
      --fetch-retries=1 --fetch-retry-mintimeout=2000 \
      --fetch-retry-maxtimeout=10000 --prefix "$buf_dir" \
      "@bufbuild/buf@$BUF_VERSION" >"$buf_dir/npm.log" 2>&1
}
if ! locked "$buf_dir/.install.lock" install_buf; then
  tail -n 20 "$buf_dir/npm.log" 2>/dev/null
  skip "npm install of @bufbuild/buf failed (registry unreachable?)"
fi
buf=$buf_dir/node_modules/.bin/buf
"$buf" --version >/dev/null 2>&1 || skip "$buf does not run on this machine"

start_server "$services_server" --port=0
url=http://127.0.0.1:$port
failed=0

# expect NAME WANT_FILE COMMAND...: runs a bounded buf curl and compares
# its output with WANT_FILE.
expect() {
  what=$1 want=$2
  shift 2
  if ! timeout 60 "$buf" curl --protocol grpc --http2-prior-knowledge \
      "$@" >"$tmp/got" 2>"$tmp/err"; then
    echo "FAIL $what: buf curl failed:"
    cat "$tmp/err"
    failed=$((failed + 1))
  elif ! diff -u "$want" "$tmp/got"; then
    echo "FAIL $what: output differs (above)"
    failed=$((failed + 1))
  else
    echo "ok   $what"
  fi
}

cat >"$tmp/services" <<'END'
grpc.health.v1.Health
grpc.reflection.v1.ServerReflection
grpc.reflection.v1alpha.ServerReflection
svctest.Echo
END
for proto in grpc-v1 grpc-v1alpha; do
  expect "list services ($proto)" "$tmp/services" \
    --reflect-protocol "$proto" --list-services "$url"
done

cat >"$tmp/methods" <<'END'
grpc.health.v1.Health/Check
grpc.health.v1.Health/Watch
grpc.reflection.v1.ServerReflection/ServerReflectionInfo
grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo
svctest.Echo/Count
svctest.Echo/Say
svctest.Echo/SetHealth
END
expect "list methods" "$tmp/methods" --list-methods "$url"

cat >"$tmp/say" <<'END'
{
  "text": "echo: hi",
  "where": {
    "x": 1,
    "y": 2
  },
  "at": "2024-01-02T03:04:05Z",
  "color": "GREEN",
  "inner": {
    "label": "l",
    "kind": "BIG"
  }
}
END
expect "unary svctest.Echo/Say with JSON" "$tmp/say" \
  -d '{"text": "hi", "where": {"x": 1, "y": 2}, "at": "2024-01-02T03:04:05Z", "color": "GREEN", "inner": {"label": "l", "kind": "BIG"}}' \
  "$url/svctest.Echo/Say"

cat >"$tmp/count" <<'END'
{
  "text": "n 1"
}
{
  "text": "n 2"
}
{
  "text": "n 3"
}
END
expect "server streaming svctest.Echo/Count" "$tmp/count" \
  -d '{"text": "n", "count": 3}' "$url/svctest.Echo/Count"

cat >"$tmp/health" <<'END'
{
  "status": "SERVING"
}
END
expect "health Check" "$tmp/health" -d '{"service": "svctest.Echo"}' \
  "$url/grpc.health.v1.Health/Check"

# An unknown method: buf curl says so from the schema it got by reflection.
if timeout 60 "$buf" curl --protocol grpc --http2-prior-knowledge \
    "$url/svctest.Echo/Nope" >"$tmp/got" 2>&1; then
  echo "FAIL unknown method: buf curl succeeded"
  failed=$((failed + 1))
else
  echo "ok   unknown method: $(head -n 1 "$tmp/got")"
fi

if [ "$failed" -ne 0 ]; then
  echo "$failed check(s) failed; server log:"
  cat "$tmp/server.log"
  exit 1
fi
