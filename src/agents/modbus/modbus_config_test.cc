// Tests of the Modbus input's options: YAML binding (both the one-group and the groups
// form), every validation error with its file:line:column, the YAML rendering round trip,
// and the request planner's grouping and limits.
#include "agents/modbus/modbus_config.h"

#include <gtest/gtest.h>

#include <string>

#include "core/config.h"

namespace strix::agents::modbus {
namespace {

Result<ModbusOptions> Parse(std::string_view yaml) {
  STRIX_ASSIGN_OR_RETURN(config::Document doc, config::Document::ParseString(yaml, "m.yaml"));
  config::Errors errors;
  ModbusOptions o;
  {
    config::Section s(doc, &errors);
    BindModbusOptions(s, &o);
    s.Finish();
  }
  STRIX_RETURN_IF_ERROR(errors.ToStatus());
  return o;
}

// The error message of a config that must not load.
std::string Errors(std::string_view yaml) {
  Result<ModbusOptions> r = Parse(yaml);
  EXPECT_FALSE(r.ok()) << yaml;
  return r.ok() ? "" : std::string(r.status().message());
}

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST(ModbusConfig, OneGroupAtTheInputLevel) {
  Result<ModbusOptions> r = Parse(R"(
targets: [192.0.2.10, "plc2.example.org:1502", "[2001:db8::1]:1503"]
unit: 3
request_timeout: 500ms
retries: 2
holding_registers:
  - {name: temperature, address: 0, type: int16, multiplier: 0.1}
  - {name: flow, address: 1, type: float32, word_order: little, byte_order: little}
  - {name: energy_total, address: 10, type: uint32, kind: counter, measurement: meter}
  - {name: model, address: 20, type: string, length: 8}
  - {name: tripped, address: 30, type: bool, bit: 3}
input_registers:
  - {name: pressure, address: 5, type: uint16, offset: -1.5}
coils:
  - {name: pump_on, address: 7}
discrete_inputs:
  - {name: door_closed, address: 2}
registers:
  - {name: raw, table: holding_register, address: 100}
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ModbusOptions& o = *r;
  EXPECT_EQ(o.request_timeout_ms, 500);
  EXPECT_EQ(o.retries, 2);
  ASSERT_EQ(o.groups.size(), 1u);
  const ModbusGroup& g = o.groups[0];
  EXPECT_EQ(g.unit, 3);
  ASSERT_EQ(g.targets.size(), 3u);
  EXPECT_EQ(g.targets[0], (Target{"192.0.2.10", 502}));
  EXPECT_EQ(g.targets[1], (Target{"plc2.example.org", 1502}));
  EXPECT_EQ(g.targets[2], (Target{"2001:db8::1", 1503}));
  EXPECT_EQ(g.targets[0].Label(), "192.0.2.10");
  EXPECT_EQ(g.targets[1].Label(), "plc2.example.org:1502");
  EXPECT_EQ(g.targets[2].Label(), "[2001:db8::1]:1503");
  ASSERT_EQ(g.registers.size(), 9u);
  auto reg = [&](std::string_view name) -> const RegisterSpec& {
    for (const RegisterSpec& r : g.registers)
      if (r.name == name) return r;
    ADD_FAILURE() << "no register " << name;
    return g.registers[0];
  };
  const RegisterSpec& t = reg("temperature");
  EXPECT_EQ(t.table, Table::kHoldingRegister);
  EXPECT_EQ(t.value.type, DataType::kInt16);
  EXPECT_EQ(t.value.multiplier, 0.1);
  EXPECT_EQ(reg("flow").value.word_order, Order::kLittle);
  EXPECT_EQ(reg("flow").value.byte_order, Order::kLittle);
  EXPECT_EQ(reg("energy_total").value.kind, Kind::kCounter);
  EXPECT_EQ(reg("energy_total").measurement, "meter");
  EXPECT_EQ(reg("model").value.length, 8);
  EXPECT_EQ(reg("tripped").value.bit, 3);
  EXPECT_EQ(reg("pressure").table, Table::kInputRegister);
  EXPECT_EQ(reg("pressure").value.offset, -1.5);
  EXPECT_EQ(reg("pump_on").table, Table::kCoil);
  EXPECT_EQ(reg("pump_on").value.type, DataType::kBool);
  EXPECT_EQ(reg("door_closed").table, Table::kDiscreteInput);
  EXPECT_EQ(reg("raw").table, Table::kHoldingRegister);
  EXPECT_EQ(reg("raw").value.type, DataType::kUint16);
}

TEST(ModbusConfig, GroupsShareTargetsWithDistinctUnits) {
  Result<ModbusOptions> r = Parse(R"(
groups:
  - name: boiler
    targets: [gw.example.org]
    unit: 1
    input_registers: [{name: temperature, address: 0}]
  - name: chiller
    targets: [gw.example.org]
    unit: 2
    input_registers: [{name: temperature, address: 0}]
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->groups.size(), 2u);
  EXPECT_EQ(r->groups[1].name, "chiller");
  EXPECT_EQ(r->groups[1].unit, 2);
}

TEST(ModbusConfig, ErrorsCarryFileLineAndColumn) {
  std::string e = Errors(R"(targets: [plc]
holding_registers:
  - {name: a, address: 70000}
  - {name: b, address: 1, type: int17}
  - {name: c, address: 2, word_order: middle}
)");
  EXPECT_HAS(e, "m.yaml:3:15: holding_registers[0].address: expected an integer from 0 to 65535");
  EXPECT_HAS(e, "m.yaml:4:27: holding_registers[1].type: expected one of int16");
  EXPECT_HAS(e, "m.yaml:5:27: holding_registers[2].word_order: expected one of big, little");
}

TEST(ModbusConfig, UnitMustBeAModbusUnitId) {
  EXPECT_HAS(Errors("targets: [plc]\nunit: 250\ncoils: [{name: a, address: 0}]\n"),
             "m.yaml:2:1: unit: a unit id is 0..247, or 255");
  EXPECT_HAS(Errors("targets: [plc]\nunit: 256\ncoils: [{name: a, address: 0}]\n"),
             "expected an integer from 0 to 255");
  EXPECT_TRUE(Parse("targets: [plc]\nunit: 255\ncoils: [{name: a, address: 0}]\n").ok());
  EXPECT_TRUE(Parse("targets: [plc]\nunit: 247\ncoils: [{name: a, address: 0}]\n").ok());
}

TEST(ModbusConfig, SpanCrossingTheEndOfTheAddressSpaceIsAnError) {
  EXPECT_HAS(Errors("targets: [plc]\nholding_registers: [{name: a, address: 65535, type: "
                    "uint32}]\n"),
             "registers 65535..65536 cross the end of the address space");
  EXPECT_HAS(Errors("targets: [plc]\nholding_registers: [{name: a, address: 65530, type: "
                    "string, length: 10}]\n"),
             "registers 65530..65539");
  EXPECT_TRUE(
      Parse("targets: [plc]\nholding_registers: [{name: a, address: 65532, type: int64}]\n").ok());
}

TEST(ModbusConfig, DuplicateNamesOfOneTargetAndUnitAreErrors) {
  EXPECT_HAS(Errors(R"(targets: [plc]
holding_registers: [{name: a, address: 0}]
input_registers: [{name: a, address: 0}]
)"),
             "m.yaml:2:22: holding_registers[0].name: duplicate name \"a\" for target plc unit 1 "
             "(series modbus_a), also at input_registers[0] (line 3)");
  EXPECT_HAS(Errors(R"(groups:
  - {targets: [plc], holding_registers: [{name: a, address: 0}]}
  - {targets: ["plc:502"], holding_registers: [{name: a, address: 1}]}
)"),
             "also at groups[0].holding_registers[0] (line 2)");
  // The same name in another measurement, unit or target is another series.
  EXPECT_TRUE(Parse(R"(groups:
  - {targets: [plc], holding_registers: [{name: a, address: 0}]}
  - {targets: [plc], unit: 2, holding_registers: [{name: a, address: 1}]}
  - {targets: [plc2], holding_registers: [{name: a, address: 1}]}
  - {targets: [plc], holding_registers: [{name: a, address: 1, measurement: m}]}
)")
                  .ok());
}

TEST(ModbusConfig, OptionsThatDoNotApplyAreErrors) {
  EXPECT_HAS(Errors("targets: [plc]\ncoils: [{name: a, address: 0, multiplier: 2}]\n"),
             "multiplier does not apply to coils");
  EXPECT_HAS(Errors("targets: [plc]\ncoils: [{name: a, address: 0, type: uint16}]\n"),
             "a coil is a bit: its type is bool");
  EXPECT_HAS(Errors("targets: [plc]\ndiscrete_inputs: [{name: a, address: 0, kind: counter}]\n"),
             "a bit cannot be a counter");
  EXPECT_HAS(Errors("targets: [plc]\nholding_registers: [{name: a, address: 0, type: bool, "
                    "kind: counter}]\n"),
             "a bool cannot be a counter");
  EXPECT_HAS(Errors("targets: [plc]\nholding_registers: [{name: a, address: 0, type: string}]\n"),
             "a string needs length");
  EXPECT_HAS(Errors("targets: [plc]\nholding_registers: [{name: a, address: 0, type: float32, "
                    "bit: 2}]\n"),
             "bit does not apply to float32 values");
  EXPECT_HAS(Errors("targets: [plc]\nholding_registers: [{name: a, address: 0, type: int16, "
                    "word_order: little}]\n"),
             "word_order does not apply to int16 values");
  EXPECT_HAS(Errors("targets: [plc]\nholding_registers: [{name: a, address: 0, multiplier: 0}]\n"),
             "a multiplier of 0");
  EXPECT_HAS(Errors("targets: [plc]\nregisters: [{name: a, address: 0}]\n"),
             "registers[0].table: required key is missing");
  EXPECT_HAS(Errors("targets: [plc]\nholding_registers: [{name: 1a, address: 0}]\n"),
             "must match [a-zA-Z_][a-zA-Z0-9_]*");
  EXPECT_HAS(Errors("targets: [plc]\nholding_registers: [{name: a, address: 0, mutliplier: 2}]\n"),
             "unknown key");
}

TEST(ModbusConfig, TargetsAndGroupsAreChecked) {
  EXPECT_HAS(Errors("targets: [\"plc:99999\"]\ncoils: [{name: a, address: 0}]\n"),
             "\"plc:99999\" is not host, host:port");
  EXPECT_HAS(Errors("targets: []\ncoils: [{name: a, address: 0}]\n"),
             "a group needs at least one target");
  EXPECT_HAS(Errors("targets: [plc, plc]\ncoils: [{name: a, address: 0}]\n"), "listed twice");
  EXPECT_HAS(Errors("targets: [plc]\n"), "a group needs at least one of registers");
  EXPECT_HAS(Errors("coils: [{name: a, address: 0}]\n"), "targets: required key is missing");
  EXPECT_HAS(Errors(R"(targets: [plc]
groups:
  - {targets: [plc], coils: [{name: a, address: 0}]}
)"),
             "give groups, or one group's keys at the input level, not both");
  EXPECT_HAS(Errors("targets: [plc]\ncoils: [{name: a, address: 0}]\nbackoff_min: 10s\n"
                    "backoff_max: 5s\n"),
             "backoff_max: must be at least backoff_min");
  EXPECT_HAS(Errors("targets: [plc]\nmax_registers: 10\nholding_registers: [{name: a, "
                    "address: 0, type: string, length: 11}]\n"),
             "needs 11 registers, more than max_registers (10)");
}

TEST(ModbusConfig, ParseTargetForms) {
  Target t;
  ASSERT_TRUE(ParseTarget("10.0.0.1", 502, &t));
  EXPECT_EQ(t, (Target{"10.0.0.1", 502}));
  ASSERT_TRUE(ParseTarget("plc:1502", 502, &t));
  EXPECT_EQ(t, (Target{"plc", 1502}));
  ASSERT_TRUE(ParseTarget("fe80::1", 600, &t));
  EXPECT_EQ(t, (Target{"fe80::1", 600}));
  ASSERT_TRUE(ParseTarget("[::1]", 502, &t));
  EXPECT_EQ(t, (Target{"::1", 502}));
  EXPECT_FALSE(ParseTarget("", 502, &t));
  EXPECT_FALSE(ParseTarget(":502", 502, &t));
  EXPECT_FALSE(ParseTarget("plc:0", 502, &t));
  EXPECT_FALSE(ParseTarget("[::1]x", 502, &t));
  EXPECT_FALSE(ParseTarget("a b", 502, &t));
}

TEST(ModbusConfig, YamlRenderingBindsBackToTheSameOptions) {
  Result<ModbusOptions> a = Parse(R"(
request_timeout: 750ms
retries: 0
backoff_max: 1m
max_gap: 4
groups:
  - name: "boiler \"1\""
    targets: ["[2001:db8::1]:1503", plc]
    unit: 255
    holding_registers:
      - {name: temperature, address: 0, type: int16, multiplier: 0.1, offset: -273.15}
      - {name: flow, address: 1, type: float64, word_order: little, byte_order: little}
      - {name: total, address: 10, type: uint32, kind: counter, measurement: meter}
      - {name: model, address: 20, type: string, length: 8}
      - {name: tripped, address: 30, type: bool, bit: 3}
    coils: [{name: pump_on, address: 7}]
)");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const std::string yaml = ModbusOptionsToYaml(*a, 0);
  Result<ModbusOptions> b = Parse(yaml);
  ASSERT_TRUE(b.ok()) << b.status().ToString() << "\n" << yaml;
  EXPECT_EQ(b->request_timeout_ms, 750);
  EXPECT_EQ(b->retries, 0);
  EXPECT_EQ(b->backoff_max_ms, 60'000);
  EXPECT_EQ(b->max_gap, 4);
  ASSERT_EQ(b->groups.size(), 1u);
  EXPECT_EQ(b->groups[0].name, a->groups[0].name);
  EXPECT_EQ(b->groups[0].targets, a->groups[0].targets);
  EXPECT_EQ(b->groups[0].unit, 255);
  EXPECT_EQ(b->groups[0].registers, a->groups[0].registers);
  // Indented, it still parses as a nested mapping.
  std::string nested = "input:\n" + ModbusOptionsToYaml(*a, 2);
  Result<config::Document> doc = config::Document::ParseString(nested, "n.yaml");
  ASSERT_TRUE(doc.ok());
}

// --- The planner ---

RegisterSpec R(Table t, uint16_t address, DataType type = DataType::kUint16) {
  RegisterSpec r;
  r.name = "r" + std::to_string(address);
  r.table = t;
  r.address = address;
  r.value.type = IsBitTable(t) ? DataType::kBool : type;
  return r;
}

TEST(ModbusPlan, ContiguousRegistersOfOneTableShareARequest) {
  std::vector<RegisterSpec> regs = {
      R(Table::kHoldingRegister, 3, DataType::kFloat32),  // 3..4
      R(Table::kHoldingRegister, 0, DataType::kInt16),    // 0
      R(Table::kHoldingRegister, 1),                      // 1
      R(Table::kHoldingRegister, 2),                      // 2
      R(Table::kInputRegister, 5),                        // another table
      R(Table::kHoldingRegister, 6),                      // a gap at 5
  };
  std::vector<ReadRequest> p = PlanRequests(regs, ModbusOptions{});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].table, Table::kInputRegister);
  EXPECT_EQ(p[1].table, Table::kHoldingRegister);
  EXPECT_EQ(p[1].start, 0);
  EXPECT_EQ(p[1].count, 5);
  EXPECT_EQ(p[1].registers, (std::vector<uint32_t>{1, 2, 3, 0}));
  EXPECT_EQ(p[2].start, 6);
  EXPECT_EQ(p[2].count, 1);
}

TEST(ModbusPlan, MaxGapJoinsNearbyRegisters) {
  std::vector<RegisterSpec> regs = {R(Table::kHoldingRegister, 0), R(Table::kHoldingRegister, 4),
                                    R(Table::kHoldingRegister, 10)};
  ModbusOptions o;
  o.max_gap = 3;
  std::vector<ReadRequest> p = PlanRequests(regs, o);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].start, 0);
  EXPECT_EQ(p[0].count, 5);  // 0..4, reading 1..3 too
  EXPECT_EQ(p[1].start, 10);
}

