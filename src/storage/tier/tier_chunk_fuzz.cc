// Fuzz target "tier_chunk": decodes arbitrary bytes as a tier chunk. When they decode,
// the points must satisfy the format's invariants, re-encode without error, and the
// re-encoding must decode to exactly the same points (doubles bit for bit). Must never
// crash, read out of bounds or disagree with itself.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"
#include "storage/tier/tier_chunk.h"

namespace {

using namespace strix::storage;  // NOLINT

bool SameBits(const Aggregate& a, const Aggregate& b) {
  return a.count == b.count && std::memcmp(&a.sum, &b.sum, 8) == 0 &&
         std::memcmp(&a.min, &b.min, 8) == 0 && std::memcmp(&a.max, &b.max, 8) == 0 &&
         a.first_ts == b.first_ts && a.last_ts == b.last_ts && a.first.u == b.first.u &&
         a.last.u == b.last.u && a.increase.u == b.increase.u && a.covered_ms == b.covered_ms &&
         a.resets == b.resets && a.wraps == b.wraps;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return 0;
  const std::string copy(reinterpret_cast<const char*>(data), size);  // exact bounds for ASan
  ValueKind kind;
  int64_t res = 0;
  std::vector<Timestamp> starts;
  std::vector<Aggregate> points;
  if (!tier::DecodeTierChunk(copy, &kind, &res, &starts, &points).ok()) return 0;

  STRIX_CHECK(!points.empty() && points.size() == starts.size());
  for (size_t i = 0; i < points.size(); ++i) {
    STRIX_CHECK(points[i].count > 0);
    STRIX_CHECK(i == 0 || starts[i] > starts[i - 1]);
    STRIX_CHECK(points[i].first_ts >= starts[i] && points[i].last_ts >= points[i].first_ts);
    STRIX_CHECK(points[i].last_ts - starts[i] < res);
  }
  std::string again;
  STRIX_CHECK(tier::EncodeTierChunk(kind, res, starts, points, &again).ok());
  ValueKind kind2;
  int64_t res2 = 0;
  std::vector<Timestamp> starts2;
  std::vector<Aggregate> points2;
  STRIX_CHECK(tier::DecodeTierChunk(again, &kind2, &res2, &starts2, &points2).ok());
  STRIX_CHECK(kind2 == kind && res2 == res && starts2 == starts);
  STRIX_CHECK(points2.size() == points.size());
  for (size_t i = 0; i < points.size(); ++i) STRIX_CHECK(SameBits(points[i], points2[i]));
  return 0;
}
