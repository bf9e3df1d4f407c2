// Varbind conversion to field values, and BER varbind decoding (see snmp_value.h).
#include "agents/snmp/snmp_value.h"

#include <cmath>
#include <vector>

#include "agents/snmp/internal/netsnmp.h"
#include "core/utf8.h"

namespace strix::agents::snmp {
namespace {

std::string Hex(std::string_view b) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 3);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i) s += ':';
    const auto c = static_cast<unsigned char>(b[i]);
    s += kHex[c >> 4];
    s += kHex[c & 0xf];
  }
  return s;
}

// Cuts s to at most kMaxStateBytes without splitting a UTF-8 character (s is valid UTF-8).
void Truncate(std::string* s) {
  if (s->size() <= kMaxStateBytes) return;
  size_t n = kMaxStateBytes;
  while (n > 0 && (static_cast<unsigned char>((*s)[n]) & 0xc0) == 0x80) --n;
  s->resize(n);
}

FieldValue Text(std::string_view b) {
  while (!b.empty() && b.back() == '\0') b.remove_suffix(1);
  bool printable = IsValidUtf8(b);
  for (char c : b) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f) printable = false;
  }
  std::string s = printable ? std::string(b) : Hex(b);
  // Multi-line texts (a sysDescr with \r\n) stay text, on one line: the line protocol
  // cannot carry a newline in a string, and a lone \r would look like one in most places.
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  Truncate(&s);
  return FieldValue::State(std::move(s));
}

std::optional<FieldValue> Gauge(double v, double multiplier, double offset) {
  const double x = v * multiplier + offset;
  if (!std::isfinite(x)) return std::nullopt;
  return FieldValue::Gauge(x);
}

}  // namespace

std::string_view VarTypeName(VarType t) {
  switch (t) {
    case VarType::kInteger:
      return "Integer";
    case VarType::kOctetString:
      return "OctetString";
    case VarType::kNull:
      return "Null";
    case VarType::kObjectId:
      return "ObjectIdentifier";
    case VarType::kIpAddress:
      return "IpAddress";
    case VarType::kCounter32:
      return "Counter32";
    case VarType::kGauge32:
      return "Gauge32";
    case VarType::kTimeTicks:
      return "TimeTicks";
    case VarType::kOpaque:
      return "Opaque";
    case VarType::kCounter64:
      return "Counter64";
    case VarType::kFloat:
      return "Opaque Float";
    case VarType::kNoSuchObject:
      return "noSuchObject";
    case VarType::kNoSuchInstance:
      return "noSuchInstance";
    case VarType::kEndOfMibView:
      return "endOfMibView";
    case VarType::kOther:
      return "other";
  }
  return "?";
}

std::optional<FieldValue> ToFieldValue(const VarBind& vb, double multiplier, double offset) {
  return ToFieldValue(vb, KindOverride::kAuto, multiplier, offset);
}

std::optional<FieldValue> ToFieldValue(const VarBind& vb, KindOverride kind, double multiplier,
                                       double offset) {
  switch (vb.type) {
    case VarType::kCounter32:
      if (kind == KindOverride::kGauge) return Gauge(static_cast<double>(vb.u), multiplier, offset);
      return FieldValue::Counter32(static_cast<uint32_t>(vb.u & 0xffffffffu));
    case VarType::kCounter64:
      if (kind == KindOverride::kGauge) return Gauge(static_cast<double>(vb.u), multiplier, offset);
      return FieldValue::Counter(vb.u);
    case VarType::kInteger:
      if (kind == KindOverride::kCounter) {
        if (vb.i < 0) return std::nullopt;  // a negative total is no counter value
        return FieldValue::Counter(static_cast<uint64_t>(vb.i));
      }
      return Gauge(static_cast<double>(vb.i), multiplier, offset);
    case VarType::kGauge32:
    case VarType::kTimeTicks:
      // 32-bit values: as counters they wrap at 2^32 like Counter32.
      if (kind == KindOverride::kCounter)
        return FieldValue::Counter32(static_cast<uint32_t>(vb.u & 0xffffffffu));
      return Gauge(static_cast<double>(vb.u), multiplier, offset);
    case VarType::kFloat:
      if (kind == KindOverride::kCounter) return std::nullopt;
      return Gauge(vb.d, multiplier, offset);
    case VarType::kOctetString:
    case VarType::kOpaque:
      if (kind != KindOverride::kAuto) return std::nullopt;
      return Text(vb.bytes);
    case VarType::kIpAddress: {
      if (kind != KindOverride::kAuto) return std::nullopt;
      if (vb.bytes.size() != 4) return FieldValue::State(Hex(vb.bytes));
      std::string s;
      for (size_t i = 0; i < 4; ++i) {
        if (i) s += '.';
        s += std::to_string(static_cast<unsigned char>(vb.bytes[i]));
      }
      return FieldValue::State(std::move(s));
    }
    case VarType::kObjectId: {
      if (kind != KindOverride::kAuto) return std::nullopt;
      std::string s = FormatOid(vb.oid_value);
      Truncate(&s);
      return FieldValue::State(std::move(s));
    }
    case VarType::kNull:
    case VarType::kNoSuchObject:
    case VarType::kNoSuchInstance:
    case VarType::kEndOfMibView:
    case VarType::kOther:
      return std::nullopt;
  }
  return std::nullopt;
}

