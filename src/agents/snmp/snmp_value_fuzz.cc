// Fuzz target agent_snmp_varbind: BER bytes -> a varbind (net-snmp's snmp_parse_var_op and
// asn_parse_*) -> a field value (ToFieldValue, with the kind override, multiplier and
// offset chosen by the first byte). Whatever the bytes, nothing crashes; a value produced
// is of the kind its SNMP type promises (finite gauge, counter32 below 2^32, state of
// valid UTF-8 within 4096 bytes) and survives the agent's line protocol Encode -> Decode
// unchanged, so strixd would accept it. Aborts on any mismatch.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "agents/lineproto/lineproto.h"
#include "agents/snmp/snmp_value.h"
#include "core/utf8.h"

namespace {

void Check(bool cond, const char* what) {
  if (!cond) {
    std::fprintf(stderr, "agent_snmp_varbind: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sn = strix::agents::snmp;
  namespace lp = strix::agents::lineproto;
  using strix::agents::ValueKind;
  if (size < 1) return 0;
  static const double kMul[] = {1, 0.01, 8, -1, 1e-300, 1e300, 0.5, 100};
  const uint8_t sel = data[0];
  const auto kind = static_cast<sn::KindOverride>(sel % 3);
  const double mul = kMul[(sel >> 2) & 7];
  const double off = (sel & 0x20) ? -273.15 : 0;
  strix::Result<sn::VarBind> vb =
      sn::DecodeVarBindBer(std::span<const uint8_t>(data + 1, size - 1));
  if (!vb.ok()) return 0;
  std::optional<strix::agents::FieldValue> v = sn::ToFieldValue(*vb, kind, mul, off);
  if (!v) return 0;
  switch (v->kind) {
    case ValueKind::kGauge:
      Check(std::isfinite(v->f), "non-finite gauge");
      break;
    case ValueKind::kCounter32:
      Check(vb->type == sn::VarType::kCounter32 ||
                (kind == sn::KindOverride::kCounter &&
                 (vb->type == sn::VarType::kGauge32 || vb->type == sn::VarType::kTimeTicks)),
            "counter32 from another type");
      Check(v->u <= 0xffffffffu, "counter32 beyond 2^32");
      break;
    case ValueKind::kCounter:
      Check(vb->type == sn::VarType::kCounter64 ||
                (kind == sn::KindOverride::kCounter && vb->type == sn::VarType::kInteger),
            "counter without Counter64 or kind: counter on an Integer");
      break;
    case ValueKind::kState:
      Check(strix::IsValidUtf8(v->s), "state not UTF-8");
      Check(v->s.size() <= sn::kMaxStateBytes, "state too long");
      break;
    case ValueKind::kDerive:
      Check(false, "derive is never produced");
  }
  strix::agents::Point pt;
  pt.measurement = "snmp";
  pt.tags = {{"target", "sw1"}, {"index", "3"}};
  pt.fields = {{"value", *v}};
  pt.timestamp_ms = 1700000000000;
  std::string line;
  lp::Encode(pt, &line);
  std::vector<strix::agents::Point> back;
  lp::DecodeStats ds;
  Check(lp::Decode(line, 0, lp::Precision::kMilliseconds, &back, &ds).ok(), "decode");
  if (ds.rejected_lines != 0) {
    std::fprintf(stderr, "%s\n", ds.first_errors[0].c_str());
    Check(false, "strixd would reject the encoded value");
  }
  Check(back.size() == 1 && back[0].fields.size() == 1, "one field");
  Check(back[0].fields[0].value == *v, "value changed by the line protocol");
  return 0;
}
