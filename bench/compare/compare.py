#!/usr/bin/env python3
"""Issue 5's side-by-side benchmark: strixd against Debian's VictoriaMetrics, InfluxDB and
Prometheus, on the same deterministic workload, round-robin (A B C D, A B C D, ...), each
round on a fresh server with a fresh data directory on a free loopback port, stopped by its
PID. Per round it measures ingest (samples/s, server CPU per million samples, peak RSS, via
strix-loadgen), a forced flush or compaction and the bytes on disk per sample, three timed
queries (cold first run, then the median of warm runs), and correctness (raw read-back of
chosen series against strix-loadgen --print-series, answers of the timed queries, total
sample and series counts). Prints a markdown table (medians, min..max, each peer's ratio to
strixd, strixd's targets) and writes every figure to a JSON file. See README.md.

    bench/compare/compare.py --profile small --rounds 3           # make bench
    bench/compare/compare.py --profile large --rounds 3           # make bench-large
    bench/compare/compare.py --targets strixd,victoria-metrics --rounds 1 --hosts 100

Python 3 standard library only. One thread; servers are child processes.
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import answers  # noqa: E402
import summary  # noqa: E402
import sysinfo  # noqa: E402
import targets  # noqa: E402
import workload as wl  # noqa: E402
from sysinfo import BenchError  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
ALL_TARGETS = ["strixd", "victoria-metrics", "influxdb", "prometheus"]


class Context:
    """What every round shares: the workload, paths, options, expected samples."""

    def __init__(self, args, workload, loadgen, expected):
        self.workload = workload
        self.bin_dir = args.bin_dir
        self.loadgen = loadgen
        self.expected = expected
        self.connections = args.connections
        self.batch_lines = args.batch_lines
        self.cpu_settle = args.cpu_settle
        self.query_runs = args.query_runs
        self.query_host = args.query_host
        self.prometheus_connections = args.prometheus_connections
        self.prometheus_ooo_window = args.prometheus_ooo_window
        self.start_timeout_s = 60
        self.stop_timeout_s = 60
        self.query_timeout_s = 300
        self.flush_timeout_s = 900
        self.loadgen_timeout_s = max(600, workload.samples // 20000)
        self.strix_version = args.strixd_label or strix_version()


def strix_version():
    """The commit strixd was built from (read-only git), '+dirty' with local changes."""
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=False).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30, check=False).stdout.strip()
        return (head + ("+dirty" if dirty else "")) or None
    except OSError:
        return None


def log(msg):
    print(msg, flush=True)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- one round of one target


def run_ingest(t, ctx, round_dir):
    w = ctx.workload
    out_json = os.path.join(round_dir, "loadgen.json")
    out_txt = os.path.join(round_dir, "loadgen.txt")
    argv = [ctx.loadgen] + w.loadgen_workload_args() + t.loadgen_args() + [
        "--batch-lines", str(ctx.batch_lines), "--connections", str(t.connections()),
        "--pid", str(t.pid), "--cpu-settle", ctx.cpu_settle, "--name", t.key, "--json", out_json]
    with open(out_txt, "w", encoding="utf-8") as f:
        try:
            p = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT, timeout=ctx.loadgen_timeout_s,
                               check=False)
        except subprocess.TimeoutExpired:
            t.fail("ingest", f"strix-loadgen did not finish in {ctx.loadgen_timeout_s} s")
    if not os.path.exists(out_json):
        t.fail("ingest", f"strix-loadgen exit {p.returncode}, no JSON:\n{sysinfo.tail(out_txt)}")
    with open(out_json, encoding="utf-8") as f:
        rep = json.load(f)
    send = rep.get("send") or {}
    if p.returncode != 0 or send.get("samples_ok") != w.samples:
        t.fail("ingest", f"{send.get('samples_ok')} of {w.samples} samples acknowledged "
                         f"(exit {p.returncode}); answers {send.get('status_counts')}; "
                         f"first errors: {send.get('error_reports', [])[:2]}")
    return rep


def time_query(t, name, method, path, runs):
    st, body, secs = t.http.request(method, path)
    t.check(f"query {name}", st, body)
    cold = secs * 1000
    times = []
    for _ in range(runs):
        st, body, secs = t.http.request(method, path)
        t.check(f"query {name}", st, body)
        times.append(secs * 1000)
    return {"request": f"{method} {path}", "cold_ms": cold, "runs_ms": times,
            "median_ms": statistics.median(times), "answer_bytes": len(body)}, body


def check_queries(t, ctx, bodies):
    """Checks the timed queries' answers: raw exact, averages to 1e-9, latest exact."""
    w = ctx.workload
    host = wl.host_name(ctx.query_host)
    exp = ctx.expected[(host, "cpu_user")]
    out = {}
    ts, vs = t.parse_raw(bodies["raw"], host, "cpu_user")
    out["raw"] = answers.compare_series(exp["timestamps_ms"], exp["values"], ts, vs)

    avg = t.parse_avg(bodies["avg"])
    et, ev = answers.expected_step_avg(exp["timestamps_ms"], exp["values"], t.avg_times(),
                                       targets.STEP_S * 1000, t.avg_window)
    gt, gv = avg.get((host, "cpu_user"), ([], []))
    c = answers.compare_averages(et, ev, gt, gv)
    c["series"] = len(avg)
    if len(avg) != w.hosts:
        c["ok"] = False
        c["problem"] = f"{len(avg)} series, expected {w.hosts}"
    out["avg"] = c

    latest = t.parse_latest(bodies["latest"], host)
    bad = []
    for m in wl.METRICS:
        e = ctx.expected[(host, m)]
        want = (e["timestamps_ms"][-1], e["values"][-1])
        got = latest.get(m)
        if got is None:
            bad.append(f"{m}: missing")
            continue
        if (got[0] is not None and got[0] != want[0]) or answers.number(got[1]) != answers.number(want[1]):
            bad.append(f"{m}: got {list(got)}, expected {list(want)}")
    out["latest"] = {"ok": not bad and len(latest) == len(wl.METRICS), "series": len(latest),
                     "problems": bad}
    return out


