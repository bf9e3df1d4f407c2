// pattoo_agent_snmpd.yaml / pattoo_agent_snmp_ifmibd.yaml -> strix-agent input YAML (see
// snmp_pattoo_import.h).
#include "agents/snmp/snmp_pattoo_import.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

#include "agents/common/config_text.h"
#include "core/config.h"

namespace strix::agents::snmp {
namespace {

std::string Where(const std::string& file, const YAML::Node& n) {
  return file + ":" + std::to_string(n.Mark().line + 1) + ": ";
}

// A scalar that is not YAML null ("null", "~" or empty).
bool Scalar(const YAML::Node& n, std::string* out) {
  if (!n || !n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  if (n.Tag() != "!" && (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")) {
    return false;
  }
  *out = s;
  return true;
}

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// pattoo's OID rule: a leading '.', then dot-separated decimal nodes (each < 2^32), at
// least two of them. On success *nodes holds them.
bool ValidOid(const std::string& s, std::vector<uint32_t>* nodes) {
  if (s.size() < 2 || s[0] != '.') return false;
  nodes->clear();
  size_t i = 1;
  while (i <= s.size()) {
    size_t dot = s.find('.', i);
    if (dot == std::string::npos) dot = s.size();
    if (dot == i) return false;
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + dot, v);
    if (ec != std::errc() || p != s.data() + dot) return false;
    nodes->push_back(v);
    i = dot + 1;
  }
  return nodes->size() >= 2;
}

struct WellKnown {
  std::string_view oid;
  std::string_view name;
  bool counter;
};

// Columns and objects often listed in pattoo's file: IF-MIB ifTable and ifXTable, sysUpTime,
// HOST-RESOURCES hrProcessorLoad, UCD-SNMP load and memory.
constexpr WellKnown kWellKnown[] = {
    {".1.3.6.1.2.1.1.3", "sys_uptime", false},
    {".1.3.6.1.2.1.2.2.1.1", "if_index", false},
    {".1.3.6.1.2.1.2.2.1.2", "if_descr", false},
    {".1.3.6.1.2.1.2.2.1.3", "if_type", false},
    {".1.3.6.1.2.1.2.2.1.4", "if_mtu", false},
    {".1.3.6.1.2.1.2.2.1.5", "if_speed", false},
    {".1.3.6.1.2.1.2.2.1.6", "if_phys_address", false},
    {".1.3.6.1.2.1.2.2.1.7", "if_admin_status", false},
    {".1.3.6.1.2.1.2.2.1.8", "if_oper_status", false},
    {".1.3.6.1.2.1.2.2.1.9", "if_last_change", false},
    {".1.3.6.1.2.1.2.2.1.10", "if_in_octets", true},
    {".1.3.6.1.2.1.2.2.1.11", "if_in_ucast_pkts", true},
    {".1.3.6.1.2.1.2.2.1.12", "if_in_nucast_pkts", true},
    {".1.3.6.1.2.1.2.2.1.13", "if_in_discards", true},
    {".1.3.6.1.2.1.2.2.1.14", "if_in_errors", true},
    {".1.3.6.1.2.1.2.2.1.15", "if_in_unknown_protos", true},
    {".1.3.6.1.2.1.2.2.1.16", "if_out_octets", true},
    {".1.3.6.1.2.1.2.2.1.17", "if_out_ucast_pkts", true},
    {".1.3.6.1.2.1.2.2.1.18", "if_out_nucast_pkts", true},
    {".1.3.6.1.2.1.2.2.1.19", "if_out_discards", true},
    {".1.3.6.1.2.1.2.2.1.20", "if_out_errors", true},
    {".1.3.6.1.2.1.2.2.1.21", "if_out_qlen", false},
    {".1.3.6.1.2.1.31.1.1.1.1", "if_name", false},
    {".1.3.6.1.2.1.31.1.1.1.2", "if_in_multicast_pkts", true},
    {".1.3.6.1.2.1.31.1.1.1.3", "if_in_broadcast_pkts", true},
    {".1.3.6.1.2.1.31.1.1.1.4", "if_out_multicast_pkts", true},
    {".1.3.6.1.2.1.31.1.1.1.5", "if_out_broadcast_pkts", true},
    {".1.3.6.1.2.1.31.1.1.1.6", "if_hc_in_octets", true},
    {".1.3.6.1.2.1.31.1.1.1.7", "if_hc_in_ucast_pkts", true},
    {".1.3.6.1.2.1.31.1.1.1.8", "if_hc_in_multicast_pkts", true},
    {".1.3.6.1.2.1.31.1.1.1.9", "if_hc_in_broadcast_pkts", true},
    {".1.3.6.1.2.1.31.1.1.1.10", "if_hc_out_octets", true},
    {".1.3.6.1.2.1.31.1.1.1.11", "if_hc_out_ucast_pkts", true},
    {".1.3.6.1.2.1.31.1.1.1.12", "if_hc_out_multicast_pkts", true},
    {".1.3.6.1.2.1.31.1.1.1.13", "if_hc_out_broadcast_pkts", true},
    {".1.3.6.1.2.1.31.1.1.1.15", "if_high_speed", false},
    {".1.3.6.1.2.1.31.1.1.1.18", "if_alias", false},
    {".1.3.6.1.2.1.25.3.3.1.2", "hr_processor_load", false},
    {".1.3.6.1.4.1.2021.10.1.3", "la_load", false},
    {".1.3.6.1.4.1.2021.10.1.5", "la_load_int", false},
    {".1.3.6.1.4.1.2021.4.5", "mem_total_real", false},
    {".1.3.6.1.4.1.2021.4.6", "mem_avail_real", false},
    {".1.3.6.1.4.1.2021.11.9", "ss_cpu_user", false},
    {".1.3.6.1.4.1.2021.11.10", "ss_cpu_system", false},
    {".1.3.6.1.4.1.2021.11.11", "ss_cpu_idle", false},
};

const WellKnown* FindWellKnown(const std::string& oid) {
  for (const WellKnown& w : kWellKnown) {
    if (w.oid == oid) return &w;
  }
  return nullptr;
}

struct OidEntry {
  std::string oid;  // as pattoo wrote it (validated: ".1.3...")
  std::string name;
  double multiplier = 1;
};

struct PollGroup {
  std::string name;
  std::vector<OidEntry> oids;
};

struct AuthGroup {
  std::string name;
  int line = 0;
  std::string version;  // "1", "2c", "3"
  std::string community;
  std::string username;
  std::string level;  // v3
  std::string auth_protocol, auth_password, priv_protocol, priv_password;
  uint16_t port = 161;
};

// The targets of a group: ip_targets (the code's key) or ip_devices (the docs'); a single
// scalar is one target.
std::vector<std::string> Targets(const YAML::Node& g, const std::string& file,
                                 const std::string& gname, std::vector<std::string>* notes) {
  YAML::Node tn = g["ip_targets"] ? g["ip_targets"] : g["ip_devices"];
  std::vector<std::string> out;
  auto add = [&](const YAML::Node& t) {
    std::string s;
    if (!Scalar(t, &s)) {
      notes->push_back(Where(file, t) + gname + ": a target that is not a host name; skipped");
      return;
    }
    for (char c : s) {
      if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '"') {
        notes->push_back(Where(file, t) + gname + ": target \"" + s +
                         "\" is not a host name or address; skipped");
        return;
      }
    }
    for (const std::string& x : out) {
      if (x == s) return;
    }
    out.push_back(s);
  };
  if (tn && tn.IsScalar()) add(tn);
  if (tn && tn.IsSequence()) {
    for (const YAML::Node& t : tn) add(t);
  }
  return out;
}

// Reads one auth group; false (with a note) when it cannot be used.
bool ReadAuth(const YAML::Node& g, const std::string& file, const std::string& gname, AuthGroup* a,
              std::vector<std::string>* notes) {
  const std::string at = Where(file, g) + gname + ": ";
  std::string v;
  if (!Scalar(g["snmp_version"], &v)) v = "2";  // pattoo's default
  if (v == "1") {
    a->version = "1";
    notes->push_back(at +
                     "snmp_version 1 is imported (pattoo refused it: its agent never polled "
                     "these targets)");
  } else if (v == "2" || v == "2c" || v == "2C") {
    a->version = "2c";
  } else if (v == "3") {
    a->version = "3";
  } else {
    notes->push_back(at + "snmp_version \"" + v + "\" is not 1, 2 or 3; group skipped");
    return false;
  }
  std::string port;
  if (Scalar(g["snmp_port"], &port)) {
    uint32_t p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) {
      notes->push_back(at + "snmp_port \"" + port + "\" is not 1..65535; group skipped");
      return false;
    }
    a->port = static_cast<uint16_t>(p);
  }
  if (a->version != "3") {
    if (!Scalar(g["snmp_community"], &a->community)) {
      notes->push_back(at + "no snmp_community for SNMP v" + a->version + "; group skipped");
      return false;
    }
    return true;
  }
  if (!Scalar(g["snmp_secname"], &a->username)) {
    notes->push_back(at + "no snmp_secname (the SNMPv3 user name); group skipped");
    return false;
  }
  std::string auth, priv;
  Scalar(g["snmp_authprotocol"], &auth);
  Scalar(g["snmp_privprotocol"], &priv);
  Scalar(g["snmp_authpassword"], &a->auth_password);
  Scalar(g["snmp_privpassword"], &a->priv_password);
  auth = Upper(auth);
  priv = Upper(priv);
  if (!auth.empty() && auth != "MD5" && auth != "SHA") {
    notes->push_back(at + "snmp_authprotocol \"" + auth + "\" is not MD5 or SHA; group skipped");
    return false;
  }
  if (!priv.empty() && priv != "DES" && priv != "AES") {
    notes->push_back(at + "snmp_privprotocol \"" + priv + "\" is not DES or AES; group skipped");
    return false;
  }
  // A password without its protocol: pattoo pre-set SHA and AES, which is what such a
  // group used with the device.
  if (auth.empty() && !a->auth_password.empty()) {
    auth = "SHA";
    notes->push_back(at + "snmp_authpassword without snmp_authprotocol: SHA, which pattoo used");
  }
  if (priv.empty() && !a->priv_password.empty() && !auth.empty()) {
    priv = "AES";
    notes->push_back(at + "snmp_privpassword without snmp_privprotocol: AES, which pattoo used");
  }
  if (!auth.empty() && a->auth_password.empty()) {
    notes->push_back(at + "snmp_authprotocol without snmp_authpassword; group skipped");
    return false;
  }
  if (!priv.empty() && a->priv_password.empty()) {
    notes->push_back(at + "snmp_privprotocol without snmp_privpassword; group skipped");
    return false;
  }
  if (!priv.empty() && auth.empty()) {
    notes->push_back(at +
                     "snmp_privprotocol without snmp_authprotocol (SNMPv3 has no privacy "
                     "without authentication); group skipped");
    return false;
  }
  // net-snmp (which pattoo used too) refuses v3 passwords shorter than 8 characters
  // (RFC 3414 2.6): such a group never worked.
  for (const auto& [key, pw] :
       {std::pair<const char*, const std::string*>{"snmp_authpassword", &a->auth_password},
        {"snmp_privpassword", &a->priv_password}}) {
    if (!pw->empty() && pw->size() < 8) {
      notes->push_back(at + key +
                       " is shorter than 8 characters, which SNMPv3 (net-snmp, also under "
                       "pattoo) refuses; group skipped");
      return false;
    }
  }
  a->auth_protocol = auth;
  a->priv_protocol = priv;
  if (!auth.empty() && !priv.empty()) {
    a->level = "authPriv";
  } else {
    a->level = auth.empty() ? "noAuthNoPriv" : "authNoPriv";
    notes->push_back(at + "security_level " + a->level +
                     " from the protocols given; pattoo pre-set SHA and AES and so asked for "
                     "authPriv, which such a user cannot have answered");
  }
  return true;
}

std::string CredentialsYaml(const AuthGroup& a, const std::string& pad) {
  std::string y = pad + "version: " + (a.version == "2c" ? std::string("2c") : a.version) + "\n";
  if (a.port != 161) y += pad + "port: " + std::to_string(a.port) + "\n";
  if (a.version != "3") return y + pad + "community: " + YamlQuote(a.community) + "\n";
  y += pad + "username: " + YamlQuote(a.username) + "\n";
  y += pad + "security_level: " + a.level + "\n";
  if (!a.auth_protocol.empty()) {
    y += pad + "auth_protocol: " + a.auth_protocol + "\n";
    y += pad + "auth_password: " + YamlQuote(a.auth_password) + "\n";
  }
  if (!a.priv_protocol.empty()) {
    y += pad + "priv_protocol: " + a.priv_protocol + "\n";
    y += pad + "priv_password: " + YamlQuote(a.priv_password) + "\n";
  }
  return y;
}

// pattoo's polling_interval: whole seconds, default 300.
int64_t Interval(const YAML::Node& top, const std::string& file, std::vector<std::string>* notes) {
  const YAML::Node n = top["polling_interval"];
  std::string s;
  if (!Scalar(n, &s)) return 300;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 1 || v > 86'400) {
    notes->push_back(Where(file, n) + "polling_interval: expected 1..86400 seconds, got \"" + s +
                     "\"; using 300");
    return 300;
  }
  return v;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<SnmpImport> ImportPattooSnmp(std::string_view pattoo_yaml, const std::string& file,
                                    bool ifmib, const std::string& input_name) {
  STRIX_ASSIGN_OR_RETURN(config::Document doc, config::Document::ParseString(pattoo_yaml, file));
  SnmpImport out;
  const YAML::Node& root = doc.root();
  if (doc.empty()) {
    out.notes.push_back(file + ": empty; no SNMP input imported");
    return out;
  }
  if (!root.IsMap()) {
    return Status::InvalidArgument(file + ": expected a mapping with polling_groups and " +
                                   "auth_groups");
  }
  // Accept the keys under a top-level program key too, as the Modbus agent's file has them.
  YAML::Node top = root;
  for (const char* k : {"pattoo_agent_snmpd", "pattoo_agent_snmp_ifmibd"}) {
    if (root[k] && root[k].IsMap()) top = root[k];
  }
  const int64_t interval_s = Interval(top, file, &out.notes);

  // Auth groups, and for each target the auth groups naming it (pattoo used the last).
  std::vector<AuthGroup> auths;
  std::map<std::string, std::vector<size_t>> target_auths;
  const YAML::Node an = top["auth_groups"];
  if (!an || !an.IsSequence()) {
    out.notes.push_back(file + ": no auth_groups list: pattoo polled nothing; no SNMP input " +
                        "imported");
    return out;
  }
  size_t index = 0;
  for (const YAML::Node& g : an) {
    ++index;
    if (!g.IsMap()) {
      out.notes.push_back(Where(file, g) + "auth group " + std::to_string(index) +
                          " is not a mapping; skipped");
      continue;
    }
    AuthGroup a;
    if (!Scalar(g["group_name"], &a.name)) a.name = "auth group " + std::to_string(index);
    a.line = g.Mark().line + 1;
    const std::string gname = "auth group \"" + a.name + "\"";
    std::vector<std::string> targets = Targets(g, file, gname, &out.notes);
    if (!ReadAuth(g, file, gname, &a, &out.notes)) {
      // Still the last word for its targets in pattoo's eyes: mark them unusable.
      for (const std::string& t : targets) target_auths[t].push_back(SIZE_MAX);
      continue;
    }
    if (targets.empty()) {
      out.notes.push_back(Where(file, g) + gname + ": no ip_targets; unused");
    }
    auths.push_back(std::move(a));
    for (const std::string& t : targets) target_auths[t].push_back(auths.size() - 1);
  }

  // Polling groups; for each target the polling groups naming it, in first-seen order.
  std::vector<PollGroup> polls;
  std::vector<std::string> target_order;
  std::map<std::string, std::vector<size_t>> target_polls;
  const YAML::Node pn = top["polling_groups"];
  if (!pn || !pn.IsSequence()) {
    out.notes.push_back(file + ": no polling_groups list: pattoo polled nothing; no SNMP " +
                        "input imported");
    return out;
  }
  index = 0;
  bool oids_ignored = false;
  for (const YAML::Node& g : pn) {
    ++index;
    if (!g.IsMap()) {
      out.notes.push_back(Where(file, g) + "polling group " + std::to_string(index) +
                          " is not a mapping; skipped");
      continue;
    }
    PollGroup p;
    if (!Scalar(g["group_name"], &p.name)) p.name = "polling group " + std::to_string(index);
    const std::string gname = "polling group \"" + p.name + "\"";
    std::vector<std::string> targets = Targets(g, file, gname, &out.notes);
    const YAML::Node on = g["oids"];
    if (ifmib) {
      oids_ignored = oids_ignored || (on && on.IsSequence() && on.size() > 0);
    } else {
      if (on && !on.IsSequence()) {
        out.notes.push_back(Where(file, on) + gname + ": oids is not a list; group skipped");
        continue;
      }
      std::set<std::string> seen;
      for (const YAML::Node& o : on) {
        OidEntry e;
        if (!o.IsMap() || !Scalar(o["address"], &e.oid)) {
          out.notes.push_back(Where(file, o) + gname + ": an oids entry without address; skipped");
          continue;
        }
        std::vector<uint32_t> nodes;
        if (!ValidOid(e.oid, &nodes)) {
          out.notes.push_back(Where(file, o) + gname + ": OID \"" + e.oid +
                              "\" is not numeric with a leading '.' (pattoo's agent exited on "
                              "it); skipped");
          continue;
        }
        if (!seen.insert(e.oid).second) {
          out.notes.push_back(Where(file, o) + gname + ": OID " + e.oid +
                              " is listed twice; read once");
          continue;
        }
        const WellKnown* w = FindWellKnown(e.oid);
        if (w) {
          e.name = std::string(w->name);
        } else {
          e.name = "oid";
          for (uint32_t n : nodes) e.name += "_" + std::to_string(n);
        }
        std::string ms;
        if (Scalar(o["multiplier"], &ms)) {
          char* end = nullptr;
          errno = 0;
          double m = std::strtod(ms.c_str(), &end);
          if (errno != 0 || end != ms.c_str() + ms.size() || !std::isfinite(m) || m == 0) {
            out.notes.push_back(Where(file, o) + gname + ": multiplier \"" + ms + "\" of " + e.oid +
                                " is not a non-zero number; 1 is used");
          } else if (m != 1 && w && w->counter) {
            out.notes.push_back(Where(file, o) + gname + ": pattoo multiplied " + e.oid + " (" +
                                e.name + ") by " + YamlNumber(m) +
                                (m == 8 ? " to report bits" : "") +
                                "; Strix stores the raw counter and strixd computes rates from "
                                "it, so the multiplier is dropped (scale in queries instead)");
          } else {
            e.multiplier = m;
          }
        }
        p.oids.push_back(std::move(e));
      }
      if (p.oids.empty()) {
        out.notes.push_back(Where(file, g) + gname + ": no usable OID; group skipped");
        continue;
      }
    }
    if (targets.empty()) {
      out.notes.push_back(Where(file, g) + gname + ": no ip_targets; skipped");
      continue;
    }
    polls.push_back(std::move(p));
    for (const std::string& t : targets) {
      std::vector<size_t>& tp = target_polls[t];
      if (tp.empty()) target_order.push_back(t);
      tp.push_back(polls.size() - 1);
    }
  }
  if (oids_ignored) {
    out.notes.push_back(file +
                        ": oids are ignored, as pattoo's IF-MIB agent ignored them; list "
                        "extra OIDs in a `type: snmp` input");
  }

  // Pair: a strix group per (auth group, polling groups) with its targets in file order.
  struct Key {
    size_t auth;
    std::vector<size_t> polls;
    bool operator<(const Key& o) const { return auth != o.auth ? auth < o.auth : polls < o.polls; }
  };
  std::map<Key, std::vector<std::string>> groups;
  std::vector<Key> group_order;
  for (const std::string& t : target_order) {
    auto it = target_auths.find(t);
    if (it == target_auths.end()) {
      out.notes.push_back(file + ": target " + t +
                          " is in no auth group (pattoo did not poll it); skipped");
      continue;
    }
    const std::vector<size_t>& as = it->second;
    if (as.size() > 1) {
      std::string names;
      for (size_t a : as) {
        if (!names.empty()) names += ", ";
        names += a == SIZE_MAX ? std::string("(an unusable group)") : "\"" + auths[a].name + "\"";
      }
      out.notes.push_back(file + ": target " + t + " is in several auth groups (" + names +
                          "); the last one is used, as pattoo did");
    }
    if (as.back() == SIZE_MAX) {
      out.notes.push_back(file + ": target " + t +
                          " has no usable auth group (see above); skipped");
      continue;
    }
    Key k{as.back(), ifmib ? std::vector<size_t>{} : target_polls[t]};
    if (ifmib) {
      // One IF-MIB walk per target, whatever the polling groups.
      std::vector<size_t> ps = target_polls[t];
      if (ps.size() > 1) {
        out.notes.push_back(file + ": target " + t +
                            " is in several polling groups; its interfaces are read once");
      }
    }
    auto [g, inserted] = groups.try_emplace(k);
    if (inserted) group_order.push_back(k);
    g->second.push_back(t);
  }
  if (group_order.empty()) {
    out.notes.push_back(file +
                        ": no target is in both a polling group and a usable auth group; no "
                        "SNMP input imported");
    return out;
  }

  std::string& y = out.yaml;
  y = "  " + input_name + ":";
  y += std::string(input_name.size() < 27 ? 27 - input_name.size() : 1, ' ');
  y += "# from " + BaseName(file) + "\n";
  y += std::string("    type: ") + (ifmib ? "snmp_ifmib" : "snmp") + "\n";
  y += "    interval: " + std::to_string(interval_s) + "s\n";
  if (ifmib) y += "    only_admin_up: true         # pattoo reported admin-up interfaces only\n";
  y += "    groups:\n";
  bool secrets = false;
  std::set<std::string> names;
  for (const Key& k : group_order) {
    const AuthGroup& a = auths[k.auth];
    std::string name;
    if (ifmib) {
      std::set<size_t> ps;
      for (const std::string& t : groups[k]) {
        for (size_t p : target_polls[t]) ps.insert(p);
      }
      for (size_t p : ps) name += (name.empty() ? "" : " + ") + polls[p].name;
    } else {
      for (size_t p : k.polls) name += (name.empty() ? "" : " + ") + polls[p].name;
    }
    name += " / " + a.name;
    // Two auth groups may share a group_name; strix group names are unique.
    if (!names.insert(name).second) {
      int n = 2;
      while (!names.insert(name + " (" + std::to_string(n) + ")").second) ++n;
      name += " (" + std::to_string(n) + ")";
    }
    y += "      - name: " + YamlQuote(name) + "\n";
    y += CredentialsYaml(a, "        ");
    secrets = true;
    y += "        targets: [";
    const std::vector<std::string>& ts = groups[k];
    for (size_t i = 0; i < ts.size(); ++i) y += (i ? ", " : "") + YamlQuote(ts[i]);
    y += "]\n";
    if (!ifmib) {
      y += "        oids:\n";
      std::set<std::string> seen;
      for (size_t p : k.polls) {
        for (const OidEntry& e : polls[p].oids) {
          if (!seen.insert(e.oid).second) continue;  // in two polling groups: read once
          y += "          - {oid: " + YamlQuote(e.oid) + ", name: " + e.name + ", walk: true";
          if (e.multiplier != 1) y += ", multiplier: " + YamlNumber(e.multiplier);
          y += "}\n";
        }
      }
    }
  }
  if (secrets) {
    out.notes.push_back(
        file +
        ": community strings and SNMPv3 passwords are written inline, as pattoo kept them; "
        "move each into a file readable only by strix-agent and use community_file, "
        "auth_password_file and priv_password_file instead");
  }
  if (ifmib) {
    out.notes.push_back(
        file +
        ": pattoo's ifinoctets/ifhcinoctets... keys become snmp_if_in_octets, "
        "snmp_if_out_octets, ... (64-bit counters where the device has ifXTable, else "
        "32-bit), raw octets: pattoo multiplied them by 8 to report bits, strixd's rates are "
        "bytes/s");
  }
  return out;
}

}  // namespace strix::agents::snmp
