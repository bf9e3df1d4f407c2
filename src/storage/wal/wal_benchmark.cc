// WAL benchmarks on the real disk (TMPDIR): durable appends of ~80 KB records (a
// 10,000-sample batch) from 1, 2, 4 and 8 threads, group commit's syncs per append,
// interval-mode appends, and the raw fdatasync latency of this disk.
//
//   build/release/src/storage/wal/wal_benchmark
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "core/env.h"
#include "core/testing/temp_dir.h"
#include "storage/wal/wal.h"

namespace strix::storage::wal {
namespace {

constexpr size_t kBatchBytes = 80'000;  // 10,000 samples at ~8 bytes each

std::string Payload(int seed) {
  std::string p(kBatchBytes, '\0');
  uint32_t x = 2463534242u + static_cast<uint32_t>(seed);
  for (char& c : p) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return p;
}

struct Shared {
  std::unique_ptr<strix::testing::TempDir> dir;
  std::unique_ptr<Wal> wal;
};
Shared g;

void Setup(const WalOptions& o) {
  g.dir = std::make_unique<strix::testing::TempDir>();
  auto wal = Wal::Open(Env::Default(), g.dir->path(), o);
  if (!wal.ok()) std::abort();
  g.wal = std::move(*wal);
}

void Teardown(benchmark::State& state) {
  WalMetrics m = g.wal->Metrics();
  state.counters["syncs_per_append"] =
      m.appends > 0 ? static_cast<double>(m.syncs) / static_cast<double>(m.appends) : 0;
  state.counters["appends_per_group"] =
      m.groups > 0 ? static_cast<double>(m.appends) / static_cast<double>(m.groups) : 0;
  state.counters["fsync_us_mean"] =
      m.syncs > 0 ? static_cast<double>(m.fsync_latency_sum_us) / static_cast<double>(m.syncs) : 0;
  g.wal.reset();
  g.dir.reset();
}

void AppendLoop(benchmark::State& state) {
  const std::string payload = Payload(state.thread_index());
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    Status s = g.wal->Append(Record{2, payload});
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
}

// Append returns once the record is durable; threads share fsyncs through group commit.
void BM_DurableAppend(benchmark::State& state) {
  if (state.thread_index() == 0) Setup(WalOptions{});
  AppendLoop(state);
  if (state.thread_index() == 0) Teardown(state);
}
BENCHMARK(BM_DurableAppend)->ThreadRange(1, 8)->UseRealTime();

// Append returns after write(2); fsync every 10 ms in the background.
void BM_IntervalAppend(benchmark::State& state) {
  if (state.thread_index() == 0) {
    WalOptions o;
    o.sync_interval_ms = 10;
    Setup(o);
  }
  AppendLoop(state);
  if (state.thread_index() == 0) Teardown(state);
}
BENCHMARK(BM_IntervalAppend)->Threads(1)->Iterations(2000)->UseRealTime();

// The disk itself: append `range(0)` bytes to a file and fdatasync it.
void BM_Fdatasync(benchmark::State& state) {
  strix::testing::TempDir dir;
  auto f = Env::Default().NewWritableFile(dir.Join("f"));
  if (!f.ok()) std::abort();
  const std::string data(static_cast<size_t>(state.range(0)), 'f');
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    if (!(*f)->Append(data).ok() || !(*f)->Sync().ok()) {
      state.SkipWithError("append or sync failed");
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Fdatasync)->Arg(4096)->Arg(kBatchBytes)->UseRealTime();

}  // namespace
}  // namespace strix::storage::wal

BENCHMARK_MAIN();