def run_round(cls, ctx, round_no, work_dir, keep):
    w = ctx.workload
    rec = {"round": round_no, "target": cls.key, "ok": False, "error": None, "started": now_iso()}
    round_dir = tempfile.mkdtemp(prefix=f"r{round_no}-{cls.key}-", dir=work_dir)
    la0 = sysinfo.loadavg()
    busy0 = sysinfo.machine_cpu()[0]
    own0 = sysinfo.own_cpu_seconds()
    t0 = time.monotonic()
    t = cls(ctx, round_dir)
    rec["machine"] = {"loadavg_before": la0}
    target_cpu = None
    step = "start"
    try:
        t.start()
        rec["pid"] = t.pid

        step = "ingest"
        rep = run_ingest(t, ctx, round_dir)
        send, tgt, mach = rep["send"], rep.get("target") or {}, rep.get("machine") or {}
        rec["ingest"] = {
            "samples": send["samples_ok"], "wall_seconds": send["wall_seconds"],
            "samples_per_second": send["samples_per_second"],
            "connections": send.get("connections"),
            "cpu_seconds": tgt.get("cpu_seconds_settled", tgt.get("cpu_seconds")),
            "cpu_seconds_per_million_samples": tgt.get("cpu_seconds_per_million_samples_settled",
                                                       tgt.get("cpu_seconds_per_million_samples")),
            "cpu_seconds_per_million_samples_unsettled": tgt.get("cpu_seconds_per_million_samples"),
            "latency_ms": send.get("latency_ms"), "payload_bytes": rep.get("payloads", {}).get("body_bytes"),
            "loadgen": rep,
        }
        rec["memory"] = {"peak_rss_bytes_ingest": tgt.get("peak_rss_bytes")}
        if send.get("wall_seconds"):
            rec["machine"]["ingest_other_busy_cores"] = mach.get("other_busy_cpu_seconds", 0) / send["wall_seconds"]
        cpu_before = tgt["cpu_before"]["user_seconds"] + tgt["cpu_before"]["system_seconds"]

        step = "flush"
        rec["flush"] = t.flush()
        rec["memory"]["peak_rss_bytes_flush"] = sysinfo.process_memory(t.pid).get("peak_rss_bytes")
        cpu_flush = sysinfo.process_cpu_seconds(t.pid) - cpu_before
        rec["flush"]["cpu_seconds_with_ingest"] = cpu_flush
        rec["flush"]["cpu_seconds_per_million_samples_with_flush"] = cpu_flush / w.samples * 1e6

        step = "disk"
        rec["disk"] = t.disk()
        rec["disk"]["bytes_per_sample"] = rec["disk"]["bytes"] / w.samples
        rec["disk"]["bytes_per_sample_with_tiers"] = rec["disk"]["bytes_with_tiers"] / w.samples

        host = wl.host_name(ctx.query_host)
        step = "queries"
        rec["queries"], bodies = {}, {}
        for name, (method, qpath) in (("raw", t.query_raw(host, "cpu_user")), ("avg", t.query_avg()),
                                      ("latest", t.query_latest(host))):
            rec["queries"][name], bodies[name] = time_query(t, name, method, qpath, ctx.query_runs)
        rec["memory"]["peak_rss_bytes"] = sysinfo.process_memory(t.pid).get("peak_rss_bytes")

        # Correctness: the timed answers, chosen series raw, total counts.
        step = "correctness"
        corr = {"queries": check_queries(t, ctx, bodies), "series_checks": {}}
        for (h, m) in check_refs(ctx):
            hn = wl.host_name(h)
            method, qpath = t.query_raw(hn, m)
            st, body, _ = t.http.request(method, qpath)
            t.check(f"read back {hn} {m}", st, body)
            ts, vs = t.parse_raw(body, hn, m)
            e = ctx.expected[(hn, m)]
            corr["series_checks"][f"{hn}:{m}"] = answers.compare_series(e["timestamps_ms"], e["values"], ts, vs)
        samples, series = t.count()
        corr["samples"], corr["series"] = samples, series
        problems = []
        if samples != w.samples or series != w.series:
            problems.append(f"count {samples:,} samples in {series:,} series, expected {w.samples:,} in {w.series:,}")
        for k, c in list(corr["queries"].items()) + list(corr["series_checks"].items()):
            if not c.get("ok"):
                problems.append(f"{k}: {json.dumps({x: c.get(x) for x in ('expected', 'got', 'mismatches', 'first_mismatch', 'problem', 'problems') if c.get(x)})}")
        corr["ok"] = not problems
        corr["summary"] = "; ".join(problems)[:600] if problems else "exact"
        rec["correctness"] = corr

        target_cpu = sysinfo.process_cpu_seconds(t.pid)
        rec["ok"] = True
    except BenchError as e:
        rec["error"] = str(e) if str(e).startswith(cls.key + ":") else f"{cls.key}: {step}: {e}"
    except Exception as e:  # noqa: BLE001 - any surprise ends this round, not the run
        rec["error"] = f"{cls.key}: {step}: {type(e).__name__}: {e}"
        rec["traceback"] = traceback.format_exc()
    finally:
        if target_cpu is None and t.server and t.server.alive():
            try:
                target_cpu = sysinfo.process_cpu_seconds(t.pid)
            except OSError:
                pass
        rec["stop"] = t.stop()
        wall = time.monotonic() - t0
        busy = sysinfo.machine_cpu()[0] - busy0
        own = sysinfo.own_cpu_seconds() - own0
        rec["machine"].update({"loadavg_after": sysinfo.loadavg(), "wall_seconds": wall,
                               "busy_cpu_seconds": busy, "own_and_loadgen_cpu_seconds": own,
                               "target_cpu_seconds": target_cpu})
        if target_cpu is not None:
            other = max(0.0, busy - target_cpu - own)
            rec["machine"]["other_busy_cpu_seconds"] = other
            rec["machine"]["other_busy_cores"] = other / wall if wall > 0 else None
        if rec["error"] or (rec.get("correctness") and not rec["correctness"]["ok"]):
            rec["logs"] = keep_logs(round_dir, t)
        if keep:
            rec["kept_dir"] = round_dir
        else:
            shutil.rmtree(round_dir, ignore_errors=True)
    return rec


