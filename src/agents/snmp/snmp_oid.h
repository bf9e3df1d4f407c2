// SNMP object identifiers: parsing numeric OIDs (".1.3.6.1.2.1.1.3.0"), formatting them,
// and resolving symbolic names ("IF-MIB::ifHCInOctets", "sysUpTime.0") through net-snmp's
// MIB parser. MIB files are read only when the first symbolic name is resolved (never
// for numeric OIDs), from SetMibDirectories' list or net-snmp's default search path.
//
// Thread-safety: all functions may be called from any thread (MIB access is serialised
// by the module's global net-snmp lock).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace strix::agents::snmp {

using Oid = std::vector<uint32_t>;

// At most this many sub-identifiers (net-snmp's MAX_OID_LEN).
inline constexpr size_t kMaxOidLength = 128;

// ".1.3.6.1" or "1.3.6.1": at least two sub-identifiers, each 0..2^32-1, no empty parts.
Result<Oid> ParseNumericOid(std::string_view text);
// ".1.3.6.1.2.1"; "" for an empty OID.
std::string FormatOid(const Oid& oid);
// The suffix of `oid` after `prefix` as "3" or "1.4.192.0.2.1" (no leading dot); ""
// when oid == prefix. `prefix` must be a prefix of `oid`.
std::string OidSuffix(const Oid& oid, const Oid& prefix);
// Resolves numeric text directly, anything else through the MIBs: "IF-MIB::ifHCInOctets",
// "ifHCInOctets", "SNMPv2-MIB::sysUpTime.0". NotFound when the name is not in the loaded
// MIBs (the message names the search path).
Result<Oid> ResolveOid(std::string_view text);
bool OidStartsWith(const Oid& oid, const Oid& prefix);
// Lexicographic order of OIDs (as agents order them).
int CompareOids(const Oid& a, const Oid& b);
// The MIB search path (directories separated by ':') used for symbolic names: the next
// symbolic name reads the MIB files found there (MIBs read before stay loaded). Empty:
// net-snmp's default (MIBDIRS, else its compiled-in path).
void SetMibDirectories(std::string dirs);

}  // namespace strix::agents::snmp
