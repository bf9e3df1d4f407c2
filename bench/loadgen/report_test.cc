// The report: derived figures (samples/s, CPU seconds per million samples, quantiles,
// other busy CPU) from known inputs, identical in the summary and the JSON, and JSON that
// a real parser reads.
#include "bench/loadgen/report.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace strix::bench {
namespace {

Report Known() {
  Report r;
  r.name = "vm \"quoted\"";
  r.format = "line-protocol";
  r.url = "http://127.0.0.1:8428/write?precision=s";
  r.workload.hosts = 100;
  r.workload.start_ms = 1'700'000'000'000;
  r.points = 360;
  r.series = 1000;
  r.workload_samples = 360'000;
  r.totals = {72, 36'000, 360'000, 9'000'000, 9'000'000};
  r.sent = true;
  r.connections = 4;
  r.send.wall_ns = 2'000'000'000;  // 2 s
  r.send.requests = 72;
  r.send.payloads_ok = 72;
  r.send.samples_ok = 360'000;
  r.send.body_bytes_sent = 9'000'000;
  r.send.status_counts = {{204, 72}};
  for (int i = 1; i <= 100; ++i) r.send.latencies_ns.push_back(i * 1'000'000);  // 1..100 ms
  TargetFigures t;
  t.pid = 4242;
  t.cpu_before = {10.0, 2.0};
  t.cpu_after = {10.3, 2.06};  // 0.36 CPU s for 0.36 M samples
  t.cpu_settled = ProcessCpu{10.5, 2.1};
  t.cpu_settle_ms = 5000;
  t.memory_after = {100 << 20, 200 << 20};
  r.target = t;
  r.self_cpu = {0.1, 0.04};
  r.load_before = LoadAverage{0.5, 0.4, 0.3};
  r.load_after = LoadAverage{1.5, 0.6, 0.35};
  r.machine_busy_seconds = 1.0;
  return r;
}

TEST(LoadgenReport, JsonCarriesTheDerivedFigures) {
  const std::string json = FormatJson(Known());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  double v = 0;
  ASSERT_EQ(doc.at_pointer("/send/samples_per_second").get_double().get(v), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(v, 180'000);
  ASSERT_EQ(doc.at_pointer("/send/requests_per_second").get_double().get(v), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(v, 36);
  ASSERT_EQ(doc.at_pointer("/send/latency_ms/p50").get_double().get(v), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(v, 50);
  ASSERT_EQ(doc.at_pointer("/send/latency_ms/p99").get_double().get(v), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(v, 99);
  ASSERT_EQ(doc.at_pointer("/send/latency_ms/max").get_double().get(v), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(v, 100);
  ASSERT_EQ(doc.at_pointer("/target/cpu_seconds").get_double().get(v), simdjson::SUCCESS);
  EXPECT_NEAR(v, 0.36, 1e-9);
  ASSERT_EQ(doc.at_pointer("/target/cpu_seconds_per_million_samples").get_double().get(v),
            simdjson::SUCCESS);
  EXPECT_NEAR(v, 1.0, 1e-9);
  ASSERT_EQ(doc.at_pointer("/target/cpu_seconds_per_million_samples_settled").get_double().get(v),
            simdjson::SUCCESS);
  EXPECT_NEAR(v, 0.6 / 0.36, 1e-9);
  uint64_t n = 0;
  ASSERT_EQ(doc.at_pointer("/target/peak_rss_bytes").get_uint64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 200u << 20);
  ASSERT_EQ(doc.at_pointer("/send/status_counts/204").get_uint64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 72u);
  ASSERT_EQ(doc.at_pointer("/machine/loadavg_after/0").get_double().get(v), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(v, 1.5);
  ASSERT_EQ(doc.at_pointer("/machine/other_busy_cpu_seconds").get_double().get(v),
            simdjson::SUCCESS);
  EXPECT_NEAR(v, 1.0 - 0.14 - 0.36, 1e-9);
  std::string_view name;
  ASSERT_EQ(doc.at_pointer("/name").get_string().get(name), simdjson::SUCCESS);
  EXPECT_EQ(name, "vm \"quoted\"");
  ASSERT_EQ(doc.at_pointer("/workload/samples").get_uint64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 360'000u);
}

TEST(LoadgenReport, SummaryShowsTheSameFigures) {
  const std::string s = FormatSummary(Known());
  EXPECT_NE(s.find("180.0 k samples/s"), std::string::npos) << s;
  EXPECT_NE(s.find("0.36 CPU s (0.18 cores)  ->  1.000 CPU s per million samples"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("p50 50.00  p90 90.00  p99 99.00  max 100.00"), std::string::npos) << s;
  EXPECT_NE(s.find("204: 72"), std::string::npos) << s;
  EXPECT_NE(s.find("peak RSS (VmHWM) 200.0 MiB"), std::string::npos) << s;
  EXPECT_NE(s.find("load average 0.50 0.40 0.30 before, 1.50 0.60 0.35 after"), std::string::npos)
      << s;
  EXPECT_EQ(s.find("FAILED"), std::string::npos) << s;
}

TEST(LoadgenReport, FailuresAndDryRun) {
  Report r = Known();
  r.send.payloads_failed = 2;
  r.send.samples_failed = 10'000;
  r.send.status_counts = {{204, 70}, {503, 2}};
  r.send.error_reports = {"payload 3: HTTP 503 Service Unavailable: busy"};
  const std::string s = FormatSummary(r);
  EXPECT_NE(s.find("FAILED: 2 payloads not acknowledged (10000 samples)"), std::string::npos) << s;
  EXPECT_NE(s.find("payload 3: HTTP 503"), std::string::npos) << s;

  r.sent = false;
  r.target.reset();
  const std::string dry = FormatSummary(r);
  EXPECT_EQ(dry.find("sent to"), std::string::npos);
  const std::string json = FormatJson(r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  bool sent = true;
  ASSERT_EQ(doc["sent"].get_bool().get(sent), simdjson::SUCCESS);
  EXPECT_FALSE(sent);
  EXPECT_EQ(doc["send"].error(), simdjson::NO_SUCH_FIELD);
}

}  // namespace
}  // namespace strix::bench
