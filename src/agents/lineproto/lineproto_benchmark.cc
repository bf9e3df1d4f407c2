// Encode and Decode throughput on a Telegraf-like round: 200 points of 5 fields with 3 tags,
// the shape of what the agent sends and the hub reads back from a spoke.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "agents/lineproto/lineproto.h"

namespace strix::agents::lineproto {
namespace {

std::vector<Point> Round() {
  std::vector<Point> points;
  for (int i = 0; i < 200; ++i) {
    Point p;
    p.measurement = "linux_disk";
    p.tags = {{"host", "web-1"}, {"device", "sd" + std::to_string(i)}, {"input", "host"}};
    p.fields = {{"read_bytes", FieldValue::Counter(123456789012ull + i)},
                {"write_bytes", FieldValue::Counter(98765432109ull + i)},
                {"busy_ratio", FieldValue::Gauge(0.123456789 * i)},
                {"queue", FieldValue::Derive(i)},
                {"state", FieldValue::State("ok")}};
    p.timestamp_ms = 1700000000000;
    points.push_back(std::move(p));
  }
  return points;
}

void BM_Encode(benchmark::State& state) {
  const std::vector<Point> points = Round();
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const Point& p : points) Encode(p, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * points.size() * 5);  // fields
  state.SetBytesProcessed(state.iterations() * out.size());
}
BENCHMARK(BM_Encode);

void BM_Decode(benchmark::State& state) {
  std::string text;
  for (const Point& p : Round()) Encode(p, &text);
  std::vector<Point> out;
  DecodeStats stats;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(Decode(text, 0, Precision::kMilliseconds, &out, &stats).ok());
  }
  state.SetItemsProcessed(state.iterations() * stats.points * 5);
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_Decode);

}  // namespace
}  // namespace strix::agents::lineproto

BENCHMARK_MAIN();
