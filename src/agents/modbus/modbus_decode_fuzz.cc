// Fuzz target agent_modbus_decode: register words to typed values. The first 4 bytes choose
// the spec (type, orders, kind, bit, string length, multiplier and offset from small
// tables or raw doubles), the rest are the words (big-endian pairs). Whatever the bytes,
// DecodeRegisters returns without crashing; a value it gives is of the promised kind
// (finite gauge, counter32 below 2^32, UTF-8 state without trailing NUL or space) and
// survives the agent's line protocol Encode -> Decode unchanged, so strixd would accept
// it. Aborts on any mismatch.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agents/lineproto/lineproto.h"
#include "agents/modbus/modbus_decode.h"
#include "core/utf8.h"

namespace {

void Check(bool cond, const char* what) {
  if (!cond) {
    std::fprintf(stderr, "agent_modbus_decode: %s\n", what);
    std::abort();
  }
}

double Pick(uint8_t sel, const uint8_t** p, const uint8_t* end) {
  static const double kTable[] = {1, 0.1, 0.01, 10, -1, 1000, 1e-300, 1e300};
  if (sel < 8) return kTable[sel];
  double d = 0;
  if (end - *p >= 8) {
    std::memcpy(&d, *p, 8);  // any bit pattern, NaN and infinities included
    *p += 8;
  }
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace mb = strix::agents::modbus;
  namespace lp = strix::agents::lineproto;
  using strix::agents::ValueKind;
  if (size < 4) return 0;
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  mb::ValueSpec spec;
  spec.type = static_cast<mb::DataType>(p[0] % 10);
  spec.word_order = (p[0] & 0x10) ? mb::Order::kLittle : mb::Order::kBig;
  spec.byte_order = (p[0] & 0x20) ? mb::Order::kLittle : mb::Order::kBig;
  spec.kind = (p[0] & 0x40) ? mb::Kind::kCounter : mb::Kind::kGauge;
  spec.bit = static_cast<int8_t>(p[1] % 17) - 1;
  spec.length = static_cast<uint16_t>(p[1] >> 1);  // 0..127: also lengths the config rejects
  const uint8_t m_sel = p[2] & 0x0f, o_sel = p[2] >> 4;
  const uint8_t word_skew = p[3];  // 0: exactly as many words as the type needs
  p += 4;
  spec.multiplier = Pick(m_sel, &p, end);
  spec.offset = o_sel < 8 ? (o_sel == 0 ? 0 : Pick(o_sel, &p, end)) : Pick(o_sel, &p, end);

  std::vector<uint16_t> words;
  for (; end - p >= 2; p += 2) words.push_back(static_cast<uint16_t>((p[0] << 8) | p[1]));
  const size_t need = mb::RegisterCount(spec);
  if (word_skew == 0 && words.size() > need) words.resize(need);

  strix::Result<strix::agents::FieldValue> r = mb::DecodeRegisters(spec, words);
  if (words.size() != need || need == 0 || need > 125) {
    Check(!r.ok(), "decoded a value from the wrong number of words");
    return 0;
  }
  if (!r.ok()) return 0;
  const strix::agents::FieldValue& v = *r;
  switch (v.kind) {
    case ValueKind::kGauge:
      Check(spec.kind == mb::Kind::kGauge, "gauge for a counter spec");
      Check(std::isfinite(v.f), "non-finite gauge");
      break;
    case ValueKind::kCounter32:
      Check(spec.type == mb::DataType::kUint32, "counter32 from a non-uint32");
      Check(v.u <= 0xffffffffu, "counter32 beyond 2^32");
      break;
    case ValueKind::kCounter:
      Check(spec.kind == mb::Kind::kCounter, "counter for a gauge spec");
      break;
    case ValueKind::kState:
      Check(spec.type == mb::DataType::kString, "state from a number");
      Check(v.s.size() <= 2u * need, "string longer than its registers");
      Check(strix::IsValidUtf8(v.s), "state not UTF-8");
      Check(v.s.find('\0') == std::string::npos, "NUL in a string");
      Check(v.s.empty() || v.s.back() != ' ', "trailing space");
      break;
    case ValueKind::kDerive:
      Check(false, "derive is never produced");
  }
  strix::agents::Point pt;
  pt.measurement = "modbus";
  pt.tags = {{"target", "plc"}, {"unit", "1"}};
  pt.fields = {{"value", v}};
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
  Check(back[0].fields[0].value == v, "value changed by the line protocol");
  return 0;
}
