// The workload's series generators and row cursor (see workload.h). Every random draw is
// SplitMix64 (Steele, Lea, Flood 2014) reduced modulo a small bound, in a fixed order per
// call, so a series' values are a pure function of (seed, host, metric, point).
#include "bench/loadgen/workload.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/check.h"

namespace strix::bench {
namespace {

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * kKiB;
constexpr int64_t kGiB = 1024 * kMiB;
constexpr int64_t kPage = 4096;
constexpr int64_t kHourMs = 3'600'000;

// SplitMix64's output function: a bijective 64-bit mixer.
uint64_t Mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

const std::array<MetricSpec, kMetricsPerHost> kHostMetrics = {{
    {"cpu_user", MetricShape::kRandomWalk, ValueType::kFixed2},
    {"cpu_system", MetricShape::kRandomWalk, ValueType::kFixed2},
    {"load1", MetricShape::kRandomWalk, ValueType::kFixed2},
    {"mem_used", MetricShape::kByteGauge, ValueType::kInt},
    {"disk_used", MetricShape::kByteGauge, ValueType::kInt},
    {"net_rx_bytes", MetricShape::kCounter, ValueType::kUnsigned},
    {"net_tx_bytes", MetricShape::kCounter, ValueType::kUnsigned},
    {"requests", MetricShape::kCounter, ValueType::kUnsigned},
    {"mem_total", MetricShape::kConstant, ValueType::kInt},
    {"latency_ms", MetricShape::kSpiky, ValueType::kFixed2},
}};

double SampleValue::ToDouble() const {
  switch (type) {
    case ValueType::kFixed2:
      return static_cast<double>(i) / 100.0;
    case ValueType::kInt:
      return static_cast<double>(i);
    case ValueType::kUnsigned:
      return static_cast<double>(u);
  }
  return 0;
}

SeriesGenerator::SeriesGenerator(uint64_t seed, int host, int metric)
    : state_(Mix64(seed) ^
             Mix64((static_cast<uint64_t>(host) << 8) | static_cast<uint64_t>(metric))),
      spec_(&kHostMetrics.at(static_cast<size_t>(metric))),
      metric_(metric) {
  // Initial state per metric; the draws below are part of the workload's definition.
  switch (metric_) {
    case 0:  // cpu_user: 5.00 to 54.99 %, steps up to 0.20
      value_ = 500 + static_cast<int64_t>(Below(5000));
      lo_ = 0, hi_ = 10000, step_ = 20;
      break;
    case 1:  // cpu_system: 1.00 to 15.99 %, steps up to 0.10
      value_ = 100 + static_cast<int64_t>(Below(1500));
      lo_ = 0, hi_ = 10000, step_ = 10;
      break;
    case 2:  // load1: 0.00 to 3.99, steps up to 0.05
      value_ = static_cast<int64_t>(Below(400));
      lo_ = 0, hi_ = 6400, step_ = 5;
      break;
    case 3:  // mem_used: 256 MiB to 6.25 GiB in pages, steps up to 1 MiB
      value_ = (256 * kMiB + static_cast<int64_t>(Below(6 * kGiB))) / kPage * kPage;
      lo_ = 256 * kMiB, hi_ = 8 * kGiB, step_ = 256;  // step_ in pages
      break;
    case 4:  // disk_used: 10 to 110 GiB in pages, mostly growing
      value_ = (10 * kGiB + static_cast<int64_t>(Below(100 * kGiB))) / kPage * kPage;
      break;
    case 5:  // net_rx_bytes
    case 6:  // net_tx_bytes: up to 2^40 at start, 1 KB to 500 KB per interval on average
      counter_ = Below(uint64_t{1} << 40);
      rate_ = 1000 + Below(500'000);
      break;
    case 7:  // requests: 0 to 200 per interval on average
      counter_ = Below(1'000'000);
      rate_ = 1 + Below(200);
      break;
    case 8:  // mem_total: 8, 16, 32 or 64 GiB
      value_ = (8 * kGiB) << Below(4);
      break;
    case 9:  // latency_ms: a baseline of 2.00 to 4.99 ms
      value_ = 200 + static_cast<int64_t>(Below(300));
      break;
    default:
      STRIX_CHECK_MSG(false, "metric index out of range");
  }
}

uint64_t SeriesGenerator::Rand() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

SampleValue SeriesGenerator::Next() {
  SampleValue v;
  v.type = spec_->type;
  switch (spec_->shape) {
    case MetricShape::kRandomWalk: {
      const int64_t delta =
          static_cast<int64_t>(Below(2 * static_cast<uint64_t>(step_) + 1)) - step_;
      value_ = std::clamp(value_ + delta, lo_, hi_);
      v.i = value_;
      break;
    }
    case MetricShape::kByteGauge: {
      if (metric_ == 3) {
        const int64_t pages =
            static_cast<int64_t>(Below(2 * static_cast<uint64_t>(step_) + 1)) - step_;
        value_ = std::clamp(value_ + pages * kPage, lo_, hi_);
      } else {
        const int64_t pages = static_cast<int64_t>(Below(65)) - 16;  // -16 .. +48 pages
        value_ = std::max<int64_t>(0, value_ + pages * kPage);
      }
      v.i = value_;
      break;
    }
    case MetricShape::kCounter:
      // net_*: rate/2 .. 3*rate/2 (never 0); requests: 0 .. 2*rate.
      counter_ += metric_ == 7 ? Below(2 * rate_ + 1) : rate_ / 2 + Below(rate_ + 1);
      v.u = counter_;
      break;
    case MetricShape::kConstant:
      v.i = value_;
      break;
    case MetricShape::kSpiky: {
      int64_t x = value_ + static_cast<int64_t>(Below(21)) - 10;
      if (Below(60) == 0) x = value_ * (10 + static_cast<int64_t>(Below(91)));
      v.i = x;
      break;
    }
  }
  return v;
}

Status WorkloadOptions::Validate() const {
  if (hosts < 1) return Status::InvalidArgument("workload: hosts must be at least 1");
  if (interval_ms < 1) return Status::InvalidArgument("workload: interval must be at least 1 ms");
  if (span_ms < 1) return Status::InvalidArgument("workload: span must be at least 1 ms");
  if (start_ms < 0) return Status::InvalidArgument("workload: start must not be before 1970");
  const int64_t points = std::max<int64_t>(1, span_ms / interval_ms);
  // Keep every timestamp representable in nanoseconds (precision=ns) and the sizes sane.
  constexpr int64_t kMaxMs = int64_t{9'000'000'000'000};  // 2255, below int64 ns (2262)
  if (start_ms > kMaxMs || points > kMaxMs / interval_ms ||
      start_ms + points * interval_ms > kMaxMs) {
    return Status::InvalidArgument("workload: timestamps would pass the year 2255");
  }
  if (static_cast<double>(hosts) * static_cast<double>(points) > 1e10) {
    return Status::InvalidArgument("workload: more than 10^10 rows");
  }
  return Status::Ok();
}

int64_t DefaultStartMs(int64_t now_ms, int64_t span_ms) {
  const int64_t t = std::max<int64_t>(0, now_ms - span_ms);
  return t / kHourMs * kHourMs;
}

Workload::Workload(const WorkloadOptions& options)
    : options_(options), points_(std::max<int64_t>(1, options.span_ms / options.interval_ms)) {}

Result<Workload> Workload::Create(const WorkloadOptions& options) {
  STRIX_RETURN_IF_ERROR(options.Validate());
  return Workload(options);
}

std::string Workload::HostName(int host) { return fmt::format("host-{:05d}", host); }

Workload::RowCursor::RowCursor(const Workload& w) : w_(&w) {
  gens_.reserve(static_cast<size_t>(w.series()));
  for (int h = 0; h < w.hosts(); ++h) {
    for (int m = 0; m < kMetricsPerHost; ++m) gens_.emplace_back(w.options().seed, h, m);
  }
}

bool Workload::RowCursor::Next(Row* row) {
  if (point_ >= w_->points()) return false;
  row->point = point_;
  row->timestamp_ms = w_->TimestampMs(point_);
  row->host = host_;
  SeriesGenerator* g = &gens_[static_cast<size_t>(host_) * kMetricsPerHost];
  for (int m = 0; m < kMetricsPerHost; ++m) row->values[static_cast<size_t>(m)] = g[m].Next();
  if (++host_ == w_->hosts()) {
    host_ = 0;
    ++point_;
  }
  return true;
}

}  // namespace strix::bench