def check_refs(ctx):
    """The series read back in full: a float walk, a counter and the spiky series of the
    query host, and an integer gauge of the last host."""
    q = ctx.query_host
    return [(q, "cpu_user"), (q, "net_rx_bytes"), (q, "latency_ms"), (ctx.workload.hosts - 1, "mem_used")]


LOG_DIR = None


def keep_logs(round_dir, t):
    """Copies the server's and the load generator's output beside the JSON report."""
    if not LOG_DIR:
        return None
    os.makedirs(LOG_DIR, exist_ok=True)
    kept = []
    for name in (os.path.basename(t.log_path), "loadgen.txt"):
        src = os.path.join(round_dir, name)
        if os.path.exists(src):
            dst = os.path.join(LOG_DIR, f"{os.path.basename(round_dir)}-{name}")
            shutil.copyfile(src, dst)
            kept.append(dst)
    return kept


# ---- the run


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=sorted(wl.PROFILES), default="small",
                    help="small: 1000 hosts x 1 h (3.6 M samples); large: 1000 hosts x 8 h 20 min (30 M)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of every target, round-robin (default 3)")
    ap.add_argument("--targets", default=",".join(ALL_TARGETS),
                    help=f"comma-separated subset of {','.join(ALL_TARGETS)} (default all)")
    ap.add_argument("--bin-dir", default=os.path.join(REPO, "build", "release"),
                    help="the CMake build directory with strixd, strix and strix-loadgen (default build/release)")
    ap.add_argument("--loadgen", help="the strix-loadgen binary (default BIN_DIR/bench/loadgen/strix-loadgen)")
    ap.add_argument("--strixd-label", help="how the table names strixd's build (default: the repository's "
                    "commit, +dirty with local changes)")
    ap.add_argument("--json", help="the JSON report (default build/bench-results/compare-PROFILE.json)")
    ap.add_argument("--markdown", help="the table as markdown (default: the JSON path with .md)")
    ap.add_argument("--work-dir", help="where the rounds' data directories go (default: the system's temp dir)")
    ap.add_argument("--keep-data", action="store_true", help="keep each round's data directory and logs")
    ap.add_argument("--start", type=int, help="the workload's first timestamp, epoch seconds "
                    "(default: an hour boundary at least 10 minutes + the span before now)")
    ap.add_argument("--hosts", type=int, help="override the profile's host count (for quick checks)")
    ap.add_argument("--connections", type=int, default=4, help="load generator connections (default 4)")
    ap.add_argument("--batch-lines", type=int, default=5000, help="rows per request (default 5000)")
    ap.add_argument("--cpu-settle", default="2s", help="read the server's CPU again this long after the "
                    "last answer (default 2s, as bench/ingest.sh)")
    ap.add_argument("--query-runs", type=int, default=9, help="timed runs per query after the cold one (default 9)")
    ap.add_argument("--query-host", type=int, default=7, help="the host index of the one-series and "
                    "one-host queries (default 7)")
    ap.add_argument("--prometheus-connections", type=int, default=1,
                    help="remote-write connections to Prometheus (default 1: see README.md)")
    ap.add_argument("--prometheus-ooo-window", default="",
                    help="set storage.tsdb.out_of_order_time_window (default: not set)")
    ap.add_argument("--self-test", action="store_true", help="run the unit tests of the pure parts and exit")
    args = ap.parse_args(argv)
    args.targets = [x.strip() for x in args.targets.split(",") if x.strip()]
    for x in args.targets:
        if x not in targets.TARGETS:
            ap.error(f"unknown target {x!r}: choose from {', '.join(ALL_TARGETS)}")
    if args.rounds < 1 or args.query_runs < 1:
        ap.error("--rounds and --query-runs must be at least 1")
    return args


