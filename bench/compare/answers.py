"""Reading the four servers' query answers into one shape, and checking them against the
samples the load generator wrote. Pure functions (no I/O), unit-tested in test_compare.py.

The shapes:
  series map   {(host, metric): (timestamps_ms, values)}   raw samples or per-bucket values
  point map    {(host, metric): (timestamp_ms, value)}      one value per series (latest)
where `metric` is the workload's field name ("cpu_user"): strixd, VictoriaMetrics and
Prometheus name the series "<measurement>_<field>", InfluxDB keeps the field in the
measurement. Values stay as the server wrote them (int, float, or Prometheus' strings)
until number() turns them into an exact int or a float.
"""

import json
import math


class AnswerError(ValueError):
    """An answer did not have the shape its API documents."""


def number(v):
    """A JSON or Prometheus-string value as an int when it is integral text, else float.

    Python compares int and float exactly, so 953126513747 == 953126513747.0 holds and a
    counter read back as a float is still checked to the last unit.
    """
    if isinstance(v, bool):
        raise AnswerError(f"boolean where a number was expected: {v!r}")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        s = v.strip()
        if s and (s.isdigit() or (s[0] == "-" and s[1:].isdigit())):
            return int(s)
        return float(s)  # "2.66", "NaN", "+Inf"
    raise AnswerError(f"not a number: {v!r}")


def _metric_of(name, prefix):
    if not isinstance(name, str) or not name.startswith(prefix):
        raise AnswerError(f"series name {name!r} does not start with {prefix!r}")
    return name[len(prefix) :]


def _json(body):
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise AnswerError(f"not JSON: {e}; starts {body[:200]!r}") from e


def _success_data(body):
    doc = _json(body)
    if not isinstance(doc, dict) or doc.get("status") != "success":
        raise AnswerError(f"not a success answer: {str(body[:300])}")
    return doc["data"]


# ---- strixd (docs/api.md)


def strix_select(body, prefix="node_"):
    """GET /api/v1/select: series map (raw samples with step 0, buckets otherwise)."""
    data = _success_data(body)
    out = {}
    for s in data["series"]:
        labels = s["labels"]
        key = (labels.get("host"), _metric_of(labels.get("__name__"), prefix))
        ts, vs = s["timestamps"], s["values"]
        if len(ts) != len(vs):
            raise AnswerError(f"{key}: {len(ts)} timestamps but {len(vs)} values")
        out[key] = (list(ts), list(vs))
    return out


def strix_latest(body, prefix="node_"):
    """GET /api/v1/latest: point map."""
    out = {}
    for s in _success_data(body):
        labels = s["labels"]
        out[(labels.get("host"), _metric_of(labels.get("__name__"), prefix))] = (s["ts"], s["value"])
    return out


def strix_count(body):
    """GET /api/v1/select?fn=count: (samples counted, series with any)."""
    total = series = 0
    for s in _success_data(body)["series"]:
        n = sum(int(number(v)) for v in s["values"])
        total += n
        series += 1 if n else 0
    return total, series


# ---- VictoriaMetrics export and the Prometheus query API (both servers)


def vm_export(body, prefix="node_"):
    """GET /api/v1/export: one JSON object per line, {"metric","values","timestamps"}."""
    out = {}
    text = body.decode() if isinstance(body, bytes) else body
    for line in text.splitlines():
        if not line.strip():
            continue
        d = _json(line)
        m = d["metric"]
        key = (m.get("host"), _metric_of(m.get("__name__"), prefix))
        ts, vs = d["timestamps"], d["values"]
        if len(ts) != len(vs):
            raise AnswerError(f"{key}: {len(ts)} timestamps but {len(vs)} values")
        if key in out:  # an export may split a series into several lines
            ots, ovs = out[key]
            pairs = sorted(zip(ots + list(ts), ovs + list(vs)))
            out[key] = ([p[0] for p in pairs], [p[1] for p in pairs])
        else:
            out[key] = (list(ts), list(vs))
    return out


def _ms(seconds):
    return int(round(float(seconds) * 1000))


def _prom_key(m, prefix, metric):
    """(host, metric) of a Prometheus-API series; `metric` names series whose function
    dropped __name__."""
    name = m.get("__name__")
    return (m.get("host"), metric if name is None and metric else _metric_of(name, prefix))


def prom_matrix(body, prefix="node_", metric=None):
    """Prometheus-API matrix (query_range, or an instant query of a range selector).

    Functions such as avg_over_time drop the metric name in Prometheus (VictoriaMetrics
    keeps it); pass `metric` to name such series.
    """
    data = _success_data(body)
    if data.get("resultType") != "matrix":
        raise AnswerError(f"expected a matrix, got {data.get('resultType')!r}")
    out = {}
    for r in data["result"]:
        key = _prom_key(r["metric"], prefix, metric)
        out[key] = ([_ms(p[0]) for p in r["values"]], [p[1] for p in r["values"]])
    return out


def prom_vector(body, prefix="node_", metric=None):
    """Prometheus-API vector (instant query): point map."""
    data = _success_data(body)
    if data.get("resultType") != "vector":
        raise AnswerError(f"expected a vector, got {data.get('resultType')!r}")
    out = {}
    for r in data["result"]:
        key = _prom_key(r["metric"], prefix, metric)
        out[key] = (_ms(r["value"][0]), r["value"][1])
    return out


