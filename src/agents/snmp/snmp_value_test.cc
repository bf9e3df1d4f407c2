// Tests of the varbind -> field value conversion for every SNMP type, and of BER varbind
// decoding with bytes built by hand (independent of net-snmp's encoder).
#include "agents/snmp/snmp_value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace strix::agents::snmp {
namespace {

VarBind Vb(VarType t, int64_t i = 0, uint64_t u = 0, std::string bytes = {}) {
  VarBind v;
  v.oid = {1, 3, 6, 1, 4, 1, 99999, 1, 0};
  v.type = t;
  v.i = i;
  v.u = u;
  v.bytes = std::move(bytes);
  return v;
}

TEST(SnmpValue, Counter32IsA32BitCounterUnscaled) {
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kCounter32, 0, 4294967290u)),
            FieldValue::Counter32(4294967290u));
  // A multiplier never scales a counter (the config refuses it; here it is ignored).
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kCounter32, 0, 7), 8, 1), FieldValue::Counter32(7));
}

TEST(SnmpValue, Counter64IsA64BitCounter) {
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kCounter64, 0, 18446744073709551615ull)),
            FieldValue::Counter(18446744073709551615ull));
}

TEST(SnmpValue, IntegerGaugeTimeTicksAreGaugesWithMultiplierAndOffset) {
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kInteger, -5)), FieldValue::Gauge(-5));
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kGauge32, 0, 42), 0.5, 1), FieldValue::Gauge(22));
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kTimeTicks, 0, 12345), 0.01, 0), FieldValue::Gauge(123.45));
  EXPECT_FALSE(ToFieldValue(Vb(VarType::kGauge32, 0, 42), 1e308, 1e308).has_value());  // inf
}

TEST(SnmpValue, OctetStringIsStateTextOrHex) {
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kOctetString, 0, 0, "hello")), FieldValue::State("hello"));
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kOctetString, 0, 0, "Cisco IOS\r\nVersion 15\tx")),
            FieldValue::State("Cisco IOS  Version 15\tx"))
      << "one line: CR and LF become spaces, a tab stays";
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kOctetString, 0, 0, std::string("eth0\0\0", 6))),
            FieldValue::State("eth0"));
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kOctetString, 0, 0, std::string("\x00\x1a\xff", 3))),
            FieldValue::State("00:1a:ff"));
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kOctetString, 0, 0, "caf\xc3\xa9")),
            FieldValue::State("caf\xc3\xa9"));
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kOctetString)), FieldValue::State(""));
  std::string big(5000, 'x');
  EXPECT_EQ(ToFieldValue(Vb(VarType::kOctetString, 0, 0, big))->s.size(), kMaxStateBytes);
}

TEST(SnmpValue, IpAddressAndObjectIdAreStateText) {
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kIpAddress, 0, 0, std::string("\xc0\x00\x02\x01", 4))),
            FieldValue::State("192.0.2.1"));
  VarBind o = Vb(VarType::kObjectId);
  o.oid_value = {1, 3, 6, 1, 4, 1, 8072, 3, 2, 10};
  EXPECT_EQ(*ToFieldValue(o), FieldValue::State(".1.3.6.1.4.1.8072.3.2.10"));
}

TEST(SnmpValue, OpaqueFloatsAreGauges) {
  VarBind f = Vb(VarType::kFloat);
  f.d = 0.25;
  EXPECT_EQ(*ToFieldValue(f, 100, 1), FieldValue::Gauge(26));
  EXPECT_FALSE(ToFieldValue(f, KindOverride::kCounter, 1, 0).has_value());
  f.d = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(ToFieldValue(f).has_value()) << "NaN is no value";
}

TEST(SnmpValue, AbsentValuesAreGaps) {
  for (VarType t : {VarType::kNull, VarType::kNoSuchObject, VarType::kNoSuchInstance,
                    VarType::kEndOfMibView, VarType::kOther}) {
    EXPECT_FALSE(ToFieldValue(Vb(t)).has_value()) << VarTypeName(t);
  }
}

