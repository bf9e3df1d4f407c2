// The workload generator: the same options give the same bytes, sizes are exact, time
// runs in order, and each shape keeps its promise (counters never decrease, walks stay in
// bounds and have two decimals, byte gauges move by pages, constants stay, spikes occur).
#include "bench/loadgen/workload.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "bench/loadgen/payload.h"

namespace strix::bench {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

Workload Make(int hosts, int64_t span_ms, uint64_t seed = 1, int64_t interval_ms = 10'000) {
  WorkloadOptions o;
  o.seed = seed;
  o.hosts = hosts;
  o.start_ms = kStart;
  o.span_ms = span_ms;
  o.interval_ms = interval_ms;
  Result<Workload> w = Workload::Create(o);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return *w;
}

std::string AllBytes(const Workload& w, Format f) {
  PayloadOptions p;
  p.format = f;
  p.batch_lines = 100;
  p.pattoo_targets = 3;
  Result<std::vector<Payload>> r = BuildPayloads(w, p);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::string all;
  for (const Payload& x : *r) all += x.agent_id + x.body;
  return all;
}

// Every value of every series, host-major: [host][metric][point].
std::vector<std::vector<std::vector<SampleValue>>> Series(const Workload& w) {
  std::vector<std::vector<std::vector<SampleValue>>> s(
      static_cast<size_t>(w.hosts()), std::vector<std::vector<SampleValue>>(kMetricsPerHost));
  Workload::RowCursor c = w.Rows();
  Row row;
  while (c.Next(&row)) {
    for (int m = 0; m < kMetricsPerHost; ++m)
      s[static_cast<size_t>(row.host)][static_cast<size_t>(m)].push_back(
          row.values[static_cast<size_t>(m)]);
  }
  return s;
}

TEST(BenchWorkload, SameSeedGivesTheSameBytes) {
  const Workload a = Make(13, 3'600'000, 42), b = Make(13, 3'600'000, 42);
  EXPECT_EQ(AllBytes(a, Format::kLineProtocol), AllBytes(b, Format::kLineProtocol));
  EXPECT_EQ(AllBytes(a, Format::kPattoo), AllBytes(b, Format::kPattoo));
}

TEST(BenchWorkload, OtherSeedGivesOtherValues) {
  const Workload a = Make(5, 600'000, 1), b = Make(5, 600'000, 2);
  EXPECT_NE(AllBytes(a, Format::kLineProtocol), AllBytes(b, Format::kLineProtocol));
  EXPECT_NE(AllBytes(a, Format::kPattoo), AllBytes(b, Format::kPattoo));
}

TEST(BenchWorkload, CountsAreExact) {
  const Workload w = Make(7, 3'600'000);
  EXPECT_EQ(w.points(), 360);
  EXPECT_EQ(w.series(), 70u);
  EXPECT_EQ(w.rows(), 7u * 360);
  EXPECT_EQ(w.samples(), 7u * 10 * 360);

  uint64_t rows = 0;
  Workload::RowCursor c = w.Rows();
  Row row;
  int64_t prev_ts = -1;
  while (c.Next(&row)) {
    EXPECT_EQ(row.host, static_cast<int>(rows % 7));
    EXPECT_EQ(row.point, static_cast<int64_t>(rows / 7));
    EXPECT_EQ(row.timestamp_ms, kStart + row.point * 10'000);
    EXPECT_GE(row.timestamp_ms, prev_ts);  // time order
    prev_ts = row.timestamp_ms;
    ++rows;
  }
  EXPECT_EQ(rows, w.rows());
  EXPECT_FALSE(c.Next(&row));

  PayloadOptions p;
  p.batch_lines = 500;
  Result<std::vector<Payload>> lp = BuildPayloads(w, p);
  ASSERT_TRUE(lp.ok());
  const PayloadTotals t = Totals(*lp);
  EXPECT_EQ(t.payloads, 6u);  // 2520 lines / 500, rounded up
  EXPECT_EQ(t.lines, 2520u);
  EXPECT_EQ(t.samples, w.samples());
  EXPECT_EQ(lp->back().lines, 20u);
}

TEST(BenchWorkload, SpanThatIsNotAMultipleOfTheIntervalRoundsDown) {
  EXPECT_EQ(Make(1, 65'000).points(), 6);
  EXPECT_EQ(Make(1, 5'000).points(), 1);  // at least one point
  EXPECT_EQ(Make(2, 86'400'000).points(), 8640);
}

TEST(BenchWorkload, CountersNeverDecrease) {
  const Workload w = Make(40, 86'400'000);
  const auto s = Series(w);
  for (size_t h = 0; h < s.size(); ++h) {
    for (int m = 0; m < kMetricsPerHost; ++m) {
      if (kHostMetrics[static_cast<size_t>(m)].shape != MetricShape::kCounter) continue;
      const auto& v = s[h][static_cast<size_t>(m)];
      ASSERT_EQ(v.size(), 8640u);
      for (size_t i = 1; i < v.size(); ++i) {
        ASSERT_EQ(v[i].type, ValueType::kUnsigned);
        ASSERT_GE(v[i].u, v[i - 1].u) << "host " << h << " metric " << m << " point " << i;
        // Byte counters always move; the request counter may stand still.
        if (kHostMetrics[static_cast<size_t>(m)].name != "requests") {
          ASSERT_GT(v[i].u, v[i - 1].u);
        }
      }
    }
  }
}

TEST(BenchWorkload, WalksStayInBoundsWithSmallSteps) {
  const Workload w = Make(30, 86'400'000);
  const auto s = Series(w);
  const int64_t max_step[] = {20, 10, 5};
  for (size_t h = 0; h < s.size(); ++h) {
    for (int m = 0; m < 3; ++m) {
      ASSERT_EQ(kHostMetrics[static_cast<size_t>(m)].shape, MetricShape::kRandomWalk);
      const auto& v = s[h][static_cast<size_t>(m)];
      std::set<int64_t> distinct;
      for (size_t i = 0; i < v.size(); ++i) {
        ASSERT_EQ(v[i].type, ValueType::kFixed2);
        ASSERT_GE(v[i].i, 0);
        ASSERT_LE(v[i].i, 10000);
        if (i > 0) {
          ASSERT_LE(std::abs(v[i].i - v[i - 1].i), max_step[m]);
        }
        distinct.insert(v[i].i);
      }
      EXPECT_GT(distinct.size(), 20u) << "a walk should move";
    }
  }
}

TEST(BenchWorkload, ByteGaugesMoveByPagesAndConstantsStay) {
  const Workload w = Make(20, 3'600'000 * 6);
  const auto s = Series(w);
  for (size_t h = 0; h < s.size(); ++h) {
    for (int m : {3, 4}) {
      for (const SampleValue& v : s[h][static_cast<size_t>(m)]) {
        ASSERT_EQ(v.type, ValueType::kInt);
        ASSERT_EQ(v.i % 4096, 0);
        ASSERT_GT(v.i, 0);
      }
    }
    const auto& total = s[h][8];
    for (const SampleValue& v : total) ASSERT_EQ(v, total.front());
    EXPECT_TRUE(total.front().i == int64_t{8} << 30 || total.front().i == int64_t{16} << 30 ||
                total.front().i == int64_t{32} << 30 || total.front().i == int64_t{64} << 30);
  }
}

TEST(BenchWorkload, SpikySeriesHasRareSpikes) {
  const Workload w = Make(10, 86'400'000);
  const auto s = Series(w);
  for (size_t h = 0; h < s.size(); ++h) {
    const auto& v = s[h][9];
    int spikes = 0;
    for (const SampleValue& x : v) {
      ASSERT_EQ(x.type, ValueType::kFixed2);
      ASSERT_GE(x.i, 190);       // baseline 2.00 ms minus 0.10 noise
      if (x.i > 1000) ++spikes;  // 10 ms: only a spike gets there
    }
    // One point in 60 on average: 144 of 8640.
    EXPECT_GT(spikes, 70) << "host " << h;
    EXPECT_LT(spikes, 250) << "host " << h;
  }
}

TEST(BenchWorkload, HostSeriesDoNotDependOnTheNumberOfHosts) {
  const auto small = Series(Make(4, 600'000, 9));
  const auto large = Series(Make(50, 600'000, 9));
  for (size_t h = 0; h < small.size(); ++h) EXPECT_EQ(small[h], large[h]) << "host " << h;
}

TEST(BenchWorkload, SeriesGeneratorReproducesOneSeries) {
  const Workload w = Make(6, 600'000, 5);
  const auto s = Series(w);
  SeriesGenerator g(5, 4, 6);  // host 4, net_tx_bytes
  for (const SampleValue& v : s[4][6]) EXPECT_EQ(g.Next(), v);
}

TEST(BenchWorkload, ValidateRejectsBadOptions) {
  WorkloadOptions o;
  o.start_ms = kStart;
  EXPECT_TRUE(o.Validate().ok());
  o.hosts = 0;
  EXPECT_FALSE(o.Validate().ok());
  o.hosts = 1;
  o.interval_ms = 0;
  EXPECT_FALSE(o.Validate().ok());
  o.interval_ms = 10'000;
  o.span_ms = 0;
  EXPECT_FALSE(o.Validate().ok());
  o.span_ms = 1000;
  o.start_ms = -1;
  EXPECT_FALSE(o.Validate().ok());
  o.start_ms = int64_t{9'100'000'000'000};  // beyond what fits in int64 nanoseconds
  EXPECT_FALSE(o.Validate().ok());
  EXPECT_FALSE(Workload::Create(o).ok());
}

TEST(BenchWorkload, DefaultStartIsTheHourBeforeTheSpan) {
  const int64_t now = kStart + 1234567;
  const int64_t start = DefaultStartMs(now, 86'400'000);
  EXPECT_EQ(start % 3'600'000, 0);
  EXPECT_LE(start, now - 86'400'000);
  EXPECT_GT(start, now - 86'400'000 - 3'600'000);
  EXPECT_EQ(DefaultStartMs(1000, 86'400'000), 0);
}

TEST(BenchWorkload, HostNames) {
  EXPECT_EQ(Workload::HostName(0), "host-00000");
  EXPECT_EQ(Workload::HostName(42), "host-00042");
  EXPECT_EQ(Workload::HostName(123456), "host-123456");
}

}  // namespace
}  // namespace strix::bench
