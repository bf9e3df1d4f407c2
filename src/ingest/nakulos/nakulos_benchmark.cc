// Nakulos POST /metrics parsing throughput, in metrics per second. Run:
//   build/release/src/ingest/nakulos/nakulos_benchmark
// BM_ParseNakulosPost/N: a post shaped like client.py's (spec A9): Python json.dumps
// spacing, a uuid client_id, N metrics each {"value": v, "timestamp": t} with a distinct
// float time.time() per metric (as collected), 80% float values, 15% integers, 5%
// booleans, and the three tags of the shipped client_config.json. Names are module names
// (valid metric names), so no name is copied.
// BM_ParseNakulosSanitised/N: the same, but every name needs sanitising ("disk-usage.7"),
// so every series takes the copying path and gets a nakulos_name label.
// One reused parser, a batch cleared and reused between iterations.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "core/check.h"
#include "ingest/nakulos/nakulos.h"
#include "storage/write_batch.h"

namespace strix::ingest {
namespace {

std::string ClientPost(int metrics, bool sanitised) {
  static const char* const kBases[] = {
      "cpu_usage",  "memory_usage", "disk_usage", "network_in", "network_out",   "process_count",
      "open_files", "logged_users", "uptime",     "temp_files", "google_latency"};
  std::mt19937_64 rng(7);
  std::string body =
      "{\"hostname\": \"web-07.dc1.example.org\", \"client_id\": "
      "\"84d629f2-87f2-4eaa-8e5d-39f05708d357\", \"metrics\": {";
  double t = 1795314791.0471098;
  for (int i = 0; i < metrics; ++i) {
    std::string name = kBases[i % 11];
    if (sanitised) {
      for (char& c : name) {
        if (c == '_') c = '-';
      }
      name += "." + std::to_string(i);
    } else {
      name += "_" + std::to_string(i);
    }
    char value[64];
    const int kind = static_cast<int>(rng() % 20);
    if (kind < 16) {
      std::snprintf(value, sizeof value, "%.17g", static_cast<double>(rng() % 100000) / 1000.0);
    } else if (kind < 19) {
      std::snprintf(value, sizeof value, "%llu",
                    static_cast<unsigned long long>(rng() % 10'000'000'000ULL));
    } else {
      std::snprintf(value, sizeof value, "%s", rng() % 2 ? "true" : "false");
    }
    char ts[64];
    t += 0.000173;
    std::snprintf(ts, sizeof ts, "%.17g", t);
    if (i) body += ", ";
    body += "\"" + name + "\": {\"value\": " + value + ", \"timestamp\": " + ts + "}";
  }
  body +=
      "}, \"tags\": {\"role\": \"web_server\", \"location\": \"data_center_1\", "
      "\"environment\": \"production\"}}";
  return body;
}

void Run(benchmark::State& state, bool sanitised) {
  const int n = static_cast<int>(state.range(0));
  const std::string body = ClientPost(n, sanitised);
  NakulosParser parser;
  storage::WriteBatch batch;
  NakulosParseResult result;
  for (auto _ : state) {
    batch.Clear();
    Status s = parser.Parse(body, 1'795'400'000'000, &batch, &result);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(batch);
  }
  STRIX_CHECK(result.accepted == static_cast<uint64_t>(n) && result.rejected == 0);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes_per_metric"] =
      static_cast<double>(body.size()) / static_cast<double>(n);
}

void BM_ParseNakulosPost(benchmark::State& state) { Run(state, false); }
BENCHMARK(BM_ParseNakulosPost)->Arg(50)->Arg(5000);

void BM_ParseNakulosSanitised(benchmark::State& state) { Run(state, true); }
BENCHMARK(BM_ParseNakulosSanitised)->Arg(5000);

}  // namespace
}  // namespace strix::ingest

BENCHMARK_MAIN();
