// Tests of the import of pattoo's SNMP agents' files (pattoo_agent_snmpd.yaml and
// pattoo_agent_snmp_ifmibd.yaml): the spec's example (pattoo.md 4.5), the pairing of auth
// and polling groups, each pattoo bug the import fixes instead of copying, and that the
// YAML written is a valid `type: snmp` / `type: snmp_ifmib` input (read back through the
// inputs' own binding, core/config.h).
#include "agents/snmp/snmp_pattoo_import.h"

#include <gtest/gtest.h>

#include <string>

#include "agents/snmp/snmp_config.h"
#include "agents/snmp/snmp_ifmib.h"
#include "core/config.h"

namespace strix::agents::snmp {
namespace {

// The example of spec pattoo.md 4.5.
constexpr std::string_view kSpecExample = R"(polling_interval: 300
polling_groups:
  - group_name: TEST 1
    ip_targets: [device1.example.org, 192.0.2.10]
    oids:
      - address: .1.3.6.1.2.1.2.2.1.10     # must start with '.', numeric nodes
        multiplier: 8                     # default 1
      - address: .1.3.6.1.2.1.2.2.1.16
        multiplier: 8
auth_groups:
  - group_name: CISCO
    snmp_version: 2            # only 2 or 3 accepted (1 is rejected)
    snmp_community: public
    snmp_port: 161
    snmp_secname: null
    snmp_authprotocol: null    # v3: MD5 | SHA
    snmp_authpassword: null
    snmp_privprotocol: null    # v3: DES | AES
    snmp_privpassword: null
    ip_targets: [device1.example.org]
  - group_name: V3
    snmp_version: 3
    snmp_secname: 0981s23df
    snmp_authprotocol: MD5
    snmp_authpassword: 092df34
    snmp_privprotocol: DES
    snmp_privpassword: 987dee1234
    snmp_port: 161
    ip_targets: [192.0.2.10]
)";

bool HasNote(const SnmpImport& im, std::string_view needle) {
  for (const std::string& n : im.notes) {
    if (n.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string Notes(const SnmpImport& im) {
  std::string s;
  for (const std::string& n : im.notes) s += n + "\n";
  return s;
}

// The input section read back as strix-agent reads it: under `inputs:`, with the
// agent's keys (type, interval) declared and the rest bound by the input's own binding.
template <typename Options, typename BindFn>
Result<Options> ReadBack(const SnmpImport& im, const std::string& input_name,
                         const std::string& want_type, BindFn bind, int64_t* interval_ms) {
  const std::string text = "inputs:\n" + im.yaml;
  STRIX_ASSIGN_OR_RETURN(config::Document doc, config::Document::ParseString(text, "out.yaml"));
  config::Errors errors;
  Options o;
  bool found = false;
  {
    config::Section root(doc, &errors);
    root.Entries("inputs", [&](config::Section& s, const std::string& name) {
      found = name == input_name;
      std::string type;
      s.String("type", &type).Duration("interval", interval_ms, 1000, 86'400'000);
      if (type != want_type) s.Error("type", "expected " + want_type + ", got " + type);
      bind(s, &o);
    });
    root.Finish();
  }
  STRIX_RETURN_IF_ERROR(errors.ToStatus());
  if (!found) return Status::NotFound("input not found", input_name);
  return o;
}

Result<SnmpOptions> ReadBackSnmp(const SnmpImport& im, int64_t* interval_ms) {
  return ReadBack<SnmpOptions>(
      im, "snmp", "snmp", [](config::Section& s, SnmpOptions* o) { BindSnmpOptions(s, o); },
      interval_ms);
}

Result<SnmpIfMibOptions> ReadBackIfMib(const SnmpImport& im, int64_t* interval_ms) {
  return ReadBack<SnmpIfMibOptions>(
      im, "ifmib", "snmp_ifmib",
      [](config::Section& s, SnmpIfMibOptions* o) { BindSnmpIfMibOptions(s, o); }, interval_ms);
}

TEST(SnmpPattooImport, SpecExample) {
  Result<SnmpImport> r = ImportPattooSnmp(kSpecExample, "pattoo_agent_snmpd.yaml", false, "snmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  EXPECT_EQ(interval_ms, 300'000);
  // The V3 group's passwords have 7 characters: net-snmp refuses them (pattoo's agent
  // could not have polled 192.0.2.10 either), so only the v2c group is imported.
  ASSERT_EQ(o->groups.size(), 1u) << r->yaml;
  EXPECT_TRUE(HasNote(*r, "auth group \"V3\": snmp_authpassword is shorter than 8 characters"))
      << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "target 192.0.2.10 has no usable auth group")) << Notes(*r);

  const SnmpGroup& v2 = o->groups[0];
  EXPECT_EQ(v2.name, "TEST 1 / CISCO");
  ASSERT_EQ(v2.targets.size(), 1u);
  EXPECT_EQ(v2.targets[0].target.host, "device1.example.org");
  EXPECT_EQ(v2.targets[0].target.port, 161);
  EXPECT_EQ(v2.targets[0].credentials.version, Version::kV2c);
  EXPECT_EQ(v2.targets[0].credentials.community, "public");
  ASSERT_EQ(v2.oids.size(), 2u);
  EXPECT_EQ(FormatOid(v2.oids[0].oid), ".1.3.6.1.2.1.2.2.1.10");
  EXPECT_EQ(v2.oids[0].name, "if_in_octets");
  EXPECT_TRUE(v2.oids[0].walk);
  EXPECT_EQ(v2.oids[0].multiplier, 1) << "a counter is stored raw";
  EXPECT_EQ(v2.oids[1].name, "if_out_octets");

  EXPECT_TRUE(HasNote(*r,
                      "pattoo multiplied .1.3.6.1.2.1.2.2.1.10 (if_in_octets) by 8 to "
                      "report bits"))
      << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "community_file")) << Notes(*r);
  EXPECT_EQ(r->yaml.find("  snmp:"), 0u);
  EXPECT_NE(r->yaml.find("# from pattoo_agent_snmpd.yaml"), std::string::npos);
}

// The spec example with v3 passwords net-snmp accepts.
std::string SpecExampleV3Ok() {
  std::string s(kSpecExample);
  auto replace = [&](std::string_view from, std::string_view to) {
    s.replace(s.find(from), from.size(), to);
  };
  replace("092df34", "092df34aa");
  return s;
}

TEST(SnmpPattooImport, SpecExampleV3GroupWithValidPasswords) {
  Result<SnmpImport> r =
      ImportPattooSnmp(SpecExampleV3Ok(), "pattoo_agent_snmpd.yaml", false, "snmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  ASSERT_EQ(o->groups.size(), 2u) << r->yaml;
  const SnmpGroup& v3 = o->groups[1];
  EXPECT_EQ(v3.name, "TEST 1 / V3");
  ASSERT_EQ(v3.targets.size(), 1u);
  EXPECT_EQ(v3.targets[0].target.host, "192.0.2.10");
  const Credentials& c = v3.targets[0].credentials;
  EXPECT_EQ(c.version, Version::kV3);
  EXPECT_EQ(c.username, "0981s23df");
  EXPECT_EQ(c.level, SecurityLevel::kAuthPriv);
  EXPECT_EQ(c.auth, AuthProtocol::kMd5);
  EXPECT_EQ(c.auth_password, "092df34aa");
  EXPECT_EQ(c.priv, PrivProtocol::kDes);
  EXPECT_EQ(c.priv_password, "987dee1234");
  EXPECT_EQ(v3.oids.size(), 2u);
}

TEST(SnmpPattooImport, IfMibFileBecomesAnIfMibInput) {
  Result<SnmpImport> r = ImportPattooSnmp(
      SpecExampleV3Ok(), "/etc/pattoo/pattoo_agent_snmp_ifmibd.yaml", true, "ifmib");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpIfMibOptions> o = ReadBackIfMib(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  EXPECT_EQ(interval_ms, 300'000);
  EXPECT_TRUE(o->only_admin_up) << "pattoo reported admin-up interfaces only";
  ASSERT_EQ(o->targets.size(), 2u);
  EXPECT_EQ(o->targets[0].target.host, "device1.example.org");
  EXPECT_EQ(o->targets[0].credentials.version, Version::kV2c);
  EXPECT_EQ(o->targets[1].target.host, "192.0.2.10");
  EXPECT_EQ(o->targets[1].credentials.version, Version::kV3);
  EXPECT_EQ(o->targets[1].credentials.priv, PrivProtocol::kDes);
  EXPECT_TRUE(HasNote(*r, "oids are ignored")) << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "multiplied them by 8")) << Notes(*r);
  EXPECT_NE(r->yaml.find("# from pattoo_agent_snmp_ifmibd.yaml"), std::string::npos) << r->yaml;
}

TEST(SnmpPattooImport, V1IsAcceptedAndPortsAndIpDevicesAreRead) {
  Result<SnmpImport> r = ImportPattooSnmp(R"(polling_interval: 60
polling_groups:
  - group_name: P
    ip_devices: [old-router]
    oids: [{address: .1.3.6.1.2.1.1.3}]
auth_groups:
  - group_name: OLD
    snmp_version: 1
    snmp_community: "pub lic"
    snmp_port: 1161
    ip_devices: [old-router]
)",
                                          "p.yaml", false, "snmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  EXPECT_EQ(interval_ms, 60'000);
  ASSERT_EQ(o->groups.size(), 1u);
  ASSERT_EQ(o->groups[0].targets.size(), 1u);
  const TargetSpec& t = o->groups[0].targets[0];
  EXPECT_EQ(t.target.host, "old-router");
  EXPECT_EQ(t.target.port, 1161);
  EXPECT_EQ(t.credentials.version, Version::kV1);
  EXPECT_EQ(t.credentials.community, "pub lic");
  ASSERT_EQ(o->groups[0].oids.size(), 1u);
  EXPECT_EQ(o->groups[0].oids[0].name, "sys_uptime");
  EXPECT_TRUE(HasNote(*r, "snmp_version 1 is imported")) << Notes(*r);
}

TEST(SnmpPattooImport, V3SecurityLevelFollowsTheProtocolsGiven) {
  Result<SnmpImport> r = ImportPattooSnmp(R"(polling_groups:
  - group_name: P
    ip_targets: [a, b]
    oids: [{address: .1.3.6.1.2.1.31.1.1.1.6}]
auth_groups:
  - group_name: AUTHONLY
    snmp_version: 3
    snmp_secname: u1
    snmp_authprotocol: sha
    snmp_authpassword: authpass1
    ip_targets: [a]
  - group_name: NOAUTH
    snmp_version: 3
    snmp_secname: u2
    ip_targets: [b]
)",
                                          "p.yaml", false, "snmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  EXPECT_EQ(interval_ms, 300'000) << "pattoo's default";
  ASSERT_EQ(o->groups.size(), 2u);
  const Credentials& a = o->groups[0].targets[0].credentials;
  EXPECT_EQ(a.level, SecurityLevel::kAuthNoPriv);
  EXPECT_EQ(a.auth, AuthProtocol::kSha1);
  EXPECT_EQ(a.priv, PrivProtocol::kNone);
  const Credentials& b = o->groups[1].targets[0].credentials;
  EXPECT_EQ(b.level, SecurityLevel::kNoAuthNoPriv);
  EXPECT_EQ(b.username, "u2");
  EXPECT_TRUE(HasNote(*r, "security_level authNoPriv")) << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "security_level noAuthNoPriv")) << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "asked for authPriv")) << Notes(*r);
}

