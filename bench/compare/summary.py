"""From the rounds' records to the figures people read: medians with min..max per target,
each peer's ratio to strixd, strixd's targets from issue 5 (met or missed), and the
markdown table. Pure functions (unit-tested in test_compare.py); compare.py does the I/O.

A round record is the dict compare.py builds for one target in one round (its keys are
documented in README.md, "The JSON file"); round_measures() flattens it into the measures
below, so that the table and the JSON summary read the same numbers.
"""

import statistics

STRIXD = "strixd"

# key, label, which direction is better ("higher", "lower" or None: context only), format
MEASURES = [
    ("samples_per_second", "ingest: samples/s (wall clock)", "higher", "rate"),
    ("cpu_per_million", "ingest: server CPU s per million samples (incl. 2 s settle)", "lower", "cpu"),
    ("cpu_per_million_with_flush", "ingest + forced flush/compaction: CPU s per million samples",
     "lower", "cpu"),
    ("peak_rss_ingest_mib", "peak RSS after ingest, MiB", "lower", "mib"),
    ("peak_rss_flush_mib", "peak RSS after ingest and flush, MiB", "lower", "mib"),
    ("peak_rss_mib", "peak RSS over the round (ingest, flush, queries), MiB", "lower", "mib"),
    ("bytes_per_sample", "disk: bytes per sample after flush/compaction (raw data)", "lower", "bps"),
    ("bytes_per_sample_with_tiers", "disk: the same with strixd's downsampled tiers (1m, 1h)", "lower", "bps"),
    ("query_raw_ms", "query: 1 series raw over the span, ms (median of warm runs)", "lower", "ms"),
    ("query_raw_cold_ms", "  same, first (cold) run, ms", "lower", "ms"),
    ("query_avg_ms", "query: avg per 5 min, all hosts' cpu_user, ms (median)", "lower", "ms"),
    ("query_avg_cold_ms", "  same, first (cold) run, ms", "lower", "ms"),
    ("query_latest_ms", "query: latest value of every series of 1 host, ms (median)", "lower", "ms"),
    ("query_latest_cold_ms", "  same, first (cold) run, ms", "lower", "ms"),
    ("loadavg_1m", "machine: load average (1 min) when the round started", None, "load"),
    ("ingest_other_cores", "machine: other processes' CPU during ingest, cores", None, "cores"),
    ("other_cores", "machine: other processes' CPU over the round, cores", None, "cores"),
]
MEASURE_KEYS = [m[0] for m in MEASURES]
QUERIES = ("raw", "avg", "latest")


def _get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d or d[p] is None:
            return None
        d = d[p]
    return d


def round_measures(r):
    """The MEASURES of one round record, None where the round has no figure."""
    mib = 1024.0 * 1024.0
    m = {
        "samples_per_second": _get(r, "ingest", "samples_per_second"),
        "cpu_per_million": _get(r, "ingest", "cpu_seconds_per_million_samples"),
        "cpu_per_million_with_flush": _get(r, "flush", "cpu_seconds_per_million_samples_with_flush"),
        "peak_rss_ingest_mib": None,
        "peak_rss_flush_mib": None,
        "peak_rss_mib": None,
        "bytes_per_sample": _get(r, "disk", "bytes_per_sample"),
        "bytes_per_sample_with_tiers": _get(r, "disk", "bytes_per_sample_with_tiers"),
        "loadavg_1m": None,
        "ingest_other_cores": _get(r, "machine", "ingest_other_busy_cores"),
        "other_cores": _get(r, "machine", "other_busy_cores"),
    }
    v = _get(r, "memory", "peak_rss_bytes_ingest")
    m["peak_rss_ingest_mib"] = v / mib if v is not None else None
    v = _get(r, "memory", "peak_rss_bytes_flush")
    m["peak_rss_flush_mib"] = v / mib if v is not None else None
    v = _get(r, "memory", "peak_rss_bytes")
    m["peak_rss_mib"] = v / mib if v is not None else None
    la = _get(r, "machine", "loadavg_before")
    m["loadavg_1m"] = la[0] if la else None
    for q in QUERIES:
        m[f"query_{q}_ms"] = _get(r, "queries", q, "median_ms")
        m[f"query_{q}_cold_ms"] = _get(r, "queries", q, "cold_ms")
    return m


