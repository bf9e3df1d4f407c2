// Importing pattoo's agent YAML (see pattoo_import.h).
#include "agents/agent/pattoo_import.h"

#include <yaml-cpp/yaml.h>

#include <optional>

#include "agents/common/config_text.h"
#include "agents/modbus/modbus_pattoo_import.h"
#include "agents/snmp/snmp_pattoo_import.h"
#include "core/config.h"

namespace strix::agents {
namespace {

std::string Scalar(const YAML::Node& n, const std::string& def) {
  if (!n || !n.IsScalar()) return def;
  return n.Scalar();
}

// pattoo's polling_interval: whole seconds (default 300).
Result<int64_t> Interval(const YAML::Node& root, const std::string& file) {
  YAML::Node n = root["polling_interval"];
  if (!n) return 300;
  std::string s = Scalar(n, "");
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > 86'400'000) {
      return Status::InvalidArgument(file + ":" + std::to_string(n.Mark().line + 1) +
                                     ": polling_interval: expected whole seconds, got \"" + s +
                                     "\"");
    }
    v = v * 10 + (c - '0');
  }
  if (v < 1) {
    return Status::InvalidArgument(file + ":" + std::to_string(n.Mark().line + 1) +
                                   ": polling_interval: must be at least 1 second");
  }
  return v;
}

Result<std::optional<config::Document>> ParseIfExists(Env& env, const std::string& path) {
  if (!env.FileExists(path)) return std::optional<config::Document>();
  STRIX_ASSIGN_OR_RETURN(config::Document d, config::Document::ParseFile(env, path));
  return std::optional<config::Document>(std::move(d));
}

}  // namespace

