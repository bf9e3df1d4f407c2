// The Modbus input's options: binding from YAML, rendering back, request planning
// (see modbus_config.h).
#include "agents/modbus/modbus_config.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <tuple>

#include "agents/common/config_text.h"
#include "core/config.h"

namespace strix::agents::modbus {
namespace {

// Where each series of the input is read, to find two registers that would write the same
// series: (target label, unit, measurement, name) -> the key path of its first definition.
using SeriesKey = std::tuple<std::string, int, std::string, std::string>;
using SeriesMap = std::map<SeriesKey, std::string>;

void BindRegister(config::Section& r, std::optional<Table> fixed_table, const ModbusOptions& o,
                  RegisterSpec* reg) {
  r.Required("name").Required("address");
  if (!fixed_table) r.Required("table");
  r.String("name", &reg->name, true).String("measurement", &reg->measurement, true);
  if (r.Has("name") && !IsFieldName(reg->name)) {
    r.Error("name", "\"" + reg->name + "\" must match [a-zA-Z_][a-zA-Z0-9_]* (at most 128)");
  }
  if (r.Has("measurement") && !IsFieldName(reg->measurement)) {
    r.Error("measurement",
            "\"" + reg->measurement + "\" must match [a-zA-Z_][a-zA-Z0-9_]* (at most 128)");
  }
  if (fixed_table) {
    reg->table = *fixed_table;
  } else {
    r.Enum("table", &reg->table,
           {{"input_register", Table::kInputRegister},
            {"holding_register", Table::kHoldingRegister},
            {"coil", Table::kCoil},
            {"discrete_input", Table::kDiscreteInput}});
  }
  const bool bits = IsBitTable(reg->table);
  ValueSpec& v = reg->value;
  v.type = bits ? DataType::kBool : DataType::kUint16;
  r.Int("address", &reg->address, 0, 65535)
      .Enum("type", &v.type,
            {{"int16", DataType::kInt16},
             {"uint16", DataType::kUint16},
             {"int32", DataType::kInt32},
             {"uint32", DataType::kUint32},
             {"int64", DataType::kInt64},
             {"uint64", DataType::kUint64},
             {"float32", DataType::kFloat32},
             {"float64", DataType::kFloat64},
             {"bool", DataType::kBool},
             {"string", DataType::kString}})
      .Enum("word_order", &v.word_order, {{"big", Order::kBig}, {"little", Order::kLittle}})
      .Enum("byte_order", &v.byte_order, {{"big", Order::kBig}, {"little", Order::kLittle}})
      .Double("multiplier", &v.multiplier, -1e300, 1e300)
      .Double("offset", &v.offset, -1e300, 1e300)
      .Enum("kind", &v.kind, {{"gauge", Kind::kGauge}, {"counter", Kind::kCounter}})
      .Int("bit", &v.bit, 0, 15)
      .Int("length", &v.length, 1, kMaxReadRegisters);

  auto not_for = [&](std::string_view key, std::string_view what) {
    if (r.Has(key)) r.Error(key, std::string(key) + " does not apply to " + std::string(what));
  };
  if (r.Has("multiplier") && v.multiplier == 0) {
    r.Error("multiplier", "a multiplier of 0 would make every value 0");
  }
  if (bits) {
    std::string what = std::string(TableName(reg->table)) + "s (they are bool)";
    if (v.type != DataType::kBool)
      r.Error("type", "a " + std::string(TableName(reg->table)) + " is a bit: its type is bool");
    for (auto k : {"word_order", "byte_order", "multiplier", "offset", "bit", "length"})
      not_for(k, what);
    if (v.kind == Kind::kCounter) r.Error("kind", "a bit cannot be a counter");
    return;
  }
  switch (v.type) {
    case DataType::kBool:
      for (auto k : {"word_order", "byte_order", "multiplier", "offset", "length"})
        not_for(k, "bool registers");
      if (v.kind == Kind::kCounter) r.Error("kind", "a bool cannot be a counter");
      break;
    case DataType::kString:
      if (!r.Has("length")) r.Error("type", "a string needs length (in registers, 2 bytes each)");
      for (auto k : {"word_order", "multiplier", "offset", "bit"}) not_for(k, "strings");
      if (v.kind == Kind::kCounter) r.Error("kind", "a string cannot be a counter");
      break;
    case DataType::kInt16:
    case DataType::kUint16:
      // One register: there is no word order to choose.
      for (auto k : {"bit", "length", "word_order"})
        not_for(k, std::string(DataTypeName(v.type)) + " values");
      break;
    default:
      for (auto k : {"bit", "length"}) not_for(k, std::string(DataTypeName(v.type)) + " values");
      break;
  }
  const uint16_t count = RegisterCount(v);
  if (count > o.max_registers) {
    r.Error(v.type == DataType::kString ? "length" : "type",
            "needs " + std::to_string(count) + " registers, more than max_registers (" +
                std::to_string(o.max_registers) + ")");
  }
  if (count > 0 && static_cast<uint32_t>(reg->address) + count - 1 > 65535) {
    r.Error("address", "the value's registers " + std::to_string(reg->address) + ".." +
                           std::to_string(static_cast<uint32_t>(reg->address) + count - 1) +
                           " cross the end of the address space (65535)");
  }
}

// One group's keys, from a `groups:` item or from the input's own section.
void BindGroup(config::Section& s, const ModbusOptions& o, bool named, SeriesMap* series,
               ModbusGroup* g) {
  std::vector<std::string> targets;
  int64_t port = kDefaultPort;
  s.Required("targets").StringList("targets", &targets).Int("port", &port, 1, 65535);
  if (named) s.String("name", &g->name);
  int64_t unit = g->unit;
  s.Int("unit", &unit, 0, 255);
  if (unit > 247 && unit != kTcpUnit) {
    s.Error("unit", "a unit id is 0..247, or 255 for a plain Modbus TCP device; got " +
                        std::to_string(unit));
  }
  g->unit = static_cast<uint8_t>(unit);
  for (const std::string& t : targets) {
    Target target;
    if (!ParseTarget(t, static_cast<uint16_t>(port), &target)) {
      s.Error("targets", "\"" + t + "\" is not host, host:port, [ipv6] or [ipv6]:port");
      continue;
    }
    if (std::find(g->targets.begin(), g->targets.end(), target) != g->targets.end()) {
      s.Error("targets", "target \"" + t + "\" is listed twice");
      continue;
    }
    g->targets.push_back(std::move(target));
  }
  if (s.Has("targets") && targets.empty()) s.Error("targets", "a group needs at least one target");

  auto bind_list = [&](std::string_view key, std::optional<Table> table) {
    s.List(key, [&](config::Section& r, size_t) {
      RegisterSpec reg;
      BindRegister(r, table, o, &reg);
      if (!reg.name.empty()) {
        for (const Target& t : g->targets) {
          SeriesKey k{t.Label(), g->unit, reg.measurement, reg.name};
          const config::Mark m = r.mark();
          auto [it, inserted] = series->emplace(
              k, r.path() + (m.line > 0 ? " (line " + std::to_string(m.line) + ")" : ""));
          if (!inserted) {
            r.Error("name", "duplicate name \"" + reg.name + "\" for target " + t.Label() +
                                " unit " + std::to_string(g->unit) + " (series " + reg.measurement +
                                "_" + reg.name + "), also at " + it->second);
            break;
          }
        }
      }
      g->registers.push_back(std::move(reg));
    });
  };
  bind_list("registers", std::nullopt);
  bind_list("input_registers", Table::kInputRegister);
  bind_list("holding_registers", Table::kHoldingRegister);
  bind_list("coils", Table::kCoil);
  bind_list("discrete_inputs", Table::kDiscreteInput);
  if (g->registers.empty()) {
    s.Error("",
            "a group needs at least one of registers, input_registers, holding_registers, "
            "coils, discrete_inputs");
  }
}

}  // namespace

std::string Target::Label() const { return HostPortLabel(host, port, kDefaultPort); }

bool ParseTarget(std::string_view text, uint16_t default_port, Target* out) {
  return ParseHostPort(text, default_port, &out->host, &out->port);
}

void BindModbusOptions(config::Section& s, ModbusOptions* o) {
  s.Duration("request_timeout", &o->request_timeout_ms, 10, 60'000)
      .Int("retries", &o->retries, 0, 5)
      .Duration("backoff_min", &o->backoff_min_ms, 100, 3'600'000)
      .Duration("backoff_max", &o->backoff_max_ms, 100, 86'400'000)
      .Int("max_registers", &o->max_registers, 1, kMaxReadRegisters)
      .Int("max_bits", &o->max_bits, 1, kMaxReadBits)
      .Int("max_gap", &o->max_gap, 0, kMaxReadRegisters - 1);
  if (o->backoff_max_ms < o->backoff_min_ms) s.Error("backoff_max", "must be at least backoff_min");

  SeriesMap series;
  if (s.Has("groups")) {
    for (auto k : {"targets", "port", "unit", "registers", "input_registers", "holding_registers",
                   "coils", "discrete_inputs"}) {
      if (s.Has(k)) {
        s.Error(k, std::string(k) +
                       ": give groups, or one group's keys at the input level, "
                       "not both");
      }
      s.Ignore(k);
    }
    s.List("groups", [&](config::Section& g, size_t) {
      ModbusGroup group;
      BindGroup(g, *o, true, &series, &group);
      o->groups.push_back(std::move(group));
    });
    if (o->groups.empty()) s.Error("groups", "at least one group");
  } else {
    ModbusGroup group;
    BindGroup(s, *o, false, &series, &group);
    o->groups.push_back(std::move(group));
  }
}

std::string ModbusOptionsToYaml(const ModbusOptions& o, int indent) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  const ModbusOptions d;
  std::string y;
  if (o.request_timeout_ms != d.request_timeout_ms)
    y += pad + "request_timeout: " + std::to_string(o.request_timeout_ms) + "ms\n";
  if (o.retries != d.retries) y += pad + "retries: " + std::to_string(o.retries) + "\n";
  if (o.backoff_min_ms != d.backoff_min_ms)
    y += pad + "backoff_min: " + std::to_string(o.backoff_min_ms) + "ms\n";
  if (o.backoff_max_ms != d.backoff_max_ms)
    y += pad + "backoff_max: " + std::to_string(o.backoff_max_ms) + "ms\n";
  if (o.max_registers != d.max_registers)
    y += pad + "max_registers: " + std::to_string(o.max_registers) + "\n";
  if (o.max_bits != d.max_bits) y += pad + "max_bits: " + std::to_string(o.max_bits) + "\n";
  if (o.max_gap != d.max_gap) y += pad + "max_gap: " + std::to_string(o.max_gap) + "\n";
  y += pad + "groups:\n";
  for (const ModbusGroup& g : o.groups) {
    y += pad + "  - name: " + YamlQuote(g.name) + "\n";
    y += pad + "    targets: [";
    for (size_t i = 0; i < g.targets.size(); ++i) {
      Target t = g.targets[i];
      // Always with brackets for IPv6, so that the port is unambiguous.
      std::string text = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
      if (t.port != kDefaultPort) text += ":" + std::to_string(t.port);
      y += (i ? ", " : "") + YamlQuote(text);
    }
    y += "]\n";
    y += pad + "    unit: " + std::to_string(g.unit) + "\n";
    y += pad + "    registers:\n";
    const ValueSpec dv;
    for (const RegisterSpec& r : g.registers) {
      const ValueSpec& v = r.value;
      y += pad + "      - {name: " + r.name;
      if (r.measurement != "modbus") y += ", measurement: " + r.measurement;
      y +=
          ", table: " + std::string(TableName(r.table)) + ", address: " + std::to_string(r.address);
      if (IsBitTable(r.table)) {
        y += "}\n";
        continue;
      }
      y += ", type: " + std::string(DataTypeName(v.type));
      if (v.word_order != dv.word_order) y += ", word_order: little";
      if (v.byte_order != dv.byte_order) y += ", byte_order: little";
      if (v.multiplier != dv.multiplier) y += ", multiplier: " + YamlNumber(v.multiplier);
      if (v.offset != dv.offset) y += ", offset: " + YamlNumber(v.offset);
      if (v.kind != dv.kind) y += ", kind: counter";
      if (v.bit >= 0) y += ", bit: " + std::to_string(v.bit);
      if (v.type == DataType::kString) y += ", length: " + std::to_string(v.length);
      y += "}\n";
    }
  }
  return y;
}

std::vector<ReadRequest> PlanRequests(const std::vector<RegisterSpec>& registers,
                                      const ModbusOptions& o) {
  std::vector<uint32_t> order(registers.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const RegisterSpec& x = registers[a];
    const RegisterSpec& y = registers[b];
    return std::tie(x.table, x.address) < std::tie(y.table, y.address);
  });
  std::vector<ReadRequest> out;
  for (uint32_t i : order) {
    const RegisterSpec& r = registers[i];
    const bool bits = IsBitTable(r.table);
    const uint32_t count = bits ? 1 : RegisterCount(r.value);
    const uint32_t limit = bits ? o.max_bits : o.max_registers;
    const uint32_t start = r.address;
    const uint32_t end = start + count;  // exclusive; at most 65536
    if (!out.empty() && out.back().table == r.table) {
      ReadRequest& q = out.back();
      const uint32_t q_end = uint32_t{q.start} + q.count;
      const uint32_t new_end = std::max(q_end, end);
      if (start <= q_end + o.max_gap && new_end - q.start <= limit) {
        q.count = static_cast<uint16_t>(new_end - q.start);
        q.registers.push_back(i);
        continue;
      }
    }
    ReadRequest q;
    q.table = r.table;
    q.start = static_cast<uint16_t>(start);
    q.count = static_cast<uint16_t>(count);
    q.registers.push_back(i);
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace strix::agents::modbus
