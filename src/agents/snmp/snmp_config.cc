// The SNMP input's options: binding from YAML and reading secret files (see snmp_config.h).
#include "agents/snmp/snmp_config.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "agents/common/config_text.h"
#include "core/config.h"

namespace strix::agents::snmp {
namespace {

// The credential and timing keys, readable at the input level and in each group.
void BindAccessKeys(config::Section& s, TargetSpec* t, int64_t* port) {
  Credentials& c = t->credentials;
  s.Enum("version", &c.version, {{"1", Version::kV1}, {"2c", Version::kV2c}, {"3", Version::kV3}})
      .String("community", &c.community, true)
      .String("community_file", &c.community_file, true)
      .String("username", &c.username, true)
      .Enum("security_level", &c.level,
            {{"noAuthNoPriv", SecurityLevel::kNoAuthNoPriv},
             {"authNoPriv", SecurityLevel::kAuthNoPriv},
             {"authPriv", SecurityLevel::kAuthPriv}})
      .Enum("auth_protocol", &c.auth,
            {{"MD5", AuthProtocol::kMd5},
             {"SHA", AuthProtocol::kSha1},
             {"SHA-1", AuthProtocol::kSha1},
             {"SHA-224", AuthProtocol::kSha224},
             {"SHA-256", AuthProtocol::kSha256},
             {"SHA-384", AuthProtocol::kSha384},
             {"SHA-512", AuthProtocol::kSha512}})
      .String("auth_password", &c.auth_password, true)
      .String("auth_password_file", &c.auth_password_file, true)
      .Enum("priv_protocol", &c.priv,
            {{"DES", PrivProtocol::kDes},
             {"AES", PrivProtocol::kAes128},
             {"AES-128", PrivProtocol::kAes128},
             {"AES-192", PrivProtocol::kAes192},
             {"AES-256", PrivProtocol::kAes256}})
      .String("priv_password", &c.priv_password, true)
      .String("priv_password_file", &c.priv_password_file, true)
      .String("context", &c.context)
      .Int("port", port, 1, 65535)
      .Duration("request_timeout", &t->timeout_ms, 10, 60'000)
      .Int("retries", &t->retries, 0, 10)
      .Int("max_repetitions", &t->max_repetitions, 1, 1000);
  // A secret given both inline and as a file: the file wins silently otherwise.
  auto both = [&](std::string_view a, std::string_view b) {
    if (s.Has(a) && s.Has(b))
      s.Error(b, "give " + std::string(a) + " or " + std::string(b) + ", not both");
  };
  both("community", "community_file");
  both("auth_password", "auth_password_file");
  both("priv_password", "priv_password_file");
  // A section that sets one form of a secret replaces the form it inherited, whichever
  // it was (a group's inline password over the input's file).
  auto replaces = [&](std::string_view a, std::string_view b, std::string* inline_value,
                      std::string* file) {
    if (s.Has(a) && !s.Has(b)) file->clear();
    if (s.Has(b) && !s.Has(a)) inline_value->clear();
  };
  replaces("community", "community_file", &c.community, &c.community_file);
  replaces("auth_password", "auth_password_file", &c.auth_password, &c.auth_password_file);
  replaces("priv_password", "priv_password_file", &c.priv_password, &c.priv_password_file);
}

// Checks one group's effective credentials; errors at `key` of s when s has it, else at
// the section.
void CheckCredentials(config::Section& s, const Credentials& c) {
  auto at = [&](std::string_view key, const std::string& msg) {
    s.Error(s.Has(key) ? key : std::string_view(), msg);
  };
  const bool has_community = !c.community.empty() || !c.community_file.empty();
  if (c.version != Version::kV3) {
    if (!has_community)
      at("version",
         "SNMP v" + std::string(VersionName(c.version)) + " needs community or community_file");
    for (auto k : {"username", "auth_protocol", "priv_protocol", "auth_password",
                   "auth_password_file", "priv_password", "priv_password_file", "security_level"}) {
      if (s.Has(k)) s.Error(k, std::string(k) + " applies to version 3 only");
    }
    return;
  }
  if (s.Has("community") || s.Has("community_file"))
    at(s.Has("community") ? "community" : "community_file",
       "version 3 uses username and passwords, not a community");
  if (c.username.empty()) at("version", "version 3 needs username");
  const bool auth = c.level != SecurityLevel::kNoAuthNoPriv;
  const bool priv = c.level == SecurityLevel::kAuthPriv;
  const std::string lvl(SecurityLevelName(c.level));
  if (auth) {
    if (c.auth == AuthProtocol::kNone)
      at("security_level", "security_level " + lvl + " needs auth_protocol");
    if (c.auth_password.empty() && c.auth_password_file.empty())
      at("auth_protocol", "security_level " + lvl + " needs auth_password or auth_password_file");
    if (!c.auth_password.empty() && c.auth_password.size() < kMinV3PasswordLength)
      at("auth_password", "a v3 password needs at least 8 characters");
  } else {
    for (auto k : {"auth_protocol", "auth_password", "auth_password_file"})
      if (s.Has(k)) s.Error(k, std::string(k) + " does not apply to security_level noAuthNoPriv");
  }
  if (priv) {
    if (c.priv == PrivProtocol::kNone)
      at("security_level", "security_level authPriv needs priv_protocol");
    if (c.priv_password.empty() && c.priv_password_file.empty())
      at("priv_protocol", "security_level authPriv needs priv_password or priv_password_file");
    if (!c.priv_password.empty() && c.priv_password.size() < kMinV3PasswordLength)
      at("priv_password", "a v3 password needs at least 8 characters");
  } else {
    for (auto k : {"priv_protocol", "priv_password", "priv_password_file"})
      if (s.Has(k)) s.Error(k, std::string(k) + " needs security_level authPriv");
  }
}

void BindOid(config::Section& r, OidSpec* spec) {
  r.Required("oid").Required("name");
  r.String("oid", &spec->text, true)
      .String("name", &spec->name, true)
      .Bool("walk", &spec->walk)
      .Double("multiplier", &spec->multiplier, -1e300, 1e300)
      .Double("offset", &spec->offset, -1e300, 1e300)
      .Enum("kind", &spec->kind,
            {{"gauge", std::string("gauge")}, {"counter", std::string("counter")}});
  if (r.Has("name") && !IsFieldName(spec->name))
    r.Error("name", "\"" + spec->name + "\" must match [a-zA-Z_][a-zA-Z0-9_]* (at most 128)");
  if (r.Has("multiplier") && spec->multiplier == 0)
    r.Error("multiplier", "a multiplier of 0 would make every value 0");
  if (spec->kind == "counter") {
    if (r.Has("multiplier") && spec->multiplier != 1)
      r.Error("multiplier",
              "a counter is sent as read: no multiplier (rates are computed by strixd)");
    if (r.Has("offset") && spec->offset != 0)
      r.Error("offset", "a counter is sent as read: no offset");
  }
  if (!spec->text.empty()) {
    Result<Oid> oid = ResolveOid(spec->text);
    if (!oid.ok()) {
      r.Error("oid", std::string(oid.status().message()));
    } else {
      spec->oid = std::move(*oid);
    }
  }
}

// See BindSnmpTargets.
void BindTargetList(config::Section& s, TargetSpec proto, int64_t port,
                    std::vector<TargetSpec>* out) {
  CheckCredentials(s, proto.credentials);
  if (proto.credentials.version != Version::kV3) {
    proto.credentials.level = SecurityLevel::kNoAuthNoPriv;
  }

  std::vector<std::string> targets;
  s.Required("targets").StringList("targets", &targets);
  for (const std::string& t : targets) {
    TargetSpec spec = proto;
    if (!ParseTarget(t, static_cast<uint16_t>(port), &spec.target)) {
      s.Error("targets", "\"" + t + "\" is not host, host:port, [ipv6] or [ipv6]:port");
      continue;
    }
    bool dup = false;
    for (const TargetSpec& e : *out) dup |= e.target == spec.target;
    if (dup) {
      s.Error("targets", "target \"" + t + "\" is listed twice");
      continue;
    }
    out->push_back(std::move(spec));
  }
  if (s.Has("targets") && targets.empty()) s.Error("targets", "a group needs at least one target");
}

void BindGroup(config::Section& s, const TargetSpec& base, int64_t base_port,
               const std::string& base_measurement, bool named, SnmpGroup* g) {
  TargetSpec proto = base;
  int64_t port = base_port;
  if (named) {
    s.Required("name").String("name", &g->name, true);
    BindAccessKeys(s, &proto, &port);
  }
  g->measurement = base_measurement;
  s.String("measurement", &g->measurement, true);
  if (s.Has("measurement") && !IsFieldName(g->measurement))
    s.Error("measurement", "\"" + g->measurement + "\" must match [a-zA-Z_][a-zA-Z0-9_]*");
  BindTargetList(s, proto, port, &g->targets);

  std::set<std::string> names;
  s.Required("oids").List("oids", [&](config::Section& r, size_t) {
    OidSpec spec;
    BindOid(r, &spec);
    if (!spec.name.empty() && !names.insert(spec.name).second)
      r.Error("name", "duplicate name \"" + spec.name + "\" in measurement " + g->measurement);
    g->oids.push_back(std::move(spec));
  });
  if (s.Has("oids") && g->oids.empty()) s.Error("oids", "a group needs at least one oid");
}

std::string Trimmed(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  return s;
}

Result<std::string> ReadSecret(Env& env, const std::string& path) {
  STRIX_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> f, env.NewRandomAccessFile(path));
  STRIX_ASSIGN_OR_RETURN(uint64_t size, f->Size());
  if (size > 64 * 1024) return Status::InvalidArgument("larger than 64 KiB: not a secret");
  std::string buf(size, '\0');
  STRIX_ASSIGN_OR_RETURN(size_t n, f->ReadAt(0, size, buf.data()));
  buf.resize(n);
  return Trimmed(std::move(buf));
}

}  // namespace

void BindSnmpAccess(config::Section& s, TargetSpec* t, int64_t* port) {
  BindAccessKeys(s, t, port);
}

void BindSnmpTargets(config::Section& s, const TargetSpec& proto, int64_t port,
                     std::vector<TargetSpec>* out) {
  BindTargetList(s, proto, port, out);
}

std::string_view VersionName(Version v) {
  switch (v) {
    case Version::kV1:
      return "1";
    case Version::kV2c:
      return "2c";
    case Version::kV3:
      return "3";
  }
  return "?";
}

std::string_view SecurityLevelName(SecurityLevel l) {
  switch (l) {
    case SecurityLevel::kNoAuthNoPriv:
      return "noAuthNoPriv";
    case SecurityLevel::kAuthNoPriv:
      return "authNoPriv";
    case SecurityLevel::kAuthPriv:
      return "authPriv";
  }
  return "?";
}

std::string_view AuthProtocolName(AuthProtocol p) {
  switch (p) {
    case AuthProtocol::kNone:
      return "none";
    case AuthProtocol::kMd5:
      return "MD5";
    case AuthProtocol::kSha1:
      return "SHA";
    case AuthProtocol::kSha224:
      return "SHA-224";
    case AuthProtocol::kSha256:
      return "SHA-256";
    case AuthProtocol::kSha384:
      return "SHA-384";
    case AuthProtocol::kSha512:
      return "SHA-512";
  }
  return "?";
}

std::string_view PrivProtocolName(PrivProtocol p) {
  switch (p) {
    case PrivProtocol::kNone:
      return "none";
    case PrivProtocol::kDes:
      return "DES";
    case PrivProtocol::kAes128:
      return "AES-128";
    case PrivProtocol::kAes192:
      return "AES-192";
    case PrivProtocol::kAes256:
      return "AES-256";
  }
  return "?";
}

std::string Target::Label() const { return HostPortLabel(host, port, kDefaultPort); }

bool ParseTarget(std::string_view text, uint16_t default_port, Target* out) {
  return ParseHostPort(text, default_port, &out->host, &out->port);
}

void BindSnmpOptions(config::Section& s, SnmpOptions* o) {
  o->path = s.path();
  TargetSpec base;
  int64_t port = kDefaultPort;
  BindAccessKeys(s, &base, &port);
  std::string measurement = "snmp";
  s.Int("max_in_flight", &o->poller.max_in_flight, 1, 4096)
      .Int("max_oids_per_get", &o->poller.max_oids_per_get, 1, 128);
  if (s.Has("groups")) {
    for (auto k : {"targets", "oids"}) {
      if (s.Has(k))
        s.Error(k,
                std::string(k) + ": give groups, or one group's keys at the input level, not both");
      s.Ignore(k);
    }
    s.String("measurement", &measurement, true);
    std::set<std::string> names;
    s.List("groups", [&](config::Section& g, size_t) {
      SnmpGroup group;
      BindGroup(g, base, port, measurement, true, &group);
      if (!group.name.empty() && !names.insert(group.name).second)
        g.Error("name", "duplicate group name \"" + group.name + "\"");
      o->groups.push_back(std::move(group));
    });
    if (o->groups.empty()) s.Error("groups", "at least one group");
  } else {
    SnmpGroup group;
    group.name = "default";
    BindGroup(s, base, port, measurement, false, &group);
    o->groups.push_back(std::move(group));
  }
}

Status ResolveSnmpSecrets(Env& env, SnmpOptions* o) {
  std::map<std::string, std::string> cache;  // a file read once, whatever uses it
  auto read = [&](const char* key, const std::string& path, std::string* out) -> Status {
    if (path.empty()) return Status::Ok();
    auto it = cache.find(path);
    if (it == cache.end()) {
      Result<std::string> r = ReadSecret(env, path);
      if (!r.ok()) {
        return Status::InvalidArgument(o->path + ": " + key + ": " + path + ": " +
                                       std::string(r.status().message()));
      }
      if (r->empty())
        return Status::InvalidArgument(o->path + ": " + key + ": " + path + ": the file is empty");
      it = cache.emplace(path, std::move(*r)).first;
    }
    *out = it->second;
    return Status::Ok();
  };
  for (SnmpGroup& g : o->groups) {
    for (TargetSpec& t : g.targets) {
      Credentials& c = t.credentials;
      STRIX_RETURN_IF_ERROR(read("community_file", c.community_file, &c.community));
      STRIX_RETURN_IF_ERROR(read("auth_password_file", c.auth_password_file, &c.auth_password));
      STRIX_RETURN_IF_ERROR(read("priv_password_file", c.priv_password_file, &c.priv_password));
      if (c.version == Version::kV3) {
        if (!c.auth_password_file.empty() && c.auth_password.size() < kMinV3PasswordLength)
          return Status::InvalidArgument(o->path + ": auth_password_file: " + c.auth_password_file +
                                         ": a v3 password needs at least 8 characters");
        if (!c.priv_password_file.empty() && c.priv_password.size() < kMinV3PasswordLength)
          return Status::InvalidArgument(o->path + ": priv_password_file: " + c.priv_password_file +
                                         ": a v3 password needs at least 8 characters");
      }
    }
  }
  return Status::Ok();
}

}  // namespace strix::agents::snmp
