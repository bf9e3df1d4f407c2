#include "api/self_metrics.h"

#include <gtest/gtest.h>

namespace strix::api {
namespace {

TEST(SelfMetrics, RendersCountersGaugesAndCumulativeHistogramsInPrometheusText) {
  SelfMetrics m;
  m.RegisterCounter("strix_x_total", "X.", {{"code", "200"}})->Add(3);
  m.RegisterCounter("strix_x_total", "X.", {{"code", "404"}})->Add(1);
  m.RegisterCollector([](std::vector<MetricFamily>* out) {
    MetricFamily g;
    g.name = "strix_queue_bytes";
    g.help = "Queue.";
    g.samples.push_back({{}, 42.5, 0});
    out->push_back(g);
    MetricFamily h;
    h.name = "strix_fsync_seconds";
    h.help = "Fsync.";
    h.type = MetricFamily::Type::kHistogram;
    h.histograms.push_back({{}, {0.001, 0.01}, {2, 1, 1}, 0.5});
    out->push_back(h);
  });
  EXPECT_EQ(m.Render(),
            "# HELP strix_x_total X.\n# TYPE strix_x_total counter\n"
            "strix_x_total{code=\"200\"} 3\nstrix_x_total{code=\"404\"} 1\n"
            "# HELP strix_queue_bytes Queue.\n# TYPE strix_queue_bytes gauge\n"
            "strix_queue_bytes 42.5\n"
            "# HELP strix_fsync_seconds Fsync.\n# TYPE strix_fsync_seconds histogram\n"
            "strix_fsync_seconds_bucket{le=\"0.001\"} 2\n"
            "strix_fsync_seconds_bucket{le=\"0.01\"} 3\n"
            "strix_fsync_seconds_bucket{le=\"+Inf\"} 4\n"
            "strix_fsync_seconds_sum 0.5\nstrix_fsync_seconds_count 4\n");
}

TEST(SelfMetrics, AppendToStoresEverySeriesUnderTheHost) {
  SelfMetrics m;
  m.RegisterCounter("strix_x_total", "X.")->Add(7);
  m.RegisterCollector([](std::vector<MetricFamily>* out) {
    MetricFamily h;
    h.name = "strix_h";
    h.type = MetricFamily::Type::kHistogram;
    h.histograms.push_back({{}, {1}, {1, 1}, 3});
    out->push_back(h);
  });
  storage::WriteBatch b;
  m.AppendTo(&b, 1000, "srv");
  // counter + 2 buckets + sum + count
  EXPECT_EQ(b.series_count(), 5u);
  EXPECT_EQ(b.sample_count(), 5u);
  auto s0 = b.series()[0];
  EXPECT_EQ(s0.kind, storage::ValueKind::kCounter64);
  EXPECT_EQ(b.samples(s0)[0].value.u, 7u);
  EXPECT_NE(b.EncodedLabels(s0).find("srv"), std::string_view::npos);
}

}  // namespace
}  // namespace strix::api
