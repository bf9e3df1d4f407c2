// Point: what every strix-agent input produces, and what the agent sends.
//
// A point is one line of InfluxDB line protocol (docs/wire/line-protocol.md): a
// measurement, tags, one or more fields and a timestamp. strixd stores each field as the
// series `<measurement>_<field>` with the tags as labels, so an input chooses the
// measurement as the metric family and the field keys as its members
// (`linux_memory` + `total_bytes` -> `linux_memory_total_bytes`).
//
// Kinds follow the line protocol's value types, which strixd maps to storage kinds:
//   kGauge   float        -> gauge (double)
//   kCounter unsigned `u` -> counter64 (uint64, exact; never a pre-computed rate)
//   kCounter32 `u32`      -> counter32 (wraps at 2^32, as SNMP Counter32: a Strix
//                            extension of the line protocol, docs/wire/line-protocol.md)
//   kDerive  integer `i`  -> derive (int64, exact)
//   kState   string       -> state (at most 4096 bytes of UTF-8)
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace strix::agents {

enum class ValueKind : uint8_t { kGauge, kCounter, kDerive, kState, kCounter32 };

struct FieldValue {
  ValueKind kind = ValueKind::kGauge;
  double f = 0;    // kGauge
  uint64_t u = 0;  // kCounter, kCounter32 (< 2^32)
  int64_t i = 0;   // kDerive
  std::string s;   // kState

  static FieldValue Gauge(double v) {
    FieldValue x;
    x.kind = ValueKind::kGauge;
    x.f = v;
    return x;
  }
  static FieldValue Counter(uint64_t v) {
    FieldValue x;
    x.kind = ValueKind::kCounter;
    x.u = v;
    return x;
  }
  static FieldValue Counter32(uint32_t v) {
    FieldValue x;
    x.kind = ValueKind::kCounter32;
    x.u = v;
    return x;
  }
  static FieldValue Derive(int64_t v) {
    FieldValue x;
    x.kind = ValueKind::kDerive;
    x.i = v;
    return x;
  }
  static FieldValue State(std::string v) {
    FieldValue x;
    x.kind = ValueKind::kState;
    x.s = std::move(v);
    return x;
  }
  bool operator==(const FieldValue&) const = default;
};

struct Field {
  std::string key;
  FieldValue value;
  bool operator==(const Field&) const = default;
};

using Tag = std::pair<std::string, std::string>;

struct Point {
  std::string measurement;
  std::vector<Tag> tags;      // any order; the encoder writes them as given
  std::vector<Field> fields;  // at least one
  int64_t timestamp_ms = 0;   // milliseconds since the Unix epoch
  bool operator==(const Point&) const = default;
};

}  // namespace strix::agents