def spread(values):
    """{'median','min','max','n'} of the non-None values, or None if there are none."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def summarise(rounds, targets):
    """{target: {measure: spread}} over the rounds that completed (ok)."""
    out = {}
    for t in targets:
        rs = [round_measures(r) for r in rounds if r.get("target") == t and r.get("ok")]
        out[t] = {k: spread([m[k] for m in rs]) for k in MEASURE_KEYS}
    return out


def ratios(summary):
    """{peer: {measure: peer median / strixd median}} for the measures with a direction."""
    base = summary.get(STRIXD)
    out = {}
    if not base:
        return out
    for t, ms in summary.items():
        if t == STRIXD:
            continue
        out[t] = {}
        for key, _label, better, _fmt in MEASURES:
            b, p = base.get(key), ms.get(key)
            if better and b and p and b["median"]:
                out[t][key] = p["median"] / b["median"]
    return out


def goals(summary):
    """Issue 5's targets for strixd, evaluated on the medians. A list of dicts."""
    s = summary.get(STRIXD) or {}
    vm = summary.get("victoria-metrics") or {}
    peers = {t: v for t, v in summary.items() if t != STRIXD and v}
    out = []

    def med(d, k):
        return d[k]["median"] if d.get(k) else None

    for key, what in (("cpu_per_million", "ingest"), ("cpu_per_million_with_flush", "ingest + flush")):
        a, b = med(s, key), med(vm, key)
        out.append({
            "goal": f"at least 2x VictoriaMetrics' samples per CPU second ({what}; CPU s per M samples)",
            "kind": "cpu",
            "strixd": a, "reference": b,
            "ratio": (b / a) if a and b else None,  # strixd's samples/CPU-s over VM's
            "met": (b / a >= 2.0) if a and b else None,
        })
    for key, what in (("bytes_per_sample", "raw data"), ("bytes_per_sample_with_tiers", "with strixd's tiers")):
        a, b = med(s, key), med(vm, key)
        out.append({"goal": f"no more bytes per sample than VictoriaMetrics ({what})", "kind": "bps",
                    "strixd": a, "reference": b,
                    "ratio": (a / b) if a and b else None, "met": (a <= b) if a and b else None})
    a, b = med(s, "peak_rss_mib"), med(vm, "peak_rss_mib")
    out.append({"goal": "peak memory no more than VictoriaMetrics (MiB, whole round)", "kind": "mib",
                "strixd": a, "reference": b,
                "ratio": (a / b) if a and b else None, "met": (a <= b) if a and b else None})
    for q, label in (("raw", "1 series raw"), ("avg", "avg per 5 min"), ("latest", "latest of 1 host")):
        key = f"query_{q}_ms"
        a = med(s, key)
        best = None
        for t, v in peers.items():
            p = med(v, key)
            if p is not None and (best is None or p < best[1]):
                best = (t, p)
        out.append({
            "goal": f"query '{label}' faster than the fastest peer (ms)",
            "kind": "ms",
            "strixd": a, "reference": best[1] if best else None,
            "reference_target": best[0] if best else None,
            "ratio": (a / best[1]) if a and best and best[1] else None,
            "met": (a < best[1]) if a is not None and best else None,
        })
    return out


# ---- formatting


