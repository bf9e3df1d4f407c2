#include "storage/engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <thread>

#include "core/testing/faulty_env.h"
#include "core/testing/temp_dir.h"
#include "storage/block/block.h"

namespace strix::storage {
namespace {

using strix::testing::TempDir;

constexpr Timestamp kNow = 1'800'000'000'000;  // 2027-01-15

EngineOptions TestOptions() {
  EngineOptions o;
  o.background_interval_ms = 3'600'000;  // tests drive flush and compaction themselves
  return o;
}

struct Fixture {
  explicit Fixture(Env& e = Env::Default(), EngineOptions o = TestOptions())
      : env(e), opts(o), clock(kNow) {
    Reopen();
  }
  void Reopen() {
    if (db) {
      ASSERT_TRUE(db->Close().ok());
    }
    db.reset();
    auto r = OpenEmbedded(dir.path(), opts, env, clock);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db = std::move(r).value();
  }
  TempDir dir;
  Env& env;
  EngineOptions opts;
  ManualClock clock;
  std::unique_ptr<Storage> db;
};

Matchers Sel(std::string_view s) { return *ParseMatchers(s); }

std::vector<SeriesData> Raw(Storage& db, std::string_view sel, Timestamp from = 0,
                            Timestamp to = INT64_MAX) {
  SelectRequest r;
  r.matchers = Sel(sel);
  r.from = from;
  r.to = to;
  auto out = db.Select(r);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : std::vector<SeriesData>{};
}

void AddGauges(Storage& db, const std::string& host, Timestamp start, int n, double base) {
  WriteBatch b;
  b.StartSeries(ValueKind::kGauge, {{"__name__", "cpu"}, {"host", host}});
  for (int i = 0; i < n; ++i) b.AddGauge(start + i * 10'000, base + i * 0.25);
  auto r = db.Append(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->accepted, static_cast<uint64_t>(n));
  ASSERT_EQ(r->rejected, 0u);
}

TEST(Engine, AppendThenSelectRawLatestAndLabels) {
  Fixture f;
  AddGauges(*f.db, "a", kNow - 600'000, 60, 1.0);
  WriteBatch b;
  b.StartSeries(ValueKind::kCounter64, {{"__name__", "bytes"}, {"host", "a"}});
  b.AddCounter(kNow - 20'000, 18446744073709551615ull);
  b.AddCounter(kNow - 10'000, 9007199254740993ull);
  b.StartSeries(ValueKind::kState, {{"__name__", "ifOperStatus"}, {"host", "a"}});
  b.AddState(kNow - 10'000, "up");
  b.AddState(kNow, "down");
  ASSERT_TRUE(f.db->Append(b).ok());

  auto cpu = Raw(*f.db, "cpu{host=\"a\"}");
  ASSERT_EQ(cpu.size(), 1u);
  ASSERT_EQ(cpu[0].timestamps.size(), 60u);
  EXPECT_EQ(cpu[0].raw[59].f, 1.0 + 59 * 0.25);
  auto bytes = Raw(*f.db, "bytes");
  ASSERT_EQ(bytes.size(), 1u);
  EXPECT_EQ(bytes[0].raw[0].u, 18446744073709551615ull);
  EXPECT_EQ(bytes[0].raw[1].u, 9007199254740993ull);  // not representable as a double
  auto st = Raw(*f.db, "ifOperStatus");
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].states, (std::vector<std::string>{"up", "down"}));

  auto latest = f.db->Latest(Sel("{host=\"a\"}"));
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 3u);
  auto names = f.db->LabelValues("__name__", {});
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"bytes", "cpu", "ifOperStatus"}));
}

TEST(Engine, RejectsBadSamplesAndKeepsTheRest) {
  Fixture f;
  WriteBatch b;
  b.StartSeries(ValueKind::kGauge, {{"__name__", "g"}}, 1);
  b.AddGauge(kNow, 1);
  b.AddGauge(kNow - 25 * 3'600'000LL, 2);  // older than the 24 h window
  b.AddGauge(kNow + 3'600'000, 3);         // an hour in the future
  b.AddGauge(kNow - 1000, NAN);
  b.StartSeries(ValueKind::kGauge, {{"host", "no-name"}}, 2);
  b.AddGauge(kNow, 1);
  b.StartSeries(ValueKind::kCounter64, {{"__name__", "g"}}, 3);  // exists as a gauge
  b.AddCounter(kNow, 5);
  auto r = f.db->Append(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 1u);
  EXPECT_EQ(r->rejected, 5u);
  ASSERT_GE(r->first_rejections.size(), 5u);
  EXPECT_EQ(r->first_rejections[0].series_tag, 1u);
  EXPECT_EQ(r->first_rejections[0].sample_index, 1u);
  EXPECT_EQ(r->first_rejections[3].series_tag, 2u);
  EXPECT_NE(r->first_rejections[4].reason.message().find("already exists as gauge"),
            std::string_view::npos);
  EXPECT_EQ(Raw(*f.db, "g")[0].timestamps.size(), 1u);
}

// Samples a parser added to an earlier series (WriteBatch::AddNumericTo) are rejected with
// their own tags; an unsealed batch is refused as a whole.
TEST(Engine, RejectionsOfRegroupedSamplesNameTheirOwnTag) {
  Fixture f;
  WriteBatch b;
  const uint32_t g = b.StartSeries(ValueKind::kGauge, {{"__name__", "g"}}, 1);
  b.AddGauge(kNow - 2000, 1);
  b.StartSeries(ValueKind::kGauge, {{"__name__", "h"}}, 2);
  b.AddGauge(kNow, 1);
  b.AddNumericTo(g, kNow - 25 * 3'600'000LL, NumericValue{.f = 2}, 3);  // too old
  b.AddNumericTo(g, kNow - 1000, NumericValue{.f = 3}, 4);
  auto unsealed = f.db->Append(b);
  ASSERT_FALSE(unsealed.ok());
  EXPECT_EQ(unsealed.status().code(), StatusCode::kFailedPrecondition);
  b.Seal();
  auto r = f.db->Append(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted, 3u);
  ASSERT_EQ(r->rejected, 1u);
  EXPECT_EQ(r->first_rejections[0].series_tag, 3u);
  EXPECT_EQ(Raw(*f.db, "g")[0].timestamps.size(), 2u);
}

TEST(Engine, DataSurvivesReopenFromTheWal) {
  Fixture f;
  AddGauges(*f.db, "a", kNow - 100'000, 10, 5);
  f.Reopen();
  auto d = Raw(*f.db, "cpu");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].timestamps.size(), 10u);
  // New series after replay get fresh refs; old ones keep working.
  AddGauges(*f.db, "b", kNow - 50'000, 5, 1);
  AddGauges(*f.db, "a", kNow, 1, 99);
  f.Reopen();
  EXPECT_EQ(Raw(*f.db, "cpu{host=\"a\"}")[0].timestamps.size(), 11u);
  EXPECT_EQ(Raw(*f.db, "cpu{host=\"b\"}")[0].timestamps.size(), 5u);
}

TEST(Engine, FlushWritesBlocksAndCheckpointsTheWal) {
  Fixture f;
  for (int h = 0; h < 20; ++h) AddGauges(*f.db, "h" + std::to_string(h), kNow - 3'600'000, 360, h);
  ASSERT_TRUE(f.db->Flush().ok());
  StorageStats st = f.db->Stats();
  EXPECT_GE(st.tiers[0].blocks, 1u);
  EXPECT_EQ(st.tiers[0].samples, 20u * 360);
  EXPECT_EQ(st.head_samples, 0u);
  f.Reopen();
  auto d = Raw(*f.db, "cpu{host=\"h7\"}");
  ASSERT_EQ(d.size(), 1u);
  ASSERT_EQ(d[0].timestamps.size(), 360u);
  EXPECT_EQ(d[0].raw[100].f, 7 + 100 * 0.25);
  EXPECT_EQ(f.db->Stats().head_samples, 0u);  // nothing replayed twice into the head
}

TEST(Engine, LateWriteAfterFlushWinsOverTheBlock) {
  Fixture f;
  AddGauges(*f.db, "a", kNow - 100'000, 10, 0);
  ASSERT_TRUE(f.db->Flush().ok());
  WriteBatch b;
  b.StartSeries(ValueKind::kGauge, {{"__name__", "cpu"}, {"host", "a"}});
  b.AddGauge(kNow - 100'000 + 30'000, 42);  // replaces the 4th sample
  b.AddGauge(kNow - 100'000 + 35'000, 43);  // a new one in between
  ASSERT_TRUE(f.db->Append(b).ok());
  auto check = [&] {
    auto d = Raw(*f.db, "cpu");
    ASSERT_EQ(d.size(), 1u);
    ASSERT_EQ(d[0].timestamps.size(), 11u);
    EXPECT_EQ(d[0].raw[3].f, 42);
    EXPECT_EQ(d[0].raw[4].f, 43);
  };
  check();
  ASSERT_TRUE(f.db->Flush().ok());
  check();
  // Compaction merges the two blocks of the window; the later one still wins.
  f.clock.Advance(4 * 3'600'000);
  ASSERT_TRUE(f.db->Compact().ok());
  EXPECT_EQ(f.db->Stats().tiers[0].blocks, 1u);
  EXPECT_EQ(f.db->Stats().compactions, 1u);
  check();
  f.Reopen();
  check();
}

TEST(Engine, ReplayOfAFlushedRangeDoesNotDuplicate) {
  Fixture f;
  AddGauges(*f.db, "a", kNow - 100'000, 10, 0);
  ASSERT_TRUE(f.db->Flush().ok());
  AddGauges(*f.db, "a", kNow - 100'000, 10, 0);  // an agent replays its buffer
  ASSERT_TRUE(f.db->Flush().ok());
  auto d = Raw(*f.db, "cpu");
  EXPECT_EQ(d[0].timestamps.size(), 10u);
}

TEST(Engine, DeleteRemovesFromHeadAndBlocksDurably) {
  Fixture f;
  AddGauges(*f.db, "a", kNow - 200'000, 10, 0);
  ASSERT_TRUE(f.db->Flush().ok());
  AddGauges(*f.db, "a", kNow - 100'000, 10, 0);
  auto n = f.db->Delete(Sel("cpu"), kNow - 150'000, kNow - 50'000);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  auto count = [&] { return Raw(*f.db, "cpu")[0].timestamps.size(); };
  EXPECT_EQ(count(), 10u);  // 5 + 5 removed of 20
  f.Reopen();
  EXPECT_EQ(count(), 10u);
  ASSERT_TRUE(f.db->Flush().ok());
  f.clock.Advance(4 * 3'600'000);
  ASSERT_TRUE(f.db->Compact().ok());  // drops the tombstoned samples for good
  EXPECT_EQ(count(), 10u);
}

TEST(Engine, RetentionDropsBlocksPastTheirAge) {
  EngineOptions o = TestOptions();
  o.tiers[0].retention_ms = 2 * 86'400'000LL;
  Fixture f(Env::Default(), o);
  for (int day = 0; day < 4; ++day) {
    AddGauges(*f.db, "a", f.clock.NowMillis(), 30, day);  // window [now, now + 2h)
    ASSERT_TRUE(f.db->Flush().ok());
    f.clock.Advance(86'400'000);
  }
  ASSERT_TRUE(f.db->Compact().ok());
  StorageStats st = f.db->Stats();
  EXPECT_EQ(st.tiers[0].blocks, 2u);
  auto d = Raw(*f.db, "cpu");
  EXPECT_EQ(d[0].raw.front().f, 2.0);  // days 0 and 1 are gone
}

TEST(Engine, DiskBudgetRemovesTheOldestBlocksFirst) {
  Fixture f;
  for (int day = 0; day < 3; ++day) {
    AddGauges(*f.db, "a", f.clock.NowMillis(), 30, day);
    ASSERT_TRUE(f.db->Flush().ok());
    f.clock.Advance(86'400'000);
  }
  ASSERT_TRUE(f.db->Compact().ok());  // builds the 1m and 1h tiers too
  StorageStats st = f.db->Stats();
  ASSERT_EQ(st.tiers[0].blocks, 3u);
  ASSERT_EQ(st.tiers[1].blocks, 3u);
  f.opts.disk_budget_bytes = st.disk_bytes - 1;
  f.Reopen();
  ASSERT_TRUE(f.db->Compact().ok());
  st = f.db->Stats();
  EXPECT_EQ(st.tiers[0].blocks, 2u);  // the finest tier's oldest block, and only it
  EXPECT_EQ(st.tiers[1].blocks, 3u);
  EXPECT_LE(st.disk_bytes, f.opts.disk_budget_bytes);
  EXPECT_GT(st.tiers[0].forecast_days, 0);
  auto d = Raw(*f.db, "cpu");
  EXPECT_EQ(d[0].raw.front().f, 1.0);  // day 0 went first
}

TEST(Engine, ClosedDaysCompactIntoOneBlockEach) {
  Fixture f;
  Timestamp day0 = AlignDown(kNow - 20 * 3'600'000LL, 86'400'000);
  for (int w = 0; w < 24; w += 2) {  // one flush per 2-hour window of one day
    f.clock.Set(day0 + w * 3'600'000LL + 3'000'000);
    AddGauges(*f.db, "a", day0 + w * 3'600'000LL, 10, w);
    ASSERT_TRUE(f.db->Flush().ok());
  }
  EXPECT_EQ(f.db->Stats().tiers[0].blocks, 12u);
  f.clock.Set(day0 + 3 * 86'400'000LL);  // the day and its out-of-order window are over
  ASSERT_TRUE(f.db->Compact().ok());
  EXPECT_EQ(f.db->Stats().tiers[0].blocks, 1u);
  EXPECT_EQ(Raw(*f.db, "cpu")[0].timestamps.size(), 120u);
  f.Reopen();
  EXPECT_EQ(Raw(*f.db, "cpu")[0].timestamps.size(), 120u);
}

TEST(Engine, ConsolidationMatchesHandComputedAverages) {
  Fixture f;
  Timestamp start = AlignDown(kNow - 3'600'000, 300'000);
  WriteBatch b;
  b.StartSeries(ValueKind::kGauge, {{"__name__", "g"}});
  for (int i = 0; i < 360; ++i) b.AddGauge(start + i * 10'000, i % 30);
  b.StartSeries(ValueKind::kCounter32, {{"__name__", "c"}});
  uint64_t c = 4294967000u;
  for (int i = 0; i < 360; ++i) {
    b.AddCounter(start + i * 10'000, c);
    c = (c + 100) & 0xffffffffu;  // wraps once
  }
  ASSERT_TRUE(f.db->Append(b).ok());
  for (bool flushed : {false, true}) {
    SelectRequest r;
    r.matchers = Sel("g");
    r.from = start;
    r.to = start + 3'600'000;
    r.step_ms = 300'000;
    r.fn = Consolidation::kAvg;
    r.with_min_max = true;
    auto out = f.db->Select(r);
    ASSERT_TRUE(out.ok());
    ASSERT_EQ((*out)[0].values.size(), 12u);
    for (double v : (*out)[0].values) EXPECT_DOUBLE_EQ(v, 14.5);
    EXPECT_EQ((*out)[0].min[0], 0);
    EXPECT_EQ((*out)[0].max[0], 29);
    r.matchers = Sel("c");
    r.fn = Consolidation::kRate;
    out = f.db->Select(r);
    ASSERT_TRUE(out.ok());
    ASSERT_EQ((*out)[0].values.size(), 12u);
    for (size_t i = 1; i < 12; ++i) EXPECT_DOUBLE_EQ((*out)[0].values[i], 10.0) << i;
    if (!flushed) {
      ASSERT_TRUE(f.db->Flush().ok());
    }
  }
}

TEST(Engine, ConcurrentAppendersAllLand) {
  Fixture f;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        WriteBatch b;
        for (int s = 0; s < 20; ++s) {
          b.StartSeries(ValueKind::kGauge,
                        {{"__name__", "m"}, {"t", std::to_string(t)}, {"s", std::to_string(s)}});
          b.AddGauge(kNow - 1'000'000 + i * 1000, i);
        }
        ASSERT_TRUE(f.db->Append(b).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto d = Raw(*f.db, "m");
  ASSERT_EQ(d.size(), 80u);
  for (const auto& s : d) EXPECT_EQ(s.timestamps.size(), 50u);
  f.Reopen();
  EXPECT_EQ(Raw(*f.db, "m").size(), 80u);
}

// Crash at every sync point of a workload with appends, flushes and a compaction; after
// recovery every acknowledged sample is there, nothing else, and a second recovery
// changes nothing.
TEST(EngineCrash, AcknowledgedSamplesSurviveACrashAtEverySync) {
  auto workload = [](Storage& db, ManualClock& clock,
                     std::map<std::pair<std::string, Timestamp>, double>* acked,
                     std::map<std::pair<std::string, Timestamp>, double>* attempted) {
    for (int round = 0; round < 6; ++round) {
      WriteBatch b;
      for (int h = 0; h < 3; ++h) {
        std::string host = "h" + std::to_string(h);
        b.StartSeries(ValueKind::kGauge, {{"__name__", "cpu"}, {"host", host}});
        for (int i = 0; i < 5; ++i) {
          Timestamp t = kNow - 3'000'000 + round * 60'000 + i * 10'000;
          double v = round * 100 + h * 10 + i;
          b.AddGauge(t, v);
          (*attempted)[{host, t}] = v;
        }
      }
      auto r = db.Append(b);
      if (!r.ok()) return;
      for (const auto& [k, v] : *attempted) (*acked)[k] = v;
      if (round % 2 == 1 && !db.Flush().ok()) return;
      if (round == 4) {
        clock.Advance(4 * 3'600'000);
        if (!db.Compact().ok()) return;
      }
    }
  };
  uint64_t total_syncs;
  {
    TempDir d;
    strix::testing::FaultyEnv env(Env::Default());
    ManualClock clock(kNow);
    auto db = OpenEmbedded(d.path(), TestOptions(), env, clock);
    ASSERT_TRUE(db.ok());
    std::map<std::pair<std::string, Timestamp>, double> acked, attempted;
    workload(**db, clock, &acked, &attempted);
    ASSERT_EQ(acked.size(), 90u);
    ASSERT_TRUE((*db)->Close().ok());
    total_syncs = env.SyncCount();
  }
  ASSERT_GT(total_syncs, 10u);
  for (uint64_t k = 1; k <= total_syncs; ++k) {
    TempDir d;
    strix::testing::FaultyEnv env(Env::Default(), k);
    ManualClock clock(kNow);
    std::map<std::pair<std::string, Timestamp>, double> acked, attempted;
    {
      auto db = OpenEmbedded(d.path(), TestOptions(), env, clock);
      ASSERT_TRUE(db.ok());
      env.CrashAtSync(k);
      workload(**db, clock, &acked, &attempted);
      (*db)->Close().IgnoreError();
    }
    ASSERT_TRUE(env.SimulateCrash(strix::testing::CrashMode::kMixed).ok());
    env.ClearFaults();
    std::map<std::pair<std::string, Timestamp>, double> first;
    for (int pass = 0; pass < 2; ++pass) {
      auto db = OpenEmbedded(d.path(), TestOptions(), env, clock);
      ASSERT_TRUE(db.ok()) << "crash at sync " << k << ": " << db.status().ToString();
      SelectRequest r;
      r.matchers = Sel("cpu");
      r.from = 0;
      r.to = INT64_MAX;
      auto out = (*db)->Select(r);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      std::map<std::pair<std::string, Timestamp>, double> got;
      for (const auto& s : *out)
        for (size_t i = 0; i < s.timestamps.size(); ++i)
          got[{std::string(s.labels.Get("host")), s.timestamps[i]}] = s.raw[i].f;
      for (const auto& [key, v] : acked) {
        auto it = got.find(key);
        ASSERT_TRUE(it != got.end()) << "acknowledged sample lost, crash at sync " << k;
        ASSERT_EQ(it->second, v);
      }
      for (const auto& [key, v] : got) {
        auto it = attempted.find(key);
        ASSERT_TRUE(it != attempted.end()) << "phantom sample, crash at sync " << k;
        ASSERT_EQ(it->second, v);
      }
      if (pass == 0) first = got;
      if (pass == 1) {
        ASSERT_EQ(got, first) << "second recovery differs, crash at sync " << k;
      }
      // Consolidated answers (from tier blocks where they were built) agree with the
      // recovered raw samples: a crash mid-build leaves no half-built tier in use.
      r.step_ms = 60'000;
      r.fn = Consolidation::kCount;
      r.from = kNow - 4 * 3'600'000;
      r.to = kNow + 3'600'000;
      auto counts = (*db)->Select(r);
      ASSERT_TRUE(counts.ok()) << counts.status().ToString();
      std::map<std::pair<std::string, Timestamp>, double> want_counts, got_counts;
      for (const auto& [key, v] : got) want_counts[{key.first, AlignDown(key.second, 60'000)}] += 1;
      for (const auto& s : *counts)
        for (size_t i = 0; i < s.timestamps.size(); ++i)
          got_counts[{std::string(s.labels.Get("host")), s.timestamps[i]}] = s.values[i];
      ASSERT_EQ(got_counts, want_counts) << "consolidated answer differs, crash at sync " << k;
      ASSERT_TRUE((*db)->Close().ok());
    }
  }
}

TEST(EngineCrash, DiskFullFailsTheAppendAndLosesNothing) {
  TempDir d;
  strix::testing::FaultyEnv env(Env::Default());
  ManualClock clock(kNow);
  auto db = OpenEmbedded(d.path(), TestOptions(), env, clock);
  ASSERT_TRUE(db.ok());
  AddGauges(**db, "a", kNow - 100'000, 10, 0);
  env.DiskFullAfter(env.BytesAppended() + 100);
  WriteBatch b;
  b.StartSeries(ValueKind::kGauge, {{"__name__", "cpu"}, {"host", "a"}});
  for (int i = 0; i < 200; ++i) b.AddGauge(kNow - 50'000 + i, i);
  auto r = (*db)->Append(b);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNoSpace()) << r.status().ToString();
  // Still readable, with everything acknowledged before.
  auto out = Raw(**db, "cpu");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].timestamps.size(), 10u);
  (*db)->Close().IgnoreError();
  db->reset();
  env.ClearFaults();
  auto again = OpenEmbedded(d.path(), TestOptions(), env, clock);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  out = Raw(**again, "cpu");
  ASSERT_GE(out[0].timestamps.size(), 10u);
  ASSERT_TRUE((*again)->Close().ok());
}

TEST(EngineOptions, ValidationNamesTheKey) {
  EngineOptions o;
  o.tiers[2].resolution_ms = 90'000;  // not a multiple of 1m
  Status s = ValidateEngineOptions(o);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.context(), "storage.tiers[2].resolution");
  auto doc = config::Document::ParseString(
      "wal:\n  sync_interval: 5s\ntiers:\n  - {name: raw, retention: 7d}\n  - {name: 5m, "
      "resolution: 5m}\nout_of_order_window: 2h\n",
      "strixd.yaml");
  ASSERT_TRUE(doc.ok());
  config::Errors errors;
  EngineOptions p;
  {
    config::Section root(*doc, &errors);
    BindEngineOptions(root, &p);
  }
  ASSERT_TRUE(errors.empty()) << errors.ToStatus().ToString();
  EXPECT_EQ(p.wal_sync_interval_ms, 5000);
  ASSERT_EQ(p.tiers.size(), 2u);
  EXPECT_EQ(p.tiers[1].resolution_ms, 300'000);
  EXPECT_EQ(p.out_of_order_window_ms, 7'200'000);
  EXPECT_TRUE(ValidateEngineOptions(p).ok());
}

}  // namespace
}  // namespace strix::storage
