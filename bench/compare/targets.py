"""The four servers the benchmark compares, behind one interface: start on 127.0.0.1 with a
fresh data directory, the load generator's options for it, a forced flush or compaction,
what to measure on disk, the three timed queries, raw read-back of one series, the total
sample count, and stop by PID. README.md says, per target, how each step is done and why.

Each Target instance lives for one round. Not thread-safe (one orchestrator thread).
"""

import http.client
import json
import os
import subprocess
import time
import urllib.parse

import answers
import sysinfo
from sysinfo import BenchError
from workload import METRICS, MEASUREMENT, PREFIX

STEP_S = 300  # "avg per 5 minutes"


class Http:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port; reconnects after an error."""

    def __init__(self, port, timeout_s=120, headers=None):
        self.port = port
        self.timeout_s = timeout_s
        self.headers = dict(headers or {})
        self._conn = None

    def request(self, method, path, body=None, headers=None, timeout_s=None):
        """(status, body bytes, seconds from sending to the last byte of the answer)."""
        h = dict(self.headers)
        h.update(headers or {})
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                        timeout=timeout_s or self.timeout_s)
            elif timeout_s:
                self._conn.timeout = timeout_s
                if self._conn.sock:
                    self._conn.sock.settimeout(timeout_s)
            try:
                t0 = time.perf_counter()
                self._conn.request(method, path, body=body, headers=h)
                r = self._conn.getresponse()
                data = r.read()
                elapsed = time.perf_counter() - t0
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, data, elapsed
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed while idle: retry once, fresh.
                self.close()
                if attempt:
                    raise
            except (OSError, http.client.HTTPException) as e:
                self.close()  # a timeout or a broken answer leaves the connection unusable
                raise sysinfo.BenchError(f"{method} {path[:200]} on port {self.port}: "
                                         f"{type(e).__name__}: {e}") from e
        raise AssertionError("unreachable")

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _q(path, params):
    return path + "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


class Target:
    """The interface; subclasses fill in each step."""

    key = ""  # the name in --targets, the JSON and the table
    title = ""  # display name, completed with the version
    package = ""  # the Debian package, for the version
    loadgen_format = "lp"

    def __init__(self, ctx, round_dir):
        self.ctx = ctx  # compare.Context: workload, paths, options
        self.w = ctx.workload
        self.round_dir = round_dir
        self.data_dir = os.path.join(round_dir, "data")
        os.makedirs(self.data_dir)
        self.log_path = os.path.join(round_dir, f"{self.key}.log")
        self.server = None
        self.port = None
        self.http = None

    def wait_settled(self, probe, polls):
        """Polls probe() every 0.5 s until it reports done with the same state `polls`
        times in a row; fails the flush step (with probe's detail) at the flush timeout.
        probe() returns (done, state, detail). Returns the last state."""
        deadline = time.monotonic() + self.ctx.flush_timeout_s
        last, stable = None, 0
        while True:
            done, state, detail = probe()
            stable = stable + 1 if done and state == last else 0
            last = state
            if stable >= polls:
                return state
            if time.monotonic() > deadline:
                self.fail("flush", f"not settled after {self.ctx.flush_timeout_s} s ({detail})")
            time.sleep(0.5)

    def fail(self, step, msg):
        raise BenchError(f"{self.key}: {step}: {msg}")

    def check(self, step, status, body, ok=(200,)):
        if status not in ok:
            self.fail(step, f"HTTP {status}: {body[:500].decode(errors='replace')}")

    # ---- lifecycle
    def start(self):
        raise NotImplementedError

    def stop(self):
        if self.http:
            self.http.close()
        return self.server.stop(self.ctx.stop_timeout_s) if self.server else "not started"

    @property
    def pid(self):
        return self.server.pid

    # ---- ingest
    def loadgen_args(self):
        """URL, headers and format options for strix-loadgen (the workload comes separately)."""
        raise NotImplementedError

    def connections(self):
        return self.ctx.connections

    # ---- flush
    def flush(self):
        """Blocks until the target's data is in its final on-disk form. Returns a dict
        with 'how' (what was done) and anything worth keeping."""
        raise NotImplementedError

    def disk_path(self):
        """The directory whose bytes are reported, and a word on what it is."""
        return self.data_dir, "the whole data directory"

    def disk(self):
        """Bytes on disk after the flush: 'bytes' holds the raw data as the others keep
        it; 'bytes_with_tiers' adds downsampled copies (only strixd makes them)."""
        path, what = self.disk_path()
        b = sysinfo.dir_bytes(path)
        return {"measured": what, "bytes": b["allocated"], "bytes_with_tiers": b["allocated"],
                "allocated_bytes": b["allocated"], "apparent_bytes": b["apparent"], "files": b["files"],
                "breakdown": sysinfo.dir_breakdown(path),
                "data_dir_allocated_bytes": sysinfo.dir_bytes(self.data_dir)["allocated"]}

    # ---- queries
    def query_raw(self, host, metric):
        """(method, path) reading one series' raw samples over the span."""
        raise NotImplementedError

    def parse_raw(self, body, host, metric):
        """(timestamps_ms, values) of the series in a query_raw answer."""
        raise NotImplementedError

    def query_avg(self):
        raise NotImplementedError

    def parse_avg(self, body):
        """Series map of per-5-minute averages of cpu_user for every host."""
        raise NotImplementedError

    avg_window = "bucket"  # answers.WINDOWS

    def avg_times(self):
        """The point times (ms) the avg answer has for a series with samples everywhere."""
        w = self.w
        if self.avg_window == "bucket":
            return [(w.start_s + k * STEP_S) * 1000 for k in range(w.span_s // STEP_S)]
        return [(w.start_s + (k + 1) * STEP_S) * 1000 for k in range(w.span_s // STEP_S)]

    def query_latest(self, host):
        raise NotImplementedError

    def parse_latest(self, body, host):
        """{metric: (timestamp_ms or None, value)} for every series of the host."""
        raise NotImplementedError

    def count(self):
        """(samples, series) the target holds for the workload's measurement."""
        raise NotImplementedError

def package_version(package):
    try:
        p = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True,
                           text=True, timeout=10, check=False)
        return p.stdout.strip() or None
    except OSError:
        return None


# ---------------------------------------------------------------------------- strixd


class Strixd(Target):
    key = "strixd"
    title = "strixd"

    def start(self):
        c = self.ctx
        strix = os.path.join(c.bin_dir, "tools", "strix", "strix")
        strixd = os.path.join(c.bin_dir, "src", "server", "strixd")
        for b in (strix, strixd):
            if not os.access(b, os.X_OK):
                self.fail("start", f"{b} is not built (make build, or --bin-dir)")
        p = subprocess.run([strix, "token", "create", "--name", "bench", "--scope", "ingest,read,admin",
                            "-d", self.data_dir], capture_output=True, text=True, timeout=60, check=False)
        token = p.stdout.strip()
        if p.returncode != 0 or not token:
            self.fail("token create", f"exit {p.returncode}: {p.stderr.strip()}")
        self.port = sysinfo.free_port()
        conf = os.path.join(self.round_dir, "strixd.yaml")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"data_dir: {self.data_dir}\n"
                    f"listen:\n  address: 127.0.0.1\n  port: {self.port}\n"
                    "self_metrics:\n  interval: 0s\n")
        self.token = token
        self.server = sysinfo.Server(self.key, [strixd, "--config", conf], self.log_path)
        self.server.wait_http(self.port, "/-/ready", c.start_timeout_s)
        self.http = Http(self.port, c.query_timeout_s, {"Authorization": f"Bearer {token}"})

    def loadgen_args(self):
        return ["--url", f"http://127.0.0.1:{self.port}/write?precision=s",
                "--header", f"Authorization: Bearer {self.token}"]

    def flush(self):
        st, body, secs = self.http.request("POST", "/api/v1/admin/flush", timeout_s=self.ctx.flush_timeout_s)
        if st == 404:
            return {"how": "none: this strixd has no POST /api/v1/admin/flush (404); the data "
                           "directory was measured as ingest left it (WAL and any blocks)",
                    "flushed": False, "seconds": secs}
        self.check("flush", st, body)
        return {"how": "POST /api/v1/admin/flush (head to blocks, then compaction; answers when done)",
                "flushed": True, "seconds": secs, "answer": json.loads(body).get("data")}

    def disk(self):
        # strixd also keeps downsampled tiers (1m, 1h) of windows closed for 30 min; they
        # are reported beside the raw figure, from its own per-tier accounting.
        d = super().disk()
        st, body, _ = self.http.request("GET", "/metrics")
        self.check("disk: GET /metrics", st, body)
        tiers = {}
        for line in body.decode().splitlines():
            if line.startswith("strix_storage_tier_bytes{"):
                name = line[line.index('tier="') + 6:].split('"')[0]
                tiers[name] = int(float(line.rsplit(" ", 1)[1]))
        if "raw" not in tiers:
            self.fail("disk", "GET /metrics has no strix_storage_tier_bytes{tier=\"raw\"}")
        downsampled = sum(v for k, v in tiers.items() if k != "raw")
        d["tier_bytes"] = tiers
        d["bytes"] = d["allocated_bytes"] - downsampled
        d["measured"] = ("the whole data directory (storage/ and meta.db) less the blocks of the "
                         "downsampled tiers (strix_storage_tier_bytes)")
        return d

    def _select(self, match, step, fn=None):
        p = {"match[]": match, "start": self.w.start_s, "end": self.w.end_s, "step": step}
        if fn:
            p["fn"] = fn
        return "GET", _q("/api/v1/select", p)

    def query_raw(self, host, metric):
        return self._select(f'{PREFIX}{metric}{{host="{host}"}}', 0)

    def parse_raw(self, body, host, metric):
        return answers.strix_select(body, PREFIX).get((host, metric), ([], []))

    def query_avg(self):
        return self._select(f"{PREFIX}cpu_user", "5m", "avg")

    def parse_avg(self, body):
        return answers.strix_select(body, PREFIX)

    def query_latest(self, host):
        return "GET", _q("/api/v1/latest", {"match[]": f'{{host="{host}"}}'})

    def parse_latest(self, body, host):
        return {m: v for (h, m), v in answers.strix_latest(body, PREFIX).items() if h == host}

    def count(self):
        m, p = self._select(f'{{__name__=~"{PREFIX}.*"}}', "1h", "count")
        st, body, _ = self.http.request(m, p)
        self.check("count", st, body)
        return answers.strix_count(body)


# ---------------------------------------------------------------------------- Prometheus API


class PromApi(Target):
    """Queries shared by VictoriaMetrics and Prometheus (the Prometheus query API)."""

    def query_latest(self, host):
        # An instant query at the time of the last sample: what "now" is for live data (at
        # the real now our past data would be beyond the 5-minute lookback).
        return "GET", _q("/api/v1/query", {"query": f'{{host="{host}"}}', "time": self.w.last_s})

    def parse_latest(self, body, host):
        return {m: v for (h, m), v in answers.prom_vector(body, PREFIX).items() if h == host}

    def _avg_params(self):
        return {"query": f"avg_over_time({PREFIX}cpu_user[5m])", "start": self.w.start_s + STEP_S,
                "end": self.w.end_s, "step": STEP_S}

    def parse_avg(self, body):
        return answers.prom_matrix(body, PREFIX, metric="cpu_user")

    def count(self):
        total = series = 0
        for m in METRICS:
            q = f"count_over_time({PREFIX}{m}[{self.w.span_s}s])"
            st, body, _ = self.http.request("GET", _q("/api/v1/query", {"query": q, "time": self.w.last_s}))
            self.check(f"count {m}", st, body)
            t, s = answers.prom_count(body)
            total += t
            series += s
        return total, series


class VictoriaMetrics(PromApi):
    key = "victoria-metrics"
    title = "VictoriaMetrics"
    package = "victoria-metrics"
    avg_window = "left_open"

    def start(self):
        c = self.ctx
        self.port = sysinfo.free_port()
        argv = ["victoria-metrics", f"-httpListenAddr=127.0.0.1:{self.port}",
                f"-storageDataPath={self.data_dir}"]
        self.server = sysinfo.Server(self.key, argv, self.log_path)
        self.server.wait_http(self.port, "/health", c.start_timeout_s)
        self.http = Http(self.port, c.query_timeout_s)

    def loadgen_args(self):
        return ["--url", f"http://127.0.0.1:{self.port}/write?precision=s"]

    def _metrics(self):
        st, body, _ = self.http.request("GET", "/metrics")
        self.check("flush: GET /metrics", st, body)
        out = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                try:
                    out[name] = float(value)
                except ValueError:
                    pass
        return out

    def flush(self):
        t0 = time.perf_counter()
        for path in ("/internal/force_flush", "/internal/force_merge"):
            st, body, _ = self.http.request("GET", path)
            self.check(f"flush: {path}", st, body)
        # force_merge starts the merge in the background: wait until no merge runs, every
        # row is in a part, and the directory stops changing.
        m = {}

        def probe():
            nonlocal m
            m = self._metrics()
            active = sum(v for k, v in m.items() if k.startswith(("vm_active_merges", "vm_active_force_merges")))
            pending = sum(v for k, v in m.items() if k.startswith("vm_pending_rows"))
            rows = sum(v for k, v in m.items() if k.startswith('vm_rows{type="storage/'))
            size = sysinfo.dir_bytes(self.data_dir)["allocated"]
            return (active == 0 and pending == 0 and rows >= self.w.samples, size,
                    f"active merges {active}, pending rows {pending}, rows {rows}")

        self.wait_settled(probe, 2)
        parts = {k: v for k, v in m.items() if k.startswith("vm_parts")}
        return {"how": "GET /internal/force_flush, then /internal/force_merge (all partitions), then "
                       "waited until vm_active_merges and vm_active_force_merges were 0, every row was "
                       "in a part and the directory size held for 1 s",
                "flushed": True, "seconds": time.perf_counter() - t0, "parts": parts}

    def query_raw(self, host, metric):
        return "GET", _q("/api/v1/export", {"match[]": f'{PREFIX}{metric}{{host="{host}"}}',
                                            "start": self.w.start_s, "end": self.w.end_s})

    def parse_raw(self, body, host, metric):
        return answers.vm_export(body, PREFIX).get((host, metric), ([], []))

    def query_avg(self):
        p = self._avg_params()
        # nocache=1: VictoriaMetrics would otherwise answer repeats from its rollup result
        # cache; strixd, InfluxDB and Prometheus have no such cache, and each run should
        # measure the query. (The cold first run is reported as well.)
        p["nocache"] = 1
        return "GET", _q("/api/v1/query_range", p)


class Prometheus(PromApi):
    key = "prometheus"
    title = "Prometheus"
    package = "prometheus"
    loadgen_format = "remote-write"
    avg_window = "closed"

    def start(self):
        c = self.ctx
        self.port = sysinfo.free_port()
        conf = os.path.join(self.round_dir, "prometheus.yml")
        with open(conf, "w", encoding="utf-8") as f:
            # No scrape jobs: the server only receives remote writes.
            f.write("global:\n  scrape_interval: 1m\n")
            if c.prometheus_ooo_window:
                f.write(f"storage:\n  tsdb:\n    out_of_order_time_window: {c.prometheus_ooo_window}\n")
        argv = ["prometheus", f"--config.file={conf}", f"--storage.tsdb.path={self.data_dir}",
                f"--web.listen-address=127.0.0.1:{self.port}", "--web.enable-remote-write-receiver",
                "--web.enable-admin-api"]
        self.server = sysinfo.Server(self.key, argv, self.log_path)
        self.server.wait_http(self.port, "/-/ready", c.start_timeout_s)
        self.http = Http(self.port, c.query_timeout_s)

    def connections(self):
        return self.ctx.prometheus_connections

    def loadgen_args(self):
        return ["--format", "remote-write", "--url", f"http://127.0.0.1:{self.port}/api/v1/write"]

    def flush(self):
        st, body, secs = self.http.request("POST", "/api/v1/admin/tsdb/snapshot",
                                           timeout_s=self.ctx.flush_timeout_s)
        self.check("flush: snapshot", st, body)
        name = json.loads(body)["data"]["name"]
        self.snapshot_dir = os.path.join(self.data_dir, "snapshots", name)
        blocks, samples = 0, 0
        for b in sorted(os.listdir(self.snapshot_dir)):
            meta = os.path.join(self.snapshot_dir, b, "meta.json")
            if os.path.exists(meta):
                with open(meta, encoding="utf-8") as f:
                    samples += json.load(f)["stats"]["numSamples"]
                blocks += 1
        if samples != self.w.samples:
            self.fail("flush", f"the snapshot's blocks hold {samples} samples, not {self.w.samples}")
        return {"how": "POST /api/v1/admin/tsdb/snapshot (writes the head as a block beside hard links "
                       "to the blocks already persisted); the snapshot's blocks are measured, not the "
                       "WAL and head chunks the data directory also holds",
                "flushed": True, "seconds": secs, "snapshot_blocks": blocks, "snapshot_samples": samples}

    def disk_path(self):
        return self.snapshot_dir, "the snapshot's blocks"

    def query_raw(self, host, metric):
        # Prometheus has no export API: an instant query of a range selector over the span
        # returns the raw samples.
        return "GET", _q("/api/v1/query", {"query": f'{PREFIX}{metric}{{host="{host}"}}[{self.w.span_s}s]',
                                           "time": self.w.last_s})

    def parse_raw(self, body, host, metric):
        return answers.prom_matrix(body, PREFIX).get((host, metric), ([], []))

    def query_avg(self):
        return "GET", _q("/api/v1/query_range", self._avg_params())


# ---------------------------------------------------------------------------- InfluxDB


class InfluxDB(Target):
    key = "influxdb"
    title = "InfluxDB"
    package = "influxdb"
    db = "bench"
    # The knobs that make a forced flush: once a shard has had no write for this long, its
    # cache is written to a TSM file, and then all its TSM files are fully compacted.
    snapshot_cold = 2
    full_compact_cold = 5

    def start(self):
        c = self.ctx
        self.port = sysinfo.free_port()
        rpc = sysinfo.free_port()
        d = self.data_dir
        conf = os.path.join(self.round_dir, "influxdb.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"""reporting-disabled = true
bind-address = "127.0.0.1:{rpc}"
[meta]
  dir = "{d}/meta"
[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "{self.snapshot_cold}s"
  compact-full-write-cold-duration = "{self.full_compact_cold}s"
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:{self.port}"
  log-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
[logging]
  level = "warn"
""")
        self.server = sysinfo.Server(self.key, ["influxd", "run", "-config", conf], self.log_path)
        self.server.wait_http(self.port, "/ping", c.start_timeout_s)
        self.http = Http(self.port, c.query_timeout_s)
        st, body, _ = self.http.request("POST", _q("/query", {"q": f"CREATE DATABASE {self.db}"}))
        self.check("create database", st, body)

    def loadgen_args(self):
        # InfluxDB 1.6 refuses unsigned fields (`u`): counters go as `i`, the same values.
        return ["--url", f"http://127.0.0.1:{self.port}/write?db={self.db}&precision=s", "--int-counters"]

    def _vars(self):
        st, body, _ = self.http.request("GET", "/debug/vars")
        self.check("flush: GET /debug/vars", st, body)
        return json.loads(body)

    def flush(self):
        t0 = time.perf_counter()
        # No earlier than the cold durations allow, then until the cache and WAL are empty, no
        # compaction is queued or running, and the TSM files have not changed for 2 s.
        time.sleep(self.full_compact_cold + 1)

        def probe():
            cache = wal = busy = 0
            files = []
            for k, s in self._vars().items():
                vals = s.get("values", {}) if isinstance(s, dict) else {}
                if k.startswith("tsm1_cache:"):
                    cache += vals.get("memBytes", 0)
                elif k.startswith("tsm1_wal:"):
                    wal += vals.get("currentSegmentDiskBytes", 0) + vals.get("oldSegmentsDiskBytes", 0)
                elif k.startswith("tsm1_engine:"):
                    busy += sum(x for n, x in vals.items() if n.endswith(("Active", "Queue")))
                elif k.startswith("tsm1_filestore:"):
                    files.append((k, vals.get("numFiles"), vals.get("diskBytes")))
            return (cache == 0 and wal == 0 and busy == 0, sorted(files),
                    f"cache {cache} B, WAL {wal} B, compactions active or queued {busy}")

        last = self.wait_settled(probe, 4)
        return {"how": f"cache-snapshot-write-cold-duration = {self.snapshot_cold}s and "
                       f"compact-full-write-cold-duration = {self.full_compact_cold}s; waited until "
                       "the cache and WAL were empty, no compaction was active or queued, and the TSM "
                       "files held for 2 s (/debug/vars)",
                "flushed": True, "seconds": time.perf_counter() - t0, "tsm_files": [f[1:] for f in last]}

    def _query(self, q):
        return "GET", _q("/query", {"db": self.db, "epoch": "ms", "q": q})

    def _range(self):
        return f"time >= {self.w.start_s}s AND time < {self.w.end_s}s"

    def query_raw(self, host, metric):
        return self._query(f"SELECT {metric} FROM {MEASUREMENT} WHERE host = '{host}' AND {self._range()}")

    def parse_raw(self, body, host, metric):
        return answers.influx_columns(body, host=host).get((host, metric), ([], []))

    def query_avg(self):
        return self._query(f"SELECT mean(cpu_user) FROM {MEASUREMENT} WHERE {self._range()} "
                           "GROUP BY time(5m), host")

    def parse_avg(self, body):
        return {(h, "cpu_user"): v for (h, m), v in answers.influx_columns(body).items() if m == "mean"}

    def query_latest(self, host):
        return self._query(f"SELECT last(*) FROM {MEASUREMENT} WHERE host = '{host}'")

    def parse_latest(self, body, host):
        # last(*) gives one row of last_<field> columns; its time is not the samples' (it is
        # the start of the query's range), so only the values are compared.
        cols = answers.influx_columns(body, host=host, prefix="last_")
        return {m: (None, vs[0]) for (h, m), (ts, vs) in cols.items() if vs}

    def count(self):
        m, p = self._query(f"SELECT count(*) FROM {MEASUREMENT} WHERE {self._range()} GROUP BY host")
        st, body, _ = self.http.request(m, p)
        self.check("count", st, body)
        return answers.influx_count(body)


TARGETS = {t.key: t for t in (Strixd, VictoriaMetrics, InfluxDB, Prometheus)}
