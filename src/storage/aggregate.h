// Exact, mergeable summaries of samples (tier points) and the counter arithmetic behind
// rates. Shared by raw-data queries, the tier builder and tier queries, which is what
// makes a consolidated answer from a tier equal the one computed from raw samples.
//
// Buckets are aligned to multiples of their width since the epoch and cover
// [start, start + width); a bucket is labelled by its start. (rrdtool labels a row by
// its end and includes the end; see docs/format/tiers.md for this and the other
// deliberate differences.)
//
// Rates and increases attribute the change between two consecutive samples to the
// bucket holding the LATER sample. An Aggregate therefore keeps the change between
// consecutive samples that are both inside it, plus its first and last samples; the
// change across the boundary (previous non-empty bucket's last -> this bucket's first)
// is added when the bucket is finalised or merged. Nothing is extrapolated.
//
// Counter wraps and resets (CounterIncrease): for a counter of width W, a reading lower
// than the previous one is a wrap when the wrapped difference (2^W - prev + cur) is at
// most 2^(W-1), i.e. the counter moved less than half its range; otherwise it is a reset
// (device reboot) and the increase is the new reading (the counter restarted from 0), so
// a reset is never a spike. The wrapped difference is exact: 2^W, not rrdtool's 2^32-1.
//
// Floating-point sums are added in timestamp order, and merged aggregates in bucket
// order, so computing raw -> 1m -> step and 1m-tier -> step give bit-identical results.
// Thread-safety: plain values and pure functions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "storage/model.h"

namespace strix::storage {

enum class Consolidation : uint8_t {
  kAvg = 0,
  kMin = 1,
  kMax = 2,
  kFirst = 3,
  kLast = 4,
  kSum = 5,
  kCount = 6,
  kRate = 7,      // per second, from the change between consecutive samples
  kIncrease = 8,  // total change over the bucket
};

std::string_view ConsolidationName(Consolidation c);
Result<Consolidation> ParseConsolidation(std::string_view name);

// The change from `prev` to `cur` of a series of `kind`:
//   counters: exact uint64 increase, wraps and resets resolved (see above);
//   derive:   cur - prev as int64 (may be negative);
//   absolute: cur (each reading counts since the previous one);
//   gauge:    cur - prev as double (the rate of change of a gauge).
struct Change {
  NumericValue delta;  // typed like Aggregate::increase
  bool wrapped = false;
  bool reset = false;
};
Change ChangeBetween(ValueKind kind, NumericValue prev, NumericValue cur);

// Counter difference alone (kind counter32 or counter64).
Change CounterIncrease(ValueKind kind, uint64_t prev, uint64_t cur);

// NumericValue as a double, per kind.
double ToDouble(ValueKind kind, NumericValue v);

// The summary of one series' samples in one bucket. Add() samples in strictly increasing
// timestamp order; Merge() a later, non-overlapping aggregate.
struct Aggregate {
  uint64_t count = 0;
  double sum = 0;  // sum of values as doubles (float kinds exact up to rounding order)
  double min = 0;  // valid when count > 0
  double max = 0;
  Timestamp first_ts = 0;
  Timestamp last_ts = 0;
  NumericValue first{.u = 0};
  NumericValue last{.u = 0};
  // Change between consecutive samples inside this aggregate: u for counters, i for
  // derive, f for gauge and absolute.
  NumericValue increase{.u = 0};
  // Sum of the intervals between those consecutive samples.
  int64_t covered_ms = 0;
  uint32_t resets = 0;  // counter resets among them
  uint32_t wraps = 0;   // counter wraps among them

  bool empty() const { return count == 0; }
  void Add(ValueKind kind, Timestamp ts, NumericValue v);
  void Merge(ValueKind kind, const Aggregate& later);
};

// Count, sum, min and max only: enough for avg, sum, count, min and max, a third of the
// size of an Aggregate and cheaper to merge. Add and Merge compute those four fields
// exactly as Aggregate does, so answers come out bit-identical.
struct BasicAggregate {
  uint64_t count = 0;
  double sum = 0;
  double min = 0;
  double max = 0;

  bool empty() const { return count == 0; }
  void Add(ValueKind kind, Timestamp, NumericValue v) {
    const double d = ToDouble(kind, v);
    if (count == 0) {
      sum = min = max = d;
    } else {
      sum += d;
      min = std::min(min, d);
      max = std::max(max, d);
    }
    ++count;
  }
  void Merge(ValueKind, const BasicAggregate& later) {
    if (later.count == 0) return;
    if (count == 0) {
      *this = later;
      return;
    }
    count += later.count;
    sum += later.sum;
    min = std::min(min, later.min);
    max = std::max(max, later.max);
  }
};

// Whether `fn` needs only a BasicAggregate.
inline bool IsBasic(Consolidation fn) {
  return fn == Consolidation::kAvg || fn == Consolidation::kSum || fn == Consolidation::kCount ||
         fn == Consolidation::kMin || fn == Consolidation::kMax;
}
// Finalize for a basic function (the same arithmetic as Finalize).
std::optional<double> FinalizeBasic(Consolidation fn, const BasicAggregate& bucket);

// The value of `fn` for `bucket`, given the previous non-empty aggregate of the same
// series (nullptr if none is known; then the boundary change is unknown). Returns
// nullopt when the function has no value (empty bucket; a rate with no interval).
std::optional<double> Finalize(ValueKind kind, Consolidation fn, const Aggregate& bucket,
                               const Aggregate* prev);

// floor(ts / width) * width, correct for negative timestamps.
inline Timestamp AlignDown(Timestamp ts, int64_t width) {
  Timestamp r = ts % width;
  return r < 0 ? ts - r - width : ts - r;
}

}  // namespace strix::storage
