// Who is making a request, once authenticated: the Principal that MetaStore::VerifyToken
// returns (and, in a later issue, a browser session lookup), with its Scopes.
//
// Scopes and what they allow (docs/format/meta.md, "Scopes"):
//   ingest  write samples (every ingest endpoint)
//   read    query samples and metadata (REST, GraphQL, PromQL, /fetch/*)
//   admin   change metadata (tokens, host tags; later users, alert rules, dashboards),
//           and everything `read` allows
// admin implies read; ingest is separate and implied by nothing, so an admin token cannot
// push samples unless it was also granted ingest, and a leaked agent (ingest) token can
// neither read nor administer. A token holds the scopes it was granted (Contains); access
// checks use the effective set (Allows).
//
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/result.h"

namespace strix::meta {

// The bit of each scope in Scopes::bits() and in the tokens.scopes column.
enum class Scope : uint8_t {
  kIngest = 1,
  kRead = 2,
  kAdmin = 4,
};

// "ingest", "read" or "admin".
std::string_view ScopeName(Scope scope);

class Scopes {
 public:
  static constexpr uint32_t kKnownBits = 7;

  constexpr Scopes() = default;
  constexpr Scopes(std::initializer_list<Scope> scopes) {
    for (Scope s : scopes) bits_ |= static_cast<uint8_t>(s);
  }
  // From the stored mask; bits that name no scope are dropped (they would grant nothing).
  static constexpr Scopes FromBits(uint32_t bits) {
    Scopes s;
    s.bits_ = static_cast<uint8_t>(bits & kKnownBits);
    return s;
  }
  // A comma-separated list of scope names ("ingest,read"; spaces around names allowed,
  // repeats harmless). InvalidArgument for an unknown name or an empty list.
  static Result<Scopes> Parse(std::string_view text);

  constexpr uint32_t bits() const { return bits_; }
  constexpr bool empty() const { return bits_ == 0; }
  // Granted explicitly.
  constexpr bool Contains(Scope s) const { return (bits_ & static_cast<uint8_t>(s)) != 0; }
  // Granted, or implied by a granted scope (admin implies read).
  constexpr bool Allows(Scope s) const {
    if (Contains(s)) return true;
    return s == Scope::kRead && Contains(Scope::kAdmin);
  }
  // The granted scopes in the fixed order ingest, read, admin: "ingest,admin". "" if empty.
  std::string ToString() const;

  friend constexpr bool operator==(Scopes a, Scopes b) { return a.bits_ == b.bits_; }

 private:
  uint8_t bits_ = 0;
};

// A user's role (docs/format/meta.md, "Users"). viewer: read everything; editor: also edit
// host tags (and later dashboards, downtimes); admin: everything, users and tokens too.
enum class Role : uint8_t {
  kViewer = 1,
  kEditor = 2,
  kAdmin = 3,
};

// "viewer", "editor" or "admin".
std::string_view RoleName(Role role);
// The inverse of RoleName; InvalidArgument names the valid roles.
Result<Role> ParseRole(std::string_view name);

enum class PrincipalKind : uint8_t {
  kToken,    // an API token (Authorization: Bearer strix_...)
  kSession,  // a browser session of a logged-in user (a later issue)
};

struct Principal {
  PrincipalKind kind = PrincipalKind::kToken;
  std::string id;    // the token's public id (kToken), or the session's id (kSession)
  std::string name;  // the token's name, e.g. "agent web-01"
  Scopes scopes;     // as granted; check access with Allows()
  std::string user;  // the logged-in user of a session; empty for tokens (unused for now)

  bool Allows(Scope s) const { return scopes.Allows(s); }
};

}  // namespace strix::meta
