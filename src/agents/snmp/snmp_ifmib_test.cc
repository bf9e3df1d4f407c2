// Tests of the IF-MIB input's decision logic without the network (BuildIfMibPoints on
// synthetic walks: the join by ifIndex, the 64/32-bit counter choice per interface, the
// status names, tags of empty strings, selection), and of its YAML binding.
#include "agents/snmp/snmp_ifmib.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config.h"

namespace strix::agents::snmp {
namespace {

constexpr int64_t kTs = 1700000000000;

VarBind Vb(IfColumn c, uint32_t if_index, VarType type) {
  VarBind vb;
  vb.oid = IfColumnOid(c);
  vb.oid.push_back(if_index);
  vb.type = type;
  return vb;
}

struct WalkBuilder {
  IfMibWalk walk;
  WalkBuilder& Str(IfColumn c, uint32_t idx, std::string s) {
    VarBind vb = Vb(c, idx, VarType::kOctetString);
    vb.bytes = std::move(s);
    walk.columns[static_cast<size_t>(c)].push_back(std::move(vb));
    return *this;
  }
  WalkBuilder& Int(IfColumn c, uint32_t idx, int64_t v) {
    VarBind vb = Vb(c, idx, VarType::kInteger);
    vb.i = v;
    walk.columns[static_cast<size_t>(c)].push_back(std::move(vb));
    return *this;
  }
  WalkBuilder& Unsigned(IfColumn c, uint32_t idx, VarType t, uint64_t v) {
    VarBind vb = Vb(c, idx, t);
    vb.u = v;
    walk.columns[static_cast<size_t>(c)].push_back(std::move(vb));
    return *this;
  }
  WalkBuilder& C32(IfColumn c, uint32_t idx, uint64_t v) {
    return Unsigned(c, idx, VarType::kCounter32, v);
  }
  WalkBuilder& C64(IfColumn c, uint32_t idx, uint64_t v) {
    return Unsigned(c, idx, VarType::kCounter64, v);
  }
  WalkBuilder& G32(IfColumn c, uint32_t idx, uint64_t v) {
    return Unsigned(c, idx, VarType::kGauge32, v);
  }
  // A full ifTable row (32-bit counters only).
  WalkBuilder& IfTableRow(uint32_t idx, std::string descr, int64_t admin, int64_t oper,
                          uint64_t base) {
    Str(IfColumn::kDescr, idx, std::move(descr));
    G32(IfColumn::kSpeed, idx, 1'000'000'000);
    Int(IfColumn::kAdminStatus, idx, admin);
    Int(IfColumn::kOperStatus, idx, oper);
    C32(IfColumn::kInOctets, idx, base + 1);
    C32(IfColumn::kInUcastPkts, idx, base + 2);
    C32(IfColumn::kInDiscards, idx, base + 3);
    C32(IfColumn::kInErrors, idx, base + 4);
    C32(IfColumn::kOutOctets, idx, base + 5);
    C32(IfColumn::kOutUcastPkts, idx, base + 6);
    C32(IfColumn::kOutDiscards, idx, base + 7);
    C32(IfColumn::kOutErrors, idx, base + 8);
    return *this;
  }
  // The ifXTable row: name, alias, HC counters.
  WalkBuilder& IfXTableRow(uint32_t idx, std::string name, std::string alias, uint64_t base) {
    Str(IfColumn::kName, idx, std::move(name));
    Str(IfColumn::kAlias, idx, std::move(alias));
    C32(IfColumn::kInMulticastPkts, idx, base + 11);
    C32(IfColumn::kInBroadcastPkts, idx, base + 12);
    C32(IfColumn::kOutMulticastPkts, idx, base + 13);
    C32(IfColumn::kOutBroadcastPkts, idx, base + 14);
    C64(IfColumn::kHcInOctets, idx, base + 21);
    C64(IfColumn::kHcInUcastPkts, idx, base + 22);
    C64(IfColumn::kHcInMulticastPkts, idx, base + 23);
    C64(IfColumn::kHcInBroadcastPkts, idx, base + 24);
    C64(IfColumn::kHcOutOctets, idx, base + 25);
    C64(IfColumn::kHcOutUcastPkts, idx, base + 26);
    C64(IfColumn::kHcOutMulticastPkts, idx, base + 27);
    C64(IfColumn::kHcOutBroadcastPkts, idx, base + 28);
    G32(IfColumn::kHighSpeed, idx, 1000);
    return *this;
  }
};

const FieldValue* Field(const Point& p, std::string_view key) {
  for (const auto& f : p.fields) {
    if (f.key == key) return &f.value;
  }
  return nullptr;
}

const std::string* TagOf(const Point& p, std::string_view key) {
  for (const auto& t : p.tags) {
    if (t.first == key) return &t.second;
  }
  return nullptr;
}

std::vector<Point> Build(const IfMibWalk& w, IfMibBuildStats* st = nullptr,
                         SnmpIfMibOptions o = {}) {
  return BuildIfMibPoints(w, "sw1", kTs, o, st);
}

TEST(IfMibColumns, OidsAndNamesFollowRfc2863) {
  EXPECT_EQ(FormatOid(IfColumnOid(IfColumn::kInOctets)), ".1.3.6.1.2.1.2.2.1.10");
  EXPECT_EQ(FormatOid(IfColumnOid(IfColumn::kOutErrors)), ".1.3.6.1.2.1.2.2.1.20");
  EXPECT_EQ(FormatOid(IfColumnOid(IfColumn::kName)), ".1.3.6.1.2.1.31.1.1.1.1");
  EXPECT_EQ(FormatOid(IfColumnOid(IfColumn::kHcInOctets)), ".1.3.6.1.2.1.31.1.1.1.6");
  EXPECT_EQ(FormatOid(IfColumnOid(IfColumn::kHcOutBroadcastPkts)), ".1.3.6.1.2.1.31.1.1.1.13");
  EXPECT_EQ(FormatOid(IfColumnOid(IfColumn::kHighSpeed)), ".1.3.6.1.2.1.31.1.1.1.15");
  EXPECT_EQ(FormatOid(IfColumnOid(IfColumn::kAlias)), ".1.3.6.1.2.1.31.1.1.1.18");
  EXPECT_EQ(IfColumnName(IfColumn::kHcOutOctets), "ifHCOutOctets");
  EXPECT_EQ(IfColumnName(IfColumn::kAdminStatus), "ifAdminStatus");
}

TEST(BuildIfMibPoints, HighCapacityCountersAreCounter64WithTheirLabels) {
  WalkBuilder b;
  b.IfTableRow(3, "GigabitEthernet0/1", 1, 1, 100).IfXTableRow(3, "Gi0/1", "uplink", 1000);
  IfMibBuildStats st;
  std::vector<Point> pts = Build(b.walk, &st);
  ASSERT_EQ(pts.size(), 1u);
  const Point& p = pts[0];
  EXPECT_EQ(p.measurement, "snmp_if");
  EXPECT_EQ(p.timestamp_ms, kTs);
  EXPECT_EQ(p.tags, (std::vector<Tag>{{"target", "sw1"},
                                      {"if_index", "3"},
                                      {"if_name", "Gi0/1"},
                                      {"if_descr", "GigabitEthernet0/1"},
                                      {"if_alias", "uplink"}}));
  EXPECT_EQ(*Field(p, "in_octets"), FieldValue::Counter(1021));
  EXPECT_EQ(*Field(p, "in_ucast_pkts"), FieldValue::Counter(1022));
  EXPECT_EQ(*Field(p, "in_multicast_pkts"), FieldValue::Counter(1023));
  EXPECT_EQ(*Field(p, "in_broadcast_pkts"), FieldValue::Counter(1024));
  EXPECT_EQ(*Field(p, "out_octets"), FieldValue::Counter(1025));
  EXPECT_EQ(*Field(p, "out_ucast_pkts"), FieldValue::Counter(1026));
  EXPECT_EQ(*Field(p, "out_multicast_pkts"), FieldValue::Counter(1027));
  EXPECT_EQ(*Field(p, "out_broadcast_pkts"), FieldValue::Counter(1028));
  // IF-MIB has no 64-bit errors or discards.
  EXPECT_EQ(*Field(p, "in_discards"), FieldValue::Counter32(103));
  EXPECT_EQ(*Field(p, "in_errors"), FieldValue::Counter32(104));
  EXPECT_EQ(*Field(p, "out_discards"), FieldValue::Counter32(107));
  EXPECT_EQ(*Field(p, "out_errors"), FieldValue::Counter32(108));
  EXPECT_EQ(*Field(p, "speed"), FieldValue::Gauge(1e9));
  EXPECT_EQ(*Field(p, "admin_status"), FieldValue::State("up"));
  EXPECT_EQ(*Field(p, "oper_status"), FieldValue::State("up"));
  EXPECT_EQ(p.fields.size(), 15u);
  EXPECT_EQ(st.interfaces, 1u);
  EXPECT_EQ(st.hc_fallbacks, 0u);
  EXPECT_EQ(st.bad_values, 0u);
}

TEST(BuildIfMibPoints, WithoutIfXTableTheCountersAre32Bit) {
  WalkBuilder b;
  b.IfTableRow(1, "eth0", 1, 2, 4'294'967'000);
  IfMibBuildStats st;
  std::vector<Point> pts = Build(b.walk, &st);
  ASSERT_EQ(pts.size(), 1u);
  const Point& p = pts[0];
  EXPECT_EQ(TagOf(p, "if_name"), nullptr);
  EXPECT_EQ(TagOf(p, "if_alias"), nullptr);
  EXPECT_EQ(*TagOf(p, "if_descr"), "eth0");
  EXPECT_EQ(*Field(p, "in_octets"), FieldValue::Counter32(4'294'967'001));
  EXPECT_EQ(*Field(p, "out_octets"), FieldValue::Counter32(4'294'967'005));
  EXPECT_EQ(*Field(p, "in_ucast_pkts"), FieldValue::Counter32(4'294'967'002));
  EXPECT_EQ(Field(p, "in_multicast_pkts"), nullptr) << "ifXTable's column: absent, a gap";
  EXPECT_EQ(*Field(p, "oper_status"), FieldValue::State("down"));
  EXPECT_EQ(st.hc_fallbacks, 1u);
}

TEST(BuildIfMibPoints, HcFallbackIsDecidedPerInterfaceAndPerCounter) {
  WalkBuilder b;
  b.IfTableRow(1, "fast", 1, 1, 0).IfXTableRow(1, "fa1", "", 0);
  b.IfTableRow(2, "old", 1, 1, 500);
  // Interface 2 has ifName and 32-bit multicast counters in ifXTable, but no HC counters.
  b.Str(IfColumn::kName, 2, "old2").C32(IfColumn::kInMulticastPkts, 2, 77);
  // Interface 3: only HC in-octets (a partial agent); out-octets from ifTable.
  b.IfTableRow(3, "half", 1, 1, 900).C64(IfColumn::kHcInOctets, 3, 1ull << 40);
  IfMibBuildStats st;
  std::vector<Point> pts = Build(b.walk, &st);
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_EQ(*Field(pts[0], "in_octets"), FieldValue::Counter(21));
  EXPECT_EQ(*Field(pts[1], "in_octets"), FieldValue::Counter32(501));
  EXPECT_EQ(*Field(pts[1], "in_multicast_pkts"), FieldValue::Counter32(77));
  EXPECT_EQ(*TagOf(pts[1], "if_name"), "old2");
  EXPECT_EQ(*Field(pts[2], "in_octets"), FieldValue::Counter(1ull << 40));
  EXPECT_EQ(*Field(pts[2], "out_octets"), FieldValue::Counter32(905));
  EXPECT_EQ(st.hc_fallbacks, 1u) << "only interface 2 had 32-bit in_octets";
}

TEST(BuildIfMibPoints, ACounterThatHad64BitsIsAGapNotA32BitValueUntilForgotten) {
  SnmpIfMibOptions o;
  IfMibHcMemory memory;
  WalkBuilder full;
  full.IfTableRow(1, "eth0", 1, 1, 100).IfXTableRow(1, "eth0", "", 5'000'000'000);
  std::vector<Point> pts = BuildIfMibPoints(full.walk, "sw1", kTs, o, nullptr, &memory);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(*Field(pts[0], "in_octets"), FieldValue::Counter(5'000'000'021));

  // The agent's walk of ifXTable broke: ifTable's 32-bit values only.
  WalkBuilder partial;
  partial.IfTableRow(1, "eth0", 1, 1, 100);
  for (int round = 1; round <= kIfMibHcForgetRounds; ++round) {
    IfMibBuildStats st;
    pts = BuildIfMibPoints(partial.walk, "sw1", kTs, o, &st, &memory);
    ASSERT_EQ(pts.size(), 1u) << "round " << round;
    EXPECT_EQ(Field(pts[0], "in_octets"), nullptr) << "round " << round << ": a gap";
    EXPECT_EQ(Field(pts[0], "out_ucast_pkts"), nullptr);
    EXPECT_EQ(*Field(pts[0], "in_errors"), FieldValue::Counter32(104)) << "32-bit only anyway";
    EXPECT_EQ(st.hc_missing, 8u);
    EXPECT_EQ(st.hc_fallbacks, 0u);
  }
  // Too long without: the interface changed; 32-bit from now on.
  IfMibBuildStats st;
  pts = BuildIfMibPoints(partial.walk, "sw1", kTs, o, &st, &memory);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(*Field(pts[0], "in_octets"), FieldValue::Counter32(101));
  EXPECT_EQ(st.hc_fallbacks, 1u);
  EXPECT_EQ(st.hc_missing, 0u);

  // A round with the value again resets the count.
  pts = BuildIfMibPoints(full.walk, "sw1", kTs, o, nullptr, &memory);
  pts = BuildIfMibPoints(partial.walk, "sw1", kTs, o, nullptr, &memory);
  EXPECT_EQ(Field(pts[0], "in_octets"), nullptr);
}

TEST(BuildIfMibPoints, InterfacesAreJoinedByIfIndexInAscendingOrder) {
  WalkBuilder b;
  // Columns in an order that is not the rows' order; indexes not contiguous.
  b.Str(IfColumn::kDescr, 1000, "b").Str(IfColumn::kDescr, 7, "a");
  b.Int(IfColumn::kOperStatus, 7, 1).Int(IfColumn::kOperStatus, 1000, 2);
  std::vector<Point> pts = Build(b.walk);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(*TagOf(pts[0], "if_index"), "7");
  EXPECT_EQ(*TagOf(pts[0], "if_descr"), "a");
  EXPECT_EQ(*Field(pts[0], "oper_status"), FieldValue::State("up"));
  EXPECT_EQ(*TagOf(pts[1], "if_index"), "1000");
  EXPECT_EQ(*Field(pts[1], "oper_status"), FieldValue::State("down"));
}

TEST(BuildIfMibPoints, EmptyStringsAreNotTags) {
  WalkBuilder b;
  b.IfTableRow(1, "", 1, 1, 0).IfXTableRow(1, "", "", 0);
  std::vector<Point> pts = Build(b.walk);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].tags, (std::vector<Tag>{{"target", "sw1"}, {"if_index", "1"}}));
}

TEST(BuildIfMibPoints, MissingIfDescrStillGivesThePoint) {
  WalkBuilder b;
  b.IfXTableRow(4, "xe-0/0/0", "core link", 0);
  b.Int(IfColumn::kAdminStatus, 4, 2);
  std::vector<Point> pts = Build(b.walk);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(TagOf(pts[0], "if_descr"), nullptr);
  EXPECT_EQ(*TagOf(pts[0], "if_name"), "xe-0/0/0");
  EXPECT_EQ(*TagOf(pts[0], "if_alias"), "core link");
  EXPECT_EQ(*Field(pts[0], "admin_status"), FieldValue::State("down"));
  EXPECT_EQ(Field(pts[0], "oper_status"), nullptr);
  EXPECT_EQ(*Field(pts[0], "speed"), FieldValue::Gauge(1e9)) << "ifHighSpeed 1000 Mbit/s";
}

TEST(BuildIfMibPoints, StatusNames) {
  EXPECT_EQ(AdminStatusName(1), "up");
  EXPECT_EQ(AdminStatusName(2), "down");
  EXPECT_EQ(AdminStatusName(3), "testing");
  EXPECT_EQ(AdminStatusName(4), "4") << "ifAdminStatus has no 4";
  EXPECT_EQ(OperStatusName(1), "up");
  EXPECT_EQ(OperStatusName(2), "down");
  EXPECT_EQ(OperStatusName(3), "testing");
  EXPECT_EQ(OperStatusName(4), "unknown");
  EXPECT_EQ(OperStatusName(5), "dormant");
  EXPECT_EQ(OperStatusName(6), "notPresent");
  EXPECT_EQ(OperStatusName(7), "lowerLayerDown");
  EXPECT_EQ(OperStatusName(0), "0");
  EXPECT_EQ(OperStatusName(8), "8");
  EXPECT_EQ(OperStatusName(-1), "-1");

  WalkBuilder b;
  b.Int(IfColumn::kAdminStatus, 1, 3).Int(IfColumn::kOperStatus, 1, 7);
  b.Int(IfColumn::kAdminStatus, 2, 9).Int(IfColumn::kOperStatus, 2, 5);
  std::vector<Point> pts = Build(b.walk);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(*Field(pts[0], "admin_status"), FieldValue::State("testing"));
  EXPECT_EQ(*Field(pts[0], "oper_status"), FieldValue::State("lowerLayerDown"));
  EXPECT_EQ(*Field(pts[1], "admin_status"), FieldValue::State("9"));
  EXPECT_EQ(*Field(pts[1], "oper_status"), FieldValue::State("dormant"));
}

TEST(BuildIfMibPoints, SpeedPrefersIfSpeedUnlessSaturated) {
  WalkBuilder b;
  b.G32(IfColumn::kSpeed, 1, 1'544'000).G32(IfColumn::kHighSpeed, 1, 2);  // a T1
  b.G32(IfColumn::kSpeed, 2, 4'294'967'295).G32(IfColumn::kHighSpeed, 2, 100'000);
  b.G32(IfColumn::kSpeed, 3, 4'294'967'295);  // saturated, no ifXTable: what there is
  std::vector<Point> pts = Build(b.walk);
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_EQ(*Field(pts[0], "speed"), FieldValue::Gauge(1'544'000));
  EXPECT_EQ(*Field(pts[1], "speed"), FieldValue::Gauge(100e9));
  EXPECT_EQ(*Field(pts[2], "speed"), FieldValue::Gauge(4'294'967'295.0));
}

TEST(BuildIfMibPoints, WrongTypesAndAbsentValuesAreLeftOut) {
  WalkBuilder b;
  b.Str(IfColumn::kDescr, 1, "eth0");
  // A Gauge32 where a counter belongs, an OctetString status, a NoSuchInstance HC value
  // (falls back to the 32-bit one), an Integer name.
  b.G32(IfColumn::kInOctets, 1, 5);
  b.Str(IfColumn::kOperStatus, 1, "up");
  b.Unsigned(IfColumn::kHcOutOctets, 1, VarType::kNoSuchInstance, 0);
  b.C32(IfColumn::kOutOctets, 1, 9);
  b.Int(IfColumn::kName, 1, 3);
  IfMibBuildStats st;
  std::vector<Point> pts = Build(b.walk, &st);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(Field(pts[0], "in_octets"), nullptr);
  EXPECT_EQ(Field(pts[0], "oper_status"), nullptr);
  EXPECT_EQ(*Field(pts[0], "out_octets"), FieldValue::Counter32(9));
  EXPECT_EQ(TagOf(pts[0], "if_name"), nullptr);
  EXPECT_EQ(pts[0].fields.size(), 1u);
  EXPECT_EQ(st.bad_values, 3u);
}

TEST(BuildIfMibPoints, VarbindsOutsideAColumnOrWithLongerIndexesAreIgnored) {
  WalkBuilder b;
  b.C32(IfColumn::kInOctets, 1, 5);
  VarBind stray = Vb(IfColumn::kInOctets, 1, VarType::kCounter32);
  stray.oid.push_back(9);  // .10.1.9: not an ifIndex instance
  stray.u = 99;
  b.walk.columns[static_cast<size_t>(IfColumn::kInOctets)].push_back(stray);
  VarBind other = Vb(IfColumn::kOutOctets, 2, VarType::kCounter32);  // in the wrong column
  other.u = 7;
  b.walk.columns[static_cast<size_t>(IfColumn::kInOctets)].push_back(other);
  std::vector<Point> pts = Build(b.walk);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(*Field(pts[0], "in_octets"), FieldValue::Counter32(5));
}

TEST(BuildIfMibPoints, AnEmptyWalkGivesNoPoints) {
  IfMibWalk w;
  EXPECT_TRUE(Build(w).empty());
  // An interface with only labels (no field) gives no point either.
  WalkBuilder b;
  b.Str(IfColumn::kDescr, 1, "eth0").Str(IfColumn::kName, 1, "eth0");
  EXPECT_TRUE(Build(b.walk).empty());
}

TEST(BuildIfMibPoints, LabelTextIsCleanedAndNonUtf8IsHex) {
  WalkBuilder b;
  b.Str(IfColumn::kDescr, 1, std::string("eth0\0\0", 6));
  b.Str(IfColumn::kName, 1, "a\nb  ");
  b.Str(IfColumn::kAlias, 1, std::string("\xff\x01", 2));
  b.Int(IfColumn::kOperStatus, 1, 1);
  std::vector<Point> pts = Build(b.walk);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(*TagOf(pts[0], "if_descr"), "eth0");
  EXPECT_EQ(*TagOf(pts[0], "if_name"), "a b");
  EXPECT_EQ(*TagOf(pts[0], "if_alias"), "ff:01");
}

TEST(BuildIfMibPoints, OnlyAdminUpAndExcludeSelectInterfaces) {
  WalkBuilder b;
  b.IfTableRow(1, "lo", 1, 1, 0).IfXTableRow(1, "lo", "", 0);
  b.IfTableRow(2, "eth0", 1, 1, 0).IfXTableRow(2, "eth0", "", 0);
  b.IfTableRow(3, "eth1", 2, 2, 0).IfXTableRow(3, "eth1", "", 0);
  b.IfTableRow(4, "Vlan 10", 1, 1, 0).IfXTableRow(4, "vl10", "", 0);
  SnmpIfMibOptions o;
  o.measurement = "ifs";
  o.only_admin_up = true;
  o.exclude = {"lo", "Vlan*"};
  IfMibBuildStats st;
  std::vector<Point> pts = Build(b.walk, &st, o);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].measurement, "ifs");
  EXPECT_EQ(*TagOf(pts[0], "if_name"), "eth0");
  EXPECT_EQ(st.skipped, 3u);
}

// --- YAML binding ---------------------------------------------------------------------

Result<SnmpIfMibOptions> Bind(const std::string& yaml) {
  STRIX_ASSIGN_OR_RETURN(config::Document doc, config::Document::ParseString(yaml, "t.yaml"));
  config::Errors errors;
  SnmpIfMibOptions o;
  {
    config::Section s(doc, &errors);
    BindSnmpIfMibOptions(s, &o);
    s.Finish();
  }
  STRIX_RETURN_IF_ERROR(errors.ToStatus());
  return o;
}

TEST(BindSnmpIfMibOptions, InputLevelTargetsAndSelection) {
  Result<SnmpIfMibOptions> o = Bind(R"(version: 2c
community: s3cret
targets: [192.0.2.1, "sw2.example.org:1161"]
measurement: ifs
only_admin_up: true
exclude: ["vlan*", lo]
)");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  ASSERT_EQ(o->targets.size(), 2u);
  EXPECT_EQ(o->targets[0].target.host, "192.0.2.1");
  EXPECT_EQ(o->targets[0].target.port, 161);
  EXPECT_EQ(o->targets[1].target.host, "sw2.example.org");
  EXPECT_EQ(o->targets[1].target.port, 1161);
  EXPECT_EQ(o->targets[1].credentials.community, "s3cret");
  EXPECT_EQ(o->targets[1].credentials.version, Version::kV2c);
  EXPECT_EQ(o->measurement, "ifs");
  EXPECT_TRUE(o->only_admin_up);
  EXPECT_EQ(o->exclude, (std::vector<std::string>{"vlan*", "lo"}));
}

TEST(BindSnmpIfMibOptions, GroupsCarryTheirOwnCredentials) {
  Result<SnmpIfMibOptions> o = Bind(R"(version: 2c
community: public
groups:
  - name: v2
    targets: [a]
  - name: v3
    version: 3
    username: mon
    security_level: authPriv
    auth_protocol: SHA-256
    auth_password: authpass1
    priv_protocol: AES-128
    priv_password: privpass1
    targets: [b, c]
)");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  ASSERT_EQ(o->targets.size(), 3u);
  EXPECT_EQ(o->targets[0].target.host, "a");
  EXPECT_EQ(o->targets[0].credentials.version, Version::kV2c);
  EXPECT_EQ(o->targets[0].credentials.community, "public");
  EXPECT_EQ(o->targets[2].target.host, "c");
  const Credentials& c = o->targets[2].credentials;
  EXPECT_EQ(c.version, Version::kV3);
  EXPECT_EQ(c.username, "mon");
  EXPECT_EQ(c.level, SecurityLevel::kAuthPriv);
  EXPECT_EQ(c.auth, AuthProtocol::kSha256);
  EXPECT_EQ(c.priv, PrivProtocol::kAes128);
  EXPECT_EQ(c.priv_password, "privpass1");
}

TEST(BindSnmpIfMibOptions, OidsAreNotAKeyOfThisInput) {
  Result<SnmpIfMibOptions> o = Bind(R"(community: public
targets: [a]
oids: [{oid: .1.3.6.1.2.1.1.3.0, name: up}]
)");
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("oids"), std::string::npos) << o.status().ToString();
}

TEST(BindSnmpIfMibOptions, TargetsAreRequired) {
  Result<SnmpIfMibOptions> o = Bind("community: public\n");
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("targets"), std::string::npos) << o.status().ToString();
}

}  // namespace
}  // namespace strix::agents::snmp