TEST(SnmpPattooImport, V3PasswordsWithoutProtocolsAreShaAndAesAsUnderPattoo) {
  Result<SnmpImport> r = ImportPattooSnmp(R"(polling_groups:
  - group_name: P
    ip_targets: [a]
    oids: [{address: .1.3.6.1.2.1.1.3.0}]
auth_groups:
  - group_name: DEFAULTS
    snmp_version: 3
    snmp_secname: u1
    snmp_authprotocol: null
    snmp_authpassword: authpass1
    snmp_privprotocol: null
    snmp_privpassword: privpass1
    ip_targets: [a]
)",
                                          "p.yaml", false, "snmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  ASSERT_EQ(o->groups.size(), 1u);
  const Credentials& c = o->groups[0].targets[0].credentials;
  EXPECT_EQ(c.level, SecurityLevel::kAuthPriv);
  EXPECT_EQ(c.auth, AuthProtocol::kSha1);
  EXPECT_EQ(c.priv, PrivProtocol::kAes128);
  EXPECT_EQ(c.auth_password, "authpass1");
  EXPECT_EQ(c.priv_password, "privpass1");
  EXPECT_TRUE(HasNote(*r, "without snmp_authprotocol: SHA")) << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "without snmp_privprotocol: AES")) << Notes(*r);
}

