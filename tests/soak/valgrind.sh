#!/bin/sh
# tests/soak/valgrind.sh: memcheck over the unit tests and the unary and
# streaming integration tests (their test servers included).
#
#   tests/soak/valgrind.sh BUILDDIR [TEST...]
#
# TEST names are paths under BUILDDIR (default: every unit test and
# tests/integration/{unary,streaming}_test), built first with make. Each
# runs under valgrind --tool=memcheck with full leak checking, following
# forks (Criterion runs each test in a child) and execs (the test servers);
# a process with an error or a definite leak exits 99 and fails its test.
# One log per process goes to $VALGRIND_LOGS (default BUILDDIR/valgrind/).
# Suppressions: tests/soak/valgrind.supp (third-party only, each with its
# reason). Tests that assert timings valgrind's 20-50x slowdown breaks are
# left out with a Criterion filter
# ($VALGRIND_SKIP, "suite/test" globs joined by |; empty runs everything).
# Prints a line per test; exits 1 if any failed. See doc/hardening.md.
set -u
build=$(cd "${1:?usage: valgrind.sh BUILDDIR [TEST...]}" && pwd)
shift
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
logs=${VALGRIND_LOGS:-$build/valgrind}
tests=${*:-$(grep -oE 'tests/unit/[a-z0-9_]+/[a-z0-9_]+_test(\.c)?' \
  "$srcdir/tests/unit/Makefile.inc" | grep -v '\.c$' | sort -u)
tests/integration/unary_test tests/integration/streaming_test}

make -C "$build" -j2 $tests tests/integration/test_server \
  tests/integration/stream_server >"$build/valgrind-make.log" 2>&1 || {
  tail -20 "$build/valgrind-make.log"
  exit 2
}
# Timings valgrind breaks: unary/graceful_shutdown sends SIGTERM 100 ms
# after a call starts, before it reaches a server under valgrind;
# unary/deadline_expires and streaming/deadline_ends_an_upload give the
# handler 2 s to see its cancellation; streaming/deadline_ends_a_server_
# stream wants items within 300 ms.
skip=${VALGRIND_SKIP-unary/graceful_shutdown_finishes_calls_in_flight|unary/deadline_expires_on_time_and_the_handler_sees_it|streaming/deadline_ends_an_upload_the_server_never_answers|streaming/deadline_ends_a_server_stream_that_keeps_sending}
filter=
[ -z "$skip" ] || filter="--filter=!($skip)"
rm -rf "$logs"
mkdir -p "$logs"
failed=0
for t in $tests; do
  name=$(echo "$t" | tr / _)
  if (cd "$build" && top_builddir=$build top_srcdir=$srcdir \
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --error-exitcode=99 \
    --trace-children=yes --child-silent-after-fork=no \
    --suppressions="$srcdir/tests/soak/valgrind.supp" \
    --log-file="$logs/$name.%p.log" "./$t" ${filter:+"$filter"} >"$logs/$name.out" 2>&1); then
    result=ok
  else
    result=FAIL
    failed=1
  fi
  errors=$(cat "$logs/$name".*.log | sed -n 's/.*ERROR SUMMARY: \([0-9]*\).*/\1/p' |
    awk '{ n += $1 } END { print n + 0 }')
  printf '%-45s %-4s %s processes, %s errors\n' "$t" "$result" \
    "$(ls "$logs/$name".*.log | wc -l)" "$errors"
  [ "$errors" -eq 0 ] || failed=1
done
exit $failed
