# bench/lib.sh: what run.sh, callgrind.sh and scaling.sh share. Sourced,
# never run; the caller sets `set -euo pipefail` and $here (this folder).
#
#   bench_find_build        sets $build, the build directory with bench/
#   bench_prepare_kit       copies the shared kit to $build/bench/kit
#                           (once; later only what changed), builds it
#                           there, sets $kit
#   bench_server_cmd NAME PORT [THREADS]
#                           prints the command of server NAME (limit,
#                           cpp-async, crpc, crpc-ht) on PORT with THREADS
#                           I/O threads (default 1), one word a line
#   bench_start_server LOG PORT CMD...
#                           starts CMD in the background, output to LOG,
#                           waits until PORT accepts; sets $server_pid
#   bench_stop_server       SIGTERM, then SIGKILL after 30 s, to $server_pid
#   bench_free_port         prints a TCP port free on 127.0.0.1
#   bench_usage             prints the script's header comment, exits 2

top=$(cd "$here/.." && pwd)

bench_find_build() {
  if [[ -n ${CRPC_BUILD_DIR:-} ]]; then
    build=$(cd "$CRPC_BUILD_DIR" && pwd)
  elif [[ -x $PWD/bench/crpc_echo_server ]]; then
    build=$PWD
  else
    build=$top
  fi
  local prog
  for prog in crpc_echo_server crpc_loadgen crpc_pingpong; do
    if [[ ! -x $build/bench/$prog ]]; then
      echo "${0##*/}: $build/bench/$prog is missing: run make (or set" \
        "CRPC_BUILD_DIR)" >&2
      exit 2
    fi
  done
}

# The kit builds and writes inside its own folder: work on a copy, kept in
# the build directory so that the C++ programs are built once.
bench_prepare_kit() {
  local src=${BENCH_KIT:-$top/../shared/bench}
  [[ -d $src ]] || src=/work/shared/bench
  if [[ ! -f $src/run-anchors.sh ]]; then
    echo "${0##*/}: no benchmark kit at $src; set BENCH_KIT" >&2
    exit 2
  fi
  kit=$build/bench/kit
  mkdir -p "$kit"
  cp -r --update --preserve=timestamps "$src/." "$kit/"
  echo "${0##*/}: building the kit in $kit" >&2
  make -s -C "$kit" >&2
}

bench_server_cmd() {
  local name=$1 port=$2 threads=${3:-1}
  case $name in
  limit) printf '%s\n' "$kit/limit-nghttp2/limit_server" --port "$port" \
    --threads "$threads" ;;
  cpp-async) printf '%s\n' "$kit/ref-cpp/server" --mode async --port \
    "$port" --threads "$threads" ;;
  crpc) printf '%s\n' "$build/bench/crpc_echo_server" --port "$port" \
    --threads "$threads" ;;
  crpc-ht) printf '%s\n' "$build/bench/crpc_echo_server" --port "$port" \
    --threads "$threads" --handler-threads 1 ;;
  *)
    echo "${0##*/}: unknown server $name" >&2
    return 2
    ;;
  esac
}

bench_usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 2
}

bench_free_port() {
  local py=/usr/bin/python3
  [[ -x $py ]] || py=python3
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Liveness only: a server under valgrind takes seconds to start.
bench_start_server() {
  local log=$1 port=$2 i
  shift 2
  "$@" >"$log" 2>&1 &
  server_pid=$!
  for ((i = 0; i < 1200; i++)); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "${0##*/}: server exited at start: $*" >&2
      tail -5 "$log" >&2
      return 1
    fi
    if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "${0##*/}: server did not listen on port $port in 120 s: $*" >&2
  bench_stop_server
  return 1
}

bench_stop_server() {
  local i
  [[ -n ${server_pid:-} ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