def self_test():
    import unittest
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    res = unittest.TextTestRunner(verbosity=1).run(suite)
    return 0 if res.wasSuccessful() else 1


def main(argv):
    global LOG_DIR
    args = parse_args(argv)
    if args.self_test:
        return self_test()
    args.bin_dir = os.path.abspath(args.bin_dir)
    loadgen = os.path.abspath(args.loadgen or os.path.join(args.bin_dir, "bench", "loadgen", "strix-loadgen"))
    if not os.access(loadgen, os.X_OK):
        print(f"compare: {loadgen} is not built (make build, or --bin-dir, --loadgen)", file=sys.stderr)
        return 2
    needs = {"influxdb": "--int-counters", "prometheus": "remote-write"}
    for flag in ["--print-series"] + [needs[t] for t in args.targets if t in needs]:
        if not wl.loadgen_supports(loadgen, flag):
            print(f"compare: {loadgen} does not know {flag}: rebuild it from current sources",
                  file=sys.stderr)
            return 2
    if "strixd" in args.targets:
        for rel in (("src", "server", "strixd"), ("tools", "strix", "strix")):
            if not os.access(os.path.join(args.bin_dir, *rel), os.X_OK):
                print(f"compare: {os.path.join(args.bin_dir, *rel)} is not built (make build, or --bin-dir)",
                      file=sys.stderr)
                return 2
    for t in args.targets:
        exe = {"victoria-metrics": "victoria-metrics", "influxdb": "influxd", "prometheus": "prometheus"}.get(t)
        if exe and not shutil.which(exe):
            print(f"compare: {exe} is not installed (Debian package {targets.TARGETS[t].package})",
                  file=sys.stderr)
            return 2
    json_path = args.json or os.path.join(REPO, "build", "bench-results", f"compare-{args.profile}.json")
    md_path = args.markdown or os.path.splitext(json_path)[0] + ".md"
    LOG_DIR = os.path.splitext(json_path)[0] + "-logs"
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)

    start = args.start if args.start is not None else wl.default_start(int(time.time()), wl.PROFILES[args.profile]["span_s"])
    w = wl.Workload(args.profile, start, args.hosts)
    if args.query_host >= w.hosts:
        print(f"compare: --query-host {args.query_host} needs more than {w.hosts} hosts", file=sys.stderr)
        return 2
    refs = [(args.query_host, m) for m in wl.METRICS] + [(w.hosts - 1, "mem_used")]
    expected = wl.expected_series(loadgen, w, refs)
    ctx = Context(args, w, loadgen, expected)
    work_dir = tempfile.mkdtemp(prefix="strix-compare-", dir=args.work_dir)

    names = {}
    versions = {}
    for key in args.targets:
        cls = targets.TARGETS[key]
        v = ctx.strix_version if key == "strixd" else targets.package_version(cls.package)
        if key != "strixd" and v:
            v = v.split("+")[0].split("~")[0]  # Debian's 1.79.5+ds1-2+b5, 1.6.7~rc0-1+b13
        versions[key] = v
        names[key] = f"{cls.title} {v}" if v else cls.title
    log(f"compare: {w.profile} profile: {w.hosts} hosts x {len(wl.METRICS)} metrics x {w.points} points = "
        f"{w.samples:,} samples, start {w.start_s}; targets {', '.join(args.targets)}; "
        f"{args.rounds} rounds; work dir {work_dir}")
    report = {
        "tool": "bench/compare/compare.py", "started": now_iso(), "argv": argv,
        "workload": w.as_dict(),
        "settings": {"connections": args.connections, "prometheus_connections": args.prometheus_connections,
                     "prometheus_ooo_window": args.prometheus_ooo_window or None,
                     "batch_lines": args.batch_lines, "cpu_settle": args.cpu_settle,
                     "query_runs": args.query_runs, "query_host": wl.host_name(args.query_host),
                     "bin_dir": args.bin_dir, "loadgen": loadgen},
        "machine": sysinfo.machine_facts(), "versions": versions, "names": names,
        "loadavg_start": sysinfo.loadavg(), "rounds": [],
    }
    t_run = time.monotonic()
    busy_run = sysinfo.machine_cpu()[0]
    try:
        for r in range(1, args.rounds + 1):
            for key in args.targets:
                log(f"== round {r}/{args.rounds}: {key}")
                rec = run_round(targets.TARGETS[key], ctx, r, work_dir, args.keep_data)
                report["rounds"].append(rec)
                log("   " + round_line(rec))
    except KeyboardInterrupt:
        log("compare: interrupted; writing what was measured")
    finally:
        if not args.keep_data:
            shutil.rmtree(work_dir, ignore_errors=True)
    wall = time.monotonic() - t_run
    report["finished"] = now_iso()
    report["loadavg_end"] = sysinfo.loadavg()
    report["wall_seconds"] = wall
    report["machine_busy_cores"] = (sysinfo.machine_cpu()[0] - busy_run) / wall if wall > 0 else None
    report["summary"] = summary.summarise(report["rounds"], args.targets)
    report["ratios_to_strixd"] = summary.ratios(report["summary"])
    report["goals"] = summary.goals(report["summary"]) if "strixd" in args.targets else []
    md = summary.markdown(report["rounds"], args.targets, names, {
        "title": f"{w.profile} profile: {w.samples / 1e6:g} M samples ({w.hosts} hosts x "
                 f"{len(wl.METRICS)} metrics x {w.points} points), {args.rounds} rounds, "
                 f"{report['started'][:10]}",
        "notes": run_notes(report, ctx),
    })
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(md + "\n")
    print()
    print(md)
    log(f"compare: JSON {json_path}; markdown {md_path}; {wall / 60:.1f} min")
    failed = [r for r in report["rounds"] if not r["ok"] or not r.get("correctness", {}).get("ok")]
    return 1 if failed else 0


