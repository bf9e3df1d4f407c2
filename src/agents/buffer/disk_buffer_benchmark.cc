// DiskBuffer benchmarks on the real disk (TMPDIR): appends of 4 KiB payloads (a gzip'd
// line-protocol batch) without and with an fdatasync per append, the replay of a backlog
// (Next + Ack over N records appended before a restart), and the recovery scan of Open.
//
//   build/release/src/agents/buffer/agent_buffer_benchmark
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "agents/buffer/disk_buffer.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/log.h"
#include "core/testing/temp_dir.h"

namespace strix::agents::buffer {
namespace {

constexpr size_t kPayloadBytes = 4096;

std::string Payload() {
  std::string p(kPayloadBytes, '\0');
  uint32_t x = 2463534242u;
  for (char& c : p) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return p;
}

std::unique_ptr<DiskBuffer> MustOpen(const std::string& dir, bool sync) {
  BufferOptions o;
  o.dir = dir;
  o.sync = sync;
  auto b = DiskBuffer::Open(Env::Default(), Clock::Real(), o);
  if (!b.ok()) std::abort();
  return std::move(*b);
}

void BM_Append(benchmark::State& state) {
  const bool sync = state.range(0) != 0;
  const std::string payload = Payload();
  strix::testing::TempDir dir;
  auto b = MustOpen(dir.Join("buf"), sync);
  const int64_t now = Clock::Real().NowMillis();
  for (auto _ : state) {
    auto seq = b->Append(payload, now);
    if (!seq.ok()) std::abort();
    // The sender keeps up, as it does while the server is reachable.
    if (!b->Ack(*seq).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kPayloadBytes));
  state.counters["disk_bytes"] = static_cast<double>(b->Stats().disk_bytes);
}
BENCHMARK(BM_Append)->ArgName("sync")->Arg(0)->Arg(1)->UseRealTime();

// Fills a buffer with n records and closes it.
void Fill(const std::string& dir, int64_t n) {
  const std::string payload = Payload();
  auto b = MustOpen(dir, /*sync=*/false);
  const int64_t now = Clock::Real().NowMillis();
  for (int64_t i = 0; i < n; ++i)
    if (!b->Append(payload, now).ok()) std::abort();
  if (!b->Sync().ok()) std::abort();
}

void BM_Replay(benchmark::State& state) {
  const int64_t n = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<strix::testing::TempDir>();
    Fill(dir->Join("buf"), n);
    auto b = MustOpen(dir->Join("buf"), /*sync=*/true);  // after a restart: all backlog
    state.ResumeTiming();
    for (int64_t i = 0; i < n; ++i) {
      auto r = b->Next();
      if (!r.ok() || !r->has_value() || !b->Ack((*r)->seq).ok()) std::abort();
    }
    state.PauseTiming();
    b.reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * static_cast<int64_t>(kPayloadBytes));
}
BENCHMARK(BM_Replay)->Arg(10'000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Open(benchmark::State& state) {
  const int64_t n = state.range(0);
  strix::testing::TempDir dir;
  Fill(dir.Join("buf"), n);
  for (auto _ : state) {
    auto b = MustOpen(dir.Join("buf"), /*sync=*/true);
    benchmark::DoNotOptimize(b.get());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * static_cast<int64_t>(kPayloadBytes));
}
BENCHMARK(BM_Open)->Arg(10'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace strix::agents::buffer

int main(int argc, char** argv) {
  strix::log::SetLevel(strix::LogLevel::kWarn);  // Open logs a line per run at info
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
