#!/usr/bin/env bash
# bench/scaling.sh: QPS and latency curves of crpc_echo_server and the
# kit's limit server under h2load, in one run.
#
#   bench/scaling.sh [--duration S] [--warmup S] [--servers LIST]
#                    [--threads LIST] [--streams LIST] [--conns LIST]
#                    [--payload B] [--pin] [--repeat N]
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
# for --warmup (default 1) then --duration (default 5) seconds. --repeat N
# runs every point N times (default 1), in N rounds over all servers and
# points so that a noisy minute hits every server alike; charts and the
# summary take the median.
#
# Timed: run it on a quiet machine, and compare servers within one run
# only. Writes bench/results/<time>-scaling/ (git-ignored): scaling.csv
# (sweep,server,threads,conns,streams,qps,p50_us,p99_us,run,server_cpu_s,
# thread_cpu_pct,client_cpu_s), summary.txt (median QPS per point and
# crpc/limit), scaling.png (gnuplot, bench/scaling.gp) and logs/.
# server_cpu_s and client_cpu_s are CPU seconds of the whole run (warm-up
# included): per call they show whether a server got slower or got less
# CPU. thread_cpu_pct splits the server's CPU over its busy threads
# ("50:50"), which shows how connections landed on I/O threads.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

duration=5 warmup=1 payload=16 pin= repeat=1
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
  --repeat) repeat=$2 && shift ;;
  *) bench_usage ;;
  esac
  shift
done
# h2load-unary.sh takes whole seconds or milliseconds.
to_ms() { awk -v s="$1" 'BEGIN { if (s !~ /^[0-9.]+$/) exit 1; printf "%dms\n", s * 1000 }'; }
duration_ms=$(to_ms "$duration") && warmup_ms=$(to_ms "$warmup") &&
  [[ $payload =~ ^[0-9]+$ && $repeat =~ ^[1-9][0-9]*$ ]] || bench_usage

bench_find_build
bench_prepare_kit
trap bench_stop_server EXIT
out=$top/bench/results/$(date +%Y%m%d-%H%M%S)-scaling
mkdir -p "$out/logs"
csv=$out/scaling.csv
echo "sweep,server,threads,conns,streams,qps,p50_us,p99_us,run,server_cpu_s,thread_cpu_pct,client_cpu_s" >"$csv"
# 1000 connections need as many descriptors on each side.
ulimit -n 4096 2>/dev/null || true

# CPU ticks of each thread of process $1: "TID TICKS" lines.
thread_ticks() {
  local stat
  for stat in /proc/"$1"/task/*/stat; do
    awk '{ sub(/.*\) /, ""); print FILENAME, $12 + $13 }' "$stat" 2>/dev/null
  done
}

# Server CPU seconds and each busy thread's share ("61:39") between two
# thread_ticks snapshots.
cpu_split() {
  awk -v hz="$(getconf CLK_TCK)" '
    NR == FNR { before[$1] = $2; next }
    { t = $2 - before[$1]; if (t > 0) { ticks[++n] = t; total += t } }
    END {
      for (i = 1; i <= n; i++)
        if (ticks[i] * 20 >= total) # threads with 5 % or more
          split_ = split_ (split_ == "" ? "" : ":") int(100 * ticks[i] / total + 0.5)
      printf "%.2f,%s\n", total / hz, split_ == "" ? "-" : split_
    }' "$1" "$2"
}

# One point: server $2 with $3 I/O threads, h2load with $4 connections x
# $5 streams, round $6; appends a CSV row (qps 0 when the run failed).
point() {
  local sweep=$1 name=$2 threads=$3 conns=$4 streams=$5 run=$6 port cmd tag
  local server_pin=() client_cpus=
  tag=$sweep-$name-t$threads-c$conns-m$streams-r$run
  port=$(bench_free_port)
  mapfile -t cmd < <(bench_server_cmd "$name" "$port" "$threads")
  if [[ -n $pin && $sweep != threads ]]; then
    server_pin=(taskset -c 0)
    client_cpus=1
  fi
  bench_start_server "$out/logs/server-$tag.log" "$port" \
    "${server_pin[@]}" "${cmd[@]}"
  local result rps=0 p50=0 p99=0 client_cpu=0 split
  thread_ticks "$server_pid" >"$out/logs/ticks-$tag.before"
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
    client_cpu=$(sed -E 's/.* client_cpu_s=([0-9.]+).*/\1/' <<<"$result")
  else
    echo "scaling.sh: $tag failed, see $out/logs/h2load-$tag.log" >&2
  fi
  thread_ticks "$server_pid" >"$out/logs/ticks-$tag.after"
  split=$(cpu_split "$out/logs/ticks-$tag.before" "$out/logs/ticks-$tag.after")
  bench_stop_server
  echo "$sweep,$name,$threads,$conns,$streams,$rps,$p50,$p99,$run,$split,$client_cpu" |
    tee -a "$csv"
}

