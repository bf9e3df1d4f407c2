// OID parsing, formatting and MIB resolution (see snmp_oid.h).
#include "agents/snmp/snmp_oid.h"

#include <charconv>
#include <mutex>

#include "agents/snmp/internal/netsnmp.h"

namespace strix::agents::snmp {
namespace {

std::string& MibDirs() {
  static std::string dirs;
  return dirs;
}
bool g_mibs_loaded = false;  // guarded by internal::Mutex()
std::string g_mib_path;      // the path searched, for messages; guarded likewise

bool IsNumeric(std::string_view s) {
  for (char c : s) {
    if (c != '.' && (c < '0' || c > '9')) return false;
  }
  return !s.empty();
}

}  // namespace

Result<Oid> ParseNumericOid(std::string_view text) {
  std::string_view s = text;
  if (s.starts_with('.')) s.remove_prefix(1);
  if (s.empty()) return Status::InvalidArgument("empty OID");
  Oid out;
  while (true) {
    size_t dot = s.find('.');
    std::string_view part = s.substr(0, dot);
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size()) {
      return Status::InvalidArgument("\"" + std::string(text) +
                                     "\" is not a numeric OID (like .1.3.6.1.2.1.1.3.0)");
    }
    out.push_back(v);
    if (out.size() > kMaxOidLength)
      return Status::InvalidArgument("OID longer than 128 sub-identifiers");
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  if (out.size() < 2) {
    return Status::InvalidArgument("\"" + std::string(text) +
                                   "\" is not a numeric OID: at least two sub-identifiers");
  }
  return out;
}

std::string FormatOid(const Oid& oid) {
  std::string s;
  s.reserve(oid.size() * 4);
  for (uint32_t v : oid) {
    s += '.';
    s += std::to_string(v);
  }
  return s;
}

std::string OidSuffix(const Oid& oid, const Oid& prefix) {
  std::string s;
  for (size_t i = prefix.size(); i < oid.size(); ++i) {
    if (i > prefix.size()) s += '.';
    s += std::to_string(oid[i]);
  }
  return s;
}

bool OidStartsWith(const Oid& oid, const Oid& prefix) {
  return oid.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), oid.begin());
}

int CompareOids(const Oid& a, const Oid& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

void SetMibDirectories(std::string dirs) {
  std::lock_guard<std::mutex> lock(internal::Mutex());
  MibDirs() = std::move(dirs);
  g_mibs_loaded = false;  // the next symbolic name reads the MIBs of these directories
}

Result<Oid> ResolveOid(std::string_view text) {
  if (IsNumeric(text)) return ParseNumericOid(text);
  if (text.empty()) return Status::InvalidArgument("empty OID");
  internal::EnsureNetsnmp();
  std::lock_guard<std::mutex> lock(internal::Mutex());
  if (!g_mibs_loaded) {
    g_mibs_loaded = true;
    std::string dirs = MibDirs();
    if (dirs.empty()) {
      // net-snmp's default: MIBDIRS, else the compiled-in path. netsnmp_get_mib_directory
      // gives "" here (EnsureNetsnmp cleared it), so read the sources directly.
      const char* env = std::getenv("MIBDIRS");
      dirs = env != nullptr ? env : NETSNMP_DEFAULT_MIBDIRS;
    }
    g_mib_path = dirs;
    netsnmp_set_mib_directory(dirs.c_str());
    size_t start = 0;
    while (start <= dirs.size()) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      std::string dir = dirs.substr(start, end - start);
      if (!dir.empty() && dir[0] != '$') add_mibdir(dir.c_str());
      start = end + 1;
    }
    read_all_mibs();
  }
  oid buf[MAX_OID_LEN];
  size_t len = MAX_OID_LEN;
  const std::string name(text);
  if (snmp_parse_oid(name.c_str(), buf, &len) == nullptr || len < 2) {
    return Status::NotFound("cannot resolve OID \"" + name +
                            "\": not a numeric OID and not a name in the MIB files found in " +
                            (g_mib_path.empty() ? std::string("(no directory)") : g_mib_path));
  }
  Oid out;
  for (size_t i = 0; i < len; ++i) out.push_back(static_cast<uint32_t>(buf[i]));
  return out;
}

}  // namespace strix::agents::snmp
