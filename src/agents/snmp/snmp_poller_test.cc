// Integration tests of the Poller against Debian's snmpd (testing/snmpd.h), an agent
// implementation independent of our client code: v1, v2c and v3 with every auth and
// privacy protocol snmpd supports, fixed values from the configuration, the ifTable walk,
// absent OIDs, and the errors (wrong community, wrong v3 passwords, unknown user, a dead
// port) with their messages and the deadline.
#include "agents/snmp/snmp_poller.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "agents/snmp/testing/snmpd.h"

namespace strix::agents::snmp {
namespace {

using testing::SnmpdOptions;
using testing::SnmpdProcess;
using testing::SnmpdUser;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const Oid kSysDescr = {1, 3, 6, 1, 2, 1, 1, 1, 0};
const Oid kSysUpTime = {1, 3, 6, 1, 2, 1, 1, 3, 0};
const Oid kSysName = {1, 3, 6, 1, 2, 1, 1, 5, 0};
const Oid kIfDescr = {1, 3, 6, 1, 2, 1, 2, 2, 1, 2};
const Oid kIfInOctets = {1, 3, 6, 1, 2, 1, 2, 2, 1, 10};
const Oid kFixedCounter32 = {1, 3, 6, 1, 4, 1, 99999, 1, 0};
const Oid kFixedGauge = {1, 3, 6, 1, 4, 1, 99999, 3, 0};
const Oid kFixedInteger = {1, 3, 6, 1, 4, 1, 99999, 4, 0};
const Oid kFixedString = {1, 3, 6, 1, 4, 1, 99999, 5, 0};
const Oid kPassCounter64 = {1, 3, 6, 1, 4, 1, 99998, 1, 0};
const Oid kAbsent = {1, 3, 6, 1, 4, 1, 99999, 9, 0};

std::vector<SnmpdUser> AllUsers() {
  std::vector<SnmpdUser> u;
  const AuthProtocol auths[] = {AuthProtocol::kMd5,    AuthProtocol::kSha1,
                                AuthProtocol::kSha224, AuthProtocol::kSha256,
                                AuthProtocol::kSha384, AuthProtocol::kSha512};
  const PrivProtocol privs[] = {PrivProtocol::kDes, PrivProtocol::kAes128, PrivProtocol::kAes192,
                                PrivProtocol::kAes256};
  for (AuthProtocol a : auths) {
    for (PrivProtocol p : privs) {
      u.push_back(
          {"u_" + std::to_string(static_cast<int>(a)) + "_" + std::to_string(static_cast<int>(p)),
           a, "authpass-" + std::string(AuthProtocolName(a)), p,
           "privpass-" + std::string(PrivProtocolName(p))});
    }
    u.push_back({"u_" + std::to_string(static_cast<int>(a)) + "_auth", a, "authonly-pass",
                 PrivProtocol::kNone, ""});
  }
  u.push_back({"u_noauth", AuthProtocol::kNone, "", PrivProtocol::kNone, ""});
  return u;
}

// One snmpd for the whole suite (starting one per test would cost ~0.2 s each).
class SnmpPollerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SnmpdOptions o;
    o.users = AllUsers();
    const char* src = std::getenv("STRIX_SOURCE_DIR");
    std::string pass = std::string(src ? src : ".") + "/src/agents/snmp/testdata/pass_counter64.sh";
    o.extra_config = {
        "override .1.3.6.1.4.1.99999.1.0 counter 4294967290",
        "override .1.3.6.1.4.1.99999.3.0 uinteger 42",
        "override .1.3.6.1.4.1.99999.4.0 integer -5",
        "override .1.3.6.1.4.1.99999.5.0 octet_str \"hello\"",
        "pass .1.3.6.1.4.1.99998 /bin/sh " + pass,
    };
    auto r = SnmpdProcess::Start(std::move(o));
    if (!r.ok()) {
      start_error_ = new std::string(r.status().ToString());
      return;
    }
    snmpd_ = r->release();
  }
  static void TearDownTestSuite() {
    delete snmpd_;
    snmpd_ = nullptr;
  }
  void SetUp() override {
    if (snmpd_ == nullptr) FAIL() << "snmpd did not start: " << (start_error_ ? *start_error_ : "");
  }

  static PollResult PollOne(const TargetSpec& t, std::vector<Oid> gets, std::vector<Oid> walks = {},
                            int64_t budget_ms = 10'000) {
    PollRequest req;
    req.target = &t;
    req.gets = std::move(gets);
    req.walks = std::move(walks);
    Poller poller;
    std::vector<PollResult> out;
    poller.Poll(std::span<const PollRequest>(&req, 1), NowNs() + budget_ms * 1'000'000,
                std::stop_token(), &out);
    EXPECT_EQ(out.size(), 1u);
    return out[0];
  }