Result<VarBind> DecodeVarBindBer(std::span<const uint8_t> ber) {
  // snmp_parse_var_op takes a non-const buffer but does not write to it; copy anyway.
  std::vector<u_char> buf(ber.begin(), ber.end());
  oid name[MAX_OID_LEN];
  size_t name_len = MAX_OID_LEN;
  u_char type = 0;
  size_t val_len = 0;
  u_char* val = nullptr;
  size_t left = buf.size();
  if (buf.empty() ||
      snmp_parse_var_op(buf.data(), name, &name_len, &type, &val_len, &val, &left) == nullptr) {
    return Status::InvalidArgument("not a BER varbind");
  }
  netsnmp_variable_list v{};
  if (snmp_set_var_objid(&v, name, name_len) != 0)
    return Status::InvalidArgument("bad varbind name");
  v.type = type;
  // Parse the value as snmp_pdu_parse does, per type.
  u_char* p = val;
  size_t total = buf.data() + buf.size() - val;  // bytes from the value's header to the end
  bool ok = true;
  switch (type) {
    case ASN_INTEGER: {
      long x = 0;
      ok = asn_parse_int(p, &total, &type, &x, sizeof(x)) != nullptr;
      if (ok) snmp_set_var_value(&v, &x, sizeof(x));
      break;
    }
    case ASN_COUNTER:
    case ASN_GAUGE:
    case ASN_TIMETICKS:
    case ASN_UINTEGER: {
      u_long x = 0;
      ok = asn_parse_unsigned_int(p, &total, &type, &x, sizeof(x)) != nullptr;
      if (ok) snmp_set_var_value(&v, &x, sizeof(x));
      break;
    }
    case ASN_COUNTER64: {
      counter64 x{};
      ok = asn_parse_unsigned_int64(p, &total, &type, &x, sizeof(x)) != nullptr;
      if (ok) snmp_set_var_value(&v, &x, sizeof(x));
      break;
    }
    case ASN_OCTET_STR:
    case ASN_IPADDRESS:
    case ASN_OPAQUE:
    case ASN_NSAP: {
      std::vector<u_char> s(val_len + 1);
      size_t slen = s.size();
      ok = asn_parse_string(p, &total, &type, s.data(), &slen) != nullptr;
      if (ok) snmp_set_var_value(&v, s.data(), slen);
      break;
    }
    case ASN_OBJECT_ID: {
      oid o[MAX_OID_LEN];
      size_t olen = MAX_OID_LEN;
      ok = asn_parse_objid(p, &total, &type, o, &olen) != nullptr;
      if (ok) snmp_set_var_value(&v, o, olen * sizeof(oid));
      break;
    }
    case ASN_NULL:
    case SNMP_NOSUCHOBJECT:
    case SNMP_NOSUCHINSTANCE:
    case SNMP_ENDOFMIBVIEW:
      break;
    default:
      break;  // kept as kOther
  }
  if (!ok) {
    snmp_free_var_internals(&v);
    return Status::InvalidArgument("bad varbind value");
  }
  VarBind vb = internal::FromVariable(&v);
  snmp_free_var_internals(&v);
  return vb;
}

}  // namespace strix::agents::snmp
