// Expected series: the HOST:METRIC syntax, values equal to the workload's rows and to the
// line protocol's text, the JSON line pinned as a golden string and read by a JSON parser.
#include "bench/loadgen/expected_series.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "bench/loadgen/payload.h"

namespace strix::bench {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;

Workload Make(int hosts, int64_t span_ms) {
  WorkloadOptions o;
  o.hosts = hosts;
  o.start_ms = kStart;
  o.span_ms = span_ms;
  return Workload::Create(o).value();
}

TEST(ExpectedSeries, ParsesHostMetricLists) {
  std::vector<SeriesRef> refs;
  ASSERT_TRUE(ParseSeriesRefs("7:cpu_user", &refs).ok());
  ASSERT_TRUE(ParseSeriesRefs("0:requests,12:latency_ms", &refs).ok());
  EXPECT_EQ(refs, (std::vector<SeriesRef>{{7, 0}, {0, 7}, {12, 9}}));
  for (std::string_view bad :
       {"7", "x:cpu_user", "-1:cpu_user", "7:nope", "7:cpu_user,", ":load1", "7:"}) {
    std::vector<SeriesRef> r;
    EXPECT_FALSE(ParseSeriesRefs(bad, &r).ok()) << bad;
  }
  std::vector<SeriesRef> r;
  const Status st = ParseSeriesRefs("1:nope", &r);
  EXPECT_NE(st.message().find("cpu_user cpu_system load1"), std::string_view::npos)
      << st.ToString();
  EXPECT_EQ(MetricIndex("mem_total"), 8);
  EXPECT_EQ(MetricIndex("x"), -1);
}

// Seed 1, two points; the values are those of payload_test's golden line protocol.
TEST(ExpectedSeries, GoldenJsonLines) {
  const Workload w = Make(2, 20'000);
  auto json = [&](int host, int metric) {
    return ExpectedSeriesJson(ExpectSeries(w, {host, metric}, "node").value());
  };
  EXPECT_EQ(json(0, 0),
            R"({"host":"host-00000","metric":"cpu_user","name":"node_cpu_user","type":"fixed2",)"
            R"("timestamps_ms":[1700000000000,1700000010000],"values":[23.11,22.95]})"
            "\n");
  EXPECT_EQ(json(0, 1), R"({"host":"host-00000","metric":"cpu_system","name":"node_cpu_system",)"
                        R"("type":"fixed2","timestamps_ms":[1700000000000,1700000010000],)"
                        R"("values":[6.4,6.46]})"
                        "\n");
  EXPECT_EQ(json(0, 3),
            R"({"host":"host-00000","metric":"mem_used","name":"node_mem_used","type":"int",)"
            R"("timestamps_ms":[1700000000000,1700000010000],"values":[4774969344,4775809024]})"
            "\n");
  EXPECT_EQ(json(1, 5),
            R"({"host":"host-00001","metric":"net_rx_bytes","name":"node_net_rx_bytes",)"
            R"("type":"unsigned","timestamps_ms":[1700000000000,1700000010000],)"
            R"("values":[534090659653,534090882738]})"
            "\n");
}

TEST(ExpectedSeries, MatchesTheWorkloadAndTheLineProtocolText) {
  const Workload w = Make(3, 120'000);  // 12 points
  std::vector<Row> rows;
  Workload::RowCursor cursor = w.Rows();
  Row row;
  while (cursor.Next(&row)) rows.push_back(row);
  PayloadOptions lp;
  for (int h = 0; h < w.hosts(); ++h) {
    for (int m = 0; m < kMetricsPerHost; ++m) {
      const ExpectedSeries s = ExpectSeries(w, {h, m}, "node").value();
      ASSERT_EQ(s.timestamps_ms.size(), static_cast<size_t>(w.points()));
      ASSERT_EQ(s.values.size(), s.texts.size());
      EXPECT_EQ(s.type, kHostMetrics[static_cast<size_t>(m)].type);
      for (int64_t k = 0; k < w.points(); ++k) {
        const Row& r = rows[static_cast<size_t>(k * w.hosts() + h)];
        ASSERT_EQ(r.host, h);
        EXPECT_EQ(s.timestamps_ms[static_cast<size_t>(k)], r.timestamp_ms);
        EXPECT_EQ(s.values[static_cast<size_t>(k)], r.values[static_cast<size_t>(m)]);
        std::string line;
        AppendLineProtocol(r, lp, &line);
        const std::string field = std::string(kHostMetrics[static_cast<size_t>(m)].name) + "=" +
                                  s.texts[static_cast<size_t>(k)];
        const size_t at = line.find(field);
        ASSERT_NE(at, std::string::npos) << field << " in " << line;
        const char after = line[at + field.size()];
        EXPECT_TRUE(after == ',' || after == ' ' || after == 'i' || after == 'u') << line;
      }
    }
  }
}

TEST(ExpectedSeries, JsonReadsBackAsNumbers) {
  const Workload w = Make(2, 600'000);
  const ExpectedSeries s = ExpectSeries(w, {1, 9}, "node").value();
  const std::string json = ExpectedSeriesJson(s);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  simdjson::dom::array ts, values;
  ASSERT_EQ(doc["timestamps_ms"].get_array().get(ts), simdjson::SUCCESS);
  ASSERT_EQ(doc["values"].get_array().get(values), simdjson::SUCCESS);
  ASSERT_EQ(ts.size(), 60u);
  ASSERT_EQ(values.size(), 60u);
  size_t i = 0;
  for (simdjson::dom::element v : values) {
    double d = 0;
    ASSERT_EQ(v.get_double().get(d), simdjson::SUCCESS);  // fixed2: may be integral or not
    EXPECT_EQ(d, s.values[i].ToDouble()) << i;
    int64_t t = 0;
    ASSERT_EQ(ts.at(i).get_int64().get(t), simdjson::SUCCESS);
    EXPECT_EQ(t, s.timestamps_ms[i]);
    ++i;
  }
  std::string_view type;
  ASSERT_EQ(doc["type"].get_string().get(type), simdjson::SUCCESS);
  EXPECT_EQ(type, "fixed2");
}

TEST(ExpectedSeries, HostOutOfRange) {
  const Workload w = Make(2, 20'000);
  EXPECT_FALSE(ExpectSeries(w, {2, 0}, "node").ok());
  EXPECT_FALSE(ExpectSeries(w, {0, 10}, "node").ok());
}

}  // namespace
}  // namespace strix::bench
