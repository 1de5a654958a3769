#!/bin/sh
# tests/fuzz/run.sh: fuzzes every target (or those named) with libFuzzer.
#
#   tests/fuzz/run.sh [-t SECONDS] [TARGET...]
#
# Configures a build directory of its own ($FUZZ_BUILD, default
# /tmp/crpc-fuzz-build) with CC=clang and ASan + UBSan + libFuzzer's coverage
# instrumentation, links each target with libFuzzer's main (the *_fuzzer
# rules of tests/fuzz/Makefile.inc) and runs it for SECONDS (default 60)
# from its seed corpus. New inputs and findings go under $FUZZ_BUILD/fuzz/;
# the committed corpus is only read. Prints executions and findings per
# target; exits 1 if anything was found. See doc/fuzzing.md.
set -eu
seconds=60
if [ "${1:-}" = "-t" ]; then
  seconds=$2
  shift 2
fi
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-/tmp/crpc-fuzz-build}
cc=${FUZZ_CC:-$(command -v clang-14 || command -v clang)}
targets=${*:-deframer metadata timeout target service_config server_conn client_conn plugin}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then
  echo "run.sh: configuring $build with $cc"
  (cd "$build" && "$srcdir/configure" -q CC="$cc" \
    CFLAGS="-g -O1 -fno-omit-frame-pointer $san -fsanitize=fuzzer-no-link" \
    LDFLAGS="$san")
fi
# Leak checks at exit would fail the build's own tools (protoc-gen-crpc);
# the fuzzers check leaks themselves.
if ! ASAN_OPTIONS=detect_leaks=0 make -C "$build" -j"$(nproc)" \
  $(for t in $targets; do echo "tests/fuzz/${t}_fuzzer"; done) \
  >"$build/make.log" 2>&1; then
  tail -20 "$build/make.log"
  exit 2
fi

found=0
printf '%-12s %12s %8s %8s  %s\n' target executions exec/s corpus findings
for t in $targets; do
  out=$build/fuzz/$t
  rm -rf "$out/crashes"
  mkdir -p "$out/corpus" "$out/crashes"
  (cd "$out" && CRPC_LOG=error "$build/tests/fuzz/${t}_fuzzer" \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$out/crashes/" \
    "$out/corpus" "$srcdir/tests/fuzz/corpus/$t" >"$out/log" 2>&1) || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/log")
  units=$(ls "$out/corpus" | wc -l)
  crashes=$(ls "$out/crashes" | wc -l)
  where=
  if [ "$crashes" -ne 0 ]; then
    found=1
    where=" in $out/crashes (log: $out/log)"
  fi
  printf '%-12s %12s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" \
    "$units" "$crashes$where"
done
exit $found