  static SnmpdProcess* snmpd_;
  static std::string* start_error_;
};
SnmpdProcess* SnmpPollerTest::snmpd_ = nullptr;
std::string* SnmpPollerTest::start_error_ = nullptr;

TEST_F(SnmpPollerTest, V2cSystemScalarsAndFixedValues) {
  PollResult r =
      PollOne(snmpd_->V2cTarget(), {kSysDescr, kSysUpTime, kSysName, kFixedCounter32, kFixedGauge,
                                    kFixedInteger, kFixedString, kPassCounter64, kAbsent});
  ASSERT_EQ(r.error, PollError::kNone) << r.message;
  ASSERT_EQ(r.gets.size(), 9u);
  EXPECT_EQ(r.gets[0].type, VarType::kOctetString);
  EXPECT_EQ(r.gets[0].bytes, "strix snmpd fixture");
  EXPECT_EQ(r.gets[1].type, VarType::kTimeTicks);
  EXPECT_EQ(ToFieldValue(r.gets[1])->kind, ValueKind::kGauge);
  EXPECT_EQ(*ToFieldValue(r.gets[2]), FieldValue::State("strix-test"));
  EXPECT_EQ(*ToFieldValue(r.gets[3]), FieldValue::Counter32(4294967290u));
  EXPECT_EQ(*ToFieldValue(r.gets[4]), FieldValue::Gauge(42));
  EXPECT_EQ(*ToFieldValue(r.gets[5]), FieldValue::Gauge(-5));
  EXPECT_EQ(*ToFieldValue(r.gets[6]), FieldValue::State("hello"));
  EXPECT_EQ(*ToFieldValue(r.gets[7]), FieldValue::Counter(12345678901234ull));
  EXPECT_EQ(r.gets[8].type, VarType::kNoSuchObject);
  EXPECT_EQ(r.gets[8].oid, kAbsent);
  EXPECT_FALSE(ToFieldValue(r.gets[8]).has_value());
}

TEST_F(SnmpPollerTest, OpaqueFloatFromUcdSnmpMibIsAGauge) {
  // UCD-SNMP-MIB::laLoadFloat.1, the 1-minute load average as an Opaque-wrapped float.
  const Oid kLoadFloat = {1, 3, 6, 1, 4, 1, 2021, 10, 1, 6, 1};
  PollResult r = PollOne(snmpd_->V2cTarget(), {kLoadFloat});
  ASSERT_EQ(r.error, PollError::kNone) << r.message;
  ASSERT_EQ(r.gets[0].type, VarType::kFloat) << VarTypeName(r.gets[0].type);
  std::optional<FieldValue> v = ToFieldValue(r.gets[0]);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->kind, ValueKind::kGauge);
  EXPECT_GE(v->f, 0);
}