def prom_count(body):
    """An instant count_over_time(...) vector: (samples counted, series with any)."""
    data = _success_data(body)
    total = series = 0
    for r in data["result"]:
        n = int(number(r["value"][1]))
        total += n
        series += 1 if n else 0
    return total, series


# ---- InfluxDB 1.x /query (InfluxQL, JSON, epoch=ms)


def influx_series(body):
    """The series of the first statement's result; [] when it has none."""
    doc = _json(body)
    if "error" in doc:
        raise AnswerError(f"InfluxDB error: {doc['error']}")
    results = doc.get("results")
    if not results:
        raise AnswerError(f"no results: {str(body[:300])}")
    r = results[0]
    if "error" in r:
        raise AnswerError(f"InfluxDB statement error: {r['error']}")
    return r.get("series", [])


def influx_columns(body, host=None, prefix=""):
    """Series map from InfluxQL rows: each column after `time` is one metric.

    Rows grouped by host carry the host in their tags; otherwise pass `host`. A column
    named e.g. "mean" or "last_cpu_user" is mapped to a metric by stripping `prefix`
    (columns equal to a bare function name are not metrics and need it to be "").
    """
    out = {}
    for s in influx_series(body):
        h = (s.get("tags") or {}).get("host", host)
        cols = s["columns"]
        if not cols or cols[0] != "time":
            raise AnswerError(f"first column is not time: {cols}")
        for i, col in enumerate(cols[1:], start=1):
            metric = col[len(prefix) :] if prefix and col.startswith(prefix) else col
            ts, vs = [], []
            for row in s["values"]:
                if row[i] is None:
                    continue  # no value of this field in this bucket
                ts.append(row[0])
                vs.append(row[i])
            out[(h, metric)] = (ts, vs)
    return out


def influx_count(body):
    """SELECT count(*) ... GROUP BY host: (samples counted, (host, field) pairs with any)."""
    total = series = 0
    for s in influx_series(body):
        for row in s["values"]:
            for v in row[1:]:
                n = int(number(v)) if v is not None else 0
                total += n
                series += 1 if n else 0
    return total, series


# ---- expectations and comparisons


def compare_series(expected_ts, expected_values, got_ts, got_values):
    """Exact comparison of one series. Returns a dict: ok, counts, first mismatch."""
    result = {"ok": True, "expected": len(expected_ts), "got": len(got_ts), "mismatches": 0}
    if len(got_ts) != len(expected_ts):
        result["ok"] = False
    first = None
    n = 0
    for i in range(min(len(expected_ts), len(got_ts))):
        try:
            gv = number(got_values[i])
        except (AnswerError, ValueError):
            gv = got_values[i]
        ev = number(expected_values[i])
        if got_ts[i] != expected_ts[i] or gv != ev:
            n += 1
            if first is None:
                first = {"index": i, "expected": [expected_ts[i], expected_values[i]],
                         "got": [got_ts[i], got_values[i]]}
    if n:
        result["ok"] = False
        result["mismatches"] = n
        result["first_mismatch"] = first
    if len(got_ts) != len(expected_ts) and first is None:
        short = min(len(expected_ts), len(got_ts))
        result["first_mismatch"] = {
            "index": short,
            "expected": [expected_ts[short], expected_values[short]] if short < len(expected_ts) else None,
            "got": [got_ts[short], got_values[short]] if short < len(got_ts) else None,
        }
    return result


# Window semantics of "avg per step": which samples a point at time t covers.
#   "bucket"       [t, t+step)  strixd and InfluxDB (GROUP BY time): t is the bucket start
#   "left_open"    (t-step, t]  VictoriaMetrics' rollup windows
#   "closed"       [t-step, t]  Prometheus 2.x range selectors (left-open only from 3.0)
WINDOWS = ("bucket", "left_open", "closed")


def expected_step_avg(timestamps, values, times, step_ms, window):
    """The average of `values` for each point time in `times` under `window` semantics.

    Points whose window holds no sample are left out, as every server leaves them out.
    Returns (times, averages).
    """
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}")
    out_t, out_v = [], []
    vals = [number(v) for v in values]
    for t in times:
        if window == "bucket":
            sel = [v for ts, v in zip(timestamps, vals) if t <= ts < t + step_ms]
        elif window == "left_open":
            sel = [v for ts, v in zip(timestamps, vals) if t - step_ms < ts <= t]
        else:
            sel = [v for ts, v in zip(timestamps, vals) if t - step_ms <= ts <= t]
        if sel:
            out_t.append(t)
            out_v.append(math.fsum(sel) / len(sel))
    return out_t, out_v


def compare_averages(expected_t, expected_v, got_t, got_v, rel_tol=1e-9):
    """Averages are compared to a relative 1e-9: servers sum in their own order."""
    result = {"ok": True, "expected": len(expected_t), "got": len(got_t), "mismatches": 0}
    if list(got_t) != list(expected_t):
        result["ok"] = False
        result["first_mismatch"] = {"expected_times": list(expected_t)[:3], "got_times": list(got_t)[:3]}
        return result
    for i, (e, g) in enumerate(zip(expected_v, got_v)):
        g = number(g)
        if not math.isclose(e, g, rel_tol=rel_tol, abs_tol=1e-12):
            result["mismatches"] += 1
            if "first_mismatch" not in result:
                result["first_mismatch"] = {"index": i, "time": got_t[i], "expected": e, "got": g}
    result["ok"] = result["mismatches"] == 0
    return result
