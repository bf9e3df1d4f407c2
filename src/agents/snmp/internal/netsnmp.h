// net-snmp's process-wide state, shared by every SNMP input: one initialisation
// (init_snmp, with configuration files, persistent state and MIB loading turned off, so
// the agent never reads or writes ~/.snmp or /var/lib/snmp), one lock for everything
// that touches net-snmp's global tables (the USM user table, the engine time cache, the
// MIB tree), and the conversion of net-snmp's varbinds into ours.
//
// Internal to src/agents/snmp: includes net-snmp's headers.
//
// Thread-safety: EnsureNetsnmp is safe from any thread (std::call_once); Mutex() is the
// lock to hold around net-snmp calls.
#pragma once

#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

// net-snmp names the GETBULK fields with macros over errstat/errindex, which would also
// rewrite TargetSpec::max_repetitions: use pdu->errstat/errindex directly instead.
#undef non_repeaters
#undef max_repetitions

#include <mutex>

#include "agents/snmp/snmp_value.h"

namespace strix::agents::snmp::internal {

void EnsureNetsnmp();
std::mutex& Mutex();
VarBind FromVariable(const netsnmp_variable_list* v);

}  // namespace strix::agents::snmp::internal
