// Tests of strix-agent.yaml loading: defaults, every section, and file:line errors.
#include "agents/agent/agent_config.h"

#include <gtest/gtest.h>

namespace strix::agents {
namespace {

constexpr char kMinimal[] = "server:\n  urls: [http://127.0.0.1:8888]\n  token: abc\n";

TEST(AgentConfig, MinimalFileKeepsDefaults) {
  Result<AgentConfig> c = ParseAgentConfig(kMinimal, "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.urls.size(), 1u);
  EXPECT_EQ(c->server.token, "abc");
  EXPECT_EQ(c->buffer.max_bytes, 1ull << 30);
  EXPECT_EQ(c->buffer.max_age_ms, 7LL * 86'400'000);
  EXPECT_EQ(c->self_metrics_interval_ms, 60'000);
  EXPECT_FALSE(c->spoke.enabled);
  EXPECT_TRUE(c->inputs.empty());
}

TEST(AgentConfig, FullFileFillsEverySection) {
  const char* y =
      "agent:\n"
      "  state_dir: /tmp/x\n"
      "  host: web-01\n"
      "  labels: {site: lab, rack: \"7\"}\n"
      "  self_metrics_interval: 30s\n"
      "server:\n"
      "  urls: [http://a:8888, https://b:8888]\n"
      "  token_file: /etc/strix/agent.token\n"
      "  timeout: 5s\n"
      "  backoff_min: 500ms\n"
      "  backoff_max: 2m\n"
      "buffer:\n"
      "  max_bytes: 64MiB\n"
      "  max_age: 2d\n"
      "  segment_bytes: 1MiB\n"
      "inputs:\n"
      "  host:\n"
      "    type: linux\n"
      "    interval: 10s\n"
      "    per_cpu: false\n"
      "    include_partitions: true\n"
      "    tcp_states: false\n"
      "    temperatures: false\n"
      "    include_fstypes: [tmpfs, nfs4]\n"
      "  scripts:\n"
      "    type: script\n"
      "    interval: 1m\n"
      "    timeout: 30s\n"
      "    dir: /etc/strix/scripts\n"
      "    labels: {team: ops}\n"
      "  spokes:\n"
      "    type: hub\n"
      "    interval: 30s\n"
      "    targets:\n"
      "      - {ip_address: 127.0.0.1, ip_bind_port: 5000}\n"
      "      - {address: 10.0.0.2, port: 5001, format: strix, token: t}\n"
      "spoke:\n"
      "  enabled: true\n"
      "  port: 5005\n";
  Result<AgentConfig> c = ParseAgentConfig(y, "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "web-01");
  ASSERT_EQ(c->labels.size(), 2u);
  EXPECT_EQ(c->labels[1].second, "7");
  EXPECT_EQ(c->server.backoff_min_ms, 500);
  EXPECT_EQ(c->buffer.max_bytes, 64u << 20);
  ASSERT_EQ(c->inputs.size(), 3u);
  EXPECT_EQ(c->inputs[0].name, "host");
  EXPECT_EQ(c->inputs[0].type, InputType::kLinux);
  EXPECT_FALSE(c->inputs[0].linux_options.per_cpu);
  EXPECT_TRUE(c->inputs[0].linux_options.include_partitions);
  EXPECT_FALSE(c->inputs[0].linux_options.tcp_states);
  EXPECT_FALSE(c->inputs[0].linux_options.temperatures);
  EXPECT_EQ(c->inputs[0].linux_options.include_fstypes,
            (std::vector<std::string>{"tmpfs", "nfs4"}));
  EXPECT_EQ(c->inputs[0].EffectiveTimeoutMs(), 9'000);
  EXPECT_EQ(c->inputs[1].script_options.dir, "/etc/strix/scripts");
  EXPECT_EQ(c->inputs[1].EffectiveTimeoutMs(), 30'000);
  ASSERT_EQ(c->inputs[2].hub_options.targets.size(), 2u);
  EXPECT_EQ(c->inputs[2].hub_options.targets[0].address, "127.0.0.1");
  EXPECT_EQ(c->inputs[2].hub_options.targets[0].format, HubTarget::Format::kPattoo);
  EXPECT_EQ(c->inputs[2].hub_options.targets[1].port, 5001);
  EXPECT_EQ(c->inputs[2].hub_options.targets[1].format, HubTarget::Format::kStrix);
  EXPECT_TRUE(c->spoke.enabled);
  EXPECT_EQ(c->spoke.port, 5005);
  EXPECT_TRUE(c->spoke.linux_options.include_partitions);  // as pattoo's spoke
}

TEST(AgentConfig, ReservedInputNameAndSpokeHostNameAreErrors) {
  std::string y = std::string(kMinimal) +
                  "inputs:\n  agent:\n    type: linux\n"
                  "spoke:\n  enabled: true\n  address: myhost.example.org\n";
  Result<AgentConfig> c = ParseAgentConfig(y, "a.yaml");
  ASSERT_FALSE(c.ok());
  std::string m(c.status().message());
  EXPECT_NE(m.find("a.yaml:6:5: inputs.agent: input name \"agent\" is taken"), std::string::npos)
      << m;
  EXPECT_NE(m.find("a.yaml:9:"), std::string::npos) << m;
  EXPECT_NE(m.find("spoke.address: \"myhost.example.org\" is not an IP address"), std::string::npos)
      << m;
}

TEST(AgentConfig, ErrorsNameFileLineAndKey) {
  const char* y =
      "server:\n"
      "  urls: [ftp://x]\n"
      "inputs:\n"
      "  a:\n"
      "    type: lunix\n"
      "  b:\n"
      "    type: linux\n"
      "    interval: 10s\n"
      "    timeout: 20s\n"
      "    labels: {host: x}\n"
      "  c:\n"
      "    type: script\n";
  Result<AgentConfig> c = ParseAgentConfig(y, "agent.yaml");
  ASSERT_FALSE(c.ok());
  std::string m(c.status().message());
  EXPECT_NE(m.find("agent.yaml:2:"), std::string::npos) << m;
  EXPECT_NE(m.find("server.urls: \"ftp://x\" is not an http:// or https:// URL"), std::string::npos)
      << m;
  EXPECT_NE(m.find("server.token: give exactly one of token and token_file"), std::string::npos)
      << m;
  EXPECT_NE(m.find("agent.yaml:5:5: inputs.a.type"), std::string::npos) << m;
  EXPECT_NE(m.find("inputs.b.timeout: the timeout must not exceed the interval"), std::string::npos)
      << m;
  EXPECT_NE(m.find("label \"host\" is set by the agent"), std::string::npos) << m;
  EXPECT_NE(m.find("inputs.c.dir"), std::string::npos) << m;
}

TEST(AgentConfig, UnknownKeyOfAnotherInputTypeIsAnError) {
  std::string y = std::string(kMinimal) + "inputs:\n  h:\n    type: linux\n    dir: /x\n";
  Result<AgentConfig> c = ParseAgentConfig(y, "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("a.yaml:7:5: inputs.h.dir"), std::string::npos)
      << c.status().message();
}

TEST(AgentConfig, SnmpInputsBindAndTheirErrorsNameTheLine) {
  std::string y = std::string(kMinimal) +
                  "inputs:\n"
                  "  sw:\n"
                  "    type: snmp\n"
                  "    version: 3\n"
                  "    username: mon\n"
                  "    security_level: authPriv\n"
                  "    auth_protocol: SHA-512\n"
                  "    auth_password: authpass-1\n"
                  "    priv_protocol: AES-256\n"
                  "    priv_password: privpass-1\n"
                  "    targets: [\"192.0.2.1:1161\"]\n"
                  "    oids: [{oid: .1.3.6.1.2.1.1.3.0, name: uptime}]\n"
                  "  ifs:\n"
                  "    type: snmp_ifmib\n"
                  "    community: public\n"
                  "    targets: [192.0.2.2]\n";
  Result<AgentConfig> c = ParseAgentConfig(y, "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->inputs.size(), 2u);
  EXPECT_EQ(c->inputs[0].type, InputType::kSnmp);
  ASSERT_EQ(c->inputs[0].snmp_options.groups.size(), 1u);
  const snmp::TargetSpec& t = c->inputs[0].snmp_options.groups[0].targets.at(0);
  EXPECT_EQ(t.target.port, 1161);
  EXPECT_EQ(t.credentials.auth, snmp::AuthProtocol::kSha512);
  EXPECT_EQ(t.credentials.priv, snmp::PrivProtocol::kAes256);
  EXPECT_EQ(c->inputs[1].type, InputType::kSnmpIfMib);
  ASSERT_EQ(c->inputs[1].snmp_ifmib_options.targets.size(), 1u);
  EXPECT_EQ(c->inputs[1].snmp_ifmib_options.targets[0].credentials.community, "public");

  // v3 without a user name: the error names the file, line and key.
  std::string bad = std::string(kMinimal) +
                    "inputs:\n"
                    "  sw:\n"
                    "    type: snmp\n"
                    "    version: 3\n"
                    "    targets: [192.0.2.1]\n"
                    "    oids: [{oid: .1.3.6.1.2.1.1.3.0, name: uptime}]\n";
  Result<AgentConfig> e = ParseAgentConfig(bad, "b.yaml");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("b.yaml:"), std::string::npos) << e.status().message();
  EXPECT_NE(e.status().message().find("inputs.sw"), std::string::npos) << e.status().message();
  EXPECT_NE(e.status().message().find("username"), std::string::npos) << e.status().message();
}

TEST(AgentConfig, ModbusRequestTimeoutFitsInTheRound) {
  const std::string input =
      "inputs:\n"
      "  plc:\n"
      "    type: modbus\n"
      "    interval: 1s\n"
      "    targets: [192.0.2.7]\n"
      "    coils: [{name: pump, address: 0}]\n";
  // Not given: the default 1 s is cut to half the round (900 ms at a 1 s interval).
  Result<AgentConfig> c = ParseAgentConfig(std::string(kMinimal) + input, "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->inputs[0].modbus_options.request_timeout_ms, 450);
  // Given and as long as the round: an error at its line.
  Result<AgentConfig> bad =
      ParseAgentConfig(std::string(kMinimal) + input + "    request_timeout: 900ms\n", "a.yaml");
  ASSERT_FALSE(bad.ok());
  const std::string e(bad.status().message());
  EXPECT_NE(e.find("a.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("request_timeout: must be shorter than the input's timeout (900 ms)"),
            std::string::npos)
      << e;
}

TEST(AgentConfig, SnmpSecretFilesAreReadAtStart) {
  std::string y = std::string(kMinimal) +
                  "inputs:\n"
                  "  sw:\n"
                  "    type: snmp\n"
                  "    community_file: /nonexistent/strix-community\n"
                  "    targets: [192.0.2.1]\n"
                  "    oids: [{oid: .1.3.6.1.2.1.1.3.0, name: uptime}]\n";
  Result<AgentConfig> c = ParseAgentConfig(y, "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Status st = ResolveSecrets(Env::Default(), &*c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("/nonexistent/strix-community"), std::string::npos) << st.ToString();
}

TEST(AgentConfig, MissingServerIsAnError) {
  Result<AgentConfig> c = ParseAgentConfig("agent:\n  host: x\n", "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("server"), std::string::npos);
}

}  // namespace
}  // namespace strix::agents
