// The data model shared by every storage component and by the storage API: value kinds,
// timestamps, samples and labels. No engine internals here: the PostgreSQL backend and
// the ingest parsers use these types too.
//
// A series is a metric name plus a sorted set of labels; the name is stored as the label
// "__name__" so that matchers treat it like any other label. A sample is a timestamp in
// milliseconds since the Unix epoch and a value whose representation depends on the
// series' kind, which is fixed when the series is created.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strix::storage {

// Milliseconds since the Unix epoch.
using Timestamp = int64_t;

// Identifies a series inside one storage instance; never reused.
using SeriesRef = uint64_t;

enum class ValueKind : uint8_t {
  kGauge = 1,      // float64, any value (NaN marks nothing: it is rejected at ingest)
  kCounter32 = 2,  // uint64 that wraps at 2^32; rates tell wraps from resets
  kCounter64 = 3,  // uint64 that wraps at 2^64
  kDerive = 4,     // int64 (RRD DERIVE): rate of change, may go down
  kAbsolute = 5,   // float64 (RRD ABSOLUTE): a count since the previous reading
  kState = 6,      // a string (interface status, fault text), stored as changes
};

inline bool IsCounter(ValueKind k) {
  return k == ValueKind::kCounter32 || k == ValueKind::kCounter64;
}
// Kinds whose samples are held as exact integers (uint64 bits; derive reinterprets them
// as int64). Gauge and absolute are float64; state is a string.
inline bool IsIntegerKind(ValueKind k) { return IsCounter(k) || k == ValueKind::kDerive; }
inline bool IsFloatKind(ValueKind k) { return k == ValueKind::kGauge || k == ValueKind::kAbsolute; }

std::string_view ValueKindName(ValueKind k);  // "gauge", "counter32", ...
bool ParseValueKind(std::string_view name, ValueKind* out);

// A numeric sample value. Which member is meaningful follows the series' kind:
// f for gauge and absolute, u for counters, i for derive. State values travel separately.
union NumericValue {
  double f;
  uint64_t u;
  int64_t i;
};

// The label holding the metric name.
inline constexpr std::string_view kMetricNameLabel = "__name__";

}  // namespace strix::storage
