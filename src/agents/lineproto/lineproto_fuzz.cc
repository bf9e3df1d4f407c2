// Fuzz target agent_lineproto: decodes arbitrary bytes, encodes what was decoded and
// decodes that again. The second decode must accept every line and give the same samples:
// the same (measurement, tags, field, value, timestamp) in the same order. Points are
// compared field by field because Encode may split a point into several lines when its
// re-encoded form is longer than the original (".5" becomes "0.5", a timestamp is added).
// Aborts on any mismatch.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "agents/lineproto/lineproto.h"

namespace {

using strix::agents::Field;
using strix::agents::Point;
using strix::agents::Tag;
namespace lp = strix::agents::lineproto;

using Sample = std::tuple<std::string, std::vector<Tag>, int64_t, Field>;

std::vector<Sample> Flatten(const std::vector<Point>& points) {
  std::vector<Sample> out;
  for (const Point& p : points)
    for (const Field& f : p.fields) out.emplace_back(p.measurement, p.tags, p.timestamp_ms, f);
  return out;
}

void Check(bool cond, const char* what) {
  if (!cond) {
    std::fprintf(stderr, "agent_lineproto: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte picks the precision, so every unit's conversion is covered.
  lp::Precision precision = lp::Precision::kNanoseconds;
  if (size > 0) precision = static_cast<lp::Precision>(data[0] % 6);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  std::vector<Point> first;
  lp::DecodeStats stats;
  Check(lp::Decode(text, 1234, precision, &first, &stats).ok(), "decode failed");
  Check(stats.points == first.size(), "points count");
  Check(stats.lines == stats.points + stats.rejected_lines, "lines count");
  Check(stats.first_errors.size() == std::min<uint64_t>(stats.rejected_lines, lp::kMaxErrorsKept),
        "errors kept");
  for (const Point& p : first) Check(!p.fields.empty(), "point without fields");

  std::string encoded;
  for (const Point& p : first) lp::Encode(p, &encoded);

  std::vector<Point> second;
  lp::DecodeStats stats2;
  Check(lp::Decode(encoded, -1, lp::Precision::kMilliseconds, &second, &stats2).ok(),
        "second decode failed");
  if (stats2.rejected_lines != 0) {
    std::fprintf(stderr, "%s\n", stats2.first_errors[0].c_str());
    Check(false, "re-encoded line rejected");
  }
  Check(Flatten(first) == Flatten(second), "round trip changed the samples");
  return 0;
}
