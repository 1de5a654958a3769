#!/usr/bin/env bash
# scripts/check.sh: builds crpc and runs the whole test suite, the way CI does.
#
#   1. scripts/deps.sh (installs missing packages when root)
#   2. autoreconf -fi
#   3. build/:      configure, make, make check
#   4. build-asan/: configure --enable-sanitizers, make, make check
#                   (AddressSanitizer + UndefinedBehaviorSanitizer)
#   5. build/:      make distcheck, only when CRPC_DISTCHECK=1
#
# Both builds are out of tree, so the source tree stays clean and a rerun
# only rebuilds what changed. The last line printed is the total over both
# test runs, "N passed, M failed" (", K skipped" if any); the exit status is
# non-zero if any test or any build step failed.
set -euo pipefail

cd "$(dirname "$0")/.."
srcdir=$PWD
jobs=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)

step_failed=0 # a build step (not a test) failed
passed=0
failed=0
skipped=0

say() { printf '\n==> %s\n' "$*"; }

# Adds the summary of |dir|/test-suite.log to the totals. XFAIL counts as
# passed; FAIL, ERROR and XPASS as failed (automake's own verdict).
count_results() {
  local log=$1/test-suite.log key value
  # The summary is the first "# KEY: N" lines of the file.
  while read -r key value; do
    case $key in
    PASS | XFAIL) passed=$((passed + value)) ;;
    FAIL | ERROR | XPASS) failed=$((failed + value)) ;;
    SKIP) skipped=$((skipped + value)) ;;
    esac
  done < <(sed -n 's/^# \([A-Z]*\): *\([0-9][0-9]*\)$/\1 \2/p' "$log")
}

# Prints the end of the .log of every test of |dir| that failed in the run
# that started after |dir|/.check-start was touched (older .trs files belong
# to tests no longer listed).
show_failures() {
  local dir=$1 trs log shown=0
  while IFS= read -r trs; do
    grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs" || continue
    log=${trs%.trs}.log
    if [ "$shown" -ge 20 ]; then
      echo "check.sh: more failing tests in $dir; see its test-suite.log" >&2
      break
    fi
    printf '\n----- %s (last 60 lines) -----\n' "$log"
    tail -n 60 "$log" || true
    shown=$((shown + 1))
  done < <(find "$dir" -path "$dir/crpc-*" -prune -o \
    -name '*.trs' -newer "$dir/.check-start" -print | sort)
}

# Configures |dir| with the remaining arguments as configure options, builds
# it and runs make check there.
build_and_check() {
  local dir=$1
  shift
  mkdir -p "$dir"
  # Stale results from an earlier run must not be counted.
  rm -f "$dir/test-suite.log"
  say "configure in $dir${*:+ $*}"
  # Configure every time: the options may differ from the last run, and a
  # rerun is cheap next to the build.
  if ! (cd "$dir" && "$srcdir/configure" -q "$@"); then
    echo "check.sh: configure failed in $dir; see $dir/config.log" >&2
    step_failed=1
    return 1
  fi
  say "make in $dir"
  if ! make -C "$dir" -j"$jobs"; then
    echo "check.sh: build failed in $dir" >&2
    step_failed=1
    return 1
  fi
  say "make check in $dir"
  touch "$dir/.check-start"
  if ! make -C "$dir" -j"$jobs" check; then
    show_failures "$dir"
  fi
  # make check ends without a test-suite.log when a test program does not
  # build.
  if [ ! -f "$dir/test-suite.log" ]; then
    echo "check.sh: make check in $dir failed before running the tests" >&2
    step_failed=1
    return 1
  fi
  count_results "$dir"
}

bash scripts/deps.sh

if [ -f config.status ]; then
  # An in-tree configure stops VPATH builds ("source directory already
  # configured").
  echo "check.sh: $srcdir is configured in tree; run 'make distclean' there first" >&2
  exit 1
fi

say "autoreconf -fi"
autoreconf -fi

# The plain build first: if it does not even build, the sanitizer build
# would only fail the same way, slower.
if build_and_check build; then
  # Sanitizer reports go into each test's .log; UBSan aborts the test
  # (-fno-sanitize-recover), and a stack trace says where.
  export UBSAN_OPTIONS=print_stacktrace=1
  build_and_check build-asan --enable-sanitizers || true
  unset UBSAN_OPTIONS
fi

if [ "${CRPC_DISTCHECK:-0}" = 1 ] && [ "$step_failed$failed" != 00 ]; then
  echo "check.sh: skipping make distcheck, something already failed" >&2
elif [ "${CRPC_DISTCHECK:-0}" = 1 ]; then
  say "make distcheck in build"
  if ! make -C build -j"$jobs" distcheck; then
    echo "check.sh: make distcheck failed" >&2
    step_failed=1
  fi
fi

if [ "$step_failed" != 0 ]; then
  echo "check.sh: a build step failed (see above)" >&2
fi

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo
echo "$summary"

[ "$step_failed" = 0 ] && [ "$failed" = 0 ]
