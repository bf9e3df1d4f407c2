// Fuzz target "agent_pattoo_page": arbitrary bytes as a spoke's pattoo page for the hub's
// DecodePage. It must never crash, hang or read out of bounds, and what it reports must
// agree with what it did:
//  * an error leaves the output as it was and zeroes the stats;
//  * otherwise points added == datapoints - skipped, and first_error is set exactly when
//    something was skipped;
//  * every point has one field, names made of [a-zA-Z0-9_:] (labels without ':'), no
//    empty tag value, no more than kMaxTags tags, a finite gauge, a state of at most
//    kMaxValueBytes, and a measurement_field that is the sanitised name again.
// Seeds: testdata/fuzz/agent_pattoo_page/ (spoke pages, each rule's variants, garbage).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agents/pattoo/decode.h"
#include "core/check.h"

namespace {

bool NameChars(std::string_view s, bool colon) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || (colon && c == ':');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strix::agents;          // NOLINT
  using namespace strix::agents::pattoo;  // NOLINT
  std::string_view json(reinterpret_cast<const char*>(data), size);
  std::vector<Point> out(1);  // a point already there must survive
  out[0].measurement = "before";
  DecodeStats stats;
  strix::Status s = DecodePage(json, 1700000000000, &out, &stats);
  STRIX_CHECK(!out.empty() && out[0].measurement == "before");
  if (!s.ok()) {
    STRIX_CHECK(out.size() == 1 && stats.datapoints == 0 && stats.skipped == 0);
    STRIX_CHECK(s.code() == strix::StatusCode::kInvalidArgument);
    return 0;
  }
  STRIX_CHECK(stats.skipped <= stats.datapoints);
  STRIX_CHECK(out.size() - 1 == stats.datapoints - stats.skipped);
  STRIX_CHECK(stats.first_error.ok() == (stats.skipped == 0));
  for (size_t i = 1; i < out.size(); ++i) {
    const Point& p = out[i];
    STRIX_CHECK(p.fields.size() == 1);
    STRIX_CHECK(NameChars(p.measurement, true) && NameChars(p.fields[0].key, true));
    STRIX_CHECK(!(p.measurement[0] >= '0' && p.measurement[0] <= '9'));
    std::string name = p.measurement + "_" + p.fields[0].key;
    STRIX_CHECK(name.size() <= kMaxNameBytes + 6);  // + "_value"
    std::string m, f;
    SplitMetricName(p.fields[0].key == "value" ? p.measurement : name, &m, &f);
    STRIX_CHECK(m == p.measurement && f == p.fields[0].key);
    STRIX_CHECK(p.tags.size() <= kMaxTags);
    for (const auto& [k, v] : p.tags) {
      STRIX_CHECK(NameChars(k, false) && k.size() <= kMaxLabelNameBytes);
      STRIX_CHECK(!v.empty() && v.size() <= kMaxValueBytes);
    }
    const FieldValue& v = p.fields[0].value;
    if (v.kind == ValueKind::kGauge) STRIX_CHECK(std::isfinite(v.f));
    if (v.kind == ValueKind::kState) STRIX_CHECK(v.s.size() <= kMaxValueBytes);
    STRIX_CHECK(v.kind != ValueKind::kDerive);
  }
  return 0;
}