TEST(ModbusPlan, RequestsStopAt125RegistersAnd2000Bits) {
  std::vector<RegisterSpec> regs;
  for (uint16_t a = 0; a < 126; ++a) regs.push_back(R(Table::kHoldingRegister, a));
  std::vector<ReadRequest> p = PlanRequests(regs, ModbusOptions{});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].count, 125);
  EXPECT_EQ(p[1].start, 125);
  EXPECT_EQ(p[1].count, 1);

  // A value is never split: a uint32 at 124..125 starts the next request.
  regs.clear();
  for (uint16_t a = 0; a < 124; ++a) regs.push_back(R(Table::kInputRegister, a));
  regs.push_back(R(Table::kInputRegister, 124, DataType::kUint32));
  p = PlanRequests(regs, ModbusOptions{});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].count, 124);
  EXPECT_EQ(p[1].start, 124);
  EXPECT_EQ(p[1].count, 2);

  regs.clear();
  for (uint16_t a = 0; a < 2001; ++a) regs.push_back(R(Table::kCoil, a));
  p = PlanRequests(regs, ModbusOptions{});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].count, 2000);
  EXPECT_EQ(p[1].count, 1);

  ModbusOptions small;
  small.max_registers = 10;
  regs.clear();
  for (uint16_t a = 0; a < 25; ++a) regs.push_back(R(Table::kHoldingRegister, a));
  EXPECT_EQ(PlanRequests(regs, small).size(), 3u);
}

TEST(ModbusPlan, OverlappingValuesShareTheirWords) {
  std::vector<RegisterSpec> regs = {R(Table::kHoldingRegister, 10, DataType::kUint32),
                                    R(Table::kHoldingRegister, 11, DataType::kUint16),
                                    R(Table::kHoldingRegister, 10, DataType::kFloat64)};
  std::vector<ReadRequest> p = PlanRequests(regs, ModbusOptions{});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].start, 10);
  EXPECT_EQ(p[0].count, 4);
  EXPECT_EQ(p[0].registers.size(), 3u);
}

TEST(ModbusPlan, TheLastAddressIsReadable) {
  std::vector<RegisterSpec> regs = {R(Table::kHoldingRegister, 65535),
                                    R(Table::kHoldingRegister, 65534)};
  std::vector<ReadRequest> p = PlanRequests(regs, ModbusOptions{});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].start, 65534);
  EXPECT_EQ(p[0].count, 2);
}

}  // namespace
}  // namespace strix::agents::modbus
