// Counter arithmetic and Aggregate add/merge/finalise.
#include "storage/aggregate.h"

#include <algorithm>

namespace strix::storage {

std::string_view ConsolidationName(Consolidation c) {
  switch (c) {
    case Consolidation::kAvg:
      return "avg";
    case Consolidation::kMin:
      return "min";
    case Consolidation::kMax:
      return "max";
    case Consolidation::kFirst:
      return "first";
    case Consolidation::kLast:
      return "last";
    case Consolidation::kSum:
      return "sum";
    case Consolidation::kCount:
      return "count";
    case Consolidation::kRate:
      return "rate";
    case Consolidation::kIncrease:
      return "increase";
  }
  return "avg";
}

Result<Consolidation> ParseConsolidation(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Consolidation::kIncrease); ++i) {
    auto c = static_cast<Consolidation>(i);
    if (ConsolidationName(c) == name) return c;
  }
  if (name == "average") return Consolidation::kAvg;
  return Status::InvalidArgument(
      "unknown consolidation, expected avg, min, max, first, last, sum, count, rate or increase",
      name);
}

Change CounterIncrease(ValueKind kind, uint64_t prev, uint64_t cur) {
  Change c;
  if (cur >= prev) {
    c.delta.u = cur - prev;
    return c;
  }
  // A 32-bit counter holding a value of 32 bits or more is not one: treat it as 64-bit.
  bool w32 = kind == ValueKind::kCounter32 && prev <= 0xffffffffull && cur <= 0xffffffffull;
  uint64_t wrapped = w32 ? ((cur - prev) & 0xffffffffull) : (cur - prev);  // 2^W - prev + cur
  uint64_t half = w32 ? (1ull << 31) : (1ull << 63);
  if (wrapped <= half) {
    c.delta.u = wrapped;
    c.wrapped = true;
  } else {
    c.delta.u = cur;  // restarted from zero
    c.reset = true;
  }
  return c;
}

Change ChangeBetween(ValueKind kind, NumericValue prev, NumericValue cur) {
  Change c;
  switch (kind) {
    case ValueKind::kCounter32:
    case ValueKind::kCounter64:
      return CounterIncrease(kind, prev.u, cur.u);
    case ValueKind::kDerive:
      c.delta.i = static_cast<int64_t>(cur.u - prev.u);  // wrapping, no UB
      return c;
    case ValueKind::kAbsolute:
      c.delta.f = cur.f;
      return c;
    case ValueKind::kGauge:
    case ValueKind::kState:
      c.delta.f = cur.f - prev.f;
      return c;
  }
  return c;
}

double ToDouble(ValueKind kind, NumericValue v) {
  switch (kind) {
    case ValueKind::kCounter32:
    case ValueKind::kCounter64:
      return static_cast<double>(v.u);
    case ValueKind::kDerive:
      return static_cast<double>(v.i);
    default:
      return v.f;
  }
}

namespace {

void AddChange(ValueKind kind, NumericValue* acc, const Change& c) {
  if (IsCounter(kind)) {
    acc->u += c.delta.u;
  } else if (kind == ValueKind::kDerive) {
    acc->u += c.delta.u;  // two's complement sum == int64 sum, without overflow UB
  } else {
    acc->f += c.delta.f;
  }
}

}  // namespace

void Aggregate::Add(ValueKind kind, Timestamp ts, NumericValue v) {
  double d = ToDouble(kind, v);
  if (count == 0) {
    first_ts = ts;
    first = v;
    min = max = d;
    sum = d;
    if (!IsIntegerKind(kind)) increase.f = 0;
  } else {
    Change c = ChangeBetween(kind, last, v);
    AddChange(kind, &increase, c);
    covered_ms += ts - last_ts;
    resets += c.reset;
    wraps += c.wrapped;
    sum += d;
    min = std::min(min, d);
    max = std::max(max, d);
  }
  last_ts = ts;
  last = v;
  ++count;
}

void Aggregate::Merge(ValueKind kind, const Aggregate& later) {
  if (later.count == 0) return;
  if (count == 0) {
    *this = later;
    return;
  }
  Change c = ChangeBetween(kind, last, later.first);
  AddChange(kind, &increase, c);
  if (IsIntegerKind(kind)) {
    increase.u += later.increase.u;
  } else {
    increase.f += later.increase.f;
  }
  covered_ms += (later.first_ts - last_ts) + later.covered_ms;
  resets += later.resets + c.reset;
  wraps += later.wraps + c.wrapped;
  count += later.count;
  sum += later.sum;
  min = std::min(min, later.min);
  max = std::max(max, later.max);
  last_ts = later.last_ts;
  last = later.last;
}

std::optional<double> FinalizeBasic(Consolidation fn, const BasicAggregate& bucket) {
  if (bucket.count == 0) return std::nullopt;
  switch (fn) {
    case Consolidation::kAvg:
      return bucket.sum / static_cast<double>(bucket.count);
    case Consolidation::kMin:
      return bucket.min;
    case Consolidation::kMax:
      return bucket.max;
    case Consolidation::kSum:
      return bucket.sum;
    case Consolidation::kCount:
      return static_cast<double>(bucket.count);
    default:
      return std::nullopt;  // not a basic function
  }
}

std::optional<double> Finalize(ValueKind kind, Consolidation fn, const Aggregate& bucket,
                               const Aggregate* prev) {
  if (bucket.count == 0) return std::nullopt;
  switch (fn) {
    case Consolidation::kAvg:
      return bucket.sum / static_cast<double>(bucket.count);
    case Consolidation::kMin:
      return bucket.min;
    case Consolidation::kMax:
      return bucket.max;
    case Consolidation::kFirst:
      return ToDouble(kind, bucket.first);
    case Consolidation::kLast:
      return ToDouble(kind, bucket.last);
    case Consolidation::kSum:
      return bucket.sum;
    case Consolidation::kCount:
      return static_cast<double>(bucket.count);
    case Consolidation::kRate:
    case Consolidation::kIncrease: {
      Aggregate whole;
      if (prev != nullptr && prev->count > 0) {
        // Only the boundary pair of prev counts: start from its last sample alone.
        whole.Add(kind, prev->last_ts, prev->last);
      }
      whole.Merge(kind, bucket);
      double inc = ToDouble(kind, whole.increase);
      if (fn == Consolidation::kIncrease) {
        if (whole.count < 2) return std::nullopt;
        return inc;
      }
      if (whole.covered_ms <= 0) return std::nullopt;
      return inc / (static_cast<double>(whole.covered_ms) / 1000.0);
    }
  }
  return std::nullopt;
}

}  // namespace strix::storage
