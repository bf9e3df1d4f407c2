// Scope names and parsing. See principal.h.
#include "meta/principal.h"

#include <string>

namespace strix::meta {
namespace {

constexpr Scope kAllScopes[] = {Scope::kIngest, Scope::kRead, Scope::kAdmin};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kIngest:
      return "ingest";
    case Scope::kRead:
      return "read";
    case Scope::kAdmin:
      return "admin";
  }
  return "unknown";
}

Result<Scopes> Scopes::Parse(std::string_view text) {
  Scopes out;
  std::string_view rest = text;
  for (;;) {
    size_t comma = rest.find(',');
    std::string_view name = Trim(rest.substr(0, comma));
    bool found = false;
    for (Scope s : kAllScopes) {
      if (name == ScopeName(s)) {
        out.bits_ |= static_cast<uint8_t>(s);
        found = true;
      }
    }
    if (!found) {
      return Status::InvalidArgument("unknown scope (want ingest, read or admin)",
                                     "scope \"" + std::string(name) + "\"");
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

std::string Scopes::ToString() const {
  std::string out;
  for (Scope s : kAllScopes) {
    if (!Contains(s)) continue;
    if (!out.empty()) out += ',';
    out += ScopeName(s);
  }
  return out;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kEditor:
      return "editor";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kViewer, Role::kEditor, Role::kAdmin}) {
    if (name == RoleName(r)) return r;
  }
  return Status::InvalidArgument("unknown role (want viewer, editor or admin)", name);
}

}  // namespace strix::meta
