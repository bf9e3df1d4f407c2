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
  Write(dir.Join("pattoo_agent_bacnetipd.yaml"), "polling_interval: 300\n");

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
  bool bacnet_noted = false;
  for (const auto& w : r->warnings) bacnet_noted |= w.find("pattoo_agent_bacnetipd.yaml") == 0;
  EXPECT_TRUE(bacnet_noted);
}

TEST(PattooImport, ModbusAgentBecomesAModbusInput) {
  testing::TempDir dir;
  Write(dir.Join("pattoo_agent.yaml"), "pattoo_agent_api:\n  ip_address: localhost\n");
  Write(dir.Join("pattoo_agent_modbustcpd.yaml"),
        "pattoo_agent_modbustcpd:\n"
        "  polling_interval: 60\n"
        "  polling_groups:\n"
        "    - group_name: TEST\n"
        "      ip_targets: [plc1.example.org]\n"
        "      unit: 3\n"
        "      input_registers:\n"
        "        - address: 30388\n"
        "          multiplier: 7\n"
        "      holding_registers:\n"
        "        - address: 40124\n"
        "          multiplier: 9\n");
  Result<PattooImport> r = ImportPattooConfig(Env::Default(), dir.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<AgentConfig> c = ParseAgentConfig(r->yaml, "imported.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString() << "\n" << r->yaml;
  ASSERT_EQ(c->inputs.size(), 1u);
  const InputConfig& in = c->inputs[0];
  EXPECT_EQ(in.type, InputType::kModbus);
  EXPECT_EQ(in.interval_ms, 60'000);
  ASSERT_EQ(in.modbus_options.groups.size(), 1u);
  const modbus::ModbusGroup& g = in.modbus_options.groups[0];
  ASSERT_EQ(g.targets.size(), 1u);
  EXPECT_EQ(g.targets[0].host, "plc1.example.org");
  EXPECT_EQ(g.unit, 3);
  ASSERT_EQ(g.registers.size(), 2u);
  for (const modbus::RegisterSpec& reg : g.registers) {
    if (reg.table == modbus::Table::kInputRegister) {
      EXPECT_EQ(reg.address, 387);  // 30388 - 30001
      EXPECT_EQ(reg.value.multiplier, 7);
    } else {
      EXPECT_EQ(reg.table, modbus::Table::kHoldingRegister);
      EXPECT_EQ(reg.address, 123);  // 40124 - 40001
      EXPECT_EQ(reg.value.multiplier, 9);
    }
  }
  for (const auto& w : r->warnings)
    EXPECT_EQ(w.find("pattoo_agent_modbustcpd.yaml: not"), std::string::npos) << w;
}

TEST(PattooImport, ModbusFileWithoutUsableGroupsImportsNoInput) {
  testing::TempDir dir;
  Write(dir.Join("pattoo_agent.yaml"), "pattoo_agent_api:\n  ip_address: localhost\n");
  Write(dir.Join("pattoo_agent_modbustcpd.yaml"),
        "polling_groups:\n  - group_name: EMPTY\n    ip_targets: [plc1]\n");
  Result<PattooImport> r = ImportPattooConfig(Env::Default(), dir.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<AgentConfig> c = ParseAgentConfig(r->yaml, "imported.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString() << "\n" << r->yaml;
  EXPECT_TRUE(c->inputs.empty());
  bool noted = false;
  for (const auto& w : r->warnings)
    noted |= w.find("Modbus input is not imported") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(PattooImport, SnmpAgentsBecomeSnmpInputs) {
  testing::TempDir dir;
  Write(dir.Join("pattoo_agent.yaml"), "pattoo_agent_api:\n  ip_address: localhost\n");
  const std::string groups =
      "polling_interval: 120\n"
      "polling_groups:\n"
      "  - group_name: TEST 1\n"
      "    ip_targets: [device1.example.org, 192.0.2.10]\n"
      "    oids:\n"
      "      - address: .1.3.6.1.2.1.2.2.1.10\n"
      "        multiplier: 8\n"
      "auth_groups:\n"
      "  - group_name: CISCO\n"
      "    snmp_version: 2\n"
      "    snmp_community: public\n"
      "    snmp_port: 161\n"
      "    ip_targets: [device1.example.org]\n"
      "  - group_name: V3\n"
      "    snmp_version: 3\n"
      "    snmp_secname: monitor\n"
      "    snmp_authprotocol: SHA\n"
      "    snmp_authpassword: authpass123\n"
      "    snmp_privprotocol: AES\n"
      "    snmp_privpassword: privpass123\n"
      "    ip_targets: [192.0.2.10]\n";
  Write(dir.Join("pattoo_agent_snmpd.yaml"), groups);
  Write(dir.Join("pattoo_agent_snmp_ifmibd.yaml"), groups);
  Result<PattooImport> r = ImportPattooConfig(Env::Default(), dir.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<AgentConfig> c = ParseAgentConfig(r->yaml, "imported.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString() << "\n" << r->yaml;
  ASSERT_EQ(c->inputs.size(), 2u) << r->yaml;
  const InputConfig& s = c->inputs[0];
  EXPECT_EQ(s.type, InputType::kSnmp);
  EXPECT_EQ(s.interval_ms, 120'000);
  size_t targets = 0;
  bool v3 = false;
  for (const snmp::SnmpGroup& g : s.snmp_options.groups) {
    ASSERT_EQ(g.oids.size(), 1u);
    EXPECT_TRUE(g.oids[0].walk);
    EXPECT_EQ(g.oids[0].multiplier, 1) << "a counter keeps its raw octets";
    for (const snmp::TargetSpec& t : g.targets) {
      ++targets;
      if (t.target.host == "192.0.2.10") {
        v3 = true;
        EXPECT_EQ(t.credentials.version, snmp::Version::kV3);
        EXPECT_EQ(t.credentials.username, "monitor");
        EXPECT_EQ(t.credentials.level, snmp::SecurityLevel::kAuthPriv);
      } else {
        EXPECT_EQ(t.credentials.version, snmp::Version::kV2c);
        EXPECT_EQ(t.credentials.community, "public");
      }
    }
  }
  EXPECT_EQ(targets, 2u);
  EXPECT_TRUE(v3);
  const InputConfig& i = c->inputs[1];
  EXPECT_EQ(i.type, InputType::kSnmpIfMib);
  EXPECT_EQ(i.snmp_ifmib_options.targets.size(), 2u);
  EXPECT_TRUE(i.snmp_ifmib_options.only_admin_up);
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
