// Tests of importing pattoo's agent YAML: the files of spec pattoo.md 4.2-4.5 become a
// strix-agent.yaml that loads.
#include "agents/agent/pattoo_import.h"

#include <gtest/gtest.h>

#include <fstream>

#include "agents/agent/agent_config.h"
#include "core/testing/temp_dir.h"

namespace strix::agents {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

TEST(PattooImport, LinuxAgentsSpokeAndHubBecomeInputs) {
  testing::TempDir dir;
  Write(dir.Join("pattoo.yaml"),
        "pattoo:\n  log_level: warning\n  log_directory: /var/log/pattoo\n"
        "  cache_directory: /opt/pattoo/cache\n  daemon_directory: /opt/pattoo/daemon\n");
  Write(dir.Join("pattoo_agent.yaml"),
        "pattoo_agent_api:\n  ip_address: 192.0.2.7\n  ip_bind_port: 20201\n");
  Write(dir.Join("pattoo_agent_linux_autonomousd.yaml"), "polling_interval: 300\n");
  Write(dir.Join("pattoo_agent_linux_spoked.yaml"),
        "ip_listen_address: 0.0.0.0\nip_bind_port: 5000\n");
  Write(dir.Join("pattoo_agent_linux_hubd.yaml"),
        "polling_interval: 60\nip_targets:\n  - ip_address: 127.0.0.1\n    ip_bind_port: 5000\n"
        "  - ip_address: 127.0.0.2\n    ip_bind_port: 5001\n");
  Write(dir.Join("pattoo_agent_snmpd.yaml"), "polling_interval: 300\n");

  Result<PattooImport> r = ImportPattooConfig(Env::Default(), dir.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<AgentConfig> c = ParseAgentConfig(r->yaml, "imported.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString() << "\n" << r->yaml;
  EXPECT_EQ(c->state_dir, "/opt/pattoo/daemon/strix-agent");
  EXPECT_EQ(c->log_level, "warn");
  ASSERT_EQ(c->server.urls.size(), 1u);
  EXPECT_EQ(c->server.urls[0], "http://192.0.2.7:8888");
  ASSERT_EQ(c->inputs.size(), 2u);
  EXPECT_EQ(c->inputs[0].type, InputType::kLinux);
  EXPECT_EQ(c->inputs[0].interval_ms, 300'000);
  EXPECT_EQ(c->inputs[1].type, InputType::kHub);
  EXPECT_EQ(c->inputs[1].interval_ms, 60'000);
  ASSERT_EQ(c->inputs[1].hub_options.targets.size(), 2u);
  EXPECT_EQ(c->inputs[1].hub_options.targets[1].address, "127.0.0.2");
  EXPECT_EQ(c->inputs[1].hub_options.targets[1].port, 5001);
  EXPECT_TRUE(c->spoke.enabled);
  EXPECT_EQ(c->spoke.address, "0.0.0.0");
  bool snmp_noted = false;
  for (const auto& w : r->warnings) snmp_noted |= w.find("pattoo_agent_snmpd.yaml") == 0;
  EXPECT_TRUE(snmp_noted);
}

TEST(PattooImport, IpDevicesIsAcceptedForIpTargets) {
  testing::TempDir dir;
  Write(dir.Join("pattoo_agent.yaml"), "pattoo_agent_api:\n  ip_address: localhost\n");
  Write(dir.Join("pattoo_agent_linux_hubd.yaml"),
        "ip_devices:\n  - ip_address: 10.1.1.1\n    ip_bind_port: 5000\n");
  Result<PattooImport> r = ImportPattooConfig(Env::Default(), dir.path());
  ASSERT_TRUE(r.ok());
  Result<AgentConfig> c = ParseAgentConfig(r->yaml, "imported.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->inputs.size(), 1u);
  EXPECT_EQ(c->inputs[0].interval_ms, 300'000);  // pattoo's default
}

TEST(PattooImport, SpokeOnLocalhostBecomesALoopbackAddressWithoutAWarning) {
  testing::TempDir dir;
  Write(dir.Join("pattoo_agent.yaml"), "pattoo_agent_api:\n  ip_address: localhost\n");
  Write(dir.Join("pattoo_agent_linux_spoked.yaml"),
        "ip_listen_address: localhost\nip_bind_port: 5005\n");
  Result<PattooImport> r = ImportPattooConfig(Env::Default(), dir.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The spoke binds an IP address: "localhost" would fail the config check.
  Result<AgentConfig> c = ParseAgentConfig(r->yaml, "imported.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString() << "\n" << r->yaml;
  EXPECT_EQ(c->spoke.address, "127.0.0.1");
  EXPECT_EQ(c->spoke.port, 5005);
  for (const auto& w : r->warnings) EXPECT_EQ(w.find("without authentication"), std::string::npos);
}

TEST(PattooImport, MissingAgentFileAndBadIntervalAreErrors) {
  testing::TempDir dir;
  EXPECT_EQ(ImportPattooConfig(Env::Default(), dir.path()).status().code(), StatusCode::kNotFound);
  Write(dir.Join("pattoo_agent.yaml"), "pattoo_agent_api:\n  ip_address: localhost\n");
  Write(dir.Join("pattoo_agent_linux_autonomousd.yaml"), "\npolling_interval: often\n");
  Result<PattooImport> r = ImportPattooConfig(Env::Default(), dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("pattoo_agent_linux_autonomousd.yaml:2: polling_interval"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace strix::agents
