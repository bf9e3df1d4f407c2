// Fuzz target agent_script_json: the JSON form of a script's output. Whatever the bytes,
// the parser returns without crashing; a point it makes has finite gauges only, at most
// kMaxFieldsPerLine fields, one per number kept; and Encode -> Decode accepts that point
// whole and gives back the same number of fields with the same values (strixd would accept
// it). Aborts on any mismatch.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "agents/lineproto/lineproto.h"
#include "agents/script/json_output.h"

namespace {

void Check(bool cond, const char* what) {
  if (!cond) {
    std::fprintf(stderr, "agent_script_json: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace lp = strix::agents::lineproto;
  using strix::agents::Point;
  static strix::agents::script::JsonOutputParser parser;  // reused, as in the input
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<Point> points;
  strix::agents::script::JsonOutputStats stats;
  strix::Status s = parser.Parse(&text, "fuzz", 1000, &points, &stats);
  Check(text.size() == size, "text changed");
  if (!s.ok()) {
    Check(points.empty(), "points from a failed parse");
    return 0;
  }
  Check(points.size() <= 1, "more than one point");
  Check(points.empty() == (stats.fields == 0), "fields count");
  if (points.empty()) return 0;
  const Point& p = points[0];
  Check(p.fields.size() == stats.fields, "fields count");
  Check(p.fields.size() <= lp::kMaxFieldsPerLine, "too many fields");
  for (const auto& f : p.fields) {
    Check(f.value.kind == strix::agents::ValueKind::kGauge, "not a gauge");
    Check(std::isfinite(f.value.f), "not finite");
    Check(!f.key.empty(), "empty key");
  }
  std::string line;
  lp::Encode(p, &line);
  std::vector<Point> back;
  lp::DecodeStats ds;
  Check(lp::Decode(line, 0, lp::Precision::kMilliseconds, &back, &ds).ok(), "decode");
  if (ds.rejected_lines != 0) {
    std::fprintf(stderr, "%s\n", ds.first_errors[0].c_str());
    Check(false, "strixd would reject the encoded point");
  }
  Check(back.size() == 1, "one line");
  Check(back[0].fields.size() == p.fields.size(), "fields lost");
  for (size_t i = 0; i < p.fields.size(); ++i)
    Check(back[0].fields[i].value == p.fields[i].value, "value changed");
  return 0;
}
