// The agent's own cost of a script round: one trivial script (`echo`), spawned, read,
// reaped and parsed. Wall time includes the child's run; the "agent_cpu_us" counter is the
// agent process's own CPU time per round (getrusage RUSAGE_SELF: children not included),
// the figure behind the agent's CPU budget.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <fstream>
#include <vector>

#include "agents/script/script_input.h"
#include "core/clock.h"
#include "core/testing/temp_dir.h"

namespace strix::agents::script {
namespace {

int64_t SelfCpuMicros() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1'000'000 + ru.ru_utime.tv_usec +
         ru.ru_stime.tv_usec;
}

void BM_RoundOfOneScript(benchmark::State& state) {
  strix::testing::TempDir dir;
  const std::string path = dir.Join("echo.sh");
  std::ofstream(path) << "#!/bin/sh\necho 'bench,host=a v=1,w=2i,s=\"ok\"'\n";
  ::chmod(path.c_str(), 0755);
  ScriptOptions o;
  o.dir = dir.path();
  ScriptInput in(o);
  std::vector<Point> out;
  const int64_t cpu0 = SelfCpuMicros();
  for (auto _ : state) {
    out.clear();
    CollectContext ctx;
    ctx.now_ms = 1700000000000;
    ctx.deadline_mono_ns = Clock::Real().MonotonicNanos() + 10'000'000'000;
    benchmark::DoNotOptimize(in.Collect(ctx, &out).ok());
  }
  state.counters["agent_cpu_us"] = benchmark::Counter(static_cast<double>(SelfCpuMicros() - cpu0) /
                                                      static_cast<double>(state.iterations()));
}
BENCHMARK(BM_RoundOfOneScript)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strix::agents::script

BENCHMARK_MAIN();
