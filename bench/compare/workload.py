"""The benchmark's workload: the two profiles, the one --start every round shares, the
strix-loadgen command lines that send it, and the expected samples it prints
(--print-series) for the read-back checks.

The samples themselves are made by strix-loadgen (bench/loadgen/workload.h): every series
has its own seeded generator, so the same options give the same bytes on every run. The
load generator builds all its bodies before it opens a connection or starts its clock.

Pure apart from run_loadgen() and expected_series(), which run the binary.
"""

import json
import subprocess

# The ten fields of every host, in the order the load generator writes them
# (kHostMetrics in bench/loadgen/workload.cc), and what each is.
METRICS = [
    "cpu_user", "cpu_system", "load1",  # random walks, two decimals
    "mem_used", "disk_used",  # integer byte gauges
    "net_rx_bytes", "net_tx_bytes", "requests",  # monotonic counters
    "mem_total",  # constant
    "latency_ms",  # spiky, two decimals
]

# hosts, span in seconds, and the span as strix-loadgen reads it.
PROFILES = {
    # 1000 hosts x 10 series x 360 points = 3.6 million samples: fits every window.
    "small": {"hosts": 1000, "span_s": 3600, "span": "1h"},
    # 1000 hosts x 10 series x 3000 points = 30 million samples over 8 h 20 min: the same
    # 10,000 series as the small profile, for longer (more points per series, several of
    # Prometheus' and strixd's 2-hour blocks), rather than more series.
    "large": {"hosts": 1000, "span_s": 30000, "span": "500m"},
}

INTERVAL_S = 10
SEED = 1
MEASUREMENT = "node"
PREFIX = MEASUREMENT + "_"


def default_start(now_s, span_s):
    """The first timestamp: the span ends on a 2-hour boundary at least 40 minutes ago.

    Past data fits every server's windows. 40 minutes keep the last samples clear of
    VictoriaMetrics' -search.latencyOffset (30 s) and -search.cacheTimestampOffset (5 min),
    and make every 2-hour window holding data closed for strixd, which builds a window's
    1-minute tier once it has been closed for head_flush_interval (30 min): so strixd
    keeps the same files whenever in the day the run starts. The span is a multiple of 5
    minutes, so the start is too, and 5-minute buckets line up for every server.
    """
    return (now_s - 2400) // 7200 * 7200 - span_s


class Workload:
    """The samples of one run: profile, start, and the derived query times."""

    def __init__(self, profile, start_s, hosts=None):
        p = PROFILES[profile]
        self.profile = profile
        self.hosts = hosts or p["hosts"]
        self.span_s = p["span_s"]
        self.span = p["span"]
        self.start_s = start_s
        self.interval_s = INTERVAL_S
        self.points = self.span_s // self.interval_s
        self.series = self.hosts * len(METRICS)
        self.samples = self.series * self.points
        self.end_s = start_s + self.span_s  # exclusive: the last sample is end - interval
        self.last_s = self.end_s - self.interval_s

    def as_dict(self):
        return {
            "profile": self.profile, "hosts": self.hosts, "metrics_per_host": len(METRICS),
            "series": self.series, "points_per_series": self.points, "samples": self.samples,
            "interval_s": self.interval_s, "span_s": self.span_s, "start_s": self.start_s,
            "seed": SEED, "measurement": MEASUREMENT,
        }

    def loadgen_workload_args(self):
        return ["--hosts", str(self.hosts), "--span", self.span, "--interval", f"{self.interval_s}s",
                "--start", str(self.start_s), "--seed", str(SEED), "--measurement", MEASUREMENT]


def host_name(i):
    return f"host-{i:05d}"


def parse_print_series(text):
    """{(host, metric): {'type','timestamps_ms','values'}} from --print-series output."""
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        if len(d["timestamps_ms"]) != len(d["values"]):
            raise ValueError(f"{d['host']}:{d['metric']}: timestamps and values differ in length")
        out[(d["host"], d["metric"])] = {
            "type": d["type"], "name": d.get("name"),
            "timestamps_ms": d["timestamps_ms"], "values": d["values"],
        }
    return out


def expected_series(loadgen, workload, refs, timeout_s=120):
    """Runs strix-loadgen --print-series for refs [(host_index, metric)]."""
    arg = ",".join(f"{h}:{m}" for h, m in refs)
    argv = [loadgen, "--print-series", arg] + workload.loadgen_workload_args()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"strix-loadgen --print-series failed ({p.returncode}): {p.stderr.strip()}")
    got = parse_print_series(p.stdout)
    for h, m in refs:
        if (host_name(h), m) not in got:
            raise RuntimeError(f"strix-loadgen --print-series printed no {host_name(h)}:{m}")
    return got


def loadgen_supports(loadgen, flag):
    p = subprocess.run([loadgen, "--help"], capture_output=True, text=True, timeout=30, check=False)
    return flag in (p.stdout + p.stderr)
