// Line protocol parsing throughput (figures in docs/performance.md). Run:
//   build/release/src/ingest/line_protocol/line_protocol_benchmark
// The body is 5,000 telegraf-like lines of 10 fields each (cpu: floats with 2 to 17
// significant digits; mem: integers with the i suffix; disk: unsigned counters, floats and
// a boolean; net: counters and a short string), with host/cpu/path tags and nanosecond
// timestamps, parsed into a batch that is cleared and reused, by one reused parser.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>

#include "core/check.h"
#include "ingest/line_protocol/line_protocol.h"

namespace strix::ingest {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

// `escaped`: tag values and field keys with backslash escapes, so that every line takes
// the copying path.
std::string TelegrafBody(int lines, bool escaped) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> pct(0, 100);
  std::string body;
  int64_t ts = 1'700'000'000'000'000'000;
  char buf[64];
  for (int i = 0; i < lines; ++i) {
    std::string host = "host=web-" + std::to_string(i % 50) + ".dc1.example.com";
    if (escaped) host += "\\ rack\\,7";
    switch (i % 4) {
      case 0:
        body += "cpu,cpu=cpu" + std::to_string(i % 8) + "," + host + " ";
        for (int f = 0; f < 10; ++f) {
          if (f % 2) {
            std::snprintf(buf, sizeof buf, "%.2f", pct(rng));
          } else {
            std::snprintf(buf, sizeof buf, "%.17g", pct(rng));
          }
          body += std::string(escaped ? "usage\\ " : "usage_") + std::to_string(f) + "=" + buf +
                  (f < 9 ? "," : " ");
        }
        break;
      case 1:
        body += "mem," + host + " ";
        for (int f = 0; f < 10; ++f)
          body += "m" + std::to_string(f) + "=" + std::to_string(rng() % 64'000'000'000) + "i" +
                  (f < 9 ? "," : " ");
        break;
      case 2:
        body += "disk,device=sda1,fstype=ext4,mode=rw,path=/var/lib," + host + " ";
        for (int f = 0; f < 10; ++f) {
          if (f < 6) {
            body += "c" + std::to_string(f) + "=" + std::to_string(rng()) + "u";
          } else if (f < 9) {
            std::snprintf(buf, sizeof buf, "%.6g", pct(rng));
            body += "g" + std::to_string(f) + "=" + buf;
          } else {
            body += "ro=false";
          }
          body += f < 9 ? "," : " ";
        }
        break;
      default:
        body += "net,interface=eth" + std::to_string(i % 4) + "," + host + " ";
        for (int f = 0; f < 10; ++f) {
          if (f < 9) {
            body += "bytes_" + std::to_string(f) + "=" + std::to_string(rng() % (1ull << 48)) + "u";
          } else {
            body += "state=\"up\"";
          }
          body += f < 9 ? "," : " ";
        }
    }
    body += std::to_string(ts + int64_t{i} * 1'000'000) + "\n";
  }
  return body;
}

void RunParse(benchmark::State& state, bool escaped) {
  const std::string body = TelegrafBody(5000, escaped);
  LineProtocolParser parser;
  storage::WriteBatch batch;
  ParseStats stats;
  uint64_t samples = 0;
  for (auto _ : state) {
    batch.Clear();
    STRIX_CHECK(parser.Parse(body, kNow, &batch, &stats).ok());
    STRIX_CHECK(stats.rejected_lines == 0 && stats.samples == 50'000);
    samples += stats.samples;
    benchmark::DoNotOptimize(batch.sample_count());
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["body_bytes/sample"] = static_cast<double>(body.size()) / 50'000.0;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(body.size()));
}

void BM_ParseTelegraf5000Lines(benchmark::State& state) { RunParse(state, false); }
BENCHMARK(BM_ParseTelegraf5000Lines)->Unit(benchmark::kMillisecond);

void BM_ParseTelegraf5000LinesEscaped(benchmark::State& state) { RunParse(state, true); }
BENCHMARK(BM_ParseTelegraf5000LinesEscaped)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strix::ingest

BENCHMARK_MAIN();
