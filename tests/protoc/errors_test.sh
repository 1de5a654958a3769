#!/bin/sh
# tests/protoc/errors_test.sh: protoc-gen-crpc refuses generated names that
# collide, saying which, and escapes keyword handler names.
set -u
: "${top_srcdir:?}" "${top_builddir:?}" "${PROTOC:?}"
plugin="$top_builddir/protoc-gen-crpc/protoc-gen-crpc"
bad="$top_srcdir/tests/protoc/bad"
out=$(mktemp -d) || exit 99
trap 'rm -rf "$out"' EXIT
status=0

# Runs protoc on bad/$1; expects failure and $2 in its message.
expect_refusal() {
  if "$PROTOC" -I"$bad" --plugin=protoc-gen-crpc="$plugin" \
      --crpc_out="$out" "$1" >"$out/log" 2>&1; then
    echo "FAIL: $1: protoc succeeded"
    status=1
  elif ! grep -F -q -- "$2" "$out/log"; then
    echo "FAIL: $1: message lacks '$2':"
    cat "$out/log"
    status=1
  else
    echo "ok: $1: $(cat "$out/log")"
  fi
  if [ -e "$out/${1%.proto}.crpc.h" ]; then
    echo "FAIL: $1: output written despite the error"
    status=1
  fi
}

expect_refusal clash_register.proto \
  'bad__svc__register_handlers for service bad.Svc collides with protoc-c'"'"'s function for method bad.Svc.RegisterHandlers'
expect_refusal clash_service.proto \
  'bad__svc__crpc_service for service bad.Svc collides'
expect_refusal clash_case.proto \
  'bad__svc__get_user__call for method bad.Svc.get_user collides with method bad.Svc.GetUser'

# C keywords are accepted and escaped the way protoc-c escapes fields.
if "$PROTOC" -I"$bad" --plugin=protoc-gen-crpc="$plugin" --crpc_out="$out" \
    c_keyword.proto; then
  for want in '(*int_)(' '(*register_)(' 'kw__svc__int__call(' \
      'Kw__Svc_Handlers'; do
    grep -F -q -- "$want" "$out/c_keyword.crpc.h" ||
      { echo "FAIL: c_keyword.crpc.h lacks '$want'"; status=1; }
  done
else
  echo "FAIL: c_keyword.proto refused"
  status=1
fi
exit $status
