// Integration tests of SnmpInput against Debian's snmpd: the points it appends (scalars
// in one point, walked columns one point per index), gaps for absent OIDs, one log line
// per failure kind and target until recovery, and the counters.
#include "agents/snmp/snmp_input.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "agents/snmp/testing/snmpd.h"
#include "core/log.h"

namespace strix::agents::snmp {
namespace {

using testing::SnmpdOptions;
using testing::SnmpdProcess;

constexpr int64_t kNowMs = 1700000000000;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

CollectContext Ctx(int64_t budget_ms = 10'000) {
  CollectContext ctx;
  ctx.now_ms = kNowMs;
  ctx.interval_ms = 60'000;
  ctx.deadline_mono_ns = NowNs() + budget_ms * 1'000'000;
  return ctx;
}

OidSpec Spec(std::string text, std::string name, bool walk = false) {
  OidSpec o;
  o.oid = *ParseNumericOid(text);
  o.text = std::move(text);
  o.name = std::move(name);
  o.walk = walk;
  return o;
}

SnmpOptions Options(const TargetSpec& t) {
  SnmpOptions o;
  SnmpGroup g;
  g.name = "test";
  g.targets.push_back(t);
  g.oids.push_back(Spec(".1.3.6.1.2.1.1.3.0", "uptime"));
  g.oids.back().multiplier = 0.01;
  g.oids.push_back(Spec(".1.3.6.1.2.1.1.5.0", "name"));
  g.oids.push_back(Spec(".1.3.6.1.4.1.99999.1.0", "fixed_counter"));
  g.oids.push_back(Spec(".1.3.6.1.4.1.99999.9.0", "absent"));
  g.oids.push_back(Spec(".1.3.6.1.2.1.2.2.1.2", "if_descr", true));
  g.oids.push_back(Spec(".1.3.6.1.2.1.2.2.1.10", "if_in_octets", true));
  o.groups.push_back(std::move(g));
  return o;
}

const Point* FindPoint(const std::vector<Point>& pts, std::string_view index) {
  for (const Point& p : pts) {
    bool has_index = false;
    for (const Tag& t : p.tags) {
      if (t.first == "index") {
        has_index = true;
        if (t.second == index) return &p;
      }
    }
    if (!has_index && index.empty()) return &p;
  }
  return nullptr;
}

const FieldValue* Field(const Point& p, std::string_view key) {
  for (const auto& f : p.fields)
    if (f.key == key) return &f.value;
  return nullptr;
}

size_t CountLines(const log::LogCapture& cap, std::string_view a) {
  size_t n = 0;
  for (const std::string& l : cap.Lines()) n += l.find(a) != std::string::npos;
  return n;
}

TEST(SnmpInput, ScalarsAndWalkedColumnsBecomePoints) {
  auto snmpd = SnmpdProcess::Start(SnmpdOptions{});
  ASSERT_TRUE(snmpd.ok()) << snmpd.status().ToString();
  SnmpInput in(Options((*snmpd)->V2cTarget()), "switches");
  log::LogCapture cap;
  std::vector<Point> out;
  ASSERT_TRUE(in.Collect(Ctx(), &out).ok());
  const std::string label = "127.0.0.1:" + std::to_string((*snmpd)->port());
  const Point* scalars = FindPoint(out, "");
  ASSERT_NE(scalars, nullptr);
  EXPECT_EQ(scalars->measurement, "snmp");
  EXPECT_EQ(scalars->tags, (std::vector<Tag>{{"target", label}}));
  EXPECT_EQ(scalars->timestamp_ms, kNowMs);
  ASSERT_NE(Field(*scalars, "uptime"), nullptr);
  EXPECT_EQ(Field(*scalars, "uptime")->kind, ValueKind::kGauge);
  EXPECT_GT(Field(*scalars, "uptime")->f, 0);
  EXPECT_EQ(*Field(*scalars, "name"), FieldValue::State("strix-test"));
  EXPECT_EQ(Field(*scalars, "fixed_counter"), nullptr);  // not configured in this snmpd
  EXPECT_EQ(Field(*scalars, "absent"), nullptr);         // a gap, never 0
  // Loopback is interface 1 on Linux.
  const Point* lo = FindPoint(out, "1");
  ASSERT_NE(lo, nullptr);
  EXPECT_EQ(lo->tags, (std::vector<Tag>{{"target", label}, {"index", "1"}}));
  EXPECT_EQ(*Field(*lo, "if_descr"), FieldValue::State("lo"));
  ASSERT_NE(Field(*lo, "if_in_octets"), nullptr);
  EXPECT_EQ(Field(*lo, "if_in_octets")->kind, ValueKind::kCounter32);
  SnmpCounters c = in.counters();
  EXPECT_EQ(c.targets_ok, 1u);
  EXPECT_EQ(c.gaps, 2u);
  EXPECT_GE(c.requests, 3u);
  EXPECT_EQ(c.points, out.size());
  EXPECT_EQ(CountLines(cap, "snmp: value absent"), 2u);
  // The second round logs nothing new.
  out.clear();
  ASSERT_TRUE(in.Collect(Ctx(), &out).ok());
  EXPECT_EQ(CountLines(cap, "snmp: value absent"), 2u);
}

TEST(SnmpInput, FailedTargetIsAGapLoggedOnceUntilRecovered) {
  SnmpdOptions so;
  auto snmpd = SnmpdProcess::Start(so);
  ASSERT_TRUE(snmpd.ok()) << snmpd.status().ToString();
  TargetSpec t = (*snmpd)->V2cTarget("wrong-community");
  t.timeout_ms = 100;
  t.retries = 0;
  SnmpOptions opts = Options(t);
  SnmpInput in(opts, "switches");
  log::LogCapture cap;
  for (int i = 0; i < 3; ++i) {
    std::vector<Point> out;
    ASSERT_TRUE(in.Collect(Ctx(), &out).ok());
    EXPECT_TRUE(out.empty());
  }
  EXPECT_EQ(CountLines(cap, "snmp: target failed"), 1u);
  EXPECT_TRUE(cap.Contains("wrong community or unreachable")) << cap.Lines().back();
  EXPECT_EQ(in.counters().timeouts, 3u);
  EXPECT_EQ(in.counters().points, 0u);
}

TEST(SnmpInput, RecoveryIsLoggedOnce) {
  auto snmpd = SnmpdProcess::Start(SnmpdOptions{});
  ASSERT_TRUE(snmpd.ok()) << snmpd.status().ToString();
  TargetSpec t = (*snmpd)->V2cTarget();
  t.timeout_ms = 100;
  t.retries = 0;
  const uint16_t port = (*snmpd)->port();
  SnmpInput in(Options(t), "switches");
  log::LogCapture cap;
  std::vector<Point> out;
  ASSERT_TRUE(in.Collect(Ctx(), &out).ok());
  EXPECT_FALSE(out.empty());
  (*snmpd)->Kill();
  out.clear();
  ASSERT_TRUE(in.Collect(Ctx(), &out).ok());
  EXPECT_TRUE(out.empty());
  SnmpdOptions again;
  again.port = port;
  auto back = SnmpdProcess::Start(again);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  out.clear();
  ASSERT_TRUE(in.Collect(Ctx(), &out).ok());
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(CountLines(cap, "snmp: target failed"), 1u);
  EXPECT_EQ(CountLines(cap, "snmp: target recovered"), 1u);
}

TEST(SnmpInput, ACounterIsSentAsReadAndItsUnusedMultiplierLoggedOnce) {
  auto snmpd = SnmpdProcess::Start(SnmpdOptions{});
  ASSERT_TRUE(snmpd.ok()) << snmpd.status().ToString();
  SnmpOptions o;
  SnmpGroup g;
  g.name = "test";
  g.targets.push_back((*snmpd)->V2cTarget());
  g.oids.push_back(Spec(".1.3.6.1.2.1.2.2.1.10", "if_in_octets", true));  // Counter32
  g.oids.back().multiplier = 8;
  o.groups.push_back(std::move(g));
  SnmpInput in(std::move(o), "scaled");
  log::LogCapture cap;
  std::vector<Point> out;
  for (int round = 0; round < 2; ++round) ASSERT_TRUE(in.Collect(Ctx(), &out).ok());
  const Point* lo = FindPoint(out, "1");
  ASSERT_NE(lo, nullptr);
  ASSERT_NE(Field(*lo, "if_in_octets"), nullptr);
  EXPECT_EQ(Field(*lo, "if_in_octets")->kind, ValueKind::kCounter32) << "not multiplied";
  EXPECT_EQ(CountLines(cap, "its multiplier and offset are not used"), 1u);
}

TEST(SnmpInput, ATargetThatTimesOutPartWaySendsWhatItAnswered) {
  // snmpd answers .1.3.6.1.4.1.99997.1.0 only after 2 s (a pass script); each GET PDU
  // holds one varbind, so sysName is answered and the slow one times out.
  SnmpdOptions so;
  const char* src = std::getenv("STRIX_SOURCE_DIR");
  so.extra_config = {"pass .1.3.6.1.4.1.99997 /bin/sh " + std::string(src ? src : ".") +
                     "/src/agents/snmp/testdata/pass_slow.sh"};
  auto snmpd = SnmpdProcess::Start(std::move(so));
  ASSERT_TRUE(snmpd.ok()) << snmpd.status().ToString();
  TargetSpec t = (*snmpd)->V2cTarget();
  t.timeout_ms = 300;
  t.retries = 0;
  SnmpOptions o;
  o.poller.max_oids_per_get = 1;
  SnmpGroup g;
  g.name = "test";
  g.targets.push_back(t);
  g.oids.push_back(Spec(".1.3.6.1.2.1.1.5.0", "name"));
  g.oids.push_back(Spec(".1.3.6.1.4.1.99997.1.0", "slow"));
  o.groups.push_back(std::move(g));
  SnmpInput in(std::move(o), "partial");
  log::LogCapture cap;
  std::vector<Point> out;
  EXPECT_TRUE(in.Collect(Ctx(), &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(*Field(out[0], "name"), FieldValue::State("strix-test"));
  EXPECT_EQ(Field(out[0], "slow"), nullptr) << "not answered: a gap, never 0";
  SnmpCounters c = in.counters();
  EXPECT_EQ(c.timeouts, 1u);
  EXPECT_EQ(c.partial, 1u);
  EXPECT_EQ(c.targets_ok, 0u);
  EXPECT_EQ(c.gaps, 1u);
  EXPECT_EQ(CountLines(cap, "snmp: target failed"), 1u);
  EXPECT_EQ(CountLines(cap, "snmp: value absent"), 0u) << "the timeout is the reason logged";
}

}  // namespace
}  // namespace strix::agents::snmp
