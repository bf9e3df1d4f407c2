// SnmpIfMibInput: the strix-agent input `type: snmp_ifmib` (docs/agents/snmp.md),
// the interface counters and states of IF-MIB (RFC 2863) from every target, without
// listing OIDs.
//
// Each round it walks, on every target at once through the SNMP Poller (snmp_poller.h),
// the columns of ifTable (.1.3.6.1.2.1.2.2.1) and ifXTable (.1.3.6.1.2.1.31.1.1.1) listed
// in kIfColumns, joins them by ifIndex (the instance suffix of every column) and appends one
// point per interface: measurement `snmp_if` (configurable), tags target, if_index,
// if_name, if_descr, if_alias (empty ones left out), fields
//   in_octets out_octets in_ucast_pkts out_ucast_pkts in_multicast_pkts
//   out_multicast_pkts in_broadcast_pkts out_broadcast_pkts
//       the 64-bit ifHC* counters (FieldValue::Counter) where ifXTable has them for that
//       interface, else ifTable's / ifXTable's 32-bit ones (FieldValue::Counter32), so that
//       strixd computes rates over the right wrap (2^64 or 2^32);
//   in_errors out_errors in_discards out_discards     32-bit counters (IF-MIB has no HC);
//   speed            gauge, bits/s: ifSpeed, or ifHighSpeed x 1e6 when ifSpeed is absent
//                    or saturated at 4294967295 (RFC 2863 3.1.5);
//   admin_status oper_status   state strings: up, down, testing, unknown, dormant,
//                    notPresent, lowerLayerDown (a number outside the MIB's enumeration is
//                    the decimal number).
// A value of the wrong SNMP type (a device bug) is left out of the point, never guessed.
//
// Failures are gaps: a target that does not answer, refuses the credentials or misses the
// round's deadline gives no point that round; it is counted (counters()) and logged once
// per kind until the target answers again ("recovered" is logged once).
//
// Thread-safety: Collect is called from one thread at a time (the Input contract);
// counters() may be called from any thread at any time. BuildIfMibPoints and the status
// names are pure.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agents/common/input.h"
#include "agents/snmp/snmp_config.h"
#include "agents/snmp/snmp_oid.h"
#include "agents/snmp/snmp_poller.h"
#include "agents/snmp/snmp_value.h"

namespace strix::config {
class Section;
}

