// Tiers in the engine: answers from tier blocks equal the answers from raw data bit for
// bit, through tier builds, late data and rebuilds, day compaction, deletes and the raw
// tier's retention. The oracle is a second engine fed the same samples that never builds
// a tier (it is never compacted).
#include <gtest/gtest.h>

#include <bit>
#include <random>
#include <string>
#include <vector>

#include "core/testing/temp_dir.h"
#include "storage/engine.h"

namespace strix::storage {
namespace {

constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 86'400'000;
constexpr Timestamp kStart = 1'800'000'000'000 - 1'800'000'000'000 % kDay;

EngineOptions Options() {
  EngineOptions o;
  o.background_interval_ms = 3'600'000;  // the tests drive all maintenance
  o.out_of_order_window_ms = 6 * kHour;
  o.tiers = {{"raw", 0, 4 * kDay}, {"1m", kMin, 0}, {"1h", kHour, 0}};
  return o;
}

struct Db {
  explicit Db(ManualClock& clock) {
    auto r = OpenEmbedded(dir.path(), Options(), Env::Default(), clock);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    db = std::move(r).value();
  }
  testing::TempDir dir;
  std::unique_ptr<Storage> db;
};

// One sample of one series.
struct Gen {
  ValueKind kind;
  std::string name;
  std::mt19937_64 rng;
  Timestamp next;
  double walk = 20;
  uint64_t counter = 0;
  int64_t derive = 0;
  int state = 0;

