// The deterministic benchmark workload shared by strix-loadgen and the side-by-side
// benchmark (issue 5): H hosts, each with the same ten metrics (kHostMetrics), one sample
// per metric every `interval` over `span`, starting at `start_ms`.
//
// The values are node-exporter-like and come in five shapes: random walks with two
// decimals (CPU percentages, load), integer byte gauges moving by pages (memory, disk),
// monotonic unsigned counters at per-series rates (network bytes, requests), constants
// (memory size) and spiky series (a latency near a baseline with rare 10x-100x spikes).
//
// Determinism: every series has its own generator, seeded from (seed, host, metric) with
// SplitMix64, a fully specified function, so a series' values depend on nothing else:
// host 7's values are the same whether the workload has 10 hosts or 10,000, and the same
// options give the same values on every machine and compiler (no std:: distributions,
// whose output the standard leaves to the implementation). Floats are carried as integer
// hundredths, so their text is exact. A reader that wants the expected values of one series
// (issue 5's read-back check) makes a SeriesGenerator for it and calls Next() per point.
//
// Sizes are exact: points() = span / interval (rounded down, at least 1), samples() =
// hosts * kMetricsPerHost * points(); the point k has the timestamp start_ms + k * interval.
//
// Thread-safety: Workload is immutable after Create() and may be shared. A RowCursor and a
// SeriesGenerator are not thread-safe; each thread makes its own.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace strix::bench {

inline constexpr int kMetricsPerHost = 10;

enum class MetricShape : uint8_t {
  kRandomWalk,  // two decimals, bounded, steps of a few hundredths
  kByteGauge,   // integer bytes, moves by multiples of 4096
  kCounter,     // unsigned, never decreases, a per-series rate with jitter
  kConstant,    // the same integer at every point
  kSpiky,       // two decimals near a baseline, about 1 point in 60 is 10x to 100x higher
};

// How a value is written: two-decimal float, signed integer (line protocol `i`) or
// unsigned integer (line protocol `u`).
enum class ValueType : uint8_t { kFixed2, kInt, kUnsigned };

struct MetricSpec {
  std::string_view name;  // the line-protocol field key and the pattoo_key
  MetricShape shape;
  ValueType type;
};

// The ten metrics of every host, in the order they are written.
extern const std::array<MetricSpec, kMetricsPerHost> kHostMetrics;

// One sample value. Exactly one of the members is meaningful, chosen by `type`.
struct SampleValue {
  ValueType type = ValueType::kInt;
  int64_t i = 0;   // kFixed2: the value in hundredths (12.34 is 1234); kInt: the value
  uint64_t u = 0;  // kUnsigned: the value

  double ToDouble() const;
  friend bool operator==(const SampleValue&, const SampleValue&) = default;
};

// Produces one series' values, point after point. Construct with the workload's seed and
// the series' host and metric index (0..kMetricsPerHost-1).
class SeriesGenerator {
 public:
  SeriesGenerator(uint64_t seed, int host, int metric);
  // The value at the next point (the first call gives point 0).
  SampleValue Next();

 private:
  uint64_t Rand();                                   // SplitMix64
  uint64_t Below(uint64_t n) { return Rand() % n; }  // slight modulo bias is irrelevant here

  uint64_t state_;
  const MetricSpec* spec_;
  int metric_;
  int64_t value_ = 0;  // hundredths (walks, spiky baseline) or bytes (gauges, constants)
  uint64_t counter_ = 0;
  int64_t lo_ = 0, hi_ = 0, step_ = 0;  // walk bounds and largest step
  uint64_t rate_ = 0;                   // counter: mean increase per point
};

struct WorkloadOptions {
  // Seeds every series; the same seed gives the same values.
  uint64_t seed = 1;
  // Hosts, named HostName(0) .. HostName(hosts-1).
  int hosts = 100;
  // Time of point 0, in milliseconds since the epoch. DefaultStartMs() picks a recent one.
  int64_t start_ms = 0;
  // Length of the workload; points = span_ms / interval_ms (at least 1).
  int64_t span_ms = 3'600'000;
  // Time between two samples of a series.
  int64_t interval_ms = 10'000;

  // InvalidArgument when a field is out of its domain.
  Status Validate() const;
};

// A start time that puts the whole span in the recent past, so that servers with a
// retention or an out-of-order window accept it: now - span, rounded down to the hour.
// Runs within the same hour get the same start (and so the same bytes).
int64_t DefaultStartMs(int64_t now_ms, int64_t span_ms);

// One host's ten values at one point: what one line-protocol line carries.
struct Row {
  int64_t point = 0;
  int64_t timestamp_ms = 0;
  int host = 0;
  std::array<SampleValue, kMetricsPerHost> values;
};

class Workload {
 public:
  static Result<Workload> Create(const WorkloadOptions& options);

  const WorkloadOptions& options() const { return options_; }
  int hosts() const { return options_.hosts; }
  int64_t points() const { return points_; }
  uint64_t series() const { return static_cast<uint64_t>(options_.hosts) * kMetricsPerHost; }
  uint64_t rows() const { return static_cast<uint64_t>(options_.hosts) * points_; }
  uint64_t samples() const { return series() * static_cast<uint64_t>(points_); }
  int64_t TimestampMs(int64_t point) const {
    return options_.start_ms + point * options_.interval_ms;
  }

  // "host-00042": zero-padded to five digits, longer past 99999.
  static std::string HostName(int host);

  // Walks every row in time order: point 0 for hosts 0..H-1, then point 1, and so on.
  class RowCursor {
   public:
    explicit RowCursor(const Workload& w);
    // Fills *row with the next row; false after the last one.
    bool Next(Row* row);

   private:
    const Workload* w_;
    std::vector<SeriesGenerator> gens_;  // host-major: host * kMetricsPerHost + metric
    int64_t point_ = 0;
    int host_ = 0;
  };
  RowCursor Rows() const { return RowCursor(*this); }

 private:
  explicit Workload(const WorkloadOptions& options);
  WorkloadOptions options_;
  int64_t points_ = 0;
};

}  // namespace strix::bench