def round_line(rec):
    if not rec["ok"]:
        return f"FAILED: {rec['error']}"
    m = summary.round_measures(rec)
    q = " ".join(f"{k} {summary.fmt(m[f'query_{k}_ms'], 'ms')} ms" for k in summary.QUERIES)
    return (f"{summary.fmt(m['samples_per_second'], 'rate')} samples/s, "
            f"{summary.fmt(m['cpu_per_million'], 'cpu')} CPU s/M "
            f"({summary.fmt(m['cpu_per_million_with_flush'], 'cpu')} with flush), "
            f"peak {summary.fmt(m['peak_rss_mib'], 'mib')} MiB, "
            f"{summary.fmt(m['bytes_per_sample'], 'bps')} B/sample, {q}; "
            f"correctness: {rec['correctness']['summary']}; other CPU {summary.fmt(m['other_cores'], 'cores')} cores")


def run_notes(report, ctx):
    s = report["settings"]
    notes = [
        f"Machine: {report['machine'].get('cores')} cores, {report['machine'].get('cpu_model', '?')}; "
        f"load average {' '.join(f'{x:.2f}' for x in report['loadavg_start'])} at the start, "
        f"{' '.join(f'{x:.2f}' for x in report['loadavg_end'])} at the end; the whole machine was "
        f"{report['machine_busy_cores']:.2f} cores busy on average over the run (benchmark included).",
        f"Ingest: strix-loadgen, batches of {s['batch_lines']:,} rows, {s['connections']} connections "
        f"(InfluxDB line protocol to strixd, VictoriaMetrics and InfluxDB; InfluxDB gets counters as `i`); "
        f"Prometheus by remote write over {s['prometheus_connections']} connection(s)"
        + (f", out_of_order_time_window {s['prometheus_ooo_window']}" if s["prometheus_ooo_window"] else "")
        + ". CPU is the server's utime + stime from /proc, with a "
        f"{s['cpu_settle']} settle after the last answer.",
        "Disk: allocated bytes (as du) after each target's forced flush (README.md): strixd its data "
        "directory less its downsampled tiers (the next row adds them back), VictoriaMetrics its data "
        "directory, InfluxDB its data directory after the cold-shard snapshot and full compaction, "
        "Prometheus the blocks of an admin-API snapshot.",
        f"Queries on {s['query_host']}: cold first run, then the median of {s['query_runs']} runs, each "
        "timed from sending the request to the last byte of the answer over a keep-alive connection.",
    ]
    flush = {r["target"]: r.get("flush", {}).get("how") for r in report["rounds"] if r.get("flush")}
    if flush.get("strixd", "").startswith("none"):
        notes.append("strixd was measured without a forced flush: " + flush["strixd"])
    return notes


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