TEST(SnmpPattooImport, LastAuthGroupWinsWithANote) {
  Result<SnmpImport> r = ImportPattooSnmp(R"(polling_groups:
  - group_name: P
    ip_targets: [sw1]
    oids: [{address: .1.3.6.1.2.1.2.2.1.10}]
auth_groups:
  - group_name: FIRST
    snmp_community: one
    ip_targets: [sw1]
  - group_name: SECOND
    snmp_community: two
    ip_targets: [sw1]
)",
                                          "p.yaml", false, "snmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  ASSERT_EQ(o->groups.size(), 1u);
  EXPECT_EQ(o->groups[0].targets[0].credentials.community, "two");
  EXPECT_TRUE(HasNote(*r,
                      "target sw1 is in several auth groups (\"FIRST\", \"SECOND\"); the "
                      "last one is used"))
      << Notes(*r);
}

TEST(SnmpPattooImport, AuthGroupsOfTheSameNameGiveDistinctGroupNames) {
  Result<SnmpImport> r = ImportPattooSnmp(R"(polling_groups:
  - group_name: P
    ip_targets: [a, b]
    oids: [{address: .1.3.6.1.2.1.2.2.1.10}]
auth_groups:
  - group_name: SAME
    snmp_community: one
    ip_targets: [a]
  - group_name: SAME
    snmp_community: two
    ip_targets: [b]
)",
                                          "p.yaml", false, "snmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  ASSERT_EQ(o->groups.size(), 2u);
  EXPECT_EQ(o->groups[0].name, "P / SAME");
  EXPECT_EQ(o->groups[1].name, "P / SAME (2)");
  EXPECT_EQ(o->groups[1].targets[0].credentials.community, "two");
}

