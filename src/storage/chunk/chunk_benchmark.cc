// Chunk codec benchmarks: one-shot encode, append, decode (iterator and bulk)
// throughput, and bytes per sample on node-exporter-like series at a 10 s interval
// (testing/series.h) for chunks of 120 and 720 samples.
//
//   build/release/src/storage/chunk/chunk_benchmark
//
// Counters: bytes_per_sample (sealed chunks), open_bytes_per_sample and
// mem_bytes_per_sample (appender: chunk bytes and all memory held, object included),
// items_per_second = samples per second.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "storage/chunk/appender.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/encoder.h"
#include "storage/chunk/testing/series.h"

namespace strix::storage::chunk {
namespace {

using testing::MakeSeries;
using testing::Series;
using testing::Shape;

constexpr Shape kShapes[] = {Shape::kWalk2,    Shape::kByteGauge, Shape::kCounter,
                             Shape::kConstant, Shape::kSpiky,     Shape::kFloat};
constexpr int kSeries = 64;  // distinct series per benchmark, so caches and branches see variety

std::vector<Series> MakeSet(Shape shape, size_t n, int64_t jitter) {
  std::vector<Series> set;
  for (int i = 0; i < kSeries; ++i) set.push_back(MakeSeries(shape, n, 1000 + i, jitter));
  return set;
}

std::vector<std::string> EncodeSet(Shape shape, const std::vector<Series>& set) {
  std::vector<std::string> out;
  for (const Series& s : set) {
    std::string c;
    if (!Encode(testing::ShapeKind(shape), s.ts, s.values, &c).ok()) std::abort();
    out.push_back(std::move(c));
  }
  return out;
}

size_t TotalBytes(const std::vector<std::string>& chunks) {
  size_t b = 0;
  for (const auto& c : chunks) b += c.size();
  return b;
}

void BM_Encode(benchmark::State& state, Shape shape) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int64_t jitter = state.range(1);
  const auto set = MakeSet(shape, n, jitter);
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    bytes = 0;
    for (const Series& s : set) {
      out.clear();
      if (!Encode(testing::ShapeKind(shape), s.ts, s.values, &out).ok()) std::abort();
      bytes += out.size();
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSeries *
                          static_cast<int64_t>(n));
  state.counters["bytes_per_sample"] =
      static_cast<double>(bytes) / static_cast<double>(kSeries * n);
}

void BM_Append(benchmark::State& state, Shape shape) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto set = MakeSet(shape, n, state.range(1));
  size_t bytes = 0, mem = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    bytes = mem = 0;
    for (const Series& s : set) {
      Appender app(testing::ShapeKind(shape));
      for (size_t i = 0; i < n; ++i)
        if (!app.Append(s.ts[i], s.values[i]).ok()) std::abort();
      bytes += app.bytes().size();
      mem += app.MemoryUsage();
      benchmark::DoNotOptimize(app.bytes().data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSeries *
                          static_cast<int64_t>(n));
  state.counters["open_bytes_per_sample"] =
      static_cast<double>(bytes) / static_cast<double>(kSeries * n);
  state.counters["mem_bytes_per_sample"] =
      static_cast<double>(mem) / static_cast<double>(kSeries * n);
}

void BM_DecodeIterator(benchmark::State& state, Shape shape) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto chunks = EncodeSet(shape, MakeSet(shape, n, state.range(1)));
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    uint64_t sum = 0;
    for (const auto& c : chunks) {
      Iterator it(c);
      while (it.Next()) sum += it.value().u + static_cast<uint64_t>(it.timestamp());
      if (!it.status().ok()) std::abort();
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSeries *
                          static_cast<int64_t>(n));
  state.counters["bytes_per_sample"] =
      static_cast<double>(TotalBytes(chunks)) / static_cast<double>(kSeries * n);
}

void BM_DecodeBulk(benchmark::State& state, Shape shape) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto chunks = EncodeSet(shape, MakeSet(shape, n, state.range(1)));
  std::vector<Timestamp> ts;
  std::vector<NumericValue> vals;
  ts.reserve(n);
  vals.reserve(n);
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    for (const auto& c : chunks) {
      ts.clear();
      vals.clear();
      if (!DecodeNumeric(c, &ts, &vals).ok()) std::abort();
      benchmark::DoNotOptimize(vals.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSeries *
                          static_cast<int64_t>(n));
}

void BM_DecodeOpenIterator(benchmark::State& state, Shape shape) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto set = MakeSet(shape, n, state.range(1));
  std::vector<Appender> apps;
  for (const Series& s : set) {
    apps.emplace_back(testing::ShapeKind(shape));
    for (size_t i = 0; i < n; ++i)
      if (!apps.back().Append(s.ts[i], s.values[i]).ok()) std::abort();
  }
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    uint64_t sum = 0;
    for (const auto& a : apps) {
      Iterator it(a.bytes());
      while (it.Next()) sum += it.value().u;
      if (!it.status().ok()) std::abort();
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSeries *
                          static_cast<int64_t>(n));
}

