// pattoo_agent_modbustcpd.yaml -> ModbusOptions (see modbus_pattoo_import.h).
#include "agents/modbus/modbus_pattoo_import.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>
#include <tuple>

#include "core/config.h"

namespace strix::agents::modbus {
namespace {

std::string Where(const std::string& file, const YAML::Node& n) {
  return file + ":" + std::to_string(n.Mark().line + 1) + ": ";
}

bool Scalar(const YAML::Node& n, std::string* out) {
  if (!n || !n.IsScalar()) return false;
  *out = n.Scalar();
  return true;
}

bool UInt(const YAML::Node& n, uint64_t* out) {
  std::string s;
  if (!Scalar(n, &s)) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool Number(const YAML::Node& n, double* out) {
  std::string s;
  if (!Scalar(n, &s) || s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

// pattoo's register numbers (spec 4.5): the table's leading digit, then the 1-based
// register, in 5 digits (30001..39999) or 6 (300001..365536).
bool ToAddress(Table table, uint64_t number, uint16_t* address) {
  const uint64_t base5 = table == Table::kInputRegister ? 30001 : 40001;
  const uint64_t base6 = table == Table::kInputRegister ? 300001 : 400001;
  if (number >= base5 && number <= base5 + 9998) {
    *address = static_cast<uint16_t>(number - base5);
    return true;
  }
  if (number >= base6 && number <= base6 + 65535) {
    *address = static_cast<uint16_t>(number - base6);
    return true;
  }
  return false;
}

}  // namespace

Result<ModbusPattooImport> ImportPattooModbus(std::string_view yaml, const std::string& file) {
  STRIX_ASSIGN_OR_RETURN(config::Document doc, config::Document::ParseString(yaml, file));
  ModbusPattooImport out;
  const YAML::Node& root = doc.root();
  if (!root || !root.IsMap()) {
    return Status::InvalidArgument(file + ": expected a mapping with polling_groups");
  }
  // The code reads a top-level `pattoo_agent_modbustcpd:` key; the docs show the keys
  // without it. Both are accepted.
  YAML::Node top = root;
  if (root["pattoo_agent_modbustcpd"] && root["pattoo_agent_modbustcpd"].IsMap()) {
    top = root["pattoo_agent_modbustcpd"];
  }
  if (const YAML::Node pi = top["polling_interval"]) {
    uint64_t s = 0;
    if (!UInt(pi, &s) || s < 1 || s > 86'400) {
      out.warnings.push_back(Where(file, pi) +
                             "polling_interval: expected 1..86400 seconds; using 300");
    } else {
      out.interval_ms = static_cast<int64_t>(s) * 1000;
    }
  }
  const YAML::Node groups = top["polling_groups"];
  if (!groups || !groups.IsSequence()) {
    return Status::InvalidArgument(file + ": polling_groups: expected a list of groups");
  }

  // Series already read: (target label, unit, register name).
  std::set<std::tuple<std::string, int, std::string>> series;
  size_t index = 0;
  for (const YAML::Node& gn : groups) {
    ++index;
    if (!gn.IsMap()) {
      out.warnings.push_back(Where(file, gn) + "polling group " + std::to_string(index) +
                             " is not a mapping; skipped");
      continue;
    }
    ModbusGroup g;
    if (!Scalar(gn["group_name"], &g.name)) g.name = "group " + std::to_string(index);
    const std::string gname = "polling group \"" + g.name + "\"";

    // ip_targets is what the code reads, ip_devices what the docs say.
    YAML::Node tn = gn["ip_targets"] ? gn["ip_targets"] : gn["ip_devices"];
    std::vector<YAML::Node> items;
    if (tn && tn.IsScalar()) items.push_back(tn);
    if (tn && tn.IsSequence()) {
      for (const YAML::Node& t : tn) items.push_back(t);
    }
    for (const YAML::Node& t : items) {
      std::string text;
      Target target;
      if (!Scalar(t, &text) || !ParseTarget(text, kDefaultPort, &target)) {
        out.warnings.push_back(Where(file, t) + gname + ": target is not a host name or " +
                               "address; skipped");
        continue;
      }
      bool dup = false;
      for (const Target& x : g.targets) dup = dup || x == target;
      if (!dup) g.targets.push_back(std::move(target));
    }
    if (g.targets.empty()) {
      out.warnings.push_back(Where(file, gn) + gname + ": no ip_targets; skipped");
      continue;
    }

    g.unit = 0;  // pattoo's default
    if (const YAML::Node un = gn["unit"]) {
      uint64_t u = 0;
      if (!UInt(un, &u) || (u > 247 && u != kTcpUnit)) {
        out.warnings.push_back(Where(file, un) + gname +
                               ": unit must be 0..247 (or 255); group skipped");
        continue;
      }
      g.unit = static_cast<uint8_t>(u);
    }

    for (Table table : {Table::kInputRegister, Table::kHoldingRegister}) {
      const std::string key = std::string(TableName(table)) + "s";
      const YAML::Node list = gn[key];
      if (!list) continue;
      if (!list.IsSequence()) {
        out.warnings.push_back(Where(file, list) + gname + ": " + key + " is not a list; skipped");
        continue;
      }
      for (const YAML::Node& rn : list) {
        uint64_t number = 0;
        if (!rn.IsMap() || !UInt(rn["address"], &number)) {
          out.warnings.push_back(Where(file, rn) + gname + ": " + key +
                                 " entry without a numeric address; skipped");
          continue;
        }
        RegisterSpec r;
        r.table = table;
        r.name = std::string(TableName(table)) + "_" + std::to_string(number);
        if (!ToAddress(table, number, &r.address)) {
          out.warnings.push_back(Where(file, rn) + gname + ": " + key + " address " +
                                 std::to_string(number) +
                                 (table == Table::kInputRegister
                                      ? " is outside 30001..39999 and 300001..365536; skipped"
                                      : " is outside 40001..49999 and 400001..465536; skipped"));
          continue;
        }
        r.value.type = DataType::kUint16;  // what pattoo read: the raw unsigned word
        if (const YAML::Node mn = rn["multiplier"]) {
          if (!Number(mn, &r.value.multiplier) || r.value.multiplier == 0) {
            out.warnings.push_back(Where(file, mn) + gname + ": " + r.name +
                                   ": multiplier must be a non-zero number; register skipped");
            continue;
          }
        }
        std::string clash;
        for (const Target& t : g.targets) {
          if (series.count({t.Label(), g.unit, r.name}))
            clash += (clash.empty() ? "" : ", ") + t.Label();
        }
        if (!clash.empty()) {
          out.warnings.push_back(Where(file, rn) + gname + ": " + r.name + " of unit " +
                                 std::to_string(g.unit) + " is already read for " + clash +
                                 "; this duplicate is skipped (pattoo sent it twice)");
          continue;
        }
        for (const Target& t : g.targets) series.insert({t.Label(), g.unit, r.name});
        g.registers.push_back(std::move(r));
      }
    }
    if (g.registers.empty()) {
      out.warnings.push_back(Where(file, gn) + gname + ": no usable registers; skipped");
      continue;
    }
    out.options.groups.push_back(std::move(g));
  }
  if (out.options.groups.empty()) {
    out.warnings.push_back(file + ": no usable polling group: no Modbus input imported");
  } else {
    out.warnings.push_back(
        file +
        ": registers are read as pattoo read them, unsigned 16-bit words times the "
        "multiplier; set type, word_order and kind for signed, 32/64-bit, float or "
        "counter registers (docs/agents/modbus.md). The unit label is the plain "
        "number (pattoo's metadata padded it: \"003\").");
  }
  return out;
}

}  // namespace strix::agents::modbus
