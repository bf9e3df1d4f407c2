// Importing pattoo's SNMP agents' configuration (pattoo_agent_snmpd.yaml and
// pattoo_agent_snmp_ifmibd.yaml, spec pattoo.md 4.5 and 5.2) as one strix-agent input,
// rendered as YAML text for the `inputs:` map of strix-agent.yaml.
//
// pattoo polls a target only when it is listed both in a polling group (what to read) and
// in an auth group (how to talk to it); the import does the same pairing and writes one
// `groups:` item per set of targets sharing an auth group and the same polling groups,
// named "<polling groups> / <auth group>". From pattoo_agent_snmpd.yaml every configured
// OID becomes `{oid: <address>, name: <name>, walk: true}` (pattoo bulk-walked every OID);
// the name comes from a table of well-known columns (.1.3.6.1.2.1.2.2.1.10 ->
// if_in_octets), else it is `oid_1_3_6_...`. From pattoo_agent_snmp_ifmibd.yaml the input is
// `type: snmp_ifmib` with only_admin_up: true (pattoo reported only admin-up interfaces).
//
// pattoo bugs fixed rather than copied (docs/agents/snmp.md lists them), each
// reported in a note where it changes something:
//  - snmp_version 1 is accepted (pattoo's validation refused it);
//  - the v3 security level follows the protocols given (authPriv with both, authNoPriv
//    with auth only, noAuthNoPriv with neither); pattoo pre-set SHA/AES and so always
//    asked for authPriv;
//  - an invalid OID (not starting with '.', or a node that is not a number) is skipped
//    with a note; pattoo's agent exited on it;
//  - a target in several auth groups: pattoo silently used the last one; so does the
//    import, with a note naming the target and the groups;
//  - multipliers on counter OIDs are dropped (strixd computes rates from the raw
//    counter; pattoo multiplied octets by 8 to report bits), with a note;
//  - `ip_devices` (the docs' key) and `ip_targets` (the code's) are both read.
// Community strings and passwords are written inline, as pattoo kept them, with a note to
// move them into *_file keys.
//
// Thread-safety: a pure function of its input.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace strix::agents::snmp {

struct SnmpImport {
  // The input: "  <input_name>:  # from <file>\n    type: snmp\n    interval: 300s\n..."
  // (indented by 2, for the `inputs:` map), or empty when no target is usable.
  std::string yaml;
  // What was skipped or changed, "file:line: ..." where a line is known.
  std::vector<std::string> notes;
};

// `pattoo_yaml` is the file's text, `file` its name for notes. `ifmib` selects
// pattoo_agent_snmp_ifmibd.yaml (type: snmp_ifmib) instead of pattoo_agent_snmpd.yaml
// (type: snmp). InvalidArgument only for text that is not YAML or not a mapping; every
// other problem is a note.
Result<SnmpImport> ImportPattooSnmp(std::string_view pattoo_yaml, const std::string& file,
                                    bool ifmib, const std::string& input_name);

}  // namespace strix::agents::snmp