// One series over 30 days at 10 s (259,200 samples) in 720-sample chunks, decoded in bulk
// into one pair of arrays: the storage part of a Select. Arg 0: std::vector outputs
// (DecodeNumeric); arg 1: caller arrays (DecodeNumericInto).
void BM_Select30Days(benchmark::State& state, Shape shape) {
  const size_t total = 259200, per = 720;
  const Series all = MakeSeries(shape, total, 7);
  std::vector<std::string> chunks;
  for (size_t at = 0; at < total; at += per) {
    std::string c;
    if (!Encode(testing::ShapeKind(shape), std::span(all.ts).subspan(at, per),
                std::span(all.values).subspan(at, per), &c)
             .ok())
      std::abort();
    chunks.push_back(std::move(c));
  }
  std::vector<Timestamp> ts;
  std::vector<NumericValue> vals;
  ts.reserve(total);
  vals.reserve(total);
  const bool into = state.range(0) == 1;
  if (into) {
    ts.resize(total);
    vals.resize(total);
  }
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    if (into) {
      size_t at = 0;
      for (const auto& c : chunks) {
        auto n = DecodeNumericInto(c, ts.data() + at, vals.data() + at, total - at);
        if (!n.ok()) std::abort();
        at += *n;
      }
    } else {
      ts.clear();
      vals.clear();
      for (const auto& c : chunks)
        if (!DecodeNumeric(c, &ts, &vals).ok()) std::abort();
    }
    benchmark::DoNotOptimize(vals.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * total));
  state.counters["bytes_per_sample"] =
      static_cast<double>(TotalBytes(chunks)) / static_cast<double>(total);
}

// The mean over all shapes (one series of each), as a single mixed-workload figure.
void BM_MixedBytesPerSample(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int64_t jitter = state.range(1);
  double sum = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    sum = 0;
    for (Shape shape : kShapes) {
      size_t bytes = 0;
      for (int i = 0; i < 16; ++i) {
        const Series s = MakeSeries(shape, n, 500 + i, jitter);
        std::string c;
        if (!Encode(testing::ShapeKind(shape), s.ts, s.values, &c).ok()) std::abort();
        bytes += c.size();
      }
      sum += static_cast<double>(bytes) / static_cast<double>(16 * n);
    }
  }
  state.counters["bytes_per_sample"] = sum / static_cast<double>(std::size(kShapes));
}

void RegisterAll() {
  for (Shape shape : kShapes) {
    const std::string name = testing::ShapeName(shape);
    auto sizes = [](benchmark::internal::Benchmark* b) {
      b->ArgNames({"n", "jitter_ms"})
          ->Args({120, 0})
          ->Args({720, 0})
          ->Args({120, 2})
          ->Args({720, 2});
    };
    auto sizes0 = [](benchmark::internal::Benchmark* b) {
      b->ArgNames({"n", "jitter_ms"})->Args({120, 0})->Args({720, 0});
    };
    sizes(benchmark::RegisterBenchmark(("BM_Encode/" + name).c_str(), BM_Encode, shape));
    sizes(benchmark::RegisterBenchmark(("BM_Append/" + name).c_str(), BM_Append, shape));
    sizes0(benchmark::RegisterBenchmark(("BM_DecodeIterator/" + name).c_str(), BM_DecodeIterator,
                                        shape));
    sizes0(benchmark::RegisterBenchmark(("BM_DecodeBulk/" + name).c_str(), BM_DecodeBulk, shape));
    sizes0(benchmark::RegisterBenchmark(("BM_DecodeOpenIterator/" + name).c_str(),
                                        BM_DecodeOpenIterator, shape));
  }
  for (Shape shape : {Shape::kWalk2, Shape::kCounter, Shape::kFloat})
    benchmark::RegisterBenchmark(
        (std::string("BM_Select30Days/") + testing::ShapeName(shape)).c_str(), BM_Select30Days,
        shape)
        ->ArgName("into")
        ->Arg(0)
        ->Arg(1)
        ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_MixedBytesPerSample", BM_MixedBytesPerSample)
      ->ArgNames({"n", "jitter_ms"})
      ->Args({120, 0})
      ->Args({720, 0})
      ->Args({120, 2})
      ->Args({720, 2})
      ->Iterations(1);
}

}  // namespace
}  // namespace strix::storage::chunk

int main(int argc, char** argv) {
  strix::storage::chunk::RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
