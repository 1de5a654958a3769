#!/usr/bin/env bash
# bench/run.sh: measure crpc against the reference servers with the shared
# benchmark kit, in one command.
#
#   bench/run.sh [kit options]
#   bench/run.sh --shapes h2-c1-m100,crpc-c1-m100 --pin pinned --repeat 3
#
# It copies the kit (../shared/bench next to the repository, or $BENCH_KIT)
# to bench/kit/ in the build directory, builds it there (once; later runs
# rebuild only what changed), and runs its run-anchors.sh with
# crpc_echo_server as the server "crpc" and crpc_loadgen as the client
# "crpc" (shapes crpc-c1-m1 ... crpc-c1-m10-64k). Every other option goes
# to run-anchors.sh as is (--anchors, --shapes, --pin, --repeat,
# --duration, --warmup, --ref ...; see the kit's README.md).
#
# The crpc programs come from the build directory $CRPC_BUILD_DIR, else
# the current directory if it holds bench/crpc_echo_server, else the
# source tree; build them first with `make`. The table, raw results, logs
# and chart.png (QPS and p99 per shape and server, made with gnuplot) land
# in bench/results/<time>/ of the source tree, which git ignores.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

bench_find_build
server=$build/bench/crpc_echo_server
client=$build/bench/crpc_loadgen
bench_prepare_kit

stamp=$(date +%Y%m%d-%H%M%S)
out=$top/bench/results/$stamp
mkdir -p "$out"
"$kit/run-anchors.sh" --out "$kit/results/$stamp" \
  --server "crpc=$server --port {port} --threads {threads}" \
  --client "crpc=$client --target {target} --conns {conns} --streams {streams} --payload {payload} --warmup {warmup} --duration {duration}" \
  "$@"
cp -r "$kit/results/$stamp/." "$out/"
{
  echo
  echo "crpc commit: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$top" diff --quiet HEAD -- librpc include bench 2>/dev/null || echo ' (with local changes)')"
} >>"$out/table.md"

# The chart: median QPS and p99 per cell, one bar per server.
py=/usr/bin/python3
[[ -x $py ]] || py=python3
"$py" - "$out/raw.jsonl" "$out" <<'PY'
import json, statistics, sys
raw, out = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(raw) if l.strip()]
cells, shapes, servers = {}, [], []
for r in rows:
    key = f"{r['shape']}/{r['pin']}"
    if key not in shapes:
        shapes.append(key)
    if r["server"] not in servers:
        servers.append(r["server"])
    if r.get("ok"):
        cells.setdefault((key, r["server"]), []).append(r)
for field, name in (("qps", "qps.dat"), ("p99_us", "p99.dat")):
    with open(f"{out}/{name}", "w") as f:
        f.write("shape\t" + "\t".join(servers) + "\n")
        for s in shapes:
            vals = []
            for srv in servers:
                rs = cells.get((s, srv))
                vals.append(f"{statistics.median(r[field] for r in rs):.1f}"
                            if rs else "NaN")
            f.write(s + "\t" + "\t".join(vals) + "\n")
with open(f"{out}/servers.txt", "w") as f:
    f.write(str(len(servers) + 1))
PY
if ! command -v gnuplot >/dev/null; then
  echo "run.sh: gnuplot is missing (apt-get install gnuplot-nox); no chart" >&2
else
  gnuplot -e "dir='$out'; cols=$(cat "$out/servers.txt")" "$here/chart.gp"
fi
rm -f "$out/servers.txt"
echo "run.sh: results in $out (table.md, raw.jsonl, chart.png, logs/)"
