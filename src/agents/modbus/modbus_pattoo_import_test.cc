// Tests of the pattoo_agent_modbustcpd.yaml import: the spec's example (pattoo.md 4.5), the
// register-number mapping, and each pattoo bug the import fixes instead of copying.
#include "agents/modbus/modbus_pattoo_import.h"

#include <gtest/gtest.h>

#include <string>

#include "core/config.h"

namespace strix::agents::modbus {
namespace {

// The example of spec pattoo.md 4.5, as pattoo's code reads it (with the top-level key).
constexpr std::string_view kSpecExample = R"(pattoo_agent_modbustcpd:
  polling_interval: 300
  polling_groups:
    - group_name: TEST
      ip_targets: [plc1.example.org]
      unit: 3                        # Modbus unit id 0..246, default 0
      input_registers:
        - address: 30388             # 30001..39999 or 300001..365536
          multiplier: 7
        - address: 30389
          multiplier: 7
      holding_registers:
        - address: 40124             # 40001..49999 or 400001..465546
          multiplier: 9
)";

bool HasWarning(const ModbusPattooImport& im, std::string_view needle) {
  for (const std::string& w : im.warnings)
    if (w.find(needle) != std::string::npos) return true;
  return false;
}

TEST(ModbusPattooImport, SpecExample) {
  Result<ModbusPattooImport> r = ImportPattooModbus(kSpecExample, "pattoo_agent_modbustcpd.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->interval_ms, 300'000);
  ASSERT_EQ(r->options.groups.size(), 1u);
  const ModbusGroup& g = r->options.groups[0];
  EXPECT_EQ(g.name, "TEST");
  EXPECT_EQ(g.targets, (std::vector<Target>{{"plc1.example.org", 502}}));
  EXPECT_EQ(g.unit, 3);
  ASSERT_EQ(g.registers.size(), 3u);
  EXPECT_EQ(g.registers[0].name, "input_register_30388");
  EXPECT_EQ(g.registers[0].table, Table::kInputRegister);
  EXPECT_EQ(g.registers[0].address, 387);
  EXPECT_EQ(g.registers[0].value.type, DataType::kUint16);
  EXPECT_EQ(g.registers[0].value.multiplier, 7);
  EXPECT_EQ(g.registers[1].name, "input_register_30389");
  EXPECT_EQ(g.registers[1].address, 388);
  EXPECT_EQ(g.registers[2].name, "holding_register_40124");
  EXPECT_EQ(g.registers[2].table, Table::kHoldingRegister);
  EXPECT_EQ(g.registers[2].address, 123);
  EXPECT_EQ(g.registers[2].value.multiplier, 9);

  // The two input registers are one request of two; the holding register is read with the
  // group's unit like every other request (pattoo dropped unit and count there).
  std::vector<ReadRequest> plan = PlanRequests(g.registers, r->options);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].table, Table::kInputRegister);
  EXPECT_EQ(plan[0].start, 387);
  EXPECT_EQ(plan[0].count, 2);
  EXPECT_EQ(plan[1].table, Table::kHoldingRegister);
  EXPECT_EQ(plan[1].count, 1);
}

TEST(ModbusPattooImport, ImportedYamlIsAValidModbusInput) {
  Result<ModbusPattooImport> r = ImportPattooModbus(kSpecExample, "p.yaml");
  ASSERT_TRUE(r.ok());
  const std::string yaml = ModbusOptionsToYaml(r->options, 0);
  Result<config::Document> doc = config::Document::ParseString(yaml, "out.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  config::Errors errors;
  ModbusOptions back;
  {
    config::Section s(*doc, &errors);
    BindModbusOptions(s, &back);
    s.Finish();
  }
  ASSERT_TRUE(errors.empty()) << errors.ToStatus().ToString() << "\n" << yaml;
  ASSERT_EQ(back.groups.size(), 1u);
  EXPECT_EQ(back.groups[0].registers, r->options.groups[0].registers);
  EXPECT_EQ(back.groups[0].targets, r->options.groups[0].targets);
  EXPECT_EQ(back.groups[0].unit, 3);
}

TEST(ModbusPattooImport, DocsFormWithoutTopKeyAndIpDevices) {
  Result<ModbusPattooImport> r = ImportPattooModbus(R"(polling_interval: 60
polling_groups:
  - group_name: DOCS
    ip_devices: [192.0.2.7, "192.0.2.8:1502"]
    holding_registers:
      - address: 400001
      - address: 465536
)",
                                                    "p.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->interval_ms, 60'000);
  ASSERT_EQ(r->options.groups.size(), 1u);
  const ModbusGroup& g = r->options.groups[0];
  EXPECT_EQ(g.unit, 0) << "pattoo's default unit";
  EXPECT_EQ(g.targets, (std::vector<Target>{{"192.0.2.7", 502}, {"192.0.2.8", 1502}}));
  ASSERT_EQ(g.registers.size(), 2u);
  EXPECT_EQ(g.registers[0].address, 0);
  EXPECT_EQ(g.registers[1].address, 65535);
  EXPECT_EQ(g.registers[1].name, "holding_register_465536");
}

TEST(ModbusPattooImport, RegisterNumbersOutsideTheAddressSpaceAreSkippedWithAWarning) {
  Result<ModbusPattooImport> r = ImportPattooModbus(R"(polling_groups:
  - ip_targets: [plc]
    input_registers: [{address: 30001}, {address: 40001}, {address: 365537}, {address: 39999}]
    holding_registers: [{address: 465540}, {address: 49999}, {address: 30001}]
)",
                                                    "p.yaml");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->options.groups.size(), 1u);
  std::vector<std::string> names;
  for (const RegisterSpec& reg : r->options.groups[0].registers) names.push_back(reg.name);
  EXPECT_EQ(names, (std::vector<std::string>{"input_register_30001", "input_register_39999",
                                             "holding_register_49999"}));
  EXPECT_EQ(r->options.groups[0].registers[1].address, 9998);
  EXPECT_TRUE(HasWarning(*r,
                         "p.yaml:3: polling group \"group 1\": input_registers address "
                         "40001 is outside"));
  EXPECT_TRUE(HasWarning(*r, "address 465540 is outside 40001..49999 and 400001..465536"));
  EXPECT_TRUE(HasWarning(*r, "address 365537"));
}