IFS=, read -ra server_names <<<"$servers"
IFS=, read -ra threads_values <<<"$threads_list"
IFS=, read -ra streams_values <<<"$streams_list"
IFS=, read -ra conns_values <<<"$conns_list"
for ((run = 1; run <= repeat; run++)); do
  for name in "${server_names[@]}"; do
    for t in "${threads_values[@]}"; do point threads "$name" "$t" 4 100 $run; done
    for m in "${streams_values[@]}"; do point streams "$name" 1 1 "$m" $run; done
    for c in "${conns_values[@]}"; do point conns "$name" 1 "$c" 1 $run; done
  done
done

# The median run of each point (by QPS): "sweep server x qps p99".
sort -t, -k1,1 -k2,2 -k3,3n -k4,4n -k5,5n -k6,6n <(tail -n +2 "$csv") |
  awk -F, '
    function flush() { if (n) { m = rows[int((n + 1) / 2)]; print m } n = 0 }
    { key = $1 FS $2 FS $3 FS $4 FS $5
      if (key != last) flush()
      last = key
      x = $1 == "threads" ? $3 : $1 == "conns" ? $4 : $5
      rows[++n] = $1 " " $2 " " x " " $6 " " $8 }
    END { flush() }' >"$out/medians.txt"
# One data file per sweep and server for gnuplot: x, qps, p99.
for sweep in threads streams conns; do
  for name in "${server_names[@]}"; do
    awk -v s="$sweep" -v n="$name" '$1 == s && $2 == n { print $3, $4, $5 }' \
      "$out/medians.txt" >"$out/$sweep-$name.dat"
  done
done
# Median QPS per point, and crpc's over the limit server's when both ran.
printf "%-14s %10s %10s %6s\n" point crpc limit ratio >"$out/summary.txt"
awk '{ qps[$1 " " $3, $2] = $4; points[$1 " " $3] = 1 }
  END {
    for (p in points)
      printf "%-14s %10.0f %10.0f %6s\n", p, qps[p, "crpc"], qps[p, "limit"],
        qps[p, "crpc"] && qps[p, "limit"] ? sprintf("%.2f", qps[p, "crpc"] / qps[p, "limit"]) : "-"
  }' "$out/medians.txt" | sort -k1,1 -k2,2n >>"$out/summary.txt"
cat "$out/summary.txt" >&2
if command -v gnuplot >/dev/null; then
  gnuplot -e "dir='$out'; servers='${server_names[*]}'" "$here/scaling.gp" ||
    echo "scaling.sh: gnuplot failed (a sweep without points?); no chart" >&2
else
  echo "scaling.sh: gnuplot is missing (apt-get install gnuplot-nox); no chart" >&2
fi
echo "scaling.sh: results in $out (scaling.csv, summary.txt, scaling.png," \
  "logs/)" >&2
