// The deterministic workload of the kill -9 test: batch n writes, for 8 hosts, one gauge
// sample and one counter sample at a time derived from n, so the checker knows exactly
// what each acknowledged batch stored.
#pragma once

#include <cstdint>
#include <string>

#include "storage/write_batch.h"

namespace strix::crashtest {

inline constexpr int kHosts = 8;
// Recent enough to be inside the out-of-order window whenever the test runs.
inline int64_t BaseTime() {
  static const int64_t base = [] {
    const char* e = std::getenv("STRIX_CRASH_BASE_MS");
    return e ? std::strtoll(e, nullptr, 10) : 0;
  }();
  return base;
}
// One millisecond per batch: even 1,000 kill loops stay far inside the accepted window.
inline int64_t TimeOf(uint64_t n) { return BaseTime() + static_cast<int64_t>(n); }
inline double GaugeOf(uint64_t n, int host) { return static_cast<double>(n % 1000) / 4 + host; }
inline uint64_t CounterOf(uint64_t n, int host) {
  return n * 1000003ull + static_cast<uint64_t>(host);
}

inline void MakeBatch(uint64_t n, storage::WriteBatch* b) {
  for (int h = 0; h < kHosts; ++h) {
    std::string host = "h" + std::to_string(h);
    b->StartSeries(storage::ValueKind::kGauge, {{"__name__", "load"}, {"host", host}});
    b->AddGauge(TimeOf(n), GaugeOf(n, h));
    b->StartSeries(storage::ValueKind::kCounter64, {{"__name__", "bytes"}, {"host", host}});
    b->AddCounter(TimeOf(n), CounterOf(n, h));
  }
}

}  // namespace strix::crashtest