TEST(ModbusPattooImport, DuplicateRegistersAreReadOnce) {
  Result<ModbusPattooImport> r = ImportPattooModbus(R"(polling_groups:
  - group_name: A
    ip_targets: [plc, plc2]
    unit: 1
    input_registers: [{address: 30010, multiplier: 2}, {address: 30010, multiplier: 3}]
  - group_name: B
    ip_targets: [plc]
    unit: 1
    input_registers: [{address: 30010}, {address: 30011}]
  - group_name: C
    ip_targets: [plc]
    unit: 2
    input_registers: [{address: 30010}]
)",
                                                    "p.yaml");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->options.groups.size(), 3u);
  ASSERT_EQ(r->options.groups[0].registers.size(), 1u);
  EXPECT_EQ(r->options.groups[0].registers[0].value.multiplier, 2) << "the first one wins";
  ASSERT_EQ(r->options.groups[1].registers.size(), 1u);
  EXPECT_EQ(r->options.groups[1].registers[0].name, "input_register_30011");
  EXPECT_EQ(r->options.groups[2].registers.size(), 1u) << "another unit is another series";
  EXPECT_TRUE(HasWarning(*r, "input_register_30010 of unit 1 is already read for plc"));
}

TEST(ModbusPattooImport, UnitRangeIsTheProtocolsNotPattoos) {
  Result<ModbusPattooImport> r = ImportPattooModbus(R"(polling_groups:
  - {group_name: ok, ip_targets: [a], unit: 247, input_registers: [{address: 30001}]}
  - {group_name: bad, ip_targets: [b], unit: 300, input_registers: [{address: 30001}]}
  - {group_name: none, unit: 1, input_registers: [{address: 30001}]}
  - {group_name: empty, ip_targets: [c]}
)",
                                                    "p.yaml");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->options.groups.size(), 1u);
  EXPECT_EQ(r->options.groups[0].unit, 247);
  EXPECT_TRUE(HasWarning(*r, "polling group \"bad\": unit must be 0..247"));
  EXPECT_TRUE(HasWarning(*r, "polling group \"none\": no ip_targets; skipped"));
  EXPECT_TRUE(HasWarning(*r, "polling group \"empty\": no usable registers"));
}

TEST(ModbusPattooImport, BadMultiplierSkipsTheRegister) {
  Result<ModbusPattooImport> r = ImportPattooModbus(R"(polling_groups:
  - ip_targets: [a]
    input_registers: [{address: 30001, multiplier: 0}, {address: 30002, multiplier: x},
                      {address: 30003, multiplier: 0.5}]
)",
                                                    "p.yaml");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->options.groups.size(), 1u);
  ASSERT_EQ(r->options.groups[0].registers.size(), 1u);
  EXPECT_EQ(r->options.groups[0].registers[0].value.multiplier, 0.5);
}

TEST(ModbusPattooImport, NothingUsableOrNotAConfig) {
  Result<ModbusPattooImport> r = ImportPattooModbus("polling_groups: []\n", "p.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->options.groups.empty());
  EXPECT_TRUE(HasWarning(*r, "no Modbus input imported"));
  EXPECT_EQ(ImportPattooModbus("polling_interval: 300\n", "p.yaml").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(ImportPattooModbus("a: [\n", "p.yaml").ok());
  EXPECT_FALSE(ImportPattooModbus("- 1\n- 2\n", "p.yaml").ok());
}

}  // namespace
}  // namespace strix::agents::modbus