TEST(SnmpPollerDeadline, TheRoundStopsShortOfTheInputsTimeout) {
  const int64_t now = 1'000'000'000;
  // 50 ms early when the round is long...
  EXPECT_EQ(Poller::RoundDeadline(now, now + 10'000'000'000), now + 10'000'000'000 - 50'000'000);
  // ...a tenth of what is left when it is short...
  EXPECT_EQ(Poller::RoundDeadline(now, now + 200'000'000), now + 180'000'000);
  // ...and never later than a deadline already past.
  EXPECT_EQ(Poller::RoundDeadline(now, now - 5), now - 5);
}

TEST_F(SnmpPollerTest, V1GetDropsNoSuchNameAndKeepsTheRest) {
  TargetSpec t = snmpd_->V2cTarget();
  t.credentials.version = Version::kV1;
  PollResult r = PollOne(t, {kSysName, kAbsent, kFixedInteger});
  ASSERT_EQ(r.error, PollError::kNone) << r.message;
  EXPECT_EQ(*ToFieldValue(r.gets[0]), FieldValue::State("strix-test"));
  EXPECT_EQ(r.gets[1].type, VarType::kNoSuchObject);
  EXPECT_EQ(*ToFieldValue(r.gets[2]), FieldValue::Gauge(-5));
  EXPECT_EQ(r.pdus, 2u);  // the first failed on the absent OID
}

TEST_F(SnmpPollerTest, IfTableWalkFindsLoopbackInV1V2cAndV3) {
  TargetSpec v1 = snmpd_->V2cTarget();
  v1.credentials.version = Version::kV1;
  TargetSpec v2 = snmpd_->V2cTarget();
  v2.max_repetitions = 2;                                   // several GETBULKs per column
  TargetSpec v3 = snmpd_->V3Target(AllUsers()[3 * 5 + 3]);  // SHA-256 + AES-256
  for (const TargetSpec* t : {&v1, &v2, &v3}) {
    PollResult r = PollOne(*t, {}, {kIfDescr, kIfInOctets});
    ASSERT_EQ(r.error, PollError::kNone) << r.message;
    ASSERT_EQ(r.walks.size(), 2u);
    ASSERT_FALSE(r.walks[0].empty());
    bool lo = false;
    for (const VarBind& vb : r.walks[0]) {
      EXPECT_TRUE(OidStartsWith(vb.oid, kIfDescr));
      EXPECT_EQ(vb.oid.size(), kIfDescr.size() + 1);
      lo |= vb.bytes == "lo";
    }
    EXPECT_TRUE(lo) << "no ifDescr \"lo\"";
    EXPECT_EQ(r.walks[1].size(), r.walks[0].size());
    for (const VarBind& vb : r.walks[1]) EXPECT_EQ(vb.type, VarType::kCounter32);
  }
}

TEST_F(SnmpPollerTest, V3EveryAuthAndPrivProtocol) {
  for (const SnmpdUser& u : AllUsers()) {
    PollResult r = PollOne(snmpd_->V3Target(u), {kSysName, kFixedCounter32});
    EXPECT_EQ(r.error, PollError::kNone) << u.name << " " << AuthProtocolName(u.auth) << "/"
                                         << PrivProtocolName(u.priv) << ": " << r.message;
    if (r.error == PollError::kNone) {
      EXPECT_EQ(*ToFieldValue(r.gets[0]), FieldValue::State("strix-test")) << u.name;
      EXPECT_EQ(*ToFieldValue(r.gets[1]), FieldValue::Counter32(4294967290u)) << u.name;
    }
  }
}

TEST_F(SnmpPollerTest, WrongCommunityIsATimeoutThatSaysSo) {
  TargetSpec t = snmpd_->V2cTarget("not-the-community");
  t.timeout_ms = 200;
  t.retries = 1;
  const int64_t t0 = NowNs();
  PollResult r = PollOne(t, {kSysName});
  const int64_t took_ms = (NowNs() - t0) / 1'000'000;
  EXPECT_EQ(r.error, PollError::kTimeout);
  EXPECT_NE(r.message.find("no answer after 2 attempts of 200ms"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("wrong community or unreachable"), std::string::npos) << r.message;
  EXPECT_GE(took_ms, 350);
  EXPECT_LT(took_ms, 3000);
}

TEST_F(SnmpPollerTest, WrongV3AuthPasswordIsAnAuthenticationFailure) {
  SnmpdUser u = AllUsers()[3 * 5 + 3];
  u.auth_password = "wrong-auth-password";
  PollResult r = PollOne(snmpd_->V3Target(u), {kSysName});
  EXPECT_EQ(r.error, PollError::kAuth);
  EXPECT_NE(r.message.find("authentication failure"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("wrong auth password"), std::string::npos) << r.message;
}

TEST_F(SnmpPollerTest, WrongV3PrivPasswordSaysDecryptionOrNoAnswer) {
  SnmpdUser u = AllUsers()[1 * 5 + 1];  // SHA + AES-128
  u.priv_password = "wrong-priv-password";
  TargetSpec t = snmpd_->V3Target(u);
  t.timeout_ms = 200;
  t.retries = 0;
  PollResult r = PollOne(t, {kSysName});
  // snmpd drops what it cannot decrypt without a REPORT: no answer, and the message names
  // the likely cause.
  ASSERT_NE(r.error, PollError::kNone);
  EXPECT_NE(r.message.find("privacy password"), std::string::npos) << r.message;
}

TEST_F(SnmpPollerTest, UnknownV3User) {
  SnmpdUser u = {"nobody", AuthProtocol::kSha1, "authpass123", PrivProtocol::kAes128,
                 "privpass123"};
  PollResult r = PollOne(snmpd_->V3Target(u), {kSysName});
  EXPECT_EQ(r.error, PollError::kAuth);
  EXPECT_NE(r.message.find("unknown user name 'nobody'"), std::string::npos) << r.message;
}

TEST_F(SnmpPollerTest, DeadPortTimesOutWithinItsBudget) {
  TargetSpec t = snmpd_->V2cTarget();
  t.target.port = testing::FreeUdpPort();
  t.timeout_ms = 100;
  t.retries = 2;
  const int64_t t0 = NowNs();
  PollResult r = PollOne(t, {kSysName});
  const int64_t took_ms = (NowNs() - t0) / 1'000'000;
  EXPECT_EQ(r.error, PollError::kTimeout) << r.message;
  EXPECT_LT(took_ms, 2000);
}

TEST_F(SnmpPollerTest, AnAddressThatDoesNotParseIsAResolveErrorForV2cAndV3) {
  // An IPv6 literal is never looked up (no DNS traffic): a malformed one fails at once.
  TargetSpec v2 = snmpd_->V2cTarget();
  v2.target.host = "fe80::zz";
  PollResult r = PollOne(v2, {kSysName});
  EXPECT_EQ(r.error, PollError::kResolve) << r.message;
  EXPECT_NE(r.message.find("cannot resolve fe80::zz"), std::string::npos) << r.message;
  TargetSpec v3 = snmpd_->V3Target(AllUsers()[1]);
  v3.target.host = "fe80::zz";
  r = PollOne(v3, {kSysName});
  EXPECT_EQ(r.error, PollError::kResolve) << r.message;
}

TEST_F(SnmpPollerTest, DeadlineCutsASlowTargetAndKeepsTheFastOne) {
  TargetSpec dead = snmpd_->V2cTarget();
  dead.target.port = testing::FreeUdpPort();
  dead.timeout_ms = 5'000;
  TargetSpec live = snmpd_->V2cTarget();
  PollRequest reqs[2];
  reqs[0].target = &dead;
  reqs[0].gets = {kSysName};
  reqs[1].target = &live;
  reqs[1].gets = {kSysName};
  Poller poller;
  std::vector<PollResult> out;
  const int64_t t0 = NowNs();
  poller.Poll(reqs, t0 + 300'000'000, std::stop_token(), &out);
  const int64_t took_ms = (NowNs() - t0) / 1'000'000;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].error, PollError::kDeadline);
  EXPECT_EQ(out[1].error, PollError::kNone) << out[1].message;
  EXPECT_GE(took_ms, 280);
  EXPECT_LT(took_ms, 1000);
}

// Engine discovery is asynchronous: dead v3 targets time out together, not one after the
// other, and do not hold up a live one.
TEST_F(SnmpPollerTest, DeadV3TargetsTimeOutConcurrently) {
  std::vector<TargetSpec> targets;
  for (int i = 0; i < 5; ++i) {
    TargetSpec t = snmpd_->V3Target(AllUsers()[1]);
    t.target.port = testing::FreeUdpPort();
    t.timeout_ms = 300;
    t.retries = 1;
    targets.push_back(t);
  }
  targets.push_back(snmpd_->V3Target(AllUsers()[2]));
  std::vector<PollRequest> reqs(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    reqs[i].target = &targets[i];
    reqs[i].gets = {kSysName};
  }
  Poller poller;
  std::vector<PollResult> out;
  const int64_t t0 = NowNs();
  poller.Poll(reqs, t0 + 10'000'000'000, std::stop_token(), &out);
  const int64_t took_ms = (NowNs() - t0) / 1'000'000;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(out[i].error, PollError::kTimeout) << out[i].message;
    EXPECT_NE(out[i].message.find("no answer after 2 attempts of 300ms"), std::string::npos)
        << out[i].message;
  }
  EXPECT_EQ(out[5].error, PollError::kNone) << out[5].message;
  EXPECT_GE(took_ms, 550);
  EXPECT_LT(took_ms, 1500);  // serial discovery would take 5 x 600 ms
}

TEST_F(SnmpPollerTest, ManyTargetsAtOnceWithFewInFlight) {
  std::vector<TargetSpec> targets(50, snmpd_->V2cTarget());
  std::vector<PollRequest> reqs(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    reqs[i].target = &targets[i];
    reqs[i].gets = {kSysName, kFixedCounter32};
  }
  PollerOptions o;
  o.max_in_flight = 4;
  o.max_oids_per_get = 1;
  Poller poller(o);
  std::vector<PollResult> out;
  poller.Poll(reqs, NowNs() + 10'000'000'000, std::stop_token(), &out);
  for (const PollResult& r : out) {
    ASSERT_EQ(r.error, PollError::kNone) << r.message;
    EXPECT_EQ(r.pdus, 2u);
    EXPECT_EQ(*ToFieldValue(r.gets[1]), FieldValue::Counter32(4294967290u));
  }
}

TEST_F(SnmpPollerTest, V3SecondRoundReusesTheEngineId) {
  TargetSpec t = snmpd_->V3Target(AllUsers()[0]);  // MD5 + DES
  PollRequest req;
  req.target = &t;
  req.gets = {kSysName};
  Poller poller;
  for (int round = 0; round < 3; ++round) {
    std::vector<PollResult> out;
    poller.Poll(std::span<const PollRequest>(&req, 1), NowNs() + 5'000'000'000, std::stop_token(),
                &out);
    ASSERT_EQ(out[0].error, PollError::kNone) << "round " << round << ": " << out[0].message;
    EXPECT_EQ(*ToFieldValue(out[0].gets[0]), FieldValue::State("strix-test"));
  }
}

}  // namespace
}  // namespace strix::agents::snmp