Result<PattooImport> ImportPattooConfig(Env& env, const std::string& dir) {
  PattooImport out;
  std::string log_level = "info";
  std::string state_dir = "/var/lib/strix-agent";
  std::string server_host = "localhost";

  STRIX_ASSIGN_OR_RETURN(auto pattoo, ParseIfExists(env, JoinPath(dir, "pattoo.yaml")));
  if (pattoo && !pattoo->empty()) {
    const YAML::Node p = pattoo->root()["pattoo"];
    if (p && p.IsMap()) {
      std::string l = Scalar(p["log_level"], "info");
      if (l == "debug" || l == "info" || l == "error") log_level = l;
      if (l == "warning") log_level = "warn";
      if (l == "critical") log_level = "error";
      std::string d = Scalar(p["daemon_directory"], "");
      if (!d.empty()) state_dir = JoinPath(d, "strix-agent");
    }
  }
  const std::string agent_file = JoinPath(dir, "pattoo_agent.yaml");
  STRIX_ASSIGN_OR_RETURN(auto agent, ParseIfExists(env, agent_file));
  if (!agent) {
    return Status::NotFound("pattoo_agent.yaml not found (pattoo's agents require it)", dir);
  }
  {
    const YAML::Node api = agent->root()["pattoo_agent_api"];
    if (api && api.IsMap()) server_host = Scalar(api["ip_address"], "localhost");
    if (server_host.find(':') != std::string::npos) server_host = "[" + server_host + "]";
    out.warnings.push_back(
        "server.urls: pattoo agents post to pattoo_api_agentd (port 20201, no authentication); "
        "strix-agent posts to strixd's main listener (port 8888 by default) with an ingest "
        "token. Check the URL and create the token file (strix token create --scope ingest).");
  }

  std::string inputs;
  std::string spoke;
  for (const char* name : {"pattoo_agent_linux_autonomousd", "pattoo_agent_os_autonomousd"}) {
    const std::string f = JoinPath(dir, std::string(name) + ".yaml");
    STRIX_ASSIGN_OR_RETURN(auto doc, ParseIfExists(env, f));
    if (!doc) continue;
    STRIX_ASSIGN_OR_RETURN(int64_t interval, Interval(doc->root(), f));
    inputs += "  linux:                      # from " + std::string(name) +
              ".yaml\n"
              "    type: linux\n"
              "    interval: " +
              std::to_string(interval) + "s\n";
    break;
  }
  {
    const std::string f = JoinPath(dir, "pattoo_agent_linux_spoked.yaml");
    STRIX_ASSIGN_OR_RETURN(auto doc, ParseIfExists(env, f));
    if (doc) {
      const YAML::Node& r = doc->root();
      std::string addr = Scalar(r["ip_listen_address"], "0.0.0.0");
      // The spoke binds an IP address, never a name (no DNS at start-up).
      if (addr == "localhost") addr = "127.0.0.1";
      std::string port = Scalar(r["ip_bind_port"], "5000");
      spoke =
          "spoke:                         # from pattoo_agent_linux_spoked.yaml\n"
          "  enabled: true\n"
          "  address: " +
          YamlQuote(addr) +
          "\n"
          "  port: " +
          port + "\n";
      if (addr != "127.0.0.1" && addr != "::1") {
        out.warnings.push_back("spoke: listens on " + addr +
                               " without authentication, as pattoo's spoke did; set "
                               "spoke.token or a loopback address to restrict it");
      }
    }
  }
  {
    const std::string f = JoinPath(dir, "pattoo_agent_linux_hubd.yaml");
    STRIX_ASSIGN_OR_RETURN(auto doc, ParseIfExists(env, f));
    if (doc) {
      const YAML::Node& r = doc->root();
      STRIX_ASSIGN_OR_RETURN(int64_t interval, Interval(r, f));
      YAML::Node targets = r["ip_targets"] ? r["ip_targets"] : r["ip_devices"];
      std::string list;
      if (targets && targets.IsSequence()) {
        for (const YAML::Node& t : targets) {
          if (!t.IsMap()) continue;
          std::string a = Scalar(t["ip_address"], "");
          if (a.empty()) continue;
          list += "      - address: " + YamlQuote(a) + "\n" +
                  "        port: " + Scalar(t["ip_bind_port"], "5000") + "\n" +
                  "        format: pattoo\n";
        }
      }
      if (list.empty()) {
        out.warnings.push_back(f + ": no ip_targets; the hub is not imported");
      } else {
        inputs +=
            "  hub:                        # from pattoo_agent_linux_hubd.yaml\n"
            "    type: hub\n"
            "    interval: " +
            std::to_string(interval) +
            "s\n"
            "    targets:\n" +
            list;
      }
    }
  }
  {
    const std::string f = JoinPath(dir, "pattoo_agent_modbustcpd.yaml");
    if (env.FileExists(f)) {
      STRIX_ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, f));
      STRIX_ASSIGN_OR_RETURN(modbus::ModbusPattooImport m, modbus::ImportPattooModbus(text, f));
      for (std::string& w : m.warnings) out.warnings.push_back(std::move(w));
      if (m.options.groups.empty()) {
        out.warnings.push_back(f + ": no usable polling group; the Modbus input is not imported");
      } else {
        inputs +=
            "  modbus:                     # from pattoo_agent_modbustcpd.yaml\n"
            "    type: modbus\n"
            "    interval: " +
            std::to_string(m.interval_ms / 1000) + "s\n" +
            modbus::ModbusOptionsToYaml(m.options, 4);
      }
    }
  }
  for (const bool ifmib : {false, true}) {
    const std::string f =
        JoinPath(dir, ifmib ? "pattoo_agent_snmp_ifmibd.yaml" : "pattoo_agent_snmpd.yaml");
    if (!env.FileExists(f)) continue;
    STRIX_ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, f));
    STRIX_ASSIGN_OR_RETURN(snmp::SnmpImport m,
                           snmp::ImportPattooSnmp(text, f, ifmib, ifmib ? "snmp_ifmib" : "snmp"));
    for (std::string& w : m.notes) out.warnings.push_back(std::move(w));
    if (m.yaml.empty()) {
      out.warnings.push_back(f + ": no target is in both a polling group and an auth group; " +
                             "the SNMP input is not imported");
    } else {
      inputs += m.yaml;
    }
  }
  for (const char* name : {"pattoo_agent_bacnetipd", "pattoo_agent_opcuad"}) {
    if (env.FileExists(JoinPath(dir, std::string(name) + ".yaml"))) {
      out.warnings.push_back(std::string(name) +
                             ".yaml: not imported: strix-agent has no input for it yet");
    }
  }
  if (inputs.empty() && spoke.empty()) {
    out.warnings.push_back("no Linux agent files found: the configuration has no inputs");
  }

  out.yaml = "# strix-agent.yaml imported from pattoo's configuration in " + dir + "\n" +
             "# (strix-agent import-pattoo). Check it with: strix-agent check-config -c FILE\n"
             "agent:\n"
             "  state_dir: " +
             YamlQuote(state_dir) + "\n" + "  log_level: " + log_level +
             "\n"
             "server:\n"
             "  urls: [" +
             YamlQuote("http://" + server_host + ":8888") + "]\n" +
             "  token_file: /etc/strix/agent.token   # strix token create --scope ingest\n";
  if (!inputs.empty()) out.yaml += "inputs:\n" + inputs;
  out.yaml += spoke;
  return out;
}

}  // namespace strix::agents
