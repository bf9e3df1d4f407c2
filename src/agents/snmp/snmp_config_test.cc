// Tests of the SNMP input's options: YAML binding (one group at the input level and the
// groups form with overrides), every validation error with its file:line:column, and
// reading secrets from files.
#include "agents/snmp/snmp_config.h"

#include <gtest/gtest.h>

#include <string>

#include "core/config.h"
#include "core/env.h"
#include "core/testing/temp_dir.h"

namespace strix::agents::snmp {
namespace {

Result<SnmpOptions> Parse(std::string_view yaml) {
  STRIX_ASSIGN_OR_RETURN(config::Document doc, config::Document::ParseString(yaml, "s.yaml"));
  config::Errors errors;
  SnmpOptions o;
  {
    config::Section s(doc, &errors);
    BindSnmpOptions(s, &o);
    s.Finish();
  }
  STRIX_RETURN_IF_ERROR(errors.ToStatus());
  return o;
}

std::string Errors(std::string_view yaml) {
  Result<SnmpOptions> r = Parse(yaml);
  EXPECT_FALSE(r.ok()) << yaml;
  return r.ok() ? "" : std::string(r.status().message());
}

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST(SnmpConfig, OneGroupV2cAtTheInputLevel) {
  Result<SnmpOptions> r = Parse(R"(
community: public
targets: [192.0.2.1, "sw2.example.org:1161", "[2001:db8::1]:1162"]
request_timeout: 500ms
retries: 1
max_repetitions: 10
max_in_flight: 64
oids:
  - {oid: .1.3.6.1.2.1.1.3.0, name: sys_uptime, multiplier: 0.01}
  - {oid: 1.3.6.1.2.1.2.2.1.10, name: if_in_octets, walk: true}
  - {oid: .1.3.6.1.4.1.2021.10.1.5.1, name: load1, kind: gauge}
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const SnmpOptions& o = *r;
  EXPECT_EQ(o.poller.max_in_flight, 64u);
  ASSERT_EQ(o.groups.size(), 1u);
  const SnmpGroup& g = o.groups[0];
  EXPECT_EQ(g.measurement, "snmp");
  ASSERT_EQ(g.targets.size(), 3u);
  EXPECT_EQ(g.targets[0].target.Label(), "192.0.2.1");
  EXPECT_EQ(g.targets[1].target.Label(), "sw2.example.org:1161");
  EXPECT_EQ(g.targets[2].target.Label(), "[2001:db8::1]:1162");
  EXPECT_EQ(g.targets[0].credentials.version, Version::kV2c);
  EXPECT_EQ(g.targets[0].credentials.community, "public");
  EXPECT_EQ(g.targets[0].timeout_ms, 500);
  EXPECT_EQ(g.targets[0].retries, 1);
  EXPECT_EQ(g.targets[0].max_repetitions, 10u);
  ASSERT_EQ(g.oids.size(), 3u);
  EXPECT_EQ(g.oids[0].oid, (Oid{1, 3, 6, 1, 2, 1, 1, 3, 0}));
  EXPECT_EQ(g.oids[0].multiplier, 0.01);
  EXPECT_TRUE(g.oids[1].walk);
  EXPECT_EQ(g.oids[2].kind, "gauge");
}

TEST(SnmpConfig, GroupsOverrideCredentialsAndV1IsAccepted) {
  Result<SnmpOptions> r = Parse(R"(
version: 3
username: monitor
security_level: authPriv
auth_protocol: SHA-256
auth_password: authpass123
priv_protocol: AES-256
priv_password: privpass123
measurement: net
groups:
  - name: core
    targets: [10.0.0.1]
    oids: [{oid: .1.3.6.1.2.1.1.3.0, name: uptime}]
  - name: old
    version: 1
    community: legacy
    measurement: old_net
    targets: [10.0.0.2]
    oids: [{oid: .1.3.6.1.2.1.1.3.0, name: uptime}]
  - name: noauth
    security_level: noAuthNoPriv
    targets: [10.0.0.3]
    oids: [{oid: .1.3.6.1.2.1.1.3.0, name: uptime}]
)");
  // The third group keeps the input-level protocols, which noAuthNoPriv does not use:
  // inherited keys are not errors in the group (only keys written there are).
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->groups.size(), 3u);
  const Credentials& v3 = r->groups[0].targets[0].credentials;
  EXPECT_EQ(v3.version, Version::kV3);
  EXPECT_EQ(v3.auth, AuthProtocol::kSha256);
  EXPECT_EQ(v3.priv, PrivProtocol::kAes256);
  EXPECT_EQ(v3.level, SecurityLevel::kAuthPriv);
  EXPECT_EQ(r->groups[0].measurement, "net");
  EXPECT_EQ(r->groups[1].targets[0].credentials.version, Version::kV1);
  EXPECT_EQ(r->groups[1].targets[0].credentials.community, "legacy");
  EXPECT_EQ(r->groups[1].measurement, "old_net");
  EXPECT_EQ(r->groups[2].targets[0].credentials.level, SecurityLevel::kNoAuthNoPriv);
}

TEST(SnmpConfig, EveryProtocolName) {
  for (const char* a : {"MD5", "SHA", "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512"}) {
    for (const char* p : {"DES", "AES", "AES-128", "AES-192", "AES-256"}) {
      std::string y = std::string("version: 3\nusername: u\nauth_protocol: ") + a +
                      "\nauth_password: 12345678\npriv_protocol: " + p +
                      "\npriv_password: 12345678\ntargets: [h]\noids: [{oid: .1.3.6, name: x}]\n";
      EXPECT_TRUE(Parse(y).ok()) << y;
    }
  }
}

TEST(SnmpConfig, UnknownVersionAndProtocolWithPosition) {
  std::string e =
      Errors("version: 4\ncommunity: c\ntargets: [h]\noids: [{oid: .1.3.6, name: x}]\n");
  EXPECT_HAS(e, "s.yaml:1:");
  EXPECT_HAS(e, "version");
  e = Errors(
      "version: 3\nusername: u\nauth_protocol: SHA-999\nauth_password: 12345678\n"
      "security_level: authNoPriv\ntargets: [h]\noids: [{oid: .1.3.6, name: x}]\n");
  EXPECT_HAS(e, "s.yaml:3:");
  EXPECT_HAS(e, "auth_protocol");
  e = Errors(
      "version: 3\nusername: u\nauth_protocol: SHA\nauth_password: 12345678\n"
      "priv_protocol: 3DES\npriv_password: 12345678\ntargets: [h]\noids: [{oid: .1.3.6, name: "
      "x}]\n");
  EXPECT_HAS(e, "s.yaml:5:");
}

TEST(SnmpConfig, V3WithoutUsername) {
  std::string e = Errors(
      "version: 3\nsecurity_level: noAuthNoPriv\ntargets: [h]\noids: [{oid: .1.3.6, name: x}]\n");
  EXPECT_HAS(e, "s.yaml:1:");
  EXPECT_HAS(e, "version 3 needs username");
}

TEST(SnmpConfig, AuthLevelWithoutProtocolOrPassword) {
  std::string e = Errors(
      "version: 3\nusername: u\nsecurity_level: authNoPriv\ntargets: [h]\n"
      "oids: [{oid: .1.3.6, name: x}]\n");
  EXPECT_HAS(e, "s.yaml:3:");
  EXPECT_HAS(e, "needs auth_protocol");
  EXPECT_HAS(e, "needs auth_password or auth_password_file");
  e = Errors(
      "version: 3\nusername: u\nauth_protocol: SHA\nauth_password: 12345678\n"
      "targets: [h]\noids: [{oid: .1.3.6, name: x}]\n");  // authPriv is the default
  EXPECT_HAS(e, "needs priv_protocol");
}

TEST(SnmpConfig, ShortV3PasswordIsRefused) {
  std::string e = Errors(
      "version: 3\nusername: u\nsecurity_level: authNoPriv\nauth_protocol: MD5\n"
      "auth_password: short\ntargets: [h]\noids: [{oid: .1.3.6, name: x}]\n");
  EXPECT_HAS(e, "s.yaml:5:");
  EXPECT_HAS(e, "at least 8 characters");
}

TEST(SnmpConfig, ProtocolsTheLevelDoesNotUse) {
  std::string e = Errors(
      "version: 3\nusername: u\nsecurity_level: authNoPriv\nauth_protocol: MD5\n"
      "auth_password: 12345678\npriv_protocol: DES\ntargets: [h]\noids: [{oid: .1.3.6, name: "
      "x}]\n");
  EXPECT_HAS(e, "s.yaml:6:");
  EXPECT_HAS(e, "priv_protocol needs security_level authPriv");
}

TEST(SnmpConfig, CommunityMissingOrOnV3) {
  std::string e = Errors("targets: [h]\noids: [{oid: .1.3.6, name: x}]\n");
  EXPECT_HAS(e, "needs community or community_file");
  e = Errors(
      "version: 3\nusername: u\nsecurity_level: noAuthNoPriv\ncommunity: c\ntargets: [h]\n"
      "oids: [{oid: .1.3.6, name: x}]\n");
  EXPECT_HAS(e, "s.yaml:4:");
  EXPECT_HAS(e, "not a community");
  e = Errors("community: c\nusername: u\ntargets: [h]\noids: [{oid: .1.3.6, name: x}]\n");
  EXPECT_HAS(e, "s.yaml:2:");
  EXPECT_HAS(e, "applies to version 3 only");
}

TEST(SnmpConfig, CounterWithMultiplierIsRefused) {
  std::string e = Errors(
      "community: c\ntargets: [h]\noids:\n  - {oid: .1.3.6.1.2.1.2.2.1.10, name: in_octets, "
      "kind: counter, multiplier: 8}\n");
  EXPECT_HAS(e, "s.yaml:4:");
  EXPECT_HAS(e, "no multiplier");
}

TEST(SnmpConfig, BadOidsNamesAndTargets) {
  std::string e = Errors(
      "community: c\ntargets: [\"h:0\", h2, h2]\noids:\n"
      "  - {oid: .1.3.x, name: a}\n"
      "  - {oid: .1.3.6, name: 9bad}\n"
      "  - {oid: .1.3.7, name: a}\n"
      "  - {oid: .1.3.8, name: b, multiplier: 0}\n");
  EXPECT_HAS(e, "is not host, host:port");
  EXPECT_HAS(e, "listed twice");
  EXPECT_HAS(e, "s.yaml:4:");
  EXPECT_HAS(e, "cannot resolve OID \".1.3.x\"");
  EXPECT_HAS(e, "must match");
  EXPECT_HAS(e, "duplicate name \"a\"");
  EXPECT_HAS(e, "multiplier of 0");
}

TEST(SnmpConfig, GroupsAndInputLevelTargetsAreExclusive) {
  std::string e = Errors(
      "community: c\ntargets: [h]\ngroups:\n  - name: g\n    targets: [h]\n"
      "    oids: [{oid: .1.3.6, name: x}]\n");
  EXPECT_HAS(e, "not both");
}

TEST(SnmpConfig, SecretsFromFilesWithTrailingNewlineStripped) {
  strix::testing::TempDir dir;
  Env& env = Env::Default();
  ASSERT_TRUE(WriteFileAtomically(env, dir.Join("auth"), "authpass123\n").ok());
  ASSERT_TRUE(WriteFileAtomically(env, dir.Join("priv"), "privpass123 \r\n").ok());
  ASSERT_TRUE(WriteFileAtomically(env, dir.Join("short"), "short\n").ok());
  Result<SnmpOptions> r =
      Parse("version: 3\nusername: u\nauth_protocol: SHA\nauth_password_file: " + dir.Join("auth") +
            "\npriv_protocol: AES\npriv_password_file: " + dir.Join("priv") +
            "\ntargets: [h]\noids: [{oid: .1.3.6, name: x}]\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(ResolveSnmpSecrets(env, &*r).ok());
  EXPECT_EQ(r->groups[0].targets[0].credentials.auth_password, "authpass123");
  EXPECT_EQ(r->groups[0].targets[0].credentials.priv_password, "privpass123");

  Result<SnmpOptions> missing = Parse("community_file: " + dir.Join("nope") +
                                      "\ntargets: [h]\noids: [{oid: .1.3.6, name: x}]\n");
  ASSERT_TRUE(missing.ok());
  Status s = ResolveSnmpSecrets(env, &*missing);
  ASSERT_FALSE(s.ok());
  EXPECT_HAS(std::string(s.message()), "community_file: " + dir.Join("nope"));

  Result<SnmpOptions> short_pw = Parse(
      "version: 3\nusername: u\nsecurity_level: authNoPriv\nauth_protocol: SHA\n"
      "auth_password_file: " +
      dir.Join("short") + "\ntargets: [h]\noids: [{oid: .1.3.6, name: x}]\n");
  ASSERT_TRUE(short_pw.ok());
  s = ResolveSnmpSecrets(env, &*short_pw);
  ASSERT_FALSE(s.ok());
  EXPECT_HAS(std::string(s.message()), "at least 8 characters");

  // A group's inline community replaces the community_file of the input, and a group's
  // file replaces an inherited inline one.
  ASSERT_TRUE(WriteFileAtomically(env, dir.Join("community"), "from-file\n").ok());
  Result<SnmpOptions> mixed = Parse("community_file: " + dir.Join("community") +
                                    "\ngroups:\n"
                                    "  - name: a\n    community: inline\n    targets: [h1]\n"
                                    "    oids: [{oid: .1.3.6, name: x}]\n"
                                    "  - name: b\n    targets: [h2]\n"
                                    "    oids: [{oid: .1.3.6, name: x}]\n");
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  ASSERT_TRUE(ResolveSnmpSecrets(env, &*mixed).ok());
  ASSERT_EQ(mixed->groups.size(), 2u);
  EXPECT_EQ(mixed->groups[0].targets[0].credentials.community, "inline");
  EXPECT_EQ(mixed->groups[1].targets[0].credentials.community, "from-file");
  Result<SnmpOptions> other_way = Parse(
      "community: inline\ngroups:\n"
      "  - name: a\n    community_file: " +
      dir.Join("community") + "\n    targets: [h1]\n    oids: [{oid: .1.3.6, name: x}]\n");
  ASSERT_TRUE(other_way.ok()) << other_way.status().ToString();
  ASSERT_TRUE(ResolveSnmpSecrets(env, &*other_way).ok());
  EXPECT_EQ(other_way->groups[0].targets[0].credentials.community, "from-file");
}

}  // namespace
}  // namespace strix::agents::snmp
