// check-config and token subcommands: see admin.h.
#include "admin.h"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>

#include "core/config.h"
#include "core/env.h"
#include "meta/meta_store.h"
#include "server/config.h"

namespace strix::tools {
namespace {

Result<std::string> MetaPath(const MetaLocation& loc) {
  if (!loc.config_path.empty()) {
    STRIX_ASSIGN_OR_RETURN(server::StrixdConfig c,
                           server::LoadConfig(Env::Default(), loc.config_path));
    return c.MetadataPath();
  }
  return server::DefaultConfig(loc.data_dir).MetadataPath();
}

Result<std::unique_ptr<meta::MetaStore>> OpenMeta(const MetaLocation& loc) {
  STRIX_ASSIGN_OR_RETURN(std::string path, MetaPath(loc));
  const std::string dir =
      path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  if (!dir.empty()) STRIX_RETURN_IF_ERROR(Env::Default().CreateDirs(dir));
  return meta::MetaStore::Open(path);
}

std::string FormatTime(std::optional<int64_t> ms) {
  if (!ms) return "-";
  std::time_t t = static_cast<std::time_t>(*ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "strix: %s\n", s.ToString().c_str());
  return 1;
}

// One line from standard input; on a terminal with a prompt and without echo.
std::optional<std::string> ReadLine(const char* prompt, bool tty) {
  termios old{};
  if (tty) {
    std::fprintf(stderr, "%s", prompt);
    std::fflush(stderr);
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  const bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  }
  if (!ok) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The new password: typed twice on a terminal, else the first line of standard input
// (for scripts: `printf '%s\n' "$PW" | strix user add ...`). Never a command-line argument,
// which other users could read in the process list.
Result<std::string> ReadNewPassword() {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  std::optional<std::string> pw = ReadLine("password: ", tty);
  if (!pw) return Status::InvalidArgument("no password on standard input");
  if (tty) {
    std::optional<std::string> again = ReadLine("password again: ", tty);
    if (!again || *again != *pw) return Status::InvalidArgument("the passwords differ");
  }
  return *pw;
}

}  // namespace

int CheckConfig(const std::string& path) {
  Result<server::StrixdConfig> c = server::LoadConfig(Env::Default(), path);
  if (!c.ok()) {
    std::fprintf(stderr, "%s\n", std::string(c.status().message()).c_str());
    return 1;
  }
  std::printf("%s: ok (api %s:%u, pattoo %s, data_dir %s)\n", path.c_str(), c->api.address.c_str(),
              c->api.port, c->pattoo.enabled ? "enabled" : "off", c->data_dir.c_str());
  return 0;
}

int TokenCreate(const MetaLocation& loc, const std::string& name, const std::string& scopes,
                const std::string& expires) {
  Result<meta::Scopes> sc = meta::Scopes::Parse(scopes);
  if (!sc.ok()) return Fail(sc.status());
  meta::TokenOptions opts;
  opts.created_by = "cli";
  if (!expires.empty()) {
    Result<int64_t> d = config::ParseDuration(expires);
    if (!d.ok()) return Fail(d.status());
    opts.expires_at_ms = Clock::Real().NowMillis() + *d;
  }
  auto m = OpenMeta(loc);
  if (!m.ok()) return Fail(m.status());
  Result<meta::NewToken> t = (*m)->CreateToken(name, *sc, opts);
  if (!t.ok()) return Fail(t.status());
  std::printf("%s\n", t->plaintext.c_str());
  std::fprintf(stderr,
               "token %s (%s) created with scopes %s. It is shown only now: store it safely.\n"
               "Use it as: Authorization: Bearer <token>\n",
               t->info.id.c_str(), t->info.name.c_str(), t->info.scopes.ToString().c_str());
  return (*m)->Close().ok() ? 0 : 1;
}

int TokenList(const MetaLocation& loc) {
  auto m = OpenMeta(loc);
  if (!m.ok()) return Fail(m.status());
  auto list = (*m)->ListTokens();
  if (!list.ok()) return Fail(list.status());
  std::printf("%-14s %-20s %-18s %-20s %-20s %s\n", "ID", "NAME", "SCOPES", "CREATED", "LAST USED",
              "STATE");
  for (const meta::TokenInfo& t : *list) {
    std::string state = t.revoked() ? "revoked " + FormatTime(t.revoked_at_ms)
                        : t.expires_at_ms && *t.expires_at_ms <= Clock::Real().NowMillis()
                            ? "expired"
                            : "active";
    std::printf("%-14s %-20s %-18s %-20s %-20s %s\n", t.id.c_str(), t.name.c_str(),
                t.scopes.ToString().c_str(), FormatTime(t.created_at_ms).c_str(),
                FormatTime(t.last_used_at_ms).c_str(), state.c_str());
  }
  return (*m)->Close().ok() ? 0 : 1;
}

int TokenRevoke(const MetaLocation& loc, const std::string& id) {
  auto m = OpenMeta(loc);
  if (!m.ok()) return Fail(m.status());
  Status st = (*m)->RevokeToken(id);
  if (!st.ok()) return Fail(st);
  std::printf("token %s revoked\n", id.c_str());
  return (*m)->Close().ok() ? 0 : 1;
}

int UserAdd(const MetaLocation& loc, const std::string& name, const std::string& role) {
  Result<meta::Role> r = meta::ParseRole(role);
  if (!r.ok()) return Fail(r.status());
  auto m = OpenMeta(loc);
  if (!m.ok()) return Fail(m.status());
  Result<std::string> pw = ReadNewPassword();
  if (!pw.ok()) return Fail(pw.status());
  Result<meta::UserInfo> u = (*m)->CreateUser(name, *r, *pw);
  if (!u.ok()) return Fail(u.status());
  std::printf("user %s created with role %s\n", u->name.c_str(),
              std::string(meta::RoleName(u->role)).c_str());
  return (*m)->Close().ok() ? 0 : 1;
}

int UserPasswd(const MetaLocation& loc, const std::string& name) {
  auto m = OpenMeta(loc);
  if (!m.ok()) return Fail(m.status());
  Result<std::string> pw = ReadNewPassword();
  if (!pw.ok()) return Fail(pw.status());
  Status st = (*m)->SetPassword(name, *pw);
  if (!st.ok()) return Fail(st);
  std::printf("password of %s changed\n", name.c_str());
  return (*m)->Close().ok() ? 0 : 1;
}

int UserList(const MetaLocation& loc) {
  auto m = OpenMeta(loc);
  if (!m.ok()) return Fail(m.status());
  auto list = (*m)->ListUsers();
  if (!list.ok()) return Fail(list.status());
  std::printf("%-24s %-8s %-20s %-20s %s\n", "NAME", "ROLE", "CREATED", "LAST LOGIN", "STATE");
  for (const meta::UserInfo& u : *list) {
    std::printf("%-24s %-8s %-20s %-20s %s\n", u.name.c_str(),
                std::string(meta::RoleName(u.role)).c_str(), FormatTime(u.created_at_ms).c_str(),
                FormatTime(u.last_login_ms).c_str(),
                u.disabled_at_ms ? ("disabled " + FormatTime(u.disabled_at_ms)).c_str() : "active");
  }
  return (*m)->Close().ok() ? 0 : 1;
}

int UserRole(const MetaLocation& loc, const std::string& name, const std::string& role) {
  Result<meta::Role> r = meta::ParseRole(role);
  if (!r.ok()) return Fail(r.status());
  auto m = OpenMeta(loc);
  if (!m.ok()) return Fail(m.status());
  Status st = (*m)->SetUserRole(name, *r);
  if (!st.ok()) return Fail(st);
  std::printf("user %s is now %s\n", name.c_str(), std::string(meta::RoleName(*r)).c_str());
  return (*m)->Close().ok() ? 0 : 1;
}

int UserDisable(const MetaLocation& loc, const std::string& name, bool disabled) {
  auto m = OpenMeta(loc);
  if (!m.ok()) return Fail(m.status());
  Status st = (*m)->SetUserDisabled(name, disabled);
  if (!st.ok()) return Fail(st);
  std::printf(disabled ? "user %s disabled; its sessions ended\n" : "user %s enabled\n",
              name.c_str());
  return (*m)->Close().ok() ? 0 : 1;
}

int UserDelete(const MetaLocation& loc, const std::string& name) {
  auto m = OpenMeta(loc);
  if (!m.ok()) return Fail(m.status());
  Status st = (*m)->DeleteUser(name);
  if (!st.ok()) return Fail(st);
  std::printf("user %s deleted\n", name.c_str());
  return (*m)->Close().ok() ? 0 : 1;
}

}  // namespace strix::tools
