#!/usr/bin/env bash
# Issue 4's ingest figures, side by side: strixd and VictoriaMetrics take the same
# line-protocol workload (batches of 5,000 lines over 4 connections), round-robin
# (strixd, vm, strixd, vm, ...), each round on a fresh data directory and a free loopback
# port, each server stopped by its PID. Then strixd's pattoo listener takes the same
# samples as pattoo agent posts. Prints one line per round and the medians.
#
#   bench/ingest.sh [ROUNDS] [HOSTS] [SPAN]      defaults: 3 rounds, 1000 hosts, 1h (3.6 M samples)
#
# Needs a release build (make build) and Debian's victoria-metrics (deps.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
hosts=${2:-1000}
span=${3:-1h}
bin=build/release
lg=$bin/bench/loadgen/strix-loadgen
out=$(mktemp -d /tmp/strix-ingest-XXXXXX)
start=$(( $(date +%s) - 3600 ))   # one --start for every round: identical bytes
common=(--hosts "$hosts" --span "$span" --start "$start" --batch-lines 5000 --connections 4
        --cpu-settle 2s)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }

run_strixd() {  # $1 = round, $2 = lp|pattoo
  local d port pport token pid
  d=$(mktemp -d /tmp/strix-data-XXXXXX)
  port=$(free_port); pport=$(free_port)
  token=$($bin/tools/strix/strix token create --name bench --scope ingest,read -d "$d" 2>/dev/null)
  printf 'data_dir: %s\nlisten:\n  port: %s\npattoo:\n  enabled: true\n  port: %s\nself_metrics:\n  interval: 0s\n' \
    "$d" "$port" "$pport" > "$d/strixd.yaml"
  $bin/src/server/strixd --config "$d/strixd.yaml" > "$d/strixd.out" 2>&1 &
  pid=$!
  wait_port "$port"
  if [ "$2" = lp ]; then
    $lg --url "http://127.0.0.1:$port/write" --header "Authorization: Bearer $token" \
      --pid "$pid" --name strixd "${common[@]}" --json "$out/strixd-lp-$1.json" > /dev/null || true
  else
    $lg --format pattoo --url "http://127.0.0.1:$pport/pattoo/api/v1/agent/receive/{agent_id}" \
      --pid "$pid" --name strixd-pattoo --hosts "$hosts" --span "$span" --start "$start" \
      --connections 4 --cpu-settle 2s --json "$out/strixd-pattoo-$1.json" > /dev/null || true
  fi
  kill "$pid"; wait "$pid" || true
  rm -rf "$d"
}

run_vm() {
  local d port pid
  d=$(mktemp -d /tmp/vm-data-XXXXXX)
  port=$(free_port)
  victoria-metrics -httpListenAddr "127.0.0.1:$port" -storageDataPath "$d" > "$d.log" 2>&1 &
  pid=$!
  wait_port "$port"
  $lg --url "http://127.0.0.1:$port/write" --pid "$pid" --name victoria-metrics "${common[@]}" \
    --json "$out/vm-lp-$1.json" > /dev/null || true
  kill "$pid"; wait "$pid" || true
  rm -rf "$d" "$d.log"
}

for r in $(seq "$rounds"); do
  run_strixd "$r" lp
  run_vm "$r"
  run_strixd "$r" pattoo
done

python3 - "$out" <<'PY'
import json, glob, os, statistics, sys
out = sys.argv[1]
def load(prefix):
    rows = []
    for f in sorted(glob.glob(os.path.join(out, prefix + "-*.json"))):
        rows.append(json.load(open(f)))
    return rows
def pick(d, *keys):
    for k in keys:
        cur = d
        ok = True
        for part in k.split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            else:
                ok = False
                break
        if ok:
            return cur
    return None
print(f"results in {out}")
print("| target | samples/s (median, min..max) | CPU s per M samples | p99 ms | peak RSS MiB | load avg before | other busy CPU s |")
print("|---|---|---|---|---|---|---|")
for name in ("strixd-lp", "vm-lp", "strixd-pattoo"):
    rows = load(name)
    if not rows:
        continue
    def col(*keys):
        vals = [v for v in (pick(r, *keys) for r in rows) if v is not None]
        return vals
    sps = col("send.samples_per_second")
    cpu = col("target.cpu_seconds_per_million_samples_settled", "target.cpu_seconds_per_million_samples")
    p99 = col("send.latency_ms.p99")
    rss = col("target.peak_rss_bytes")
    la = [r["machine"]["loadavg_before"][0] for r in rows if r.get("machine", {}).get("loadavg_before")]
    other = col("machine.other_busy_cpu_seconds")
    fmt = lambda v, f: (f.format(statistics.median(v)) + " (" + f.format(min(v)) + ".." + f.format(max(v)) + ")") if v else "-"
    print(f"| {name} | {fmt(sps, '{:,.0f}')} | {fmt(cpu, '{:.3f}')} | {fmt(p99, '{:.0f}')} | "
          f"{fmt([x / 2**20 for x in rss], '{:.0f}')} | {fmt(la, '{:.2f}')} | {fmt(other, '{:.2f}')} |")
PY