namespace strix::agents::snmp {

struct SnmpIfMibOptions {
  std::string path;  // the input's key path ("inputs.uplinks"), for messages
  // Every target with its own credentials (a `groups:` list in YAML is flattened here).
  std::vector<TargetSpec> targets;
  PollerOptions poller;
  // The series are `<measurement>_<field>`: snmp_if_in_octets, snmp_if_oper_status, ...
  std::string measurement = "snmp_if";
  // Skip interfaces whose ifAdminStatus is not up(1), as pattoo's IF-MIB agent did.
  bool only_admin_up = false;
  // Skip interfaces whose ifName or ifDescr matches one of these shell patterns
  // (fnmatch(3): `*`, `?`, `[...]`; e.g. "vlan*", "lo").
  std::vector<std::string> exclude;
};

// Reads the keys of a `type: snmp_ifmib` input (docs/agents/snmp.md): the credential,
// timeout and target keys of `type: snmp` at the input level or per item of `groups:`, plus
// measurement, only_admin_up and exclude. `type`, `interval`, `timeout` and `labels` are
// the agent's (agent_config.cc). Problems go to the section's Errors.
void BindSnmpIfMibOptions(config::Section& s, SnmpIfMibOptions* o);

// Reads the *_file secrets of every target (trailing whitespace stripped), as
// ResolveSnmpSecrets does for `type: snmp`.
Status ResolveSnmpIfMibSecrets(Env& env, SnmpIfMibOptions* o);

// The columns walked, in this order (IfMibWalk::columns is indexed by it).
enum class IfColumn : uint8_t {
  kDescr,               // ifTable .2   DisplayString
  kSpeed,               // ifTable .5   Gauge32 bits/s
  kAdminStatus,         // ifTable .7   INTEGER
  kOperStatus,          // ifTable .8   INTEGER
  kInOctets,            // ifTable .10  Counter32
  kInUcastPkts,         // ifTable .11
  kInDiscards,          // ifTable .13
  kInErrors,            // ifTable .14
  kOutOctets,           // ifTable .16
  kOutUcastPkts,        // ifTable .17
  kOutDiscards,         // ifTable .19
  kOutErrors,           // ifTable .20
  kName,                // ifXTable .1  DisplayString
  kInMulticastPkts,     // ifXTable .2  Counter32
  kInBroadcastPkts,     // ifXTable .3
  kOutMulticastPkts,    // ifXTable .4
  kOutBroadcastPkts,    // ifXTable .5
  kHcInOctets,          // ifXTable .6  Counter64
  kHcInUcastPkts,       // ifXTable .7
  kHcInMulticastPkts,   // ifXTable .8
  kHcInBroadcastPkts,   // ifXTable .9
  kHcOutOctets,         // ifXTable .10
  kHcOutUcastPkts,      // ifXTable .11
  kHcOutMulticastPkts,  // ifXTable .12
  kHcOutBroadcastPkts,  // ifXTable .13
  kHighSpeed,           // ifXTable .15 Gauge32 Mbit/s
  kAlias,               // ifXTable .18 DisplayString
};
inline constexpr size_t kIfColumnCount = static_cast<size_t>(IfColumn::kAlias) + 1;

// The column's OID (".1.3.6.1.2.1.2.2.1.10") and MIB name ("ifInOctets").
const Oid& IfColumnOid(IfColumn c);
std::string_view IfColumnName(IfColumn c);

// One round's walks of one target: for each column, the varbinds of its subtree in the
// order the agent gave them (PollResult::walks, one per IfColumn).
struct IfMibWalk {
  std::array<std::vector<VarBind>, kIfColumnCount> columns;
};

// ifAdminStatus / ifOperStatus values as state strings ("up", "lowerLayerDown", ...); a
// value outside the enumeration is its decimal number.
std::string AdminStatusName(int64_t v);
std::string OperStatusName(int64_t v);

struct IfMibBuildStats {
  size_t interfaces = 0;    // points made
  size_t skipped = 0;       // interfaces excluded by only_admin_up or exclude
  size_t hc_fallbacks = 0;  // interfaces whose octets came from the 32-bit ifTable counters
  size_t bad_values = 0;    // varbinds of an unexpected SNMP type, left out
  size_t hc_missing = 0;    // HC counters missing where the interface had them: gaps
};

// What one target's interfaces had in earlier rounds: the 64-bit counters seen, by
// (ifIndex, counter), each with the rounds since it was last seen. A counter that had a
// 64-bit value does not fall back to 32 bits when the value is missing for a round or two
// (the series would switch width, which reads as a reset): that round is a gap. After
// kIfMibHcForgetRounds rounds without it, the interface is taken as changed (a reindexed
// ifIndex) and falls back.
inline constexpr int kIfMibHcForgetRounds = 3;
using IfMibHcMemory = std::map<uint64_t, int>;

// The decision logic of a round, without the network: joins the columns by ifIndex
// (interfaces in ascending ifIndex order), takes the HC counters where present, maps the
// statuses, and makes one point per interface that has at least one field and is not
// excluded by options.only_admin_up / options.exclude (options.measurement names it).
// `hc_memory` (may be null: no memory) is the target's, updated for the next round.
std::vector<Point> BuildIfMibPoints(const IfMibWalk& walk, const std::string& target_label,
                                    int64_t timestamp_ms, const SnmpIfMibOptions& options,
                                    IfMibBuildStats* stats = nullptr,
                                    IfMibHcMemory* hc_memory = nullptr);

class SnmpIfMibInput final : public Input {
 public:
  // `input_name` names the input in logs.
  SnmpIfMibInput(SnmpIfMibOptions options, std::string input_name);
  ~SnmpIfMibInput() override;
  SnmpIfMibInput(const SnmpIfMibInput&) = delete;
  SnmpIfMibInput& operator=(const SnmpIfMibInput&) = delete;

  // Polls every target. OK whatever the devices did (failures are gaps and counts);
  // Cancelled when ctx.stop was requested; DeadlineExceeded when some target had not
  // answered by the deadline (the others' points are appended).
  Status Collect(const CollectContext& ctx, std::vector<Point>* out) override;

  struct Counters {
    uint64_t polls = 0;         // target rounds
    uint64_t failures = 0;      // target rounds without an answer (any kind below, or other)
    uint64_t timeouts = 0;      // no answer in time
    uint64_t auth_errors = 0;   // SNMPv3 authentication / privacy refused
    uint64_t deadline = 0;      // cut by the round's deadline
    uint64_t interfaces = 0;    // points appended
    uint64_t hc_fallbacks = 0;  // interface points with 32-bit octet counters
    uint64_t hc_missing = 0;    // 64-bit counters missing for a round: gaps, no fallback
    uint64_t bad_values = 0;    // varbinds of an unexpected type, left out
  };
  Counters counters() const;

 private:
  const SnmpIfMibOptions options_;
  const std::string name_;
  std::unique_ptr<Poller> poller_;
  std::vector<Oid> walks_;
  std::vector<PollError> last_error_;     // per target: the kind last logged (kNone: fine)
  std::vector<IfMibHcMemory> hc_memory_;  // per target
  std::vector<char> logged_warning_;      // per target: its agent's varbind error logged

  std::atomic<uint64_t> polls_{0}, failures_{0}, timeouts_{0}, auth_errors_{0}, deadline_{0},
      interfaces_{0}, hc_fallbacks_{0}, hc_missing_{0}, bad_values_{0};
};

}  // namespace strix::agents::snmp
