#include "storage/aggregate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <vector>

namespace strix::storage {
namespace {

NumericValue U(uint64_t v) { return NumericValue{.u = v}; }
NumericValue I(int64_t v) { return NumericValue{.i = v}; }
NumericValue F(double v) { return NumericValue{.f = v}; }

struct Point {
  Timestamp ts;
  NumericValue v;
};

// Per-bucket values of fn over [from, to) with the given step, from raw points.
std::vector<std::optional<double>> Buckets(ValueKind kind, Consolidation fn,
                                           const std::vector<Point>& pts, Timestamp from,
                                           Timestamp to, int64_t step) {
  std::vector<Aggregate> aggs(static_cast<size_t>((to - from) / step));
  Aggregate before;
  for (const auto& p : pts) {
    if (p.ts < from) {
      before.Add(kind, p.ts, p.v);
      continue;
    }
    if (p.ts >= to) break;
    aggs[static_cast<size_t>((p.ts - from) / step)].Add(kind, p.ts, p.v);
  }
  std::vector<std::optional<double>> out;
  const Aggregate* prev = before.empty() ? nullptr : &before;
  for (const auto& a : aggs) {
    out.push_back(Finalize(kind, fn, a, prev));
    if (!a.empty()) prev = &a;
  }
  return out;
}

// rrdtool C5 / E2: 32-bit wrap. rrdtool adds 2^32-1 and reports 99/300 = 0.33; the true
// increase is 100, so Strix reports 0.3333.
TEST(CounterIncrease, Wrap32IsExactNotRrdtoolsOffByOne) {
  Change c = CounterIncrease(ValueKind::kCounter32, 4294967200u, 4u);
  EXPECT_TRUE(c.wrapped);
  EXPECT_FALSE(c.reset);
  EXPECT_EQ(c.delta.u, 100u);
  std::vector<Point> pts = {
      {1000000500'000, U(4294967200u)}, {1000000800'000, U(4)}, {1000001100'000, U(304)}};
  auto r = Buckets(ValueKind::kCounter32, Consolidation::kRate, pts, 1000000500'000, 1000001400'000,
                   300'000);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_FALSE(r[0].has_value());  // no previous reading (rrdtool: nan)
  EXPECT_DOUBLE_EQ(*r[1], 100.0 / 300.0);
  EXPECT_DOUBLE_EQ(*r[2], 1.0);
}

// rrdtool C5 / E2 64-bit: rrdtool's double arithmetic gives 0.0; the exact answer is 800/300.
TEST(CounterIncrease, Wrap64IsExact) {
  Change c = CounterIncrease(ValueKind::kCounter64, 18446744073709551000ull, 184u);
  EXPECT_TRUE(c.wrapped);
  EXPECT_EQ(c.delta.u, 800u);
  std::vector<Point> pts = {{1000000500'000, U(18446744073709551000ull)},
                            {1000000800'000, U(184)},
                            {1000001100'000, U(484)}};
  auto r = Buckets(ValueKind::kCounter64, Consolidation::kRate, pts, 1000000500'000, 1000001400'000,
                   300'000);
  EXPECT_DOUBLE_EQ(*r[1], 800.0 / 300.0);
  EXPECT_DOUBLE_EQ(*r[2], 1.0);
  auto inc = Buckets(ValueKind::kCounter64, Consolidation::kIncrease, pts, 1000000500'000,
                     1000001400'000, 300'000);
  EXPECT_EQ(*inc[1], 800.0);
}

TEST(CounterIncrease, ResetIsNeverASpike) {
  // A device reboot: the counter restarts from zero and has counted 5 since.
  Change c = CounterIncrease(ValueKind::kCounter32, 1000u, 5u);
  EXPECT_TRUE(c.reset);
  EXPECT_EQ(c.delta.u, 5u);
  c = CounterIncrease(ValueKind::kCounter64, 1'000'000'000'000ull, 5u);
  EXPECT_TRUE(c.reset);
  EXPECT_EQ(c.delta.u, 5u);
  // rrdtool would add 2^32-1 here and report a rate of about 14 million per second.
  std::vector<Point> pts = {{0, U(1000)}, {300'000, U(5)}, {600'000, U(305)}};
  auto r = Buckets(ValueKind::kCounter32, Consolidation::kRate, pts, 0, 900'000, 300'000);
  EXPECT_DOUBLE_EQ(*r[1], 5.0 / 300.0);
  EXPECT_DOUBLE_EQ(*r[2], 1.0);
}

TEST(CounterIncrease, WrapVersusResetBoundaryIsHalfTheRange) {
  // Moved exactly half the 32-bit range: still a wrap; one more and it is a reset.
  Change c = CounterIncrease(ValueKind::kCounter32, (1u << 31) + 10, 10);
  EXPECT_TRUE(c.wrapped);
  EXPECT_EQ(c.delta.u, 1u << 31);
  c = CounterIncrease(ValueKind::kCounter32, (1u << 31) + 9, 10);
  EXPECT_TRUE(c.reset);
  EXPECT_EQ(c.delta.u, 10u);
}

TEST(CounterIncrease, ThirtyTwoBitCounterWithLargeValuesIsTreatedAs64Bit) {
  Change c = CounterIncrease(ValueKind::kCounter32, 1ull << 40, (1ull << 40) - 1);
  EXPECT_TRUE(c.reset);  // a decrease by 1 of a 64-bit quantity: not a wrap
  EXPECT_EQ(c.delta.u, (1ull << 40) - 1);
}

// rrdtool E2 DERIVE with min=U: (4 - 4294967200) / 300.
TEST(Derive, NegativeRatesAreKept) {
  std::vector<Point> pts = {
      {1000000500'000, I(4294967200)}, {1000000800'000, I(4)}, {1000001100'000, I(304)}};
  auto r = Buckets(ValueKind::kDerive, Consolidation::kRate, pts, 1000000500'000, 1000001400'000,
                   300'000);
  EXPECT_NEAR(*r[1], -1.4316557320e+07, 1e-3);
  EXPECT_DOUBLE_EQ(*r[2], 1.0);
}

// rrdtool E10: DERIVE from -50 to 30 is unknown in rrdtool (sign change); Strix gives the
// rate, (30 - -50) / 10 s = 8, a deliberate difference.
TEST(Derive, SignChangeIsARealRate) {
  std::vector<Point> pts = {
      {10'000, I(-50)}, {20'000, I(30)}, {30'000, I(40)}, {40'000, I(-10)}, {50'000, I(-30)}};
  auto r = Buckets(ValueKind::kDerive, Consolidation::kRate, pts, 10'000, 60'000, 10'000);
  EXPECT_FALSE(r[0].has_value());
  EXPECT_DOUBLE_EQ(*r[1], 8.0);
  EXPECT_DOUBLE_EQ(*r[2], 1.0);
  EXPECT_DOUBLE_EQ(*r[3], -5.0);
  EXPECT_DOUBLE_EQ(*r[4], -2.0);
}

// rrdtool E9 (the rrdtutorial): COUNTER a, GAUGE b, DERIVE c, ABSOLUTE d at 300 s.
TEST(RrdtoolVectors, AllFourClassicTypes) {
  const Timestamp t0 = 978301200'000;
  const int64_t step = 300'000;
  const uint64_t a[] = {300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3000};
  const double b[] = {1, 3, 5, 3, 1, 2, 4, 6, 4, 2};
  const int64_t c[] = {600, 1200, 1800, 2400, 2400, 1800, 0, 600, 600, 1200};
  const double d[] = {300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3000};
  std::vector<Point> pa, pb, pc, pd;
  for (int i = 0; i < 10; ++i) {
    pa.push_back({t0 + i * step, U(a[i])});
    pb.push_back({t0 + i * step, F(b[i])});
    pc.push_back({t0 + i * step, I(c[i])});
    pd.push_back({t0 + i * step, F(d[i])});
  }
  Timestamp end = t0 + 10 * step;
  auto ra = Buckets(ValueKind::kCounter64, Consolidation::kRate, pa, t0, end, step);
  auto rb = Buckets(ValueKind::kGauge, Consolidation::kAvg, pb, t0, end, step);
  auto rc = Buckets(ValueKind::kDerive, Consolidation::kRate, pc, t0, end, step);
  auto rd = Buckets(ValueKind::kAbsolute, Consolidation::kRate, pd, t0, end, step);
  const double want_c[] = {2, 2, 2, 0, -2, -6, 2, 0, 2};
  for (int i = 0; i < 10; ++i) {
    EXPECT_DOUBLE_EQ(*rb[i], b[i]) << i;
    if (i == 0) {
      // rrdtool back-fills the first ABSOLUTE reading to --start and prints 1; Strix
      // knows no interval before the first sample.
      EXPECT_FALSE(ra[0] || rc[0] || rd[0]);
      continue;
    }
    EXPECT_DOUBLE_EQ(*ra[i], 1.0) << i;
    EXPECT_DOUBLE_EQ(*rc[i], want_c[i - 1]) << i;
    EXPECT_DOUBLE_EQ(*rd[i], static_cast<double>(i + 1)) << i;
  }
}

TEST(Finalize, GaugeFunctions) {
  Aggregate a;
  for (int i = 0; i < 5; ++i) a.Add(ValueKind::kGauge, i * 1000, F(i * 1.5));
  EXPECT_DOUBLE_EQ(*Finalize(ValueKind::kGauge, Consolidation::kAvg, a, nullptr), 3.0);
  EXPECT_DOUBLE_EQ(*Finalize(ValueKind::kGauge, Consolidation::kMin, a, nullptr), 0.0);
  EXPECT_DOUBLE_EQ(*Finalize(ValueKind::kGauge, Consolidation::kMax, a, nullptr), 6.0);
  EXPECT_DOUBLE_EQ(*Finalize(ValueKind::kGauge, Consolidation::kFirst, a, nullptr), 0.0);
  EXPECT_DOUBLE_EQ(*Finalize(ValueKind::kGauge, Consolidation::kLast, a, nullptr), 6.0);
  EXPECT_DOUBLE_EQ(*Finalize(ValueKind::kGauge, Consolidation::kSum, a, nullptr), 15.0);
  EXPECT_DOUBLE_EQ(*Finalize(ValueKind::kGauge, Consolidation::kCount, a, nullptr), 5.0);
  EXPECT_DOUBLE_EQ(*Finalize(ValueKind::kGauge, Consolidation::kRate, a, nullptr), 1.5);
  EXPECT_FALSE(Finalize(ValueKind::kGauge, Consolidation::kAvg, Aggregate{}, nullptr));
}

TEST(Finalize, SingleSampleRateNeedsThePreviousBucket) {
  Aggregate prev, cur;
  prev.Add(ValueKind::kCounter64, 0, U(100));
  cur.Add(ValueKind::kCounter64, 10'000, U(150));
  EXPECT_FALSE(Finalize(ValueKind::kCounter64, Consolidation::kRate, cur, nullptr));
  EXPECT_DOUBLE_EQ(*Finalize(ValueKind::kCounter64, Consolidation::kRate, cur, &prev), 5.0);
  EXPECT_DOUBLE_EQ(*Finalize(ValueKind::kCounter64, Consolidation::kIncrease, cur, &prev), 50.0);
}

TEST(Aggregate, LongGapGivesTheAverageRateNotASpike) {
  // An agent outage of an hour: the increase accumulated over the gap is spread over it.
  std::vector<Point> pts = {{0, U(0)}, {10'000, U(10)}, {3'610'000, U(3610)}, {3'620'000, U(3620)}};
  auto r = Buckets(ValueKind::kCounter64, Consolidation::kRate, pts, 0, 3'660'000, 60'000);
  EXPECT_DOUBLE_EQ(*r[0], 1.0);
  EXPECT_DOUBLE_EQ(*r[60], 1.0);  // 3600 over 3600 s, then 10 over 10 s
  for (int i = 1; i < 60; ++i) EXPECT_FALSE(r[i].has_value());
}

// The algebra that makes tiers exact: merging the aggregates of consecutive sub-buckets
// gives the aggregate of all their samples, and increases telescope across buckets.
TEST(Aggregate, MergeOfSubBucketsEqualsAggregateOfAllSamples) {
  std::mt19937_64 rng(7);
  for (ValueKind kind : {ValueKind::kGauge, ValueKind::kCounter32, ValueKind::kCounter64,
                         ValueKind::kDerive, ValueKind::kAbsolute}) {
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<Point> pts;
      Timestamp ts = static_cast<Timestamp>(rng() % 100'000) - 50'000;
      uint64_t ctr = rng() % 4'294'967'296ull;
      double g = 0;
      int n = 1 + static_cast<int>(rng() % 300);
      for (int i = 0; i < n; ++i) {
        ts += 1 + static_cast<Timestamp>(rng() % (rng() % 10 == 0 ? 600'000 : 15'000));
        NumericValue v;
        switch (kind) {
          case ValueKind::kCounter32:
            ctr = (ctr + rng() % 200'000'000) & 0xffffffffull;  // wraps often
            if (rng() % 50 == 0) ctr = rng() % 1000;            // resets
            v.u = ctr;
            break;
          case ValueKind::kCounter64:
            ctr += rng() % 1'000'000;
            if (rng() % 50 == 0) ctr = rng() % 1000;
            v.u = ctr;
            break;
          case ValueKind::kDerive:
            v.i = static_cast<int64_t>(rng() % 2'000'001) - 1'000'000;
            break;
          default:
            g += static_cast<double>(static_cast<int64_t>(rng() % 201) - 100) / 100.0;
            v.f = g;
        }
        pts.push_back({ts, v});
      }
      Aggregate whole;
      for (const auto& p : pts) whole.Add(kind, p.ts, p.v);
      std::map<Timestamp, Aggregate> minutes;
      for (const auto& p : pts) minutes[AlignDown(p.ts, 60'000)].Add(kind, p.ts, p.v);
      Aggregate merged;
      for (const auto& [start, a] : minutes) merged.Merge(kind, a);
      ASSERT_EQ(merged.count, whole.count);
      ASSERT_EQ(merged.first_ts, whole.first_ts);
      ASSERT_EQ(merged.last_ts, whole.last_ts);
      ASSERT_EQ(merged.first.u, whole.first.u);
      ASSERT_EQ(merged.last.u, whole.last.u);
      ASSERT_EQ(merged.covered_ms, whole.covered_ms);
      ASSERT_EQ(merged.resets, whole.resets);
      ASSERT_EQ(merged.wraps, whole.wraps);
      ASSERT_EQ(merged.min, whole.min);
      ASSERT_EQ(merged.max, whole.max);
      if (IsIntegerKind(kind)) {
        ASSERT_EQ(merged.increase.u, whole.increase.u);  // exact
      } else {
        ASSERT_NEAR(merged.increase.f, whole.increase.f, 1e-9 * (1 + std::fabs(whole.increase.f)));
        ASSERT_NEAR(merged.sum, whole.sum, 1e-9 * (1 + std::fabs(whole.sum)));
      }
    }
  }
}

TEST(Consolidation, ParseAndName) {
  EXPECT_EQ(*ParseConsolidation("rate"), Consolidation::kRate);
  EXPECT_EQ(*ParseConsolidation("average"), Consolidation::kAvg);
  EXPECT_EQ(ConsolidationName(Consolidation::kIncrease), "increase");
  EXPECT_FALSE(ParseConsolidation("median").ok());
}

TEST(AlignDown, NegativeTimestamps) {
  EXPECT_EQ(AlignDown(125, 60), 120);
  EXPECT_EQ(AlignDown(-1, 60), -60);
  EXPECT_EQ(AlignDown(-60, 60), -60);
  EXPECT_EQ(AlignDown(0, 60), 0);
}

}  // namespace
}  // namespace strix::storage