  Gen(ValueKind k, std::string n, uint64_t seed) : kind(k), name(std::move(n)), rng(seed) {
    next = kStart + static_cast<Timestamp>(rng() % 20'000);
    counter = kind == ValueKind::kCounter32 ? 4'294'000'000u : rng() % 1'000'000;
  }
  // Appends this series' samples in [next, until) to the batch.
  void Fill(WriteBatch* b, Timestamp until) {
    b->StartSeries(kind, {{"__name__", name}, {"job", "tiers"}});
    for (; next < until; next += 1 + static_cast<Timestamp>(rng() % 30'000)) {
      if (rng() % 400 == 0) next += static_cast<Timestamp>(rng() % (3 * kHour));  // outage
      if (next >= until) break;
      switch (kind) {
        case ValueKind::kGauge:
          walk =
              std::round((walk + static_cast<double>(static_cast<int>(rng() % 201) - 100) / 100.0) *
                         100.0) /
              100.0;
          b->AddGauge(next, walk);
          break;
        case ValueKind::kCounter32:
          counter = (counter + rng() % 500'000) & 0xffffffffu;  // wraps
          if (rng() % 700 == 0) counter = rng() % 100;          // a reboot
          b->AddCounter(next, counter);
          break;
        case ValueKind::kCounter64:
          counter += rng() % 5'000'000;
          if (rng() % 900 == 0) counter = 0;
          b->AddCounter(next, counter);
          break;
        case ValueKind::kDerive:
          derive += static_cast<int64_t>(rng() % 2001) - 1000;
          b->AddNumeric(next, NumericValue{.i = derive});
          break;
        case ValueKind::kAbsolute:
          b->AddNumeric(next, NumericValue{.f = static_cast<double>(rng() % 100)});
          break;
        case ValueKind::kState:
          if (rng() % 20 == 0) state = (state + 1) % 3;
          b->AddState(next, state == 0 ? "up" : state == 1 ? "down" : "testing");
          break;
      }
    }
  }
};

struct Query {
  int64_t step;
  Consolidation fn;
  Timestamp from;
  Timestamp to;
};

std::vector<Query> Queries(Timestamp end, bool aligned_only) {
  std::vector<Query> out;
  const std::vector<int64_t> steps = {kMin, 5 * kMin, 90'000, kHour, 2 * kHour, kDay};
  const std::vector<std::pair<Timestamp, Timestamp>> ranges = {
      {kStart, end},
      {kStart + 7 * kHour + 12'345, kStart + 31 * kHour + 54'321},  // unaligned ends
      {kStart + 26 * kHour, end - 10 * kMin}};
  for (int64_t step : steps)
    for (int f = 0; f <= static_cast<int>(Consolidation::kIncrease); ++f)
      for (const auto& [from, to] : ranges)
        if (!aligned_only || (from % kDay == 0 && to % kDay == 0))
          out.push_back({step, static_cast<Consolidation>(f), from, to});
  return out;
}

std::vector<SeriesData> Run(Storage& db, const Query& q) {
  SelectRequest r;
  r.matchers = *ParseMatchers("{job=\"tiers\"}");
  r.from = q.from;
  r.to = q.to;
  r.step_ms = q.step;
  r.fn = q.fn;
  r.with_min_max = true;
  auto out = db.Select(r);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? std::move(out).value() : std::vector<SeriesData>{};
}

std::string Describe(const Query& q) {
  return "step " + std::to_string(q.step) + " fn " + std::string(ConsolidationName(q.fn)) + " [" +
         std::to_string(q.from) + ", " + std::to_string(q.to) + ")";
}

// Compares every answer bit for bit; returns how many series were served by a tier.
int ExpectSameAnswers(Storage& tiered, Storage& raw, Timestamp end, const char* phase,
                      bool raw_expired = false) {
  int from_tiers = 0;
  // Once raw data has aged out, only steps a tier divides have answers, and a range
  // ending inside a bucket gets that whole bucket from the tier (raw would stop at `to`).
  for (const Query& q : Queries(end, raw_expired)) {
    if (raw_expired && q.step % kMin != 0) continue;
    auto got = Run(tiered, q);
    auto want = Run(raw, q);
    EXPECT_EQ(got.size(), want.size()) << phase << " " << Describe(q);
    if (got.size() != want.size()) return from_tiers;
    for (size_t i = 0; i < got.size(); ++i) {
      const std::string where =
          std::string(phase) + " " + Describe(q) + " series " + got[i].labels.ToString();
      EXPECT_EQ(got[i].labels, want[i].labels) << where;
      EXPECT_EQ(got[i].timestamps, want[i].timestamps) << where;
      EXPECT_EQ(got[i].states, want[i].states) << where;
      if (got[i].values.size() != want[i].values.size()) {
        ADD_FAILURE() << where << ": " << got[i].values.size() << " values, want "
                      << want[i].values.size();
        continue;
      }
      for (size_t k = 0; k < got[i].values.size(); ++k) {
        if (std::bit_cast<uint64_t>(got[i].values[k]) !=
                std::bit_cast<uint64_t>(want[i].values[k]) ||
            got[i].min[k] != want[i].min[k] || got[i].max[k] != want[i].max[k]) {
          ADD_FAILURE() << where << " bucket " << got[i].timestamps[k] << ": " << got[i].values[k]
                        << " want " << want[i].values[k];
          break;
        }
      }
      if (got[i].resolution_ms > 0) ++from_tiers;
    }
  }
  return from_tiers;
}

TEST(EngineTiers, AnswersFromTiersEqualAnswersFromRawData) {
  ManualClock clock(kStart);
  Db tiered(clock), raw(clock);
  std::vector<Gen> gens;
  uint64_t seed = 7;
  for (ValueKind k : {ValueKind::kGauge, ValueKind::kCounter32, ValueKind::kCounter64,
                      ValueKind::kDerive, ValueKind::kAbsolute, ValueKind::kState}) {
    for (int i = 0; i < 2; ++i)
      gens.emplace_back(k, std::string(ValueKindName(k)) + "_" + std::to_string(i), seed++);
  }
  auto ingest = [&](Timestamp until) {
    WriteBatch b;
    for (auto& g : gens) g.Fill(&b, until);
    for (Storage* db : {tiered.db.get(), raw.db.get()}) {
      auto r = db->Append(b);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->rejected, 0u);
    }
  };
  // Two days, in 30-minute steps, flushing each time; the tiered engine also runs its
  // maintenance (tier builds) as it goes.
  const Timestamp end = kStart + 2 * kDay;
  for (Timestamp t = kStart + 30 * kMin; t <= end; t += 30 * kMin) {
    clock.Set(t);
    ingest(t);
    ASSERT_TRUE(tiered.db->Flush().ok());
    ASSERT_TRUE(raw.db->Flush().ok());
    if (t % (3 * kHour) == 0) {
      ASSERT_TRUE(tiered.db->Compact().ok());
    }
  }
  clock.Set(end + kHour);
  ASSERT_TRUE(tiered.db->Compact().ok());
  StorageStats st = tiered.db->Stats();
  ASSERT_GT(st.tiers[1].blocks, 0u);
  ASSERT_GT(st.tiers[2].blocks, 0u);
  for (const TierStats& t : st.tiers) {
    EXPECT_GT(t.samples, 0u) << t.name;
    EXPECT_GT(t.bytes, 0u) << t.name;
    EXPECT_LE(t.oldest, kStart + kHour) << t.name;
  }
  // Raw keeps 4 days; the 1m and 1h tiers have no age limit and no disk budget here.
  EXPECT_EQ(st.tiers[0].forecast_days, 4.0);
  EXPECT_GT(st.tiers[1].forecast_days, 1000.0);
  // Points cost more than raw samples each, but there are far fewer of them.
  EXPECT_LT(st.tiers[1].samples, st.tiers[0].samples / 2);
  EXPECT_LT(st.tiers[2].bytes, st.tiers[1].bytes);
  EXPECT_GT(ExpectSameAnswers(*tiered.db, *raw.db, end, "built"), 0);

  // Late samples into a window whose tiers exist: that window is read from raw data
  // until the tiers are rebuilt, then from the rebuilt tiers.
  {
    WriteBatch b;
    b.StartSeries(ValueKind::kGauge, {{"__name__", "gauge_0"}, {"job", "tiers"}});
    b.AddGauge(end - 3 * kHour + 1, 1e6);
    b.StartSeries(ValueKind::kCounter64, {{"__name__", "counter64_0"}, {"job", "tiers"}});
    b.AddCounter(end - 3 * kHour + 2, 1);  // a reset in the past
    for (Storage* db : {tiered.db.get(), raw.db.get()}) {
      auto r = db->Append(b);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->accepted, 2u);
    }
  }
  ExpectSameAnswers(*tiered.db, *raw.db, end, "late, in the head");
  ASSERT_TRUE(tiered.db->Flush().ok());
  ASSERT_TRUE(raw.db->Flush().ok());
  ExpectSameAnswers(*tiered.db, *raw.db, end, "late, flushed");
  ASSERT_TRUE(tiered.db->Compact().ok());
  EXPECT_GT(ExpectSameAnswers(*tiered.db, *raw.db, end, "rebuilt"), 0);

  // A delete on hour boundaries (tiers drop whole buckets, so those agree exactly).
  for (Storage* db : {tiered.db.get(), raw.db.get()}) {
    auto r = db->Delete(*ParseMatchers("gauge_1"), kStart + 5 * kHour, kStart + 9 * kHour);
    ASSERT_TRUE(r.ok());
  }
  ExpectSameAnswers(*tiered.db, *raw.db, end, "deleted");

  // The days close: raw and tier windows compact into day blocks.
  clock.Set(end + kDay);
  ASSERT_TRUE(tiered.db->Compact().ok());
  st = tiered.db->Stats();
  EXPECT_EQ(st.tiers[0].blocks, 2u);
  EXPECT_EQ(st.tiers[1].blocks, 2u);
  EXPECT_GT(ExpectSameAnswers(*tiered.db, *raw.db, end, "days compacted"), 0);

  // Raw data ages out; the tiers answer alone, still equal to raw answers.
  clock.Set(end + 5 * kDay);
  ASSERT_TRUE(tiered.db->Compact().ok());
  st = tiered.db->Stats();
  EXPECT_EQ(st.tiers[0].blocks, 0u);
  EXPECT_GT(ExpectSameAnswers(*tiered.db, *raw.db, end, "raw expired", true), 0);

  // The series and their last samples are still known.
  auto series = tiered.db->Series(*ParseMatchers("{job=\"tiers\"}"), kStart, end);
  ASSERT_TRUE(series.ok());
  EXPECT_EQ(series->size(), gens.size());
  auto latest = tiered.db->Latest(*ParseMatchers("{job=\"tiers\"}"));
  auto latest_raw = raw.db->Latest(*ParseMatchers("{job=\"tiers\"}"));
  ASSERT_TRUE(latest.ok() && latest_raw.ok());
  ASSERT_EQ(latest->size(), latest_raw->size());
  for (size_t i = 0; i < latest->size(); ++i) {
    EXPECT_EQ((*latest)[i].ts, (*latest_raw)[i].ts) << (*latest)[i].labels.ToString();
    EXPECT_EQ((*latest)[i].value.u, (*latest_raw)[i].value.u) << (*latest)[i].labels.ToString();
    EXPECT_EQ((*latest)[i].state, (*latest_raw)[i].state);
  }

  // All of it survives a reopen, and every block verifies.
  ASSERT_TRUE(tiered.db->Close().ok());
  auto reopened = OpenEmbedded(tiered.dir.path(), Options(), Env::Default(), clock);
  ASSERT_TRUE(reopened.ok());
  tiered.db = std::move(reopened).value();
  EXPECT_GT(ExpectSameAnswers(*tiered.db, *raw.db, end, "reopened", true), 0);
}

TEST(EngineTiers, SelectReportsTheResolutionItUsed) {
  ManualClock clock(kStart);
  Db d(clock);
  WriteBatch b;
  b.StartSeries(ValueKind::kGauge, {{"__name__", "cpu"}});
  for (Timestamp t = kStart; t < kStart + 6 * kHour; t += 10'000) b.AddGauge(t, 1.5);
  clock.Set(kStart + 6 * kHour);
  ASSERT_TRUE(d.db->Append(b).ok());
  ASSERT_TRUE(d.db->Flush().ok());
  auto ask = [&](int64_t step) {
    SelectRequest r;
    r.matchers = *ParseMatchers("cpu");
    r.from = kStart;
    r.to = kStart + 6 * kHour;
    r.step_ms = step;
    r.fn = Consolidation::kCount;
    auto out = d.db->Select(r);
    EXPECT_TRUE(out.ok());
    EXPECT_EQ(out->size(), 1u);
    double total = 0;
    for (double v : (*out)[0].values) total += v;
    EXPECT_EQ(total, 6 * 360);
    return (*out)[0].resolution_ms;
  };
  clock.Set(kStart + 7 * kHour);
  ASSERT_TRUE(d.db->Compact().ok());
  // The 1m tier is built per closed 2h window; the 1h tier waits for the day to end, so
  // until then an hourly step is served by the 1m tier.
  EXPECT_EQ(ask(kHour), kMin);
  clock.Set(kStart + kDay + kHour);
  ASSERT_TRUE(d.db->Compact().ok());
  EXPECT_EQ(ask(kHour), kHour);      // the 1h tier
  EXPECT_EQ(ask(5 * kMin), kMin);    // the 1m tier
  EXPECT_EQ(ask(90'000), 0);         // no tier divides 90 s: raw
  EXPECT_EQ(ask(3 * kHour), kHour);  // coarser steps from the coarsest dividing tier
}

}  // namespace
}  // namespace strix::storage
