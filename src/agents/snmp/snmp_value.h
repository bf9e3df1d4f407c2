// SNMP values (varbinds) and their conversion to Strix field values (docs/agents/snmp.md):
//   Counter32               -> counter32 (FieldValue::Counter32, wraps at 2^32)
//   Counter64               -> counter   (FieldValue::Counter)
//   Integer, Gauge32 (Unsigned32), TimeTicks
//                           -> gauge, times multiplier plus offset
//   OctetString, Opaque     -> state: the text if it is valid UTF-8 without control
//                              characters (trailing NULs dropped), else hex "0a:1b:..."
//   IpAddress, ObjectId     -> state: "192.0.2.1", ".1.3.6.1.4.1.8072"
//   Null, noSuchObject, noSuchInstance, endOfMibView
//                           -> no value (a gap)
// Counters are never scaled: a multiplier on a counter is refused at configuration time,
// and ignored here.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "agents/common/point.h"
#include "agents/snmp/snmp_oid.h"
#include "core/result.h"

namespace strix::agents::snmp {

enum class VarType : uint8_t {
  kInteger,
  kOctetString,
  kNull,
  kObjectId,
  kIpAddress,
  kCounter32,
  kGauge32,
  kTimeTicks,
  kOpaque,
  kCounter64,
  kFloat,  // an Opaque-wrapped float or double (net-snmp's special types; UCD-SNMP-MIB)
  kNoSuchObject,
  kNoSuchInstance,
  kEndOfMibView,
  kOther
};

// "Counter32", "noSuchObject", ...
std::string_view VarTypeName(VarType t);

struct VarBind {
  Oid oid;
  VarType type = VarType::kNull;
  int64_t i = 0;      // kInteger
  uint64_t u = 0;     // kCounter32, kGauge32, kTimeTicks, kCounter64
  double d = 0;       // kFloat
  std::string bytes;  // kOctetString, kOpaque, kIpAddress (4 or 16 bytes)
  Oid oid_value;      // kObjectId
  bool operator==(const VarBind&) const = default;
};

// What a configured OID's values become. kAuto follows the SNMP type (above); kGauge
// makes counters gauges too; kCounter makes Gauge32 and TimeTicks 32-bit counters and
// Integer (when >= 0) a 64-bit one (for agents that report totals as Integer or Gauge32).
enum class KindOverride : uint8_t { kAuto, kGauge, kCounter };

// The longest state value produced (strixd's limit); longer strings are cut at a UTF-8
// character boundary.
inline constexpr size_t kMaxStateBytes = 4096;

std::optional<FieldValue> ToFieldValue(const VarBind& vb, double multiplier = 1, double offset = 0);
std::optional<FieldValue> ToFieldValue(const VarBind& vb, KindOverride kind, double multiplier,
                                       double offset);

// Decodes one BER-encoded varbind (SEQUENCE { name OBJECT IDENTIFIER, value ANY }) with
// net-snmp's parser. InvalidArgument when the bytes are not one.
Result<VarBind> DecodeVarBindBer(std::span<const uint8_t> ber);

}  // namespace strix::agents::snmp
