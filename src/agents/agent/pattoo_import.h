// Importing pattoo's agent configuration (spec pattoo.md 4.1-4.5): pattoo.yaml,
// pattoo_agent.yaml and the per-agent files of PATTOO_CONFIGDIR become one
// strix-agent.yaml.
//
// Imported: the server address (pattoo_agent_api), log level and daemon directory, the
// Linux autonomous agent (polling_interval -> a linux input), the Linux spoke
// (ip_listen_address, ip_bind_port -> spoke) and the Linux hub (polling_interval,
// ip_targets or ip_devices -> a hub input of pattoo spokes) and the Modbus TCP agent
// (pattoo_agent_modbustcpd.yaml -> a modbus input, modbus/modbus_pattoo_import.h) and
// the SNMP agents (pattoo_agent_snmpd.yaml -> an snmp input,
// pattoo_agent_snmp_ifmibd.yaml -> an snmp_ifmib input, snmp/snmp_pattoo_import.h). Files
// of agents strix-agent has no input for yet are named in `warnings`, not imported.
//
// Thread-safety: a pure function of the files.
#pragma once

#include <string>
#include <vector>

#include "core/env.h"
#include "core/result.h"

namespace strix::agents {

struct PattooImport {
  std::string yaml;                   // a strix-agent.yaml that check-config accepts
  std::vector<std::string> warnings;  // what was not imported, and what to check
};

Result<PattooImport> ImportPattooConfig(Env& env, const std::string& dir);

}  // namespace strix::agents