TEST(SnmpPattooImport, TargetsNeedBothGroups) {
  Result<SnmpImport> r = ImportPattooSnmp(R"(polling_groups:
  - group_name: P
    ip_targets: [polled, noauth]
    oids: [{address: .1.3.6.1.2.1.2.2.1.10}]
auth_groups:
  - group_name: A
    snmp_community: c
    ip_targets: [polled, notpolled]
)",
                                          "p.yaml", false, "snmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  ASSERT_EQ(o->groups.size(), 1u);
  ASSERT_EQ(o->groups[0].targets.size(), 1u);
  EXPECT_EQ(o->groups[0].targets[0].target.host, "polled");
  EXPECT_TRUE(HasNote(*r, "target noauth is in no auth group")) << Notes(*r);
  EXPECT_EQ(r->yaml.find("notpolled"), std::string::npos);
}

TEST(SnmpPattooImport, InvalidOidsAreSkippedNotFatal) {
  Result<SnmpImport> r = ImportPattooSnmp(R"(polling_groups:
  - group_name: P
    ip_targets: [sw1]
    oids:
      - address: 1.3.6.1.2.1.2.2.1.10
      - address: .1.3.6.x.1
      - address: .1..3
      - address: .1.3.6.1.4.1.9.9.109.1.1.1.1.8
        multiplier: 0.5
      - address: .1.3.6.1.4.1.9.9.109.1.1.1.1.8
      - multiplier: 3
auth_groups:
  - group_name: A
    snmp_community: c
    ip_targets: [sw1]
)",
                                          "p.yaml", false, "snmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  ASSERT_EQ(o->groups.size(), 1u);
  ASSERT_EQ(o->groups[0].oids.size(), 1u);
  const OidSpec& s = o->groups[0].oids[0];
  EXPECT_EQ(s.name, "oid_1_3_6_1_4_1_9_9_109_1_1_1_1_8");
  EXPECT_EQ(s.multiplier, 0.5) << "a gauge keeps its multiplier";
  EXPECT_TRUE(HasNote(*r,
                      "p.yaml:5: polling group \"P\": OID \"1.3.6.1.2.1.2.2.1.10\" is not "
                      "numeric with a leading '.'"))
      << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "OID \".1.3.6.x.1\"")) << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "OID \".1..3\"")) << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "is listed twice")) << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "without address")) << Notes(*r);
}

TEST(SnmpPattooImport, UnusableAuthGroupsAreSkippedWithANote) {
  Result<SnmpImport> r = ImportPattooSnmp(R"(polling_groups:
  - group_name: P
    ip_targets: [a, b, c, d, e]
    oids: [{address: .1.3.6.1.2.1.2.2.1.10}]
auth_groups:
  - group_name: NOCOMM
    snmp_version: 2
    ip_targets: [a]
  - group_name: BADVER
    snmp_version: 4
    snmp_community: x
    ip_targets: [b]
  - group_name: NOPASS
    snmp_version: 3
    snmp_secname: u
    snmp_authprotocol: MD5
    ip_targets: [c]
  - group_name: PRIVNOAUTH
    snmp_version: 3
    snmp_secname: u
    snmp_privprotocol: AES
    snmp_privpassword: privpass1
    ip_targets: [d]
  - group_name: OK
    snmp_community: x
    ip_targets: [e]
)",
                                          "p.yaml", false, "snmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  ASSERT_EQ(o->groups.size(), 1u);
  ASSERT_EQ(o->groups[0].targets.size(), 1u);
  EXPECT_EQ(o->groups[0].targets[0].target.host, "e");
  EXPECT_TRUE(HasNote(*r, "\"NOCOMM\": no snmp_community")) << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "\"BADVER\": snmp_version \"4\"")) << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "\"NOPASS\": snmp_authprotocol without snmp_authpassword")) << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "\"PRIVNOAUTH\": snmp_privprotocol without snmp_authprotocol"))
      << Notes(*r);
  EXPECT_TRUE(HasNote(*r, "target a has no usable auth group")) << Notes(*r);
}

