// The SNMP input's options (docs/agents/snmp.md): polling groups of targets with their
// credentials (v1/v2c community, or a v3 user with its security level, auth and privacy
// protocols), timeouts and retries, and the OIDs to read (scalars by GET, table columns
// by walking). BindSnmpOptions reads them from an input's section of strix-agent.yaml
// (core/config.h: every problem as file:line:column); ResolveSnmpSecrets then reads the
// *_file secrets.
//
// Thread-safety: plain values and functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agents/snmp/snmp_oid.h"
#include "agents/snmp/snmp_value.h"
#include "core/env.h"
#include "core/status.h"

namespace strix::config {
class Section;
}

namespace strix::agents::snmp {

inline constexpr uint16_t kDefaultPort = 161;
// RFC 3414 (and net-snmp) need at least 8 characters in a v3 password.
inline constexpr size_t kMinV3PasswordLength = 8;

enum class Version : uint8_t { kV1, kV2c, kV3 };
enum class SecurityLevel : uint8_t { kNoAuthNoPriv, kAuthNoPriv, kAuthPriv };
enum class AuthProtocol : uint8_t { kNone, kMd5, kSha1, kSha224, kSha256, kSha384, kSha512 };
enum class PrivProtocol : uint8_t { kNone, kDes, kAes128, kAes192, kAes256 };

std::string_view VersionName(Version v);              // "1", "2c", "3"
std::string_view SecurityLevelName(SecurityLevel l);  // "authPriv", ...
std::string_view AuthProtocolName(AuthProtocol p);    // "SHA-256", ...
std::string_view PrivProtocolName(PrivProtocol p);    // "AES-128", ...

struct Credentials {
  Version version = Version::kV2c;
  std::string community;       // v1/v2c (no default: required)
  std::string community_file;  // alternative: read at start by ResolveSnmpSecrets
  std::string username;        // v3 securityName
  SecurityLevel level = SecurityLevel::kAuthPriv;
  AuthProtocol auth = AuthProtocol::kNone;
  std::string auth_password, auth_password_file;
  PrivProtocol priv = PrivProtocol::kNone;
  std::string priv_password, priv_password_file;
  std::string context;  // v3 contextName, usually empty
};

struct Target {
  std::string host;  // a host name or an IP literal (IPv6 without brackets)
  uint16_t port = kDefaultPort;
  // The `target` tag: the host, or host:port when the port is not 161 ([v6]:port).
  std::string Label() const;
  bool operator==(const Target&) const = default;
};

// Parses "host", "host:port", "[v6]" or "[v6]:port"; a bare IPv6 literal is a host.
bool ParseTarget(std::string_view text, uint16_t default_port, Target* out);

struct TargetSpec {  // everything needed to talk to one agent
  Target target;
  Credentials credentials;
  int64_t timeout_ms = 1000;      // one request attempt
  int retries = 2;                // extra attempts after a timeout
  uint32_t max_repetitions = 25;  // GETBULK (v2c/v3); v1 walks with GETNEXT
};

struct OidSpec {
  std::string text;   // as configured ("IF-MIB::ifHCInOctets", ".1.3.6.1.2.1.1.3.0")
  Oid oid;            // resolved
  std::string name;   // the field key: series <measurement>_<name>
  bool walk = false;  // a table column: walked, one point per index (tag `index`)
  double multiplier = 1, offset = 0;  // gauges only
  // "" (follow the SNMP type), "gauge" or "counter" (see KindOverride in snmp_value.h).
  std::string kind;
};

struct SnmpGroup {
  std::string name;  // for logs and errors
  std::vector<TargetSpec> targets;
  std::vector<OidSpec> oids;
  std::string measurement = "snmp";
};

struct PollerOptions {
  size_t max_in_flight = 256;    // outstanding requests over all targets
  size_t max_oids_per_get = 32;  // varbinds per GET PDU
};

struct SnmpOptions {
  std::vector<SnmpGroup> groups;
  PollerOptions poller;
  std::string path;  // the input's key path ("inputs.switches"), for messages
};

// Binds the keys of docs/agents/snmp.md: the credential and timing keys at the input
// level, then either `groups:` (each may override them) or one group's `targets` and
// `oids` at the input level. Symbolic OIDs are resolved here (MIB files are read then).
// Problems go to the section's errors: unknown version or protocol names, v3 without
// username, a security level without its protocols or passwords, protocols a level does
// not use, v3 passwords shorter than 8 characters, a community missing for v1/v2c,
// duplicate field names, a multiplier or offset on a counter, bad OIDs and targets.
void BindSnmpOptions(config::Section& s, SnmpOptions* o);

// The pieces of BindSnmpOptions that the IF-MIB input (snmp_ifmib.h) shares.
//

// Binds the credential and timing keys (version, community, v3 user, protocols and
// passwords, context, port, request_timeout, retries, max_repetitions) of s into t and
// port; a secret given both inline and as a file is an error.
void BindSnmpAccess(config::Section& s, TargetSpec* t, int64_t* port);

// Checks proto's credentials (errors at the key of s that causes them), then binds the
// required `targets` list of s, each with proto's credentials and `port` unless it gives
// its own, into out. A target already in out is an error.
void BindSnmpTargets(config::Section& s, const TargetSpec& proto, int64_t port,
                     std::vector<TargetSpec>* out);

// Reads community_file, auth_password_file and priv_password_file into the inline
// fields (trailing whitespace and newlines stripped), checking v3 password lengths.
// Fails with "inputs.x: auth_password_file: <path>: <reason>".
Status ResolveSnmpSecrets(Env& env, SnmpOptions* o);

}  // namespace strix::agents::snmp