def fmt(value, kind):
    if value is None:
        return "-"
    if kind == "rate":
        if value >= 1e6:
            return f"{value / 1e6:.2f} M"
        if value >= 1e3:
            return f"{value / 1e3:.0f} k"
        return f"{value:.0f}"
    if kind == "cpu":
        return f"{value:.3f}" if value < 10 else f"{value:.2f}"
    if kind == "mib":
        return f"{value:.0f}"
    if kind == "bps":
        return f"{value:.2f}"
    if kind == "ms":
        if value < 10:
            return f"{value:.2f}"
        if value < 100:
            return f"{value:.1f}"
        return f"{value:.0f}"
    if kind in ("load", "cores"):
        return f"{value:.2f}"
    return str(value)


def cell(sp, kind, ratio=None):
    if not sp:
        return "-"
    text = fmt(sp["median"], kind)
    if sp["n"] > 1:
        text += f" ({fmt(sp['min'], kind)}..{fmt(sp['max'], kind)})"
    if ratio is not None:
        text += f", **{ratio:.2f}x**"
    return text


def correctness_cell(rounds, target):
    rs = [r for r in rounds if r.get("target") == target]
    if not rs:
        return "-"
    bad = []
    for r in rs:
        if not r.get("ok"):
            bad.append(f"round {r.get('round')}: {r.get('error') or 'failed'}")
        elif not _get(r, "correctness", "ok"):
            bad.append(f"round {r.get('round')}: {_get(r, 'correctness', 'summary') or 'mismatch'}")
    ok = len(rs) - len(bad)
    samples = [_get(r, "correctness", "samples") for r in rs if r.get("ok")]
    series = [_get(r, "correctness", "series") for r in rs if r.get("ok")]
    text = f"{ok}/{len(rs)} rounds exact"
    if samples and samples[0] is not None:
        text += f" ({samples[0]:,} samples, {series[0]:,} series)"
    if bad:
        text += "; FAILED " + "; ".join(bad)
    return text.replace("|", "/")


def markdown(rounds, targets, names, info):
    """The report: the side-by-side table, strixd's targets, and how it was measured.

    names: {target: display name}; info: {'title', 'notes': [str]}.
    """
    summary = summarise(rounds, targets)
    rat = ratios(summary)
    lines = []
    lines.append(f"### {info.get('title', 'Side by side')}")
    lines.append("")
    lines.append(
        "Median of the rounds (min..max); for each peer, **its ratio to strixd** (peer / strixd: "
        "above 1 means the peer is higher, which is better only for samples/s)."
    )
    lines.append("")
    lines.append("| measure | " + " | ".join(names.get(t, t) for t in targets) + " |")
    lines.append("|---" * (len(targets) + 1) + "|")
    for key, label, better, kind in MEASURES:
        cells = []
        for t in targets:
            r = rat.get(t, {}).get(key) if t != STRIXD and better else None
            cells.append(cell(summary[t][key], kind, r))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| correctness: read-back and counts | "
                 + " | ".join(correctness_cell(rounds, t) for t in targets) + " |")
    lines.append("")
    if STRIXD in targets and len(targets) > 1:
        lines.append("strixd's targets (issue 5), on the medians. Ratio: for CPU, strixd's samples per "
                     "CPU second over VictoriaMetrics' (the target is 2 or more); otherwise strixd's "
                     "figure over the reference (the target is at most 1 for disk and memory, below 1 "
                     "for queries).")
        lines.append("")
        lines.append("| target | strixd | reference | ratio | |")
        lines.append("|---|---|---|---|---|")
        for g in goals(summary):
            kind = g["kind"]
            ref = fmt(g["reference"], kind)
            if g.get("reference_target"):
                ref += f" ({names.get(g['reference_target'], g['reference_target'])})"
            ratio = f"{g['ratio']:.2f}x" if g["ratio"] is not None else "-"
            met = {True: "met", False: "**missed**", None: "not measured"}[g["met"]]
            lines.append(f"| {g['goal']} | {fmt(g['strixd'], kind)} | {ref} | {ratio} | {met} |")
        lines.append("")
    for n in info.get("notes", []):
        lines.append(f"- {n}")
    if info.get("notes"):
        lines.append("")
    return "\n".join(lines)
