#!/usr/bin/env bash
# bench/callgrind.sh: cost per unary call in instructions and heap
# allocations, counted rather than timed, so that a busy machine does not
# change the result.
#
#   bench/callgrind.sh [--calls N] [--streams M] [--payload B]
#                      [--servers LIST] [--clients LIST] [--no-allocs]
#                      [--no-instructions]
#
# Servers (limit, cpp-async, crpc, crpc-ht = crpc with one handler thread;
# default all) serve h2load -c 1 -m M (default 100) with B-byte payloads
# (default 16). Clients (h2load, crpc-async = crpc_loadgen, cpp-async =
# ref-cpp/loadgen, crpc-sync = crpc_pingpong, cpp-sync = ref-cpp/pingpong;
# default all) call the limit server, the cheapest one, M calls in flight
# for the async ones. Each measured process runs twice, for N (default
# 20000) and for 2N calls, in a fresh process each time; the difference
# divided by N is the cost of one call without start-up and shutdown.
#
# Instructions: valgrind --tool=callgrind, all threads together.
# Allocations: bench/.libs/libcrpc_alloc_count.so (LD_PRELOAD) counts
# malloc, calloc, realloc and the aligned variants, frees and bytes
# requested (not for h2load, which brings its own allocator, jemalloc).
#
# Prints two markdown tables with ratios and writes them, with the logs,
# to bench/results/<time>-callgrind/ (git-ignored). Needs valgrind, h2load
# and nghttp (nghttp2-client), the kit's build dependencies, and a build
# (`make`; CRPC_BUILD_DIR as for run.sh; not --enable-sanitizers).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

calls=20000 streams=100 payload=16
servers=limit,cpp-async,crpc,crpc-ht
clients=h2load,crpc-async,cpp-async,crpc-sync,cpp-sync
metrics=(instructions allocs)
while (($#)); do
  case $1 in
  --calls) calls=$2 && shift ;;
  --streams) streams=$2 && shift ;;
  --payload) payload=$2 && shift ;;
  --servers) servers=$2 && shift ;;
  --clients) clients=$2 && shift ;;
  --no-allocs) metrics=("${metrics[@]/allocs/}") ;;
  --no-instructions) metrics=("${metrics[@]/instructions/}") ;;
  *) bench_usage ;;
  esac
  shift
done
[[ $calls =~ ^[1-9][0-9]*$ && $streams =~ ^[1-9][0-9]*$ &&
  $payload =~ ^[0-9]+$ ]] || bench_usage
for tool in valgrind h2load nghttp od; do
  command -v "$tool" >/dev/null || {
    echo "callgrind.sh: $tool is missing" >&2
    exit 2
  }
done

bench_find_build
counter=$build/bench/.libs/libcrpc_alloc_count.so
if [[ " ${metrics[*]} " == *" allocs "* && ! -f $counter ]]; then
  echo "callgrind.sh: $counter is missing (a build with sanitizers has" \
    "none): run make in a plain build" >&2
  exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/crpc-callgrind.XXXXXX")
trap 'bench_stop_server; rm -rf "$work"' EXIT
bench_prepare_kit
out=$top/bench/results/$(date +%Y%m%d-%H%M%S)-callgrind
mkdir -p "$out/logs"

# Sets $prefix: what runs a command with metric $1 counted into file $2.
# Both exec the command, so its pid is the one to signal.
counting() {
  case $1 in
  instructions) prefix=(valgrind --tool=callgrind --callgrind-out-file="$2"
    --dump-instr=no --dump-line=no) ;;
  allocs) prefix=(env ALLOC_COUNT_FILE="$2" LD_PRELOAD="$counter") ;;
  esac
}

# Sets $counts from |file|: "instructions" or "allocs frees bytes".
read_counts() {
  counts=$(read_counts_of "$@")
}
read_counts_of() {
  local metric=$1 file=$2
  case $metric in
  instructions) awk '/^(summary|totals):/ { print $2; exit }' "$file" ;;
  allocs) od -An -t u8 -w48 "$file" |
    awk '{ print $1 + $2 + $3 + $4, $5, $6 }' ;;
  esac
}

# Checks one call against 127.0.0.1:$1 (HTTP 200, grpc-status 0, exact
# echo) with the kit's script, which leaves the request body in $work/h2.
check_server() {
  CHECK=1 KEEP=$work/h2 "$kit/h2load-unary.sh" "127.0.0.1:$1" 1 1 1 \
    "$payload" >"$work/check.log" 2>&1 || {
    echo "callgrind.sh: server on port $1 fails the echo check:" >&2
    tail -5 "$work/check.log" >&2
    exit 1
  }
}

# Sets $cmd: client $1 making $3 calls to 127.0.0.1:$2.
client_cmd() {
  local name=$1 target=127.0.0.1:$2 n=$3
  case $name in
  h2load) cmd=(h2load -c 1 -m "$streams" -n "$n" -d "$work/h2/request.bin"
    -H 'content-type: application/grpc' -H 'te: trailers'
    "http://$target/crpc.bench.Echo/Unary") ;;
  crpc-async) cmd=("$build/bench/crpc_loadgen" --target "$target" --conns 1
    --streams "$streams" --payload "$payload" --requests "$n") ;;
  cpp-async) cmd=("$kit/ref-cpp/loadgen" --target "$target" --channels 1
    --outstanding "$streams" --payload "$payload" --warmup 0 --requests "$n") ;;
  crpc-sync) cmd=("$build/bench/crpc_pingpong" --target "$target"
    --payload "$payload" --requests "$n") ;;
  cpp-sync) cmd=("$kit/ref-cpp/pingpong" --target "$target"
    --payload "$payload" --warmup 0 --requests "$n") ;;
  *)
    echo "callgrind.sh: unknown client $name" >&2
    return 2
    ;;
  esac
}

