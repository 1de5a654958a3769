#!/usr/bin/env bash
# bench/scaling.sh: QPS and latency curves of crpc_echo_server and the
# kit's limit server under h2load, in one run.
#
#   bench/scaling.sh [--duration S] [--warmup S] [--servers LIST]
#                    [--threads LIST] [--streams LIST] [--conns LIST]
#                    [--payload B] [--pin]
#
# Three sweeps, a fresh server for every point (16 B payloads):
#   threads  server I/O threads (default 1,2) under 4 connections x 100
#            streams, never pinned: the server may use every CPU;
#   streams  concurrent streams on one connection (default
#            1,10,100,1000), one server thread;
#   conns    connections with one stream each (default 1,10,100,1000),
#            one server thread.
# --pin puts the server on CPU 0 and h2load on CPU 1 in the last two
# sweeps, as the kit's pinned mode does. Servers: crpc (inline handlers),
# crpc-ht (one handler thread), limit (default crpc,limit). Each point runs
# for --warmup (default 1) then --duration (default 5) seconds.
#
# Timed: run it on a quiet machine, and compare servers within one run
# only. Writes bench/results/<time>-scaling/ (git-ignored): scaling.csv
# (sweep,server,threads,conns,streams,qps,p50_us,p99_us), scaling.png
# (gnuplot, bench/scaling.gp) and logs/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

duration=5 warmup=1 payload=16 pin=
servers=crpc,limit threads_list=1,2 streams_list=1,10,100,1000
conns_list=1,10,100,1000
while (($#)); do
  case $1 in
  --duration) duration=$2 && shift ;;
  --warmup) warmup=$2 && shift ;;
  --servers) servers=$2 && shift ;;
  --threads) threads_list=$2 && shift ;;
  --streams) streams_list=$2 && shift ;;
  --conns) conns_list=$2 && shift ;;
  --payload) payload=$2 && shift ;;
  --pin) pin=1 ;;
  *) bench_usage ;;
  esac
  shift
done
# h2load-unary.sh takes whole seconds or milliseconds.
to_ms() { awk -v s="$1" 'BEGIN { if (s !~ /^[0-9.]+$/) exit 1; printf "%dms\n", s * 1000 }'; }
duration_ms=$(to_ms "$duration") && warmup_ms=$(to_ms "$warmup") &&
  [[ $payload =~ ^[0-9]+$ ]] || bench_usage

bench_find_build
bench_prepare_kit
trap bench_stop_server EXIT
out=$top/bench/results/$(date +%Y%m%d-%H%M%S)-scaling
mkdir -p "$out/logs"
csv=$out/scaling.csv
echo "sweep,server,threads,conns,streams,qps,p50_us,p99_us" >"$csv"
# 1000 connections need as many descriptors on each side.
ulimit -n 4096 2>/dev/null || true

# One point: server $2 with $3 I/O threads, h2load with $4 connections x
# $5 streams; appends a CSV row (qps 0 when the run failed).
point() {
  local sweep=$1 name=$2 threads=$3 conns=$4 streams=$5 port cmd tag
  local server_pin=() client_cpus=
  tag=$sweep-$name-t$threads-c$conns-m$streams
  port=$(bench_free_port)
  mapfile -t cmd < <(bench_server_cmd "$name" "$port" "$threads")
  if [[ -n $pin && $sweep != threads ]]; then
    server_pin=(taskset -c 0)
    client_cpus=1
  fi
  bench_start_server "$out/logs/server-$tag.log" "$port" \
    "${server_pin[@]}" "${cmd[@]}"
  local result rps=0 p50=0 p99=0
  # h2load's -t: a thread per 100 connections, at most the CPU count.
  local h2threads=$(((conns + 99) / 100))
  ((h2threads <= $(nproc))) || h2threads=$(nproc)
  if H2LOAD_THREADS=$h2threads WARMUP=$warmup_ms CLIENT_CPUS=$client_cpus \
    TIMEOUT=$((${duration%.*} + ${warmup%.*} + 60)) \
    "$kit/h2load-unary.sh" "127.0.0.1:$port" "$conns" "$streams" \
    "$duration_ms" "$payload" >"$out/logs/h2load-$tag.log" 2>&1; then
    result=$(grep '^RESULT' "$out/logs/h2load-$tag.log")
    rps=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$result")
    p50=$(sed -E 's/.* p50_us=([0-9]+).*/\1/' <<<"$result")
    p99=$(sed -E 's/.* p99_us=([0-9]+).*/\1/' <<<"$result")
  else
    echo "scaling.sh: $tag failed, see $out/logs/h2load-$tag.log" >&2
  fi
  bench_stop_server
  echo "$sweep,$name,$threads,$conns,$streams,$rps,$p50,$p99" | tee -a "$csv"
}

IFS=, read -ra server_names <<<"$servers"
IFS=, read -ra threads_values <<<"$threads_list"
IFS=, read -ra streams_values <<<"$streams_list"
IFS=, read -ra conns_values <<<"$conns_list"
for name in "${server_names[@]}"; do
  for t in "${threads_values[@]}"; do point threads "$name" "$t" 4 100; done
  for m in "${streams_values[@]}"; do point streams "$name" 1 1 "$m"; done
  for c in "${conns_values[@]}"; do point conns "$name" 1 "$c" 1; done
done

# One data file per sweep and server for gnuplot: x, qps, p99.
for sweep in threads streams conns; do
  for name in "${server_names[@]}"; do
    awk -F, -v s="$sweep" -v n="$name" '
      $1 == s && $2 == n {
        x = s == "threads" ? $3 : s == "conns" ? $4 : $5
        print x, $6, $8
      }' "$csv" >"$out/$sweep-$name.dat"
  done
done
if command -v gnuplot >/dev/null; then
  gnuplot -e "dir='$out'; servers='${server_names[*]}'" "$here/scaling.gp"
else
  echo "scaling.sh: gnuplot is missing (apt-get install gnuplot-nox); no chart" >&2
fi
echo "scaling.sh: results in $out (scaling.csv, scaling.png, logs/)" >&2