TEST(SnmpPattooImport, TargetsInTwoPollingGroupsReadEachOidOnce) {
  Result<SnmpImport> r = ImportPattooSnmp(R"(polling_groups:
  - group_name: P1
    ip_targets: [a, b]
    oids: [{address: .1.3.6.1.2.1.2.2.1.10}, {address: .1.3.6.1.2.1.2.2.1.16}]
  - group_name: P2
    ip_targets: [b]
    oids: [{address: .1.3.6.1.2.1.2.2.1.16}, {address: .1.3.6.1.2.1.2.2.1.14}]
auth_groups:
  - group_name: A
    snmp_community: c
    ip_targets: [a, b]
)",
                                          "p.yaml", false, "snmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  ASSERT_EQ(o->groups.size(), 2u) << r->yaml;
  EXPECT_EQ(o->groups[0].name, "P1 / A");
  EXPECT_EQ(o->groups[0].oids.size(), 2u);
  EXPECT_EQ(o->groups[1].name, "P1 + P2 / A");
  ASSERT_EQ(o->groups[1].targets.size(), 1u);
  EXPECT_EQ(o->groups[1].targets[0].target.host, "b");
  ASSERT_EQ(o->groups[1].oids.size(), 3u);
  EXPECT_EQ(o->groups[1].oids[2].name, "if_in_errors");
}

TEST(SnmpPattooImport, NothingUsableGivesNoYaml) {
  for (std::string_view text :
       {std::string_view("polling_interval: 30\n"),
        std::string_view("polling_groups: []\nauth_groups: []\n"), std::string_view("")}) {
    Result<SnmpImport> r = ImportPattooSnmp(text, "p.yaml", false, "snmp");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->yaml.empty()) << r->yaml;
    EXPECT_FALSE(r->notes.empty());
  }
}

TEST(SnmpPattooImport, BrokenYamlIsAnError) {
  EXPECT_FALSE(ImportPattooSnmp("polling_groups: [", "p.yaml", false, "snmp").ok());
  EXPECT_FALSE(ImportPattooSnmp("- a\n- b\n", "p.yaml", false, "snmp").ok());
}

TEST(SnmpPattooImport, BadPollingIntervalFallsBackTo300) {
  Result<SnmpImport> r = ImportPattooSnmp(R"(polling_interval: 5m
polling_groups: [{ip_targets: [a], oids: [{address: .1.3.6.1.2.1.1.3}]}]
auth_groups: [{snmp_community: c, ip_targets: [a]}]
)",
                                          "p.yaml", false, "snmp");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(HasNote(*r, "p.yaml:1: polling_interval")) << Notes(*r);
  EXPECT_NE(r->yaml.find("interval: 300s"), std::string::npos) << r->yaml;
}

TEST(SnmpPattooImport, QuotesSurviveInNamesAndSecrets) {
  Result<SnmpImport> r = ImportPattooSnmp(R"(polling_groups:
  - group_name: 'say "hi" \ there'
    ip_targets: [a]
    oids: [{address: .1.3.6.1.2.1.1.3}]
auth_groups:
  - group_name: A
    snmp_community: 'co"mm\un#ity'
    ip_targets: [a]
)",
                                          "p.yaml", false, "snmp");
  ASSERT_TRUE(r.ok());
  int64_t interval_ms = 0;
  Result<SnmpOptions> o = ReadBackSnmp(*r, &interval_ms);
  ASSERT_TRUE(o.ok()) << o.status().ToString() << "\n" << r->yaml;
  EXPECT_EQ(o->groups[0].name, "say \"hi\" \\ there / A");
  EXPECT_EQ(o->groups[0].targets[0].credentials.community, "co\"mm\\un#ity");
}

}  // namespace
}  // namespace strix::agents::snmp
