// Integration tests of the IF-MIB input against Debian's snmpd (testing/snmpd.h, an agent
// independent of our client) on a free 127.0.0.1 port: snmpd serves this host's real
// interfaces, so the tests pin what is always there (the loopback `lo`, up, with counters
// that never go backwards) and the kinds: 64-bit counters from ifXTable, and 32-bit ones
// when a view hides ifXTable from the community (the fallback on a real agent). Failures
// are gaps and counts, never points.
#include <gtest/gtest.h>

#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "agents/snmp/snmp_ifmib.h"
#include "agents/snmp/testing/snmpd.h"
#include "core/clock.h"

namespace strix::agents::snmp {
namespace {

using testing::SnmpdOptions;
using testing::SnmpdProcess;
using testing::SnmpdUser;

constexpr int64_t kNowMs = 1700000000000;

CollectContext Ctx(int64_t budget_ms = 10'000) {
  CollectContext ctx;
  ctx.now_ms = kNowMs;
  ctx.interval_ms = 60'000;
  ctx.deadline_mono_ns = Clock::Real().MonotonicNanos() + budget_ms * 1'000'000;
  return ctx;
}

std::unique_ptr<SnmpdProcess> StartSnmpd(SnmpdOptions o = {}) {
  // A second community whose view leaves out ifXTable (.1.3.6.1.2.1.31.1.1).
  o.extra_config.push_back("view noifx included .1");
  o.extra_config.push_back("view noifx excluded .1.3.6.1.2.1.31.1.1");
  o.extra_config.push_back("rocommunity noifx 127.0.0.1 -V noifx");
  Result<std::unique_ptr<SnmpdProcess>> p = SnmpdProcess::Start(std::move(o));
  if (!p.ok()) {
    ADD_FAILURE() << p.status().ToString();
    return nullptr;
  }
  return std::move(*p);
}

const Point* FindIf(const std::vector<Point>& pts, std::string_view descr) {
  for (const Point& p : pts) {
    for (const Tag& t : p.tags) {
      if (t.first == "if_descr" && t.second == descr) return &p;
    }
  }
  return nullptr;
}

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

TEST(SnmpIfMibInput, LoopbackInterfaceWithHighCapacityCounters) {
  auto snmpd = StartSnmpd();
  ASSERT_TRUE(snmpd);
  SnmpIfMibOptions o;
  o.targets.push_back(snmpd->V2cTarget("public"));
  SnmpIfMibInput in(o, "ifmib");
  std::vector<Point> pts;
  ASSERT_TRUE(in.Collect(Ctx(), &pts).ok());
  const Point* lo = FindIf(pts, "lo");
  ASSERT_NE(lo, nullptr) << pts.size() << " interfaces, none with ifDescr lo";
  EXPECT_EQ(lo->measurement, "snmp_if");
  EXPECT_EQ(lo->timestamp_ms, kNowMs);
  EXPECT_EQ(*TagOf(*lo, "target"), "127.0.0.1:" + std::to_string(snmpd->port()));
  ASSERT_NE(TagOf(*lo, "if_index"), nullptr);
  ASSERT_NE(TagOf(*lo, "if_name"), nullptr) << "snmpd on Linux implements ifXTable";
  EXPECT_EQ(*TagOf(*lo, "if_name"), "lo");
  EXPECT_EQ(TagOf(*lo, "if_alias"), nullptr) << "no alias set: no tag";
  ASSERT_NE(Field(*lo, "in_octets"), nullptr);
  EXPECT_EQ(Field(*lo, "in_octets")->kind, ValueKind::kCounter) << "ifHCInOctets, 64-bit";
  EXPECT_EQ(Field(*lo, "out_octets")->kind, ValueKind::kCounter);
  EXPECT_EQ(Field(*lo, "in_ucast_pkts")->kind, ValueKind::kCounter);
  ASSERT_NE(Field(*lo, "in_errors"), nullptr);
  EXPECT_EQ(Field(*lo, "in_errors")->kind, ValueKind::kCounter32) << "IF-MIB has no HC errors";
  EXPECT_EQ(*Field(*lo, "oper_status"), FieldValue::State("up"));
  EXPECT_EQ(*Field(*lo, "admin_status"), FieldValue::State("up"));
  ASSERT_NE(Field(*lo, "speed"), nullptr);
  EXPECT_EQ(Field(*lo, "speed")->kind, ValueKind::kGauge);
  EXPECT_EQ(Field(*lo, "speed")->f, 1e7) << "snmpd reports lo at 10 Mbit/s";

  // Points are one per interface, all from this target, with distinct ifIndexes.
  std::set<std::string> indexes;
  for (const Point& p : pts) indexes.insert(*TagOf(p, "if_index"));
  EXPECT_EQ(indexes.size(), pts.size());

  // A second round: counters never go backwards (the loopback only counts up).
  const uint64_t first = Field(*lo, "in_octets")->u;
  std::vector<Point> again;
  ASSERT_TRUE(in.Collect(Ctx(), &again).ok());
  const Point* lo2 = FindIf(again, "lo");
  ASSERT_NE(lo2, nullptr);
  EXPECT_GE(Field(*lo2, "in_octets")->u, first);
  EXPECT_GT(Field(*lo2, "in_octets")->u, 0u) << "our own SNMP traffic crossed lo";

  SnmpIfMibInput::Counters k = in.counters();
  EXPECT_EQ(k.polls, 2u);
  EXPECT_EQ(k.failures, 0u);
  EXPECT_EQ(k.interfaces, pts.size() + again.size());
  EXPECT_EQ(k.hc_fallbacks, 0u);
}

TEST(SnmpIfMibInput, WithoutIfXTableTheCountersAre32Bit) {
  auto snmpd = StartSnmpd();
  ASSERT_TRUE(snmpd);
  SnmpIfMibOptions o;
  o.targets.push_back(snmpd->V2cTarget("noifx"));
  SnmpIfMibInput in(o, "ifmib");
  std::vector<Point> pts;
  ASSERT_TRUE(in.Collect(Ctx(), &pts).ok());
  const Point* lo = FindIf(pts, "lo");
  ASSERT_NE(lo, nullptr);
  EXPECT_EQ(TagOf(*lo, "if_name"), nullptr) << "ifName is in ifXTable, hidden by the view";
  ASSERT_NE(Field(*lo, "in_octets"), nullptr);
  EXPECT_EQ(Field(*lo, "in_octets")->kind, ValueKind::kCounter32) << "ifInOctets";
  EXPECT_EQ(Field(*lo, "out_ucast_pkts")->kind, ValueKind::kCounter32);
  EXPECT_EQ(Field(*lo, "in_multicast_pkts"), nullptr) << "ifXTable only: a gap";
  EXPECT_EQ(*Field(*lo, "oper_status"), FieldValue::State("up"));
  EXPECT_EQ(Field(*lo, "speed")->f, 1e7) << "from ifSpeed";
  EXPECT_EQ(in.counters().hc_fallbacks, pts.size());
}

TEST(SnmpIfMibInput, V3AuthPrivAndSelection) {
  SnmpdOptions so;
  SnmpdUser u{"ifuser", AuthProtocol::kSha256, "auth-pass-1", PrivProtocol::kAes128, "priv-pass-1"};
  so.users.push_back(u);
  auto snmpd = StartSnmpd(so);
  ASSERT_TRUE(snmpd);
  SnmpIfMibOptions o;
  o.targets.push_back(snmpd->V3Target(u));
  o.measurement = "net_if";
  o.only_admin_up = true;
  o.exclude = {"l?"};  // leaves lo out
  SnmpIfMibInput in(o, "ifmib");
  std::vector<Point> pts;
  ASSERT_TRUE(in.Collect(Ctx(), &pts).ok());
  EXPECT_EQ(FindIf(pts, "lo"), nullptr);
  for (const Point& p : pts) {
    EXPECT_EQ(p.measurement, "net_if");
    EXPECT_EQ(*Field(p, "admin_status"), FieldValue::State("up"));
  }
  EXPECT_EQ(in.counters().failures, 0u);

  // Without the exclusion the same user sees lo, so the v3 session really worked.
  o.exclude.clear();
  SnmpIfMibInput all(o, "ifmib");
  std::vector<Point> with_lo;
  ASSERT_TRUE(all.Collect(Ctx(), &with_lo).ok());
  EXPECT_NE(FindIf(with_lo, "lo"), nullptr);
  EXPECT_EQ(with_lo.size(), pts.size() + 1);
}

TEST(SnmpIfMibInput, AWrongCommunityIsAGapAndACountedTimeout) {
  auto snmpd = StartSnmpd();
  ASSERT_TRUE(snmpd);
  SnmpIfMibOptions o;
  TargetSpec bad = snmpd->V2cTarget("wrong");
  bad.timeout_ms = 200;
  bad.retries = 0;
  o.targets.push_back(bad);
  o.targets.push_back(snmpd->V2cTarget("public"));
  o.targets[1].target.host = "localhost";  // a second target: the same agent by name
  SnmpIfMibInput in(o, "ifmib");
  std::vector<Point> pts;
  ASSERT_TRUE(in.Collect(Ctx(), &pts).ok());
  ASSERT_FALSE(pts.empty());
  for (const Point& p : pts) {
    EXPECT_EQ(TagOf(p, "target")->rfind("localhost:", 0), 0u) << *TagOf(p, "target");
  }
  SnmpIfMibInput::Counters k = in.counters();
  EXPECT_EQ(k.polls, 2u);
  EXPECT_EQ(k.failures, 1u);
  EXPECT_EQ(k.timeouts, 1u);
}

TEST(SnmpIfMibInput, StopRequestedIsCancelled) {
  auto snmpd = StartSnmpd();
  ASSERT_TRUE(snmpd);
  SnmpIfMibOptions o;
  o.targets.push_back(snmpd->V2cTarget("public"));
  SnmpIfMibInput in(o, "ifmib");
  std::stop_source stop;
  stop.request_stop();
  CollectContext ctx = Ctx();
  ctx.stop = stop.get_token();
  std::vector<Point> pts;
  EXPECT_EQ(in.Collect(ctx, &pts).code(), StatusCode::kCancelled);
  EXPECT_EQ(in.counters().failures, 0u) << "a shutdown is not a device failure";
}

}  // namespace
}  // namespace strix::agents::snmp
