"""Unit tests of the benchmark's pure parts: /proc parsing, the servers' answers, the
read-back comparisons and expected averages, medians and ratios, strixd's targets, and the
markdown table. The answers are trimmed copies of what the real servers returned.

    python3 -B -m unittest discover -s bench/compare -p 'test_*.py'
    bench/compare/compare.py --self-test
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import answers  # noqa: E402
import summary  # noqa: E402
import sysinfo  # noqa: E402
import workload  # noqa: E402

S = 1796468400  # an hour boundary, seconds
MS = S * 1000


class ProcParsing(unittest.TestCase):
    def test_pid_stat_with_spaces_and_parentheses_in_the_name(self):
        hz = os.sysconf("SC_CLK_TCK")
        # fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt
        # cmajflt utime stime cutime cstime ...
        text = f"4242 (my (odd) name) S 1 2 3 4 5 6 7 8 9 10 {3 * hz} {hz} {50 * hz} {50 * hz} 20 0"
        self.assertAlmostEqual(sysinfo.parse_pid_stat_cpu(text), 4.0)  # children not counted

    def test_proc_stat_busy_excludes_idle_iowait_and_guest(self):
        hz = os.sysconf("SC_CLK_TCK")
        line = " ".join(str(x * hz) for x in (10, 1, 4, 100, 5, 1, 1, 2, 7, 7))
        busy, total = sysinfo.parse_proc_stat_cpu(f"cpu  {line}\ncpu0 1 2 3\n")
        self.assertAlmostEqual(busy, 19.0)  # user nice system irq softirq steal
        self.assertAlmostEqual(total, 124.0)

    def test_proc_stat_without_cpu_line_is_an_error(self):
        with self.assertRaises(ValueError):
            sysinfo.parse_proc_stat_cpu("intr 1 2 3\n")

    def test_status_memory_in_kib(self):
        text = "Name:\tx\nVmPeak:\t 999 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n"
        self.assertEqual(sysinfo.parse_pid_status_memory(text),
                         {"peak_rss_bytes": 200 << 20, "rss_bytes": 100 << 20})

    def test_loadavg(self):
        self.assertEqual(sysinfo.parse_loadavg("0.91 1.21 0.74 2/345 6789\n"), [0.91, 1.21, 0.74])


class Numbers(unittest.TestCase):
    def test_integral_text_is_an_exact_int(self):
        self.assertEqual(answers.number("953126513747"), 953126513747)
        self.assertIsInstance(answers.number("953126513747"), int)
        self.assertEqual(answers.number("-12"), -12)

    def test_float_text_and_json_numbers(self):
        self.assertEqual(answers.number("2.66"), 2.66)
        self.assertEqual(answers.number(25.48), 25.48)
        self.assertTrue(answers.number("NaN") != answers.number("NaN"))

    def test_large_counter_read_back_as_float_still_compares_exactly(self):
        self.assertEqual(answers.number(953126513747.0), answers.number("953126513747"))
        # Beyond 2^53 a float cannot carry the integer: the comparison must notice.
        self.assertNotEqual(float(2**53 + 1), answers.number(str(2**53 + 1)))

    def test_booleans_and_objects_are_refused(self):
        with self.assertRaises(answers.AnswerError):
            answers.number(True)
        with self.assertRaises(answers.AnswerError):
            answers.number([1])


class StrixAnswers(unittest.TestCase):
    SELECT = json.dumps({"status": "success", "data": {
        "from": MS, "to": MS + 3600001, "step": 0, "fn": "raw", "series": [
            {"labels": {"__name__": "node_net_rx_bytes", "host": "host-00007"}, "kind": "counter64",
             "resolution": 0, "timestamps": [MS, MS + 10000], "values": [953059024330, 953059285432]},
            {"labels": {"__name__": "node_cpu_user", "host": "host-00007"}, "kind": "gauge",
             "resolution": 0, "timestamps": [MS], "values": [23.11]}]}})

    def test_select_keys_by_host_and_field(self):
        got = answers.strix_select(self.SELECT, "node_")
        self.assertEqual(got[("host-00007", "net_rx_bytes")], ([MS, MS + 10000], [953059024330, 953059285432]))
        self.assertEqual(got[("host-00007", "cpu_user")], ([MS], [23.11]))

    def test_select_error_answer_is_refused(self):
        body = '{"status":"error","errorType":"bad_data","error":"parameter \'step\': bad"}'
        with self.assertRaises(answers.AnswerError):
            answers.strix_select(body)

    def test_select_with_unequal_columns_is_refused(self):
        body = json.dumps({"status": "success", "data": {"series": [
            {"labels": {"__name__": "node_x", "host": "h"}, "timestamps": [1, 2], "values": [1]}]}})
        with self.assertRaises(answers.AnswerError):
            answers.strix_select(body)

    def test_foreign_series_name_is_refused(self):
        body = json.dumps({"status": "success", "data": {"series": [
            {"labels": {"__name__": "strix_self", "host": "h"}, "timestamps": [], "values": []}]}})
        with self.assertRaises(answers.AnswerError):
            answers.strix_select(body, "node_")

    def test_latest(self):
        body = json.dumps({"status": "success", "data": [
            {"labels": {"__name__": "node_cpu_user", "host": "host-00007"}, "kind": "gauge",
             "ts": MS + 3590000, "value": 25.48},
            {"labels": {"__name__": "node_requests", "host": "host-00007"}, "kind": "counter64",
             "ts": MS + 3590000, "value": 752883}]})
        got = answers.strix_latest(body)
        self.assertEqual(got[("host-00007", "requests")], (MS + 3590000, 752883))
        self.assertEqual(len(got), 2)

    def test_count_sums_buckets_and_counts_series_with_samples(self):
        body = json.dumps({"status": "success", "data": {"series": [
            {"labels": {"__name__": "node_a", "host": "h1"}, "timestamps": [MS, MS + 3600000], "values": [360, 40]},
            {"labels": {"__name__": "node_b", "host": "h1"}, "timestamps": [MS], "values": [360]},
            {"labels": {"__name__": "node_c", "host": "h1"}, "timestamps": [], "values": []}]}})
        self.assertEqual(answers.strix_count(body), (760, 2))


class PromAndVmAnswers(unittest.TestCase):
    def test_vm_export_lines_and_split_series(self):
        body = (
            b'{"metric":{"__name__":"node_cpu_user","host":"host-00007"},"values":[23.2,23.11],'
            b'"timestamps":[1796468410000,1796468400000]}\n'
            b'{"metric":{"__name__":"node_cpu_user","host":"host-00007"},"values":[23.3],'
            b'"timestamps":[1796468420000]}\n'
        )
        got = answers.vm_export(body)
        self.assertEqual(got[("host-00007", "cpu_user")],
                         ([MS, MS + 10000, MS + 20000], [23.11, 23.2, 23.3]))

    def test_matrix_timestamps_to_ms_and_named_by_argument_when_dropped(self):
        body = json.dumps({"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"host": "host-00000"}, "values": [[1796468700, "23.616333333333333"],
                                                          [1796469000.0, "23.7"]]}]}})
        got = answers.prom_matrix(body, metric="cpu_user")
        self.assertEqual(got[("host-00000", "cpu_user")], ([MS + 300000, MS + 600000], ["23.616333333333333", "23.7"]))

    def test_matrix_keeps_the_name_when_the_server_keeps_it(self):
        body = json.dumps({"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"__name__": "node_cpu_user", "host": "h"}, "values": [[1796468700.5, "1"]]}]}})
        self.assertEqual(answers.prom_matrix(body, metric="x"), {("h", "cpu_user"): ([MS + 300500], ["1"])})

    def test_vector_is_not_a_matrix(self):
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}})
        with self.assertRaises(answers.AnswerError):
            answers.prom_matrix(body)
        self.assertEqual(answers.prom_vector(body), {})

    def test_vector_and_count(self):
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"__name__": "node_disk_used", "host": "host-00007"}, "value": [1796471990, "56705691648"]}]}})
        self.assertEqual(answers.prom_vector(body), {("host-00007", "disk_used"): (1796471990000, "56705691648")})
        count = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"host": "a"}, "value": [1, "360"]}, {"metric": {"host": "b"}, "value": [1, "359"]}]}})
        self.assertEqual(answers.prom_count(count), (719, 2))

    def test_prometheus_error(self):
        body = '{"status":"error","errorType":"bad_data","error":"parse error"}'
        with self.assertRaises(answers.AnswerError):
            answers.prom_vector(body)


class InfluxAnswers(unittest.TestCase):
    def test_raw_column(self):
        body = json.dumps({"results": [{"statement_id": 0, "series": [
            {"name": "node", "columns": ["time", "cpu_user"], "values": [[MS, 23.11], [MS + 10000, 23.2]]}]}]})
        got = answers.influx_columns(body, host="host-00007")
        self.assertEqual(got[("host-00007", "cpu_user")], ([MS, MS + 10000], [23.11, 23.2]))

    def test_group_by_host_skips_empty_buckets(self):
        body = json.dumps({"results": [{"statement_id": 0, "series": [
            {"name": "node", "tags": {"host": "host-00001"}, "columns": ["time", "mean"],
             "values": [[MS, 23.5], [MS + 300000, None]]}]}]})
        self.assertEqual(answers.influx_columns(body), {("host-00001", "mean"): ([MS], [23.5])})

    def test_last_star_prefix(self):
        body = json.dumps({"results": [{"statement_id": 0, "series": [
            {"name": "node", "columns": ["time", "last_cpu_user", "last_requests"], "values": [[0, 25.48, 752883]]}]}]})
        got = answers.influx_columns(body, host="h", prefix="last_")
        self.assertEqual(got, {("h", "cpu_user"): ([0], [25.48]), ("h", "requests"): ([0], [752883])})

    def test_count_grouped_by_host(self):
        body = json.dumps({"results": [{"statement_id": 0, "series": [
            {"name": "node", "tags": {"host": "a"}, "columns": ["time", "count_x", "count_y"], "values": [[0, 360, 360]]},
            {"name": "node", "tags": {"host": "b"}, "columns": ["time", "count_x", "count_y"], "values": [[0, 360, None]]}]}]})
        self.assertEqual(answers.influx_count(body), (1080, 3))

    def test_statement_error_and_no_series(self):
        with self.assertRaises(answers.AnswerError):
            answers.influx_series('{"results":[{"statement_id":0,"error":"database not found: x"}]}')
        with self.assertRaises(answers.AnswerError):
            answers.influx_series('{"error":"error parsing query"}')
        self.assertEqual(answers.influx_series('{"results":[{"statement_id":0}]}'), [])


class Comparisons(unittest.TestCase):
    def test_equal_series(self):
        c = answers.compare_series([1, 2], [23.11, 953126513747], [1, 2], [23.11, 953126513747.0])
        self.assertTrue(c["ok"])
        self.assertEqual(c["mismatches"], 0)

    def test_value_off_by_one_unit_is_a_mismatch(self):
        c = answers.compare_series([1, 2], [5, 953126513747], [1, 2], ["5", "953126513748"])
        self.assertFalse(c["ok"])
        self.assertEqual(c["mismatches"], 1)
        self.assertEqual(c["first_mismatch"]["index"], 1)

    def test_missing_tail_is_reported(self):
        c = answers.compare_series([1, 2, 3], [1, 2, 3], [1, 2], [1, 2])
        self.assertFalse(c["ok"])
        self.assertEqual((c["expected"], c["got"]), (3, 2))
        self.assertEqual(c["first_mismatch"]["index"], 2)

    def test_shifted_timestamp_is_a_mismatch(self):
        self.assertFalse(answers.compare_series([1000], [1], [1001], [1])["ok"])

    def setUp(self):
        # 12 samples every 10 s from MS: 0, 1, ..., 11
        self.ts = [MS + 10000 * i for i in range(12)]
        self.vs = list(range(12))

    def test_bucket_window(self):
        t, v = answers.expected_step_avg(self.ts, self.vs, [MS, MS + 60000], 60000, "bucket")
        self.assertEqual(t, [MS, MS + 60000])
        self.assertEqual(v, [2.5, 8.5])  # 0..5 and 6..11

    def test_left_open_window(self):
        t, v = answers.expected_step_avg(self.ts, self.vs, [MS + 60000, MS + 120000], 60000, "left_open")
        self.assertEqual(v, [3.5, 9.0])  # 1..6, then 7..11 (no sample at +120 s)

    def test_closed_window(self):
        t, v = answers.expected_step_avg(self.ts, self.vs, [MS + 60000, MS + 120000], 60000, "closed")
        self.assertEqual(v, [3.0, 8.5])  # 0..6, then 6..11

    def test_empty_windows_are_left_out(self):
        t, v = answers.expected_step_avg(self.ts, self.vs, [MS - 120000, MS], 60000, "bucket")
        self.assertEqual(t, [MS])

    def test_unknown_window(self):
        with self.assertRaises(ValueError):
            answers.expected_step_avg(self.ts, self.vs, [MS], 60000, "right")

    def test_averages_tolerate_summation_order_only(self):
        self.assertTrue(answers.compare_averages([1, 2], [23.302, 1 / 3], [1, 2], ["23.302000000000003", 0.3333333333333333])["ok"])
        c = answers.compare_averages([1, 2], [23.302, 1.0], [1, 2], [23.302, 1.00001])
        self.assertFalse(c["ok"])
        self.assertEqual(c["first_mismatch"]["index"], 1)
        self.assertFalse(answers.compare_averages([1, 2], [1, 1], [1], [1])["ok"])


def record(target, rnd, sps, cpu, bps, raw, ok=True, correct=True):
    return {
        "round": rnd, "target": target, "ok": ok, "error": None if ok else "boom",
        "ingest": {"samples_per_second": sps, "cpu_seconds_per_million_samples": cpu},
        "flush": {"cpu_seconds_per_million_samples_with_flush": cpu * 1.1},
        "memory": {"peak_rss_bytes_ingest": 100 << 20, "peak_rss_bytes_flush": 110 << 20,
                   "peak_rss_bytes": 120 << 20},
        "disk": {"bytes_per_sample": bps, "bytes_per_sample_with_tiers": bps * 2 if target == "strixd" else bps},
        "queries": {"raw": {"median_ms": raw, "cold_ms": raw * 3},
                    "avg": {"median_ms": 10 * raw, "cold_ms": 20 * raw},
                    "latest": {"median_ms": raw / 2, "cold_ms": raw}},
        "correctness": {"ok": correct, "samples": 3600000, "series": 10000,
                        "summary": "exact" if correct else "count 3 samples"},
        "machine": {"loadavg_before": [1.5, 1, 1], "other_busy_cores": 0.1, "ingest_other_busy_cores": 0.2},
    }


class Summaries(unittest.TestCase):
    def setUp(self):
        self.rounds = [
            record("strixd", 1, 2.0e6, 0.5, 1.3, 0.3), record("victoria-metrics", 1, 1.5e6, 0.7, 1.5, 0.4),
            record("strixd", 2, 2.2e6, 0.6, 1.3, 0.2), record("victoria-metrics", 2, 1.6e6, 0.66, 1.5, 0.5),
            record("strixd", 3, 1.8e6, 0.7, 1.3, 0.4), record("victoria-metrics", 3, 1.0, 9.0, 9.0, 9.0, ok=False),
        ]

    def test_spread_ignores_none(self):
        self.assertEqual(summary.spread([3, None, 1, 2]), {"median": 2, "min": 1, "max": 3, "n": 3})
        self.assertIsNone(summary.spread([None]))

    def test_even_count_median_is_the_mean_of_the_middle_two(self):
        self.assertEqual(summary.spread([1, 2, 3, 10])["median"], 2.5)

    def test_failed_rounds_are_not_in_the_medians(self):
        s = summary.summarise(self.rounds, ["strixd", "victoria-metrics"])
        self.assertEqual(s["strixd"]["samples_per_second"], {"median": 2.0e6, "min": 1.8e6, "max": 2.2e6, "n": 3})
        self.assertEqual(s["victoria-metrics"]["cpu_per_million"]["n"], 2)
        self.assertAlmostEqual(s["victoria-metrics"]["cpu_per_million"]["median"], 0.68)
        self.assertAlmostEqual(s["strixd"]["peak_rss_mib"]["median"], 120)
        self.assertEqual(s["strixd"]["loadavg_1m"]["median"], 1.5)

    def test_ratios_are_peer_over_strixd(self):
        r = summary.ratios(summary.summarise(self.rounds, ["strixd", "victoria-metrics"]))
        self.assertAlmostEqual(r["victoria-metrics"]["samples_per_second"], 1.55e6 / 2.0e6)
        self.assertAlmostEqual(r["victoria-metrics"]["bytes_per_sample"], 1.5 / 1.3)
        self.assertNotIn("loadavg_1m", r["victoria-metrics"])  # context, not compared

    def test_goals(self):
        g = {x["goal"].split(" (")[0]: x for x in summary.goals(summary.summarise(self.rounds, ["strixd", "victoria-metrics"]))}
        cpu = g["at least 2x VictoriaMetrics' samples per CPU second"]
        self.assertAlmostEqual(cpu["ratio"], 0.68 / 0.6)
        self.assertFalse(cpu["met"])
        full = {x["goal"]: x for x in summary.goals(summary.summarise(self.rounds, ["strixd", "victoria-metrics"]))}
        self.assertTrue(full["no more bytes per sample than VictoriaMetrics (raw data)"]["met"])  # 1.3 vs 1.5
        self.assertFalse(full["no more bytes per sample than VictoriaMetrics (with strixd's tiers)"]["met"])  # 2.6
        self.assertTrue(g["peak memory no more than VictoriaMetrics"]["met"])  # equal is enough
        raw = g["query '1 series raw' faster than the fastest peer"]
        self.assertTrue(raw["met"])
        self.assertEqual(raw["reference_target"], "victoria-metrics")
        self.assertAlmostEqual(raw["reference"], 0.45)

    def test_goals_without_peers_are_not_measured(self):
        g = summary.goals(summary.summarise(self.rounds, ["strixd"]))
        self.assertTrue(all(x["met"] is None for x in g))

    def test_formats(self):
        self.assertEqual(summary.fmt(2304567, "rate"), "2.30 M")
        self.assertEqual(summary.fmt(664200, "rate"), "664 k")
        self.assertEqual(summary.fmt(0.7671, "cpu"), "0.767")
        self.assertEqual(summary.fmt(0.294, "ms"), "0.29")
        self.assertEqual(summary.fmt(40.83, "ms"), "40.8")
        self.assertEqual(summary.fmt(155.2, "ms"), "155")
        self.assertEqual(summary.fmt(None, "ms"), "-")
        self.assertEqual(summary.cell({"median": 1.3, "min": 1.2, "max": 1.5, "n": 3}, "bps", 1.19),
                         "1.30 (1.20..1.50), **1.19x**")
        self.assertEqual(summary.cell({"median": 1.3, "min": 1.3, "max": 1.3, "n": 1}, "bps"), "1.30")

    def test_markdown_table(self):
        md = summary.markdown(self.rounds, ["strixd", "victoria-metrics"],
                              {"strixd": "strixd", "victoria-metrics": "VictoriaMetrics 1.79.5"},
                              {"title": "small", "notes": ["a note"]})
        lines = md.splitlines()
        header = [x for x in lines if x.startswith("| measure |")][0]
        self.assertEqual(header, "| measure | strixd | VictoriaMetrics 1.79.5 |")
        row = [x for x in lines if x.startswith("| ingest: samples/s")][0]
        self.assertEqual(row, "| ingest: samples/s (wall clock) | 2.00 M (1.80 M..2.20 M) | 1.55 M (1.50 M..1.60 M), **0.78x** |")
        corr = [x for x in lines if x.startswith("| correctness")][0]
        self.assertIn("3/3 rounds exact (3,600,000 samples, 10,000 series)", corr)
        self.assertTrue(corr.split(" | ")[2].startswith("2/3 rounds exact"))  # VM: round 3 failed
        self.assertIn("FAILED round 3: boom", corr)
        self.assertIn("| no more bytes per sample than VictoriaMetrics (raw data) | 1.30 | 1.50 | 0.87x | met |", md)
        self.assertIn("- a note", md)
        # every row of the main table has as many cells as its header
        first = lines.index(header)
        end = lines.index("", first)
        self.assertEqual(end - first, 2 + len(summary.MEASURES) + 1)
        for x in lines[first:end]:
            self.assertEqual(x.count("|"), header.count("|"), x)

    def test_correctness_cell_reports_a_mismatch(self):
        rounds = [record("strixd", 1, 1, 1, 1, 1, correct=False)]
        self.assertEqual(summary.correctness_cell(rounds, "strixd"),
                         "0/1 rounds exact (3,600,000 samples, 10,000 series); FAILED round 1: count 3 samples")


class Workload(unittest.TestCase):
    def test_default_start_ends_on_a_closed_two_hour_window(self):
        for now in (S + 7200 + 2400, S + 7200 + 2401, S + 14399 + 2400):
            for span in (3600, 30000):
                start = workload.default_start(now, span)
                end = start + span
                self.assertEqual(end % 7200, 0)
                self.assertEqual(start % 300, 0)
                self.assertLessEqual(end, now - 2400)
                self.assertGreater(end, now - 2400 - 7200)

    def test_profiles(self):
        small = workload.Workload("small", S)
        self.assertEqual((small.samples, small.series, small.points), (3_600_000, 10_000, 360))
        self.assertEqual(small.last_s, S + 3590)
        large = workload.Workload("large", S)
        self.assertEqual(large.samples, 30_000_000)
        self.assertEqual(workload.Workload("small", S, hosts=100).samples, 360_000)

    def test_print_series_lines(self):
        text = ('{"host":"host-00007","metric":"cpu_user","name":"node_cpu_user","type":"fixed2",'
                '"timestamps_ms":[1796468400000,1796468410000],"values":[23.11,12]}\n')
        got = workload.parse_print_series(text)
        self.assertEqual(got[("host-00007", "cpu_user")]["values"], [23.11, 12])
        with self.assertRaises(ValueError):
            workload.parse_print_series('{"host":"h","metric":"m","type":"int","timestamps_ms":[1],"values":[]}')

    def test_host_names(self):
        self.assertEqual(workload.host_name(7), "host-00007")
        self.assertEqual(len(workload.METRICS), 10)


if __name__ == "__main__":
    unittest.main()