TEST(SnmpValue, KindOverrides) {
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kInteger, 77), KindOverride::kCounter, 1, 0),
            FieldValue::Counter(77));
  EXPECT_FALSE(ToFieldValue(Vb(VarType::kInteger, -1), KindOverride::kCounter, 1, 0).has_value());
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kGauge32, 0, 9), KindOverride::kCounter, 1, 0),
            FieldValue::Counter32(9))
      << "a 32-bit value as a counter wraps at 2^32";
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kTimeTicks, 0, 4'294'967'295), KindOverride::kCounter, 1, 0),
            FieldValue::Counter32(4'294'967'295));
  EXPECT_EQ(*ToFieldValue(Vb(VarType::kCounter64, 0, 10), KindOverride::kGauge, 8, 0),
            FieldValue::Gauge(80));
  EXPECT_FALSE(
      ToFieldValue(Vb(VarType::kOctetString, 0, 0, "x"), KindOverride::kGauge, 1, 0).has_value());
}

// SEQUENCE { OID 1.3.6.1.4.1.99999.1.0, <value> } built by hand.
std::vector<uint8_t> Ber(std::vector<uint8_t> value) {
  std::vector<uint8_t> oid = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x01};
  oid.push_back(0x00);
  oid[1] = static_cast<uint8_t>(oid.size() - 2);
  std::vector<uint8_t> out = {0x30, static_cast<uint8_t>(oid.size() + value.size())};
  out.insert(out.end(), oid.begin(), oid.end());
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

TEST(SnmpValue, DecodesBerVarbindsOfEveryType) {
  const Oid name = {1, 3, 6, 1, 4, 1, 99999, 1, 0};
  Result<VarBind> c32 = DecodeVarBindBer(Ber({0x41, 0x05, 0x00, 0xff, 0xff, 0xff, 0xfa}));
  ASSERT_TRUE(c32.ok()) << c32.status().ToString();
  EXPECT_EQ(c32->oid, name);
  EXPECT_EQ(c32->type, VarType::kCounter32);
  EXPECT_EQ(c32->u, 4294967290u);
  Result<VarBind> c64 = DecodeVarBindBer(Ber({0x46, 0x06, 0x0b, 0x3a, 0x73, 0xce, 0x2f, 0xf2}));
  ASSERT_TRUE(c64.ok());
  EXPECT_EQ(c64->type, VarType::kCounter64);
  EXPECT_EQ(c64->u, 12345678901234ull);
  Result<VarBind> neg = DecodeVarBindBer(Ber({0x02, 0x01, 0xfb}));
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(neg->type, VarType::kInteger);
  EXPECT_EQ(neg->i, -5);
  Result<VarBind> g = DecodeVarBindBer(Ber({0x42, 0x01, 0x2a}));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->type, VarType::kGauge32);
  EXPECT_EQ(g->u, 42u);
  Result<VarBind> tt = DecodeVarBindBer(Ber({0x43, 0x02, 0x01, 0x00}));
  ASSERT_TRUE(tt.ok());
  EXPECT_EQ(tt->type, VarType::kTimeTicks);
  EXPECT_EQ(tt->u, 256u);
  Result<VarBind> s = DecodeVarBindBer(Ber({0x04, 0x05, 'h', 'e', 'l', 'l', 'o'}));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->type, VarType::kOctetString);
  EXPECT_EQ(s->bytes, "hello");
  Result<VarBind> ip = DecodeVarBindBer(Ber({0x40, 0x04, 192, 0, 2, 1}));
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(*ToFieldValue(*ip), FieldValue::State("192.0.2.1"));
  Result<VarBind> o = DecodeVarBindBer(Ber({0x06, 0x03, 0x2b, 0x06, 0x01}));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->type, VarType::kObjectId);
  EXPECT_EQ(o->oid_value, (Oid{1, 3, 6, 1}));
  for (uint8_t tag : {0x80, 0x81, 0x82}) {
    Result<VarBind> x = DecodeVarBindBer(Ber({tag, 0x00}));
    ASSERT_TRUE(x.ok());
    EXPECT_FALSE(ToFieldValue(*x).has_value());
  }
  EXPECT_EQ(DecodeVarBindBer(Ber({0x80, 0x00}))->type, VarType::kNoSuchObject);
  EXPECT_EQ(DecodeVarBindBer(Ber({0x82, 0x00}))->type, VarType::kEndOfMibView);
}

TEST(SnmpValue, RejectsBrokenBer) {
  EXPECT_FALSE(DecodeVarBindBer({}).ok());
  std::vector<uint8_t> b = Ber({0x41, 0x05, 0x00, 0xff});  // value shorter than its length
  EXPECT_FALSE(DecodeVarBindBer(b).ok());
  const uint8_t junk[] = {0x30, 0x7f, 0x06};
  EXPECT_FALSE(DecodeVarBindBer(junk).ok());
}

}  // namespace
}  // namespace strix::agents::snmp
