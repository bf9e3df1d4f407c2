// SelfMetrics: strixd's own metrics, served at GET /metrics in the Prometheus text format
// (version 0.0.4) and stored in strixd's own storage under the server's host name, so that
// Strix charts itself.
//
// Components register what they expose once, at start-up: counters they increment
// (Counter, lock-free), and collectors that read figures they already keep (queue depth,
// storage sizes, HTTP status counts) when the metrics are rendered or stored. Nothing is
// computed per sample.
//
// Thread-safety: Register* before concurrent use (start-up); afterwards Counter::Add,
// Render and AppendTo may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "storage/model.h"
#include "storage/write_batch.h"

namespace strix::api {

class Counter {
 public:
  void Add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// What a collector reports when asked.
struct MetricFamily {
  enum class Type { kCounter, kGauge, kHistogram };
  struct Sample {
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
    uint64_t count = 0;  // counters: the exact integer (value ignored)
  };
  struct Histogram {
    std::vector<std::pair<std::string, std::string>> labels;
    std::vector<double> bounds;    // upper bounds, ascending, in the metric's unit
    std::vector<uint64_t> counts;  // per bucket (not cumulative); one more than bounds
    double sum = 0;
  };
  std::string name;
  std::string help;
  Type type = Type::kGauge;
  std::vector<Sample> samples;
  std::vector<Histogram> histograms;
};

using Collector = std::function<void(std::vector<MetricFamily>* out)>;

class SelfMetrics {
 public:
  // A counter owned by the registry (stable address for its lifetime).
  Counter* RegisterCounter(std::string name, std::string help,
                           std::vector<std::pair<std::string, std::string>> labels = {});
  void RegisterCollector(Collector c);

  // Everything, in the Prometheus text format.
  std::string Render() const;
  // Everything as series of `host`: counters as 64-bit counters, gauges as gauges,
  // histograms as <name>_bucket{le} counters (cumulative, as Prometheus has them),
  // <name>_sum gauges and <name>_count counters.
  void AppendTo(storage::WriteBatch* batch, storage::Timestamp ts, const std::string& host) const;

  // Every family, counters first.
  std::vector<MetricFamily> Collect() const;

 private:
  struct OwnedCounter {
    std::string name, help;
    std::vector<std::pair<std::string, std::string>> labels;
    std::unique_ptr<Counter> counter;
  };
  mutable Mutex mu_;
  std::vector<OwnedCounter> counters_ STRIX_GUARDED_BY(mu_);
  std::vector<Collector> collectors_ STRIX_GUARDED_BY(mu_);
};

}  // namespace strix::api