# Sets $counts for |n| calls served by server $1, measured with $2.
server_counts() {
  local name=$1 metric=$2 n=$3 port file log server prefix cmd
  port=$(bench_free_port)
  file=$work/$name-$metric-$n
  log=$out/logs/server-$name-$metric-$n.log
  mapfile -t server < <(bench_server_cmd "$name" "$port")
  counting "$metric" "$file"
  bench_start_server "$log" "$port" "${prefix[@]}" "${server[@]}"
  check_server "$port"
  client_cmd h2load "$port" "$n"
  "${cmd[@]}" >"$out/logs/h2load-$name-$metric-$n.log" 2>&1 || {
    echo "callgrind.sh: h2load failed against $name (see $out/logs)" >&2
    exit 1
  }
  bench_stop_server
  read_counts "$metric" "$file"
}

# Sets $counts for |n| calls made by client $1 to a limit server on $3.
client_counts() {
  local name=$1 metric=$2 port=$3 n=$4 file=$work/$1-$2-$4 prefix cmd
  client_cmd "$name" "$port" "$n"
  counting "$metric" "$file"
  "${prefix[@]}" "${cmd[@]}" >"$out/logs/client-$name-$metric-$n.log" 2>&1 || {
    echo "callgrind.sh: client $name failed (see $out/logs)" >&2
    exit 1
  }
  read_counts "$metric" "$file"
}

# Per call: (counts for 2n - counts for n) / n, field by field.
per_call() { # "counts n" "counts 2n"
  awk -v a="$1" -v b="$2" -v n="$calls" 'BEGIN {
    k = split(a, x, " "); split(b, y, " ")
    for (i = 1; i <= k; i++) printf "%s%.2f", (i > 1 ? " " : ""), (y[i] - x[i]) / n
    print ""
  }'
}

declare -A cost # cost[kind/name/metric] = per-call figures
measure() { # kind name metric [port]
  local a
  "$1_counts" "$2" "$3" ${4:+"$4"} "$calls"
  a=$counts
  "$1_counts" "$2" "$3" ${4:+"$4"} $((2 * calls))
  cost[$1/$2/$3]=$(per_call "$a" "$counts")
  echo "callgrind.sh: $1 $2 $3 per call: ${cost[$1/$2/$3]}" >&2
}

ratio() { # value reference
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f\n", a / b }'
}

IFS=, read -ra server_list <<<"$servers"
IFS=, read -ra client_list <<<"$clients"
for metric in "${metrics[@]}"; do
  [[ -n $metric ]] || continue
  for name in "${server_list[@]}"; do
    measure server "$name" "$metric"
  done
  if ((${#client_list[@]})); then
    port=$(bench_free_port)
    mapfile -t cmd < <(bench_server_cmd limit "$port")
    bench_start_server "$out/logs/limit-for-clients-$metric.log" "$port" "${cmd[@]}"
    check_server "$port"
    for name in "${client_list[@]}"; do
      # h2load links jemalloc, whose own entry points the counter cannot
      # follow: it frees through them what was counted with glibc.
      [[ $name == h2load && $metric == allocs ]] && continue
      measure client "$name" "$metric" "$port"
    done
    bench_stop_server
  fi
done

# The tables: one row per program, ratios to the references.
field() { # key index
  local v=${cost[$1]:-}
  [[ -z $v ]] || awk -v v="$v" -v i="$2" 'BEGIN {
    split(v, f, " "); printf(i == 2 || i == 1 && v ~ / / ? "%.2f\n" : "%.0f\n", f[i]) }'
}
{
  echo "Cost per unary call, $(date +%Y-%m-%d), crpc $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$top" diff --quiet HEAD -- librpc include bench 2>/dev/null || echo ' + working tree')"
  echo "($((2 * calls)) minus $calls calls, 1 connection x $streams streams, $payload B payload)"
  echo
  echo "| server | instructions/call | / limit | / cpp-async | allocs/call | frees/call | bytes/call |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for name in "${server_list[@]}"; do
    ir=$(field "server/$name/instructions" 1)
    echo "| $name | ${ir:-} | $(ratio "$ir" "$(field server/limit/instructions 1)") |" \
      "$(ratio "$ir" "$(field server/cpp-async/instructions 1)") |" \
      "$(field "server/$name/allocs" 1) | $(field "server/$name/allocs" 2) |" \
      "$(field "server/$name/allocs" 3) |"
  done
  if ((${#client_list[@]})); then
    echo
    echo "| client (against limit) | instructions/call | / h2load | / gRPC C++ same mode | allocs/call | frees/call | bytes/call |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for name in "${client_list[@]}"; do
      ir=$(field "client/$name/instructions" 1)
      peer=
      [[ $name == crpc-* ]] && peer=$(ratio "$ir" \
        "$(field "client/${name/crpc-/cpp-}/instructions" 1)")
      echo "| $name | ${ir:-} | $(ratio "$ir" "$(field client/h2load/instructions 1)") |" \
        "$peer |" \
        "$(field "client/$name/allocs" 1) | $(field "client/$name/allocs" 2) |" \
        "$(field "client/$name/allocs" 3) |"
    done
  fi
} | tee "$out/table.md"
echo "callgrind.sh: results in $out" >&2
