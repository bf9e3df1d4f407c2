// Storage: the API of Strix's time-series storage, used by strixd, the admin tool and the
// benchmarks. The embedded engine (OpenEmbedded) implements it, and so will the
// PostgreSQL backend, so nothing here names engine internals: only the data model
// (model.h), label matchers, time ranges, steps and consolidation functions.
//
// Thread-safety: every method may be called concurrently from any thread, except Close(),
// which must be the last call.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/env.h"
#include "core/result.h"
#include "storage/aggregate.h"
#include "storage/labels.h"
#include "storage/model.h"
#include "storage/write_batch.h"

namespace strix::storage {

// Label matchers are storage::Matcher (labels.h): = != =~ !~ with Prometheus semantics;
// ParseMatchers() reads a selector such as `cpu_usage{host=~"web.*"}`.
using Matchers = std::vector<Matcher>;

// ---- writing --------------------------------------------------------------------------

// Why one sample (or a whole series of a batch) was not stored.
struct Rejection {
  uint32_t series_tag = 0;    // WriteBatch series tag (e.g. the input line number)
  uint32_t sample_index = 0;  // index of the sample within its series
  Status reason;
};

struct AppendResult {
  uint64_t accepted = 0;    // samples now durable (including idempotent repeats)
  uint64_t duplicates = 0;  // of those, repeats of an identical stored sample (no-ops)
  uint64_t rejected = 0;
  std::vector<Rejection> first_rejections;  // at most kMaxReportedRejections
  static constexpr size_t kMaxReportedRejections = 10;
};

// ---- reading --------------------------------------------------------------------------

struct SelectRequest {
  Matchers matchers;
  Timestamp from = 0;  // inclusive
  Timestamp to = 0;    // exclusive
  // 0: raw samples. Otherwise buckets [from + k*step, from + (k+1)*step), aligned to
  // multiples of step since the epoch (from is aligned down).
  int64_t step_ms = 0;
  Consolidation fn = Consolidation::kAvg;
  // With a step: also return each bucket's min and max (dashboards draw them as a band).
  bool with_min_max = false;
  // Stop with kResourceExhausted past this many series (0: no limit).
  size_t max_series = 0;
};

struct SeriesData {
  Labels labels;
  ValueKind kind = ValueKind::kGauge;
  // Raw (step 0): one entry per sample; numeric values in `raw` (kind-typed), state
  // strings in `states`. Consolidated: one entry per non-empty bucket, in `values`
  // (and `min`/`max` when requested); state series give the last state per bucket.
  std::vector<Timestamp> timestamps;
  std::vector<NumericValue> raw;
  std::vector<double> values;
  std::vector<double> min;
  std::vector<double> max;
  std::vector<std::string> states;
  // Resolution of the data actually used, in ms (0 = raw); the finest tier covering the
  // range at this step.
  int64_t resolution_ms = 0;
};

struct LatestSample {
  Labels labels;
  ValueKind kind = ValueKind::kGauge;
  Timestamp ts = 0;
  NumericValue value{.u = 0};
  std::string state;  // for state series
};

struct SeriesInfo {
  Labels labels;
  ValueKind kind = ValueKind::kGauge;
  Timestamp first_ts = 0;  // oldest sample still stored
  Timestamp last_ts = 0;   // newest sample
};

struct TierStats {
  std::string name;  // "raw", "1m", "1h"
  int64_t resolution_ms = 0;
  int64_t retention_ms = 0;  // 0: kept until the disk budget needs the space
  uint64_t blocks = 0;
  uint64_t bytes = 0;
  uint64_t samples = 0;  // raw samples, or tier points
  Timestamp oldest = 0;
  Timestamp newest = 0;
  // At the current ingest rate, how many days of history this tier will hold within its
  // retention and the disk budget.
  double forecast_days = 0;
};

struct StorageStats {
  uint64_t series = 0;  // series in the head (active)
  uint64_t head_samples = 0;
  uint64_t head_bytes = 0;  // memory held by the head (chunks, series, index)
  uint64_t wal_bytes = 0;
  uint64_t wal_segments = 0;
  uint64_t disk_bytes = 0;  // everything in the data directory
  uint64_t disk_budget_bytes = 0;
  double ingest_samples_per_second = 0;  // over the last minutes
  uint64_t samples_appended = 0;         // since open
  uint64_t samples_rejected = 0;
  uint64_t out_of_order_samples = 0;
  uint64_t compactions = 0;
  uint64_t compactions_failed = 0;
  // WAL fsync latency histogram: wal_fsync_counts[i] syncs took at most
  // wal_fsync_bounds_us[i] (and more than the bound before); the extra last count holds
  // the slower ones. Empty for a backend without a WAL.
  std::vector<uint64_t> wal_fsync_bounds_us;
  std::vector<uint64_t> wal_fsync_counts;
  uint64_t wal_fsync_sum_us = 0;
  std::vector<TierStats> tiers;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Stores the batch. Returns only once every accepted sample is durable (or, when the
  // engine was opened with a sync interval, written and due to be synced within it).
  // An error Status means nothing of the batch is acknowledged; per-sample problems
  // (too old, kind mismatch, invalid labels, NaN) are counted in AppendResult instead.
  virtual Result<AppendResult> Append(const WriteBatch& batch) = 0;

  virtual Result<std::vector<SeriesData>> Select(const SelectRequest& req) = 0;
  // The newest sample of every matching series.
  virtual Result<std::vector<LatestSample>> Latest(const Matchers& matchers) = 0;
  // Series with data in [from, to).
  virtual Result<std::vector<SeriesInfo>> Series(const Matchers& matchers, Timestamp from,
                                                 Timestamp to) = 0;
  virtual Result<std::vector<std::string>> LabelNames(const Matchers& matchers) = 0;
  virtual Result<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const Matchers& matchers) = 0;
  // Deletes the samples of matching series in [from, to). Durable when it returns.
  // Returns the number of series affected.
  virtual Result<uint64_t> Delete(const Matchers& matchers, Timestamp from, Timestamp to) = 0;
  virtual StorageStats Stats() = 0;

  // Flushes the head to blocks and waits (tests, the admin tool, orderly shutdown).
  virtual Status Flush() = 0;
  // Runs pending compaction, tier building and retention now and waits.
  virtual Status Compact() = 0;
  // Stops background work, syncs and releases the directory. Idempotent.
  virtual Status Close() = 0;
};

}  // namespace strix::storage
