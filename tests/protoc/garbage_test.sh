#!/bin/sh
# tests/protoc/garbage_test.sh: protoc-gen-crpc given bytes that are not a
# CodeGeneratorRequest exits non-zero with a message, and never crashes
# (a signal would show as a status above 128).
set -u
: "${top_builddir:?}"
plugin="$top_builddir/protoc-gen-crpc/protoc-gen-crpc"
out=$(mktemp -d) || exit 99
trap 'rm -rf "$out"' EXIT
status=0

# Feeds $out/in to the plugin, expecting a clean refusal.
expect_refusal() {
  "$plugin" <"$out/in" >"$out/stdout" 2>"$out/stderr"
  rc=$?
  if [ $rc -eq 0 ] || [ $rc -gt 128 ]; then
    echo "FAIL: $1: exit status $rc"
    status=1
  elif ! grep -q 'not a CodeGeneratorRequest' "$out/stderr"; then
    echo "FAIL: $1: no message on stderr"
    status=1
  fi
}

printf 'garbage\n' >"$out/in"
expect_refusal text
# A length-delimited field claiming more bytes than follow.
printf '\012\377\377\377\017abc' >"$out/in"
expect_refusal truncated
# Random bytes that fail to parse (an odd one may parse: skip those).
for seed in 1 2 3 4 5 6 7 8 9 10; do
  head -c 4096 /dev/urandom >"$out/in"
  "$plugin" <"$out/in" >/dev/null 2>&1
  rc=$?
  if [ $rc -gt 128 ]; then
    echo "FAIL: random input $seed: killed by signal $((rc - 128))"
    cp "$out/in" "crash-$seed.bin"
    status=1
  fi
done
# Arguments are a usage error, not a request.
"$plugin" --help >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: --help should exit 2"; status=1; }
exit $status
