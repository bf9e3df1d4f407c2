#!/usr/bin/env python3
"""strix-agent's footprint: resident memory and CPU of the Linux input at a fixed interval.

Starts a real strixd (temporary data dir, loopback, an ingest token from the strix tool)
and a strix-agent with one linux input, lets them run for --duration seconds, and samples
the agent's /proc/<pid>/status (VmRSS, VmHWM) and /proc/<pid>/stat (utime + stime) every
--sample seconds. Reports peak and mean RSS, CPU as a percentage of one core over the whole
run, the rounds delivered (read back from strixd), and the machine's load for context.

  python3 bench/agent/footprint.py --bin-dir build/release                  # 10 minutes
  python3 bench/agent/footprint.py --bin-dir build/release --duration 60    # quick look

The targets (PRODUCT.md): under 10 MiB resident and under 0.2% of a core at 10 s.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                out[k] = int(v.split()[0])
    return out


def proc_rollup(pid):
    """Pss and the private (unshared) part of the resident set, in KiB."""
    out = {"Pss": 0, "Private": 0}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k == "Pss":
                out["Pss"] = int(v.split()[0])
            elif k in ("Private_Clean", "Private_Dirty"):
                out["Private"] += int(v.split()[0])
    return out


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime is field 14, stime 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", default="build/release")
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--interval", default="10s")
    ap.add_argument("--sample", type=float, default=5)
    ap.add_argument("--json", help="write the result here too")
    args = ap.parse_args()

    strixd = os.path.join(args.bin_dir, "src/server/strixd")
    strix = os.path.join(args.bin_dir, "tools/strix/strix")
    agent_bin = os.path.join(args.bin_dir, "src/agents/agent/strix-agent")
    work = tempfile.mkdtemp(prefix="strix-footprint-")
    procs = []
    try:
        port = free_port()
        data = os.path.join(work, "data")
        os.makedirs(data)
        with open(os.path.join(work, "strixd.yaml"), "w") as f:
            f.write(f"data_dir: {data}\nlisten:\n  address: 127.0.0.1\n  port: {port}\n")
        tok = subprocess.run([strix, "token", "create", "--name", "bench", "--scope", "ingest,read",
                              "--data-dir", data], check=True, capture_output=True, text=True).stdout.strip()
        srv = subprocess.Popen([strixd, "--config", os.path.join(work, "strixd.yaml")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(srv)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        cfg = os.path.join(work, "strix-agent.yaml")
        with open(cfg, "w") as f:
            f.write(f"agent:\n  state_dir: {work}/agent\n  host: footprint\n  log_level: warn\n"
                    f"server:\n  urls: [http://127.0.0.1:{port}]\n  token: {tok}\n"
                    f"inputs:\n  linux:\n    type: linux\n    interval: {args.interval}\n")
        ag = subprocess.Popen([agent_bin, "-c", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(ag)
        time.sleep(1.0)
        cpu0 = proc_cpu_seconds(ag.pid)
        t0 = time.monotonic()
        rss, load = [], []
        while time.monotonic() - t0 < args.duration:
            time.sleep(args.sample)
            if ag.poll() is not None:
                sys.exit("strix-agent exited early")
            rss.append(proc_status(ag.pid)["VmRSS"])
            load.append(loadavg())
        elapsed = time.monotonic() - t0
        cpu1 = proc_cpu_seconds(ag.pid)
        st = proc_status(ag.pid)
        roll = proc_rollup(ag.pid)
        # Rounds that reached strixd: samples of one linux series over the run.
        q = urllib.parse.urlencode({"match[]": 'linux_memory_total_bytes{host="footprint"}',
                                    "start": "0", "end": "now"})
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/select?{q}",
                                     headers={"Authorization": f"Bearer {tok}"})
        body = json.load(urllib.request.urlopen(req, timeout=10))
        series = body["data"]["series"]
        rounds = len(series[0]["timestamps"]) if series else 0
        result = {
            "interval": args.interval,
            "duration_s": round(elapsed, 1),
            "rss_peak_kib": st["VmHWM"],
            "rss_mean_kib": round(sum(rss) / len(rss)) if rss else None,
            "rss_last_kib": st["VmRSS"],
            "rss_anon_kib": st.get("RssAnon"),
            "rss_file_kib": st.get("RssFile"),
            "pss_kib": roll["Pss"],
            "private_kib": roll["Private"],
            "threads": st.get("Threads"),
            "cpu_seconds": round(cpu1 - cpu0, 3),
            "cpu_percent_of_core": round(100 * (cpu1 - cpu0) / elapsed, 4),
            "rounds_stored": rounds,
            "loadavg_mean": round(sum(load) / len(load), 2) if load else None,
        }
        print(json.dumps(result, indent=2))
        print(f"\n| interval | run | RSS peak | RSS mean | of it, shared-library files | private | PSS | CPU (% of a core) | rounds stored |\n"
              f"|---|---|---|---|---|---|---|---|---|\n"
              f"| {args.interval} | {elapsed:.0f} s | {st['VmHWM'] / 1024:.2f} MiB | "
              f"{result['rss_mean_kib'] / 1024:.2f} MiB | {st.get('RssFile', 0) / 1024:.2f} MiB | "
              f"{roll['Private'] / 1024:.2f} MiB | {roll['Pss'] / 1024:.2f} MiB | "
              f"{result['cpu_percent_of_core']:.3f}% | {rounds} |")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
