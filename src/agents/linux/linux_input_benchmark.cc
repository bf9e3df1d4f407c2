// Benchmark: one full LinuxInput::Collect on this machine's real /proc and /sys, the work
// the agent does every interval. Reports the time per round, the points per round and the
// heap allocations per round (counted by replacing the global operator new in this
// binary), and the same for ToPattoo on that round. The agent's budget is 0.2% of a core
// at a 10 s interval, i.e. 20 ms of CPU per round.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "agents/linux/linux_input.h"
#include "agents/linux/linux_pattoo.h"

namespace {
std::atomic<uint64_t> g_allocs{0};
}  // namespace

// The replacements pair malloc with free; g++ cannot see that they match.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace strix::agents::linuxhost {
namespace {

// Arg 1: with TCP states (the default); 0: without (/proc/net/tcp is the costly file on
// hosts with many sockets, and in sandboxes such as gVisor).
void BM_CollectRealProc(benchmark::State& state) {
  LinuxOptions options;
  options.tcp_states = state.range(0) != 0;
  LinuxInput in{options};
  std::vector<Point> out;
  CollectContext ctx;
  ctx.now_ms = 1'700'000'000'000;
  in.Collect(ctx, &out).IgnoreError();  // warm-up: buffers reach their size
  uint64_t allocs = 0, points = 0, rounds = 0;
  for (auto _ : state) {
    out.clear();
    uint64_t before = g_allocs.load(std::memory_order_relaxed);
    Status st = in.Collect(ctx, &out);
    allocs += g_allocs.load(std::memory_order_relaxed) - before;
    benchmark::DoNotOptimize(st);
    points += out.size();
    ++rounds;
  }
  state.counters["points"] = static_cast<double>(points) / static_cast<double>(rounds);
  state.counters["allocs"] = static_cast<double>(allocs) / static_cast<double>(rounds);
  state.counters["read_errors"] = static_cast<double>(in.read_errors());
  struct rusage ru;
  if (::getrusage(RUSAGE_SELF, &ru) == 0)
    state.counters["max_rss_kib"] = static_cast<double>(ru.ru_maxrss);  // the whole binary
}
BENCHMARK(BM_CollectRealProc)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

void BM_ToPattoo(benchmark::State& state) {
  LinuxInput in{LinuxOptions{}};
  std::vector<Point> points;
  CollectContext ctx;
  in.Collect(ctx, &points).IgnoreError();
  points.clear();
  in.Collect(ctx, &points).IgnoreError();
  PlatformInfo info = PlatformInfo::Read(LinuxOptions{});
  std::vector<PattooDatapoint> out;
  uint64_t n = 0, rounds = 0;
  for (auto _ : state) {
    out.clear();
    ToPattoo(points, info, &out, &in.pattoo_extras()).IgnoreError();
    n += out.size();
    ++rounds;
  }
  state.counters["datapoints"] = static_cast<double>(n) / static_cast<double>(rounds);
}
BENCHMARK(BM_ToPattoo)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace strix::agents::linuxhost

BENCHMARK_MAIN();
