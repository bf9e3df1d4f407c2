#include "storage/rollup.h"

#include <gtest/gtest.h>

#include <bit>
#include <random>

namespace strix::storage {
namespace {

bool SameBits(const Aggregate& a, const Aggregate& b) {
  return a.count == b.count && std::bit_cast<uint64_t>(a.sum) == std::bit_cast<uint64_t>(b.sum) &&
         std::bit_cast<uint64_t>(a.min) == std::bit_cast<uint64_t>(b.min) &&
         std::bit_cast<uint64_t>(a.max) == std::bit_cast<uint64_t>(b.max) &&
         a.first_ts == b.first_ts && a.last_ts == b.last_ts && a.first.u == b.first.u &&
         a.last.u == b.last.u && a.increase.u == b.increase.u && a.covered_ms == b.covered_ms &&
         a.resets == b.resets && a.wraps == b.wraps;
}

struct Sample {
  Timestamp ts;
  NumericValue v;
};

std::vector<Sample> RandomSamples(ValueKind kind, uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::vector<Sample> out;
  Timestamp t = 1'700'000'000'000 + static_cast<Timestamp>(rng() % 60'000);
  uint64_t counter = rng() % 4'000'000'000;
  for (int i = 0; i < n; ++i) {
    t += 1 + static_cast<Timestamp>(rng() % 40'000);
    if (rng() % 50 == 0) t += static_cast<Timestamp>(rng() % 7'200'000);  // an outage
    NumericValue v;
    if (kind == ValueKind::kGauge) {
      v.f = static_cast<double>(static_cast<int64_t>(rng() % 100'000) - 50'000) / 100.0;
    } else {
      counter += rng() % 100'000;
      if (rng() % 200 == 0) counter = rng() % 1000;  // reset
      counter &= 0xffffffffull;                      // and 32-bit wraps
      v.u = counter;
    }
    out.push_back({t, v});
  }
  return out;
}

TEST(Rollup, PointsReadBackGiveTheSameOutputsAsRawSamples) {
  for (ValueKind kind : {ValueKind::kGauge, ValueKind::kCounter32}) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      auto samples = RandomSamples(kind, seed, 3000);
      // Tier 1m built from raw, tier 1h from tier 1m.
      Rollup to_1m(kind, {60'000});
      for (const auto& s : samples) to_1m.AddSample(s.ts, s.v);
      to_1m.Finish();
      Rollup to_1h(kind, {60'000, 3'600'000});
      for (size_t i = 0; i < to_1m.starts().size(); ++i)
        to_1h.AddPoint(0, to_1m.starts()[i], to_1m.outputs()[i]);
      to_1h.Finish();
      // Query at 2h from raw, from the 1m points, from the 1h points, and mixed:
      // 1h points first, then 1m points, then raw samples.
      const std::vector<int64_t> ladder = {60'000, 3'600'000, 7'200'000};
      Rollup from_raw(kind, ladder), from_1m(kind, ladder), from_1h(kind, ladder),
          mixed(kind, ladder);
      for (const auto& s : samples) from_raw.AddSample(s.ts, s.v);
      for (size_t i = 0; i < to_1m.starts().size(); ++i)
        from_1m.AddPoint(0, to_1m.starts()[i], to_1m.outputs()[i]);
      for (size_t i = 0; i < to_1h.starts().size(); ++i)
        from_1h.AddPoint(1, to_1h.starts()[i], to_1h.outputs()[i]);
      const Timestamp cut_1h = to_1h.starts()[to_1h.starts().size() / 3];
      const Timestamp cut_1m = to_1h.starts()[2 * to_1h.starts().size() / 3];
      for (size_t i = 0; i < to_1h.starts().size() && to_1h.starts()[i] < cut_1h; ++i)
        mixed.AddPoint(1, to_1h.starts()[i], to_1h.outputs()[i]);
      for (size_t i = 0; i < to_1m.starts().size(); ++i)
        if (to_1m.starts()[i] >= cut_1h && to_1m.starts()[i] < cut_1m)
          mixed.AddPoint(0, to_1m.starts()[i], to_1m.outputs()[i]);
      for (const auto& s : samples)
        if (s.ts >= cut_1m) mixed.AddSample(s.ts, s.v);
      for (Rollup* r : {&from_raw, &from_1m, &from_1h, &mixed}) r->Finish();

      ASSERT_FALSE(from_raw.outputs().empty());
      for (Rollup* r : {&from_1m, &from_1h, &mixed}) {
        ASSERT_EQ(r->starts(), from_raw.starts()) << "seed " << seed;
        for (size_t i = 0; i < r->outputs().size(); ++i)
          ASSERT_TRUE(SameBits(r->outputs()[i], from_raw.outputs()[i]))
              << "seed " << seed << " bucket " << i;
      }
      // And the totals agree with a flat pass over the samples.
      uint64_t count = 0;
      double min = samples[0].v.f, max = samples[0].v.f;
      for (const auto& a : from_raw.outputs()) {
        count += a.count;
        if (kind == ValueKind::kGauge) {
          min = std::min(min, a.min);
          max = std::max(max, a.max);
        }
      }
      EXPECT_EQ(count, samples.size());
      if (kind == ValueKind::kGauge) {
        double fmin = samples[0].v.f, fmax = samples[0].v.f;
        for (const auto& s : samples) {
          fmin = std::min(fmin, s.v.f);
          fmax = std::max(fmax, s.v.f);
        }
        EXPECT_EQ(min, fmin);
        EXPECT_EQ(max, fmax);
      }
    }
  }
}

TEST(Rollup, BasicRollupGivesTheSameBasicFields) {
  for (ValueKind kind : {ValueKind::kGauge, ValueKind::kCounter32}) {
    auto samples = RandomSamples(kind, 99, 5000);
    const std::vector<int64_t> ladder = {60'000, 3'600'000, 7'200'000};
    Rollup full(kind, ladder);
    BasicRollup basic(kind, ladder);
    for (const auto& s : samples) {
      full.AddSample(s.ts, s.v);
      basic.AddSample(s.ts, s.v);
    }
    full.Finish();
    basic.Finish();
    ASSERT_EQ(full.starts(), basic.starts());
    for (size_t i = 0; i < full.outputs().size(); ++i) {
      const Aggregate& a = full.outputs()[i];
      const BasicAggregate& b = basic.outputs()[i];
      EXPECT_EQ(a.count, b.count);
      EXPECT_EQ(std::bit_cast<uint64_t>(a.sum), std::bit_cast<uint64_t>(b.sum));
      EXPECT_EQ(a.min, b.min);
      EXPECT_EQ(a.max, b.max);
      for (Consolidation fn : {Consolidation::kAvg, Consolidation::kSum, Consolidation::kCount,
                               Consolidation::kMin, Consolidation::kMax}) {
        EXPECT_EQ(Finalize(kind, fn, a, nullptr), FinalizeBasic(fn, b));
      }
    }
  }
}

TEST(Rollup, CounterIncreaseAcrossBucketsIsExact) {
  // 32-bit counter: 4294967200 -> 4 is a wrap of 100; 1000 -> 5 is a reset counting 5.
  Rollup r(ValueKind::kCounter32, {60'000, 300'000});
  const Timestamp t0 = 1'700'000'100'000 - 1'700'000'100'000 % 300'000;
  r.AddSample(t0 + 10'000, NumericValue{.u = 4294967200u});
  r.AddSample(t0 + 70'000, NumericValue{.u = 4});
  r.AddSample(t0 + 130'000, NumericValue{.u = 1000});
  r.AddSample(t0 + 190'000, NumericValue{.u = 5});
  r.Finish();
  ASSERT_EQ(r.outputs().size(), 1u);
  const Aggregate& a = r.outputs()[0];
  EXPECT_EQ(a.count, 4u);
  EXPECT_EQ(a.increase.u, 100u + 996u + 5u);
  EXPECT_EQ(a.wraps, 1u);
  EXPECT_EQ(a.resets, 1u);
  EXPECT_EQ(a.covered_ms, 180'000);
  EXPECT_EQ(r.starts()[0], t0);
}

TEST(Rollup, ResetStartsAFreshSeries) {
  Rollup r(ValueKind::kGauge, {60'000});
  r.AddSample(60'000, NumericValue{.f = 1});
  r.Reset(ValueKind::kGauge);
  r.AddSample(120'000, NumericValue{.f = 2});
  r.Finish();
  ASSERT_EQ(r.outputs().size(), 1u);
  EXPECT_EQ(r.outputs()[0].sum, 2);
  EXPECT_EQ(r.starts()[0], 120'000);
}

}  // namespace
}  // namespace strix::storage
