// Engine benchmarks (issue figures in docs/performance.md). Run:
//   build/release/src/storage/engine_benchmark
// Data is node-exporter-like: random walks with 2 decimals, integer byte gauges moving
// by KiBs, monotonic counters at varying rates, constants; one sample every 10 s.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>
#include <string>

#include "core/clock.h"
#include "core/testing/temp_dir.h"
#include "storage/engine.h"

namespace strix::storage {
namespace {

constexpr Timestamp kNow = 1'800'000'000'000;

EngineOptions BenchOptions() {
  EngineOptions o;
  o.background_interval_ms = 3'600'000;
  o.out_of_order_window_ms = 31LL * 86'400'000;
  o.tiers[0].retention_ms = 60LL * 86'400'000;
  return o;
}

// One of four shapes, by series index.
struct Shape {
  std::mt19937_64 rng;
  int kind;
  double walk = 50;
  uint64_t counter = 0;
  double gauge_bytes = 1e9;
  explicit Shape(uint64_t seed) : rng(seed), kind(static_cast<int>(seed % 4)) {
    counter = rng() % 1'000'000'000;
  }
  ValueKind value_kind() const { return kind == 2 ? ValueKind::kCounter64 : ValueKind::kGauge; }
  NumericValue Next() {
    NumericValue v;
    switch (kind) {
      case 0:  // random walk, 2 decimals, slowly changing
        walk = std::round((walk + static_cast<double>(static_cast<int>(rng() % 41) - 20) / 100) *
                          100) /
               100;
        v.f = walk;
        break;
      case 1:  // integer byte gauge
        gauge_bytes += static_cast<double>(static_cast<int64_t>(rng() % 16) - 8) * 4096;
        v.f = gauge_bytes;
        break;
      case 2:  // counter with a varying rate
        counter += 1000 + rng() % 50'000;
        v.u = counter;
        break;
      default:  // constant
        v.f = 8.0;
    }
    return v;
  }
};

std::vector<LabelPair> SeriesLabels(int i, std::string* host, std::string* name) {
  *host = "host-" + std::to_string(i / 10);
  *name = "node_metric_" + std::to_string(i % 10);
  return {{"__name__", *name}, {"host", *host}, {"job", "node"}};
}

uint64_t RssBytes() {
  std::ifstream f("/proc/self/statm");
  uint64_t size, rss;
  f >> size >> rss;
  return rss * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Durable append of 10,000-sample batches (1,000 series x 10 samples), in process.
void BM_AppendDurable(benchmark::State& state) {
  testing::TempDir dir;
  ManualClock clock(kNow);
  EngineOptions o = BenchOptions();
  o.head_flush_interval_ms = 86'400'000;
  auto db = OpenEmbedded(dir.path(), o, Env::Default(), clock);
  std::vector<Shape> shapes;
  for (int i = 0; i < 1000; ++i) shapes.emplace_back(i);
  std::vector<WriteBatch> batches(64);
  Timestamp t = kNow - 20LL * 86'400'000;
  std::string host, name;
  for (auto& b : batches) {
    for (int i = 0; i < 1000; ++i) {
      auto labels = SeriesLabels(i, &host, &name);
      b.StartSeries(shapes[i].value_kind(), labels);
      for (int k = 0; k < 10; ++k) b.AddNumeric(t + k * 10'000, shapes[i].Next());
    }
    t += 100'000;
  }
  size_t next = 0;
  uint64_t samples = 0;
  for (auto _ : state) {           // NOLINT(clang-analyzer-deadcode.DeadStores)
    if (next == batches.size()) {  // shift the prepared batches forward in time
      state.PauseTiming();
      for (auto& b : batches) {
        WriteBatch nb;
        for (const auto& s : b.series()) {
          std::vector<std::pair<std::string, std::string>> owned;
          EncodedLabelsIterator it(b.EncodedLabels(s));
          std::string_view n, v;
          while (it.Next(&n, &v)) owned.emplace_back(n, v);
          std::vector<LabelPair> pairs;
          for (auto& [a, c] : owned) pairs.emplace_back(a, c);
          nb.StartSeries(s.kind, pairs);
          for (const auto& smp : b.samples(s)) nb.AddNumeric(smp.ts + 6'400'000, smp.value);
        }
        b = std::move(nb);
      }
      next = 0;
      state.ResumeTiming();
    }
    auto r = (*db)->Append(batches[next++]);
    if (!r.ok() || r->rejected) state.SkipWithError("append failed");
    samples += 10'000;
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AppendDurable)->Unit(benchmark::kMillisecond)->UseRealTime();

// Bytes per sample on disk after flush and compaction: 1,000 series x 1 day.
void BM_BytesPerSample(benchmark::State& state) {
  const int kind_filter = static_cast<int>(state.range(0));  // -1 mixed, else one shape
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    testing::TempDir dir;
    ManualClock clock(kNow);
    auto db = OpenEmbedded(dir.path(), BenchOptions(), Env::Default(), clock);
    std::vector<Shape> shapes;
    for (int i = 0; i < 1000; ++i) {
      shapes.emplace_back(kind_filter < 0 ? static_cast<uint64_t>(i)
                                          : static_cast<uint64_t>(i * 4 + kind_filter));
    }
    Timestamp start = kNow - 2LL * 86'400'000;
    std::string host, name;
    uint64_t samples = 0;
    for (int chunk = 0; chunk < 24; ++chunk) {  // an hour at a time
      WriteBatch b;
      for (int i = 0; i < 1000; ++i) {
        auto labels = SeriesLabels(i, &host, &name);
        b.StartSeries(shapes[i].value_kind(), labels);
        for (int k = 0; k < 360; ++k)
          b.AddNumeric(start + chunk * 3'600'000LL + k * 10'000, shapes[i].Next());
      }
      samples += b.sample_count();
      if (!(*db)->Append(b).ok()) state.SkipWithError("append failed");
    }
    if (!(*db)->Flush().ok() || !(*db)->Compact().ok()) state.SkipWithError("flush failed");
    StorageStats st = (*db)->Stats();
    state.counters["bytes/sample"] =
        static_cast<double>(st.tiers[0].bytes) / static_cast<double>(samples);
    state.counters["blocks"] = static_cast<double>(st.tiers[0].blocks);
    // The tiers built from the same day: bytes per point (one point a series a minute or
    // an hour), and what they add on disk relative to the raw tier.
    for (size_t t = 1; t < st.tiers.size(); ++t) {
      const auto& tier = st.tiers[t];
      if (tier.samples == 0) continue;
      state.counters[tier.name + "_bytes/point"] =
          static_cast<double>(tier.bytes) / static_cast<double>(tier.samples);
      state.counters[tier.name + "_share"] =
          static_cast<double>(tier.bytes) / static_cast<double>(st.tiers[0].bytes);
    }
  }
}
BENCHMARK(BM_BytesPerSample)
    ->Arg(-1)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Arg(3)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Resident memory per active series: 1,000,000 series with one sample each.
void BM_MemoryPerSeries(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    testing::TempDir dir;
    ManualClock clock(kNow);
    uint64_t before = RssBytes();
    auto db = OpenEmbedded(dir.path(), BenchOptions(), Env::Default(), clock);
    std::string host, name;
    for (int start = 0; start < n; start += 10'000) {
      WriteBatch b;
      for (int i = start; i < std::min(n, start + 10'000); ++i) {
        auto labels = SeriesLabels(i, &host, &name);
        b.StartSeries(ValueKind::kGauge, labels);
        b.AddGauge(kNow - 1000, i * 0.5);
      }
      if (!(*db)->Append(b).ok()) state.SkipWithError("append failed");
    }
    uint64_t after = RssBytes();
    StorageStats st = (*db)->Stats();
    state.counters["rss_bytes/series"] = static_cast<double>(after - before) / n;
    state.counters["head_bytes/series"] = static_cast<double>(st.head_bytes) / n;
  }
}
BENCHMARK(BM_MemoryPerSeries)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

// Select of one series over 30 days, raw.
void BM_SelectOneSeries30Days(benchmark::State& state) {
  testing::TempDir dir;
  ManualClock clock(kNow);
  auto db = OpenEmbedded(dir.path(), BenchOptions(), Env::Default(), clock);
  Shape shape(0);
  Timestamp start = kNow - 30LL * 86'400'000;
  for (int day = 0; day < 30; ++day) {
    WriteBatch b;
    b.StartSeries(ValueKind::kGauge, {{"__name__", "cpu"}, {"host", "a"}});
    for (int k = 0; k < 8640; ++k)
      b.AddNumeric(start + day * 86'400'000LL + k * 10'000, shape.Next());
    if (!(*db)->Append(b).ok()) state.SkipWithError("append failed");
    if (!(*db)->Flush().ok()) state.SkipWithError("flush failed");
  }
  clock.Advance(86'400'000);
  (*db)->Compact().IgnoreError();
  SelectRequest r;
  r.matchers = *ParseMatchers("cpu{host=\"a\"}");
  r.from = start;
  r.to = kNow + 1;
  size_t n = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    auto out = (*db)->Select(r);
    n = out.ok() && !out->empty() ? (*out)[0].timestamps.size() : 0;
  }
  state.counters["samples"] = static_cast<double>(n);
}
BENCHMARK(BM_SelectOneSeries30Days)->Unit(benchmark::kMillisecond);

// avg per 5 minutes of 1,000 series over one day.
void BM_SelectAvg5m1000Series1Day(benchmark::State& state) {
  testing::TempDir dir;
  ManualClock clock(kNow);
  auto db = OpenEmbedded(dir.path(), BenchOptions(), Env::Default(), clock);
  std::vector<Shape> shapes;
  for (int i = 0; i < 1000; ++i) shapes.emplace_back(i * 4);  // random walks
  Timestamp start = AlignDown(kNow - 86'400'000, 300'000);
  std::string host, name;
  for (int hour = 0; hour < 24; ++hour) {
    WriteBatch b;
    for (int i = 0; i < 1000; ++i) {
      std::string h = "host-" + std::to_string(i);
      b.StartSeries(ValueKind::kGauge, {{"__name__", "cpu_busy"}, {"host", h}});
      for (int k = 0; k < 360; ++k)
        b.AddNumeric(start + hour * 3'600'000LL + k * 10'000, shapes[i].Next());
    }
    if (!(*db)->Append(b).ok()) state.SkipWithError("append failed");
  }
  (*db)->Flush().IgnoreError();
  clock.Advance(4 * 3'600'000);
  (*db)->Compact().IgnoreError();
  SelectRequest r;
  r.matchers = *ParseMatchers("cpu_busy");
  r.from = start;
  r.to = start + 86'400'000;
  r.step_ms = 300'000;
  r.fn = Consolidation::kAvg;
  size_t series = 0;
  int64_t resolution = -1;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    auto out = (*db)->Select(r);
    series = out.ok() ? out->size() : 0;
    resolution = series > 0 ? (*out)[0].resolution_ms : -1;
  }
  state.counters["series"] = static_cast<double>(series);
  state.counters["resolution_ms"] = static_cast<double>(resolution);
}
BENCHMARK(BM_SelectAvg5m1000Series1Day)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strix::storage

BENCHMARK_MAIN();
