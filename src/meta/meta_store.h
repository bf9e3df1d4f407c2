// MetaStore: everything of Strix that is not samples, in one SQLite database
// (docs/format/meta.md): hosts and their tags, API tokens; later users, sessions, alert
// rules, downtimes and dashboards (each a new migration in internal/schema.cc).
//
// Two processes open the same file: strixd, and the `strix` admin CLI while strixd runs.
// The database is in WAL mode, so readers never wait for a writer, and every write is a
// BEGIN IMMEDIATE transaction that waits up to busy_timeout_ms for the other process's
// write lock. Nothing that another process may change is cached: VerifyToken reads the
// token's row on every call, so a revocation made by the CLI holds from the next request.
//
// Two hot paths are kept off the disk:
//  * TouchHosts (every ingest batch) updates an in-memory map of known hosts; only a host
//    never seen before is written at once (so /fetch/hosts lists it). first/last seen
//    times are persisted by FlushActivity, in one transaction, every few seconds.
//  * VerifyToken (every request) is one prepared point query plus a BLAKE2b hash. A
//    token's last_used_at is recorded in memory and written by FlushActivity at most once
//    a minute per token (kLastUsedResolutionMs).
//
//   STRIX_ASSIGN_OR_RETURN(std::unique_ptr<MetaStore> meta, MetaStore::Open(path, {}));
//   STRIX_ASSIGN_OR_RETURN(NewToken t, meta->CreateToken("agent web-01", {Scope::kIngest}));
//   print(t.plaintext);                       // shown once, never stored
//   Result<Principal> who = meta->VerifyToken(bearer);
//   if (!who.ok() || !who->Allows(Scope::kIngest)) reject();
//
// Thread-safety: every method may be called from any thread, except Close() (and the
// destructor), which must not run concurrently with other calls. Internally there are two
// SQLite connections, each behind its own Mutex: a query-only reader (VerifyToken, Get*,
// List*) and a writer (everything that writes), so that a write waiting for the CLI's
// lock never delays a token check. Lock order: writer_mu_ before hosts_mu_ and
// tokens_mu_; reader_mu_ is never held with another lock, except by Close().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/result.h"
#include "core/status.h"
#include "meta/principal.h"
#include "meta/token.h"

namespace strix::meta {

namespace internal {
class Connection;
}  // namespace internal

struct MetaStoreOptions {
  // How long a write waits for another process's (or connection's) write lock before
  // failing with kUnavailable. The CLI and strixd hold it for milliseconds.
  int busy_timeout_ms = 5000;
  // PRAGMA synchronous: FULL (true) fsyncs the WAL at every commit, so a created or
  // revoked token survives a power cut; NORMAL (false) only at checkpoints (a crash of the
  // process never loses a commit either way).
  bool synchronous_full = true;
  // Run PRAGMA quick_check at open and refuse a damaged database (kDataLoss). Costs a
  // read of the whole file: milliseconds for a metadata database.
  bool quick_check_on_open = true;
  // Source of created_at, revoked_at, last_used_at and expiry checks. Null: Clock::Real().
  Clock* clock = nullptr;
};

// Limits on stored strings, in bytes (all must be valid UTF-8).
inline constexpr size_t kMaxHostNameBytes = 4096;  // a label value's limit
inline constexpr size_t kMaxTagKeyBytes = 128;     // a label name's limit
inline constexpr size_t kMaxTagValueBytes = 4096;
inline constexpr size_t kMaxTagsPerHost = 256;
inline constexpr size_t kMaxTokenNameBytes = 256;
inline constexpr size_t kMaxCreatedByBytes = 256;

// last_used_at_ms is written when it would move by at least this much.
inline constexpr int64_t kLastUsedResolutionMs = 60'000;

// A token as listed (never its secret or hash).
struct TokenInfo {
  std::string id;          // public id, the <id> of strix_<id>_<secret>
  std::string name;        // free text given at creation
  Scopes scopes;           // as granted
  std::string created_by;  // who created it ("cli", a user name); may be empty
  int64_t created_at_ms = 0;
  std::optional<int64_t> expires_at_ms;    // none: never expires
  std::optional<int64_t> last_used_at_ms;  // to the minute; none: never used
  std::optional<int64_t> revoked_at_ms;    // none: not revoked

  bool revoked() const { return revoked_at_ms.has_value(); }
};

struct TokenOptions {
  std::string created_by;
  std::optional<int64_t> expires_at_ms;  // must be in the future
};

// The result of CreateToken: the only time the plaintext exists outside its holder.
struct NewToken {
  std::string plaintext;  // strix_<id>_<secret>
  TokenInfo info;
};

// User names: 1 to kMaxUserNameBytes of [a-zA-Z0-9._@-]. Passwords: kMinPasswordBytes to
// kMaxPasswordBytes of UTF-8.
inline constexpr size_t kMaxUserNameBytes = 64;
inline constexpr size_t kMinPasswordBytes = 10;
inline constexpr size_t kMaxPasswordBytes = 1024;

// A user as listed (never the password hash).
struct UserInfo {
  std::string name;
  Role role = Role::kViewer;
  int64_t created_at_ms = 0;
  std::optional<int64_t> last_login_ms;   // none: never logged in
  std::optional<int64_t> disabled_at_ms;  // none: may log in
};

// A logged-in browser session (docs/format/meta.md, "Sessions").
struct SessionInfo {
  std::string id;    // public id (the <id> of the cookie value)
  std::string user;  // the user it belongs to
  Role role = Role::kViewer;
  std::string csrf;  // the value every write must carry in X-CSRF-Token
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
};

// The result of CreateSession: the cookie value exists only here and in the browser.
struct NewSession {
  std::string cookie;  // strix_<id>_<secret>, hashed with the session domain
  SessionInfo info;
};

// (host, time of the newest sample seen for it) as reported by one ingest batch.
struct HostSeen {
  std::string_view host;
  int64_t seen_ms = 0;
};

using Tags = std::map<std::string, std::string>;

struct Host {
  std::string name;  // the value of the `host` label
  Tags tags;
  // Earliest and latest sample time reported through TouchHosts (none for a host created
  // by SetHostTags that has sent nothing yet).
  std::optional<int64_t> first_seen_ms;
  std::optional<int64_t> last_seen_ms;
};

class MetaStore {
 public:
  // Opens (creating it if absent) the database at `path`: WAL mode, foreign keys on,
  // busy timeout set, migrations applied. The parent directory must exist. Errors name
  // the path: kDataLoss for a file that is not a database or is damaged,
  // kFailedPrecondition for another application's database or a schema newer than this
  // build, kNotFound / kPermissionDenied when the file cannot be opened.
  static Result<std::unique_ptr<MetaStore>> Open(const std::string& path,
                                                 const MetaStoreOptions& options = {});
  // Close()s, logging a failure.
  ~MetaStore();
  MetaStore(const MetaStore&) = delete;
  MetaStore& operator=(const MetaStore&) = delete;

  // Flushes pending activity and closes the database. Further calls fail with
  // kFailedPrecondition. Idempotent. Not concurrent with any other call.
  Status Close() STRIX_EXCLUDES(writer_mu_, reader_mu_, hosts_mu_, tokens_mu_);

  const std::string& path() const { return path_; }
  // The schema version (PRAGMA user_version) after migrations.
  int64_t schema_version() const { return schema_version_; }

  // ---- API tokens

  // Creates a token. `name`: 1 to kMaxTokenNameBytes of UTF-8; `scopes` not empty.
  Result<NewToken> CreateToken(std::string_view name, Scopes scopes,
                               const TokenOptions& options = {}) STRIX_EXCLUDES(writer_mu_);
  // The principal of a valid token, else kUnauthenticated with one of these messages:
  // "malformed token" (not strix_<id>_<secret>), "invalid token" (unknown id or wrong
  // secret: the two are indistinguishable), "token revoked", "token expired" (these two
  // only for the right secret). Other errors are the database's (kUnavailable, ...).
  Result<Principal> VerifyToken(std::string_view plaintext) STRIX_EXCLUDES(reader_mu_, tokens_mu_);
  // Every token, revoked ones included, by creation time then id.
  Result<std::vector<TokenInfo>> ListTokens() STRIX_EXCLUDES(reader_mu_, tokens_mu_);
  // Marks a token revoked (idempotent). kNotFound for an unknown id.
  Status RevokeToken(std::string_view id) STRIX_EXCLUDES(writer_mu_);

  // ---- Users (passwords hashed with argon2id; docs/format/meta.md, "Users")

  // kAlreadyExists for a taken name; kInvalidArgument for a bad name or password.
  Result<UserInfo> CreateUser(std::string_view name, Role role, std::string_view password)
      STRIX_EXCLUDES(writer_mu_);
  // The user, when the password is right and the user is not disabled; records the login
  // time. Else kUnauthenticated("invalid user name or password"), the same for an unknown
  // user and a wrong password (both cost one argon2id verification); "user disabled"
  // only with the right password.
  Result<UserInfo> VerifyPassword(std::string_view name, std::string_view password)
      STRIX_EXCLUDES(reader_mu_, writer_mu_);
  // Also ends the user's sessions. kNotFound for an unknown user.
  Status SetPassword(std::string_view name, std::string_view password) STRIX_EXCLUDES(writer_mu_);
  // Changes a user's role; it holds from the session's next request. kNotFound.
  Status SetUserRole(std::string_view name, Role role) STRIX_EXCLUDES(writer_mu_);
  // Disables a user (and ends its sessions) or enables it again. kNotFound.
  Status SetUserDisabled(std::string_view name, bool disabled) STRIX_EXCLUDES(writer_mu_);
  // Deletes a user; its sessions go with it. kNotFound.
  Status DeleteUser(std::string_view name) STRIX_EXCLUDES(writer_mu_);
  // Every user, by name.
  Result<std::vector<UserInfo>> ListUsers() STRIX_EXCLUDES(reader_mu_);

  // ---- Browser sessions

  // A new session for an existing, enabled user, valid for ttl_ms (> 0). kNotFound.
  Result<NewSession> CreateSession(std::string_view user, int64_t ttl_ms)
      STRIX_EXCLUDES(reader_mu_, writer_mu_);
  // The session of a cookie value, with its user's current role. Else kUnauthenticated:
  // "invalid session" (malformed, unknown, wrong secret, or its user is gone: all alike),
  // "session expired", "user disabled".
  Result<SessionInfo> VerifySession(std::string_view cookie) STRIX_EXCLUDES(reader_mu_);
  // Ends the session of a cookie value (logout); OK when it is already gone.
  Status DeleteSession(std::string_view cookie) STRIX_EXCLUDES(writer_mu_);
  // Ends every session of a user (after a password change); returns how many.
  Result<int64_t> DeleteUserSessions(std::string_view user) STRIX_EXCLUDES(writer_mu_);
  // Deletes expired sessions; returns how many.
  Result<int64_t> DeleteExpiredSessions() STRIX_EXCLUDES(writer_mu_);

  // ---- Hosts

  // Records that each host sent samples up to seen_ms. Known hosts: memory only. Hosts
  // not yet in the database are inserted at once (one transaction). An invalid name (not
  // UTF-8, empty, too long) is skipped and reported as kInvalidArgument after the others
  // are recorded.
  Status TouchHosts(std::span<const HostSeen> seen) STRIX_EXCLUDES(writer_mu_, hosts_mu_);
  // Writes pending first/last-seen times and token last-used times in one transaction.
  // On failure they stay pending for the next call. strixd calls it every few seconds and
  // at shutdown; Close() calls it too.
  Status FlushActivity() STRIX_EXCLUDES(writer_mu_, hosts_mu_, tokens_mu_);
  // Replaces the host's tags with `tags` (an empty map removes them all), creating the
  // host if needed. kInvalidArgument: empty key, invalid UTF-8, a kMax* limit exceeded.
  Status SetHostTags(std::string_view host, const Tags& tags) STRIX_EXCLUDES(writer_mu_);
  // A host with its tags; seen times include activity not flushed yet. kNotFound.
  Result<Host> GetHost(std::string_view host) STRIX_EXCLUDES(reader_mu_, hosts_mu_);
  // Every host, by name.
  Result<std::vector<Host>> ListHosts() STRIX_EXCLUDES(reader_mu_, hosts_mu_);
  // Deletes a host and its tags. kNotFound for an unknown host. A host that still sends
  // samples reappears with its next batch (its tags do not).
  Status RemoveHost(std::string_view host) STRIX_EXCLUDES(writer_mu_, hosts_mu_);

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // A host's seen times as this process knows them. Invariant: when dirty, the
  // database may hold an older first_seen or last_seen (or no row at all).
  struct HostActivity {
    int64_t first_seen_ms;
    int64_t last_seen_ms;
    bool dirty;
  };

  MetaStore(std::string path, const MetaStoreOptions& options);
  Status OpenConnections();
  Result<int64_t> DeleteUserSessionsLocked(std::string_view user) STRIX_REQUIRES(writer_mu_);
  Status InsertNewHosts(std::span<const HostSeen> hosts) STRIX_EXCLUDES(writer_mu_, hosts_mu_);
  Status FlushActivityLocked() STRIX_REQUIRES(writer_mu_) STRIX_EXCLUDES(hosts_mu_, tokens_mu_);
  // Adds activity this process has not flushed yet to hosts read from the database.
  void MergeActivity(std::span<Host> hosts) STRIX_EXCLUDES(hosts_mu_);

  const std::string path_;
  const MetaStoreOptions options_;
  Clock& clock_;
  int64_t schema_version_ = 0;  // set once in Open

  Mutex writer_mu_;
  std::unique_ptr<internal::Connection> writer_ STRIX_GUARDED_BY(writer_mu_);

  Mutex reader_mu_;
  std::unique_ptr<internal::Connection> reader_ STRIX_GUARDED_BY(reader_mu_);

  Mutex hosts_mu_;
  std::unordered_map<std::string, HostActivity, StringHash, std::equal_to<>> hosts_
      STRIX_GUARDED_BY(hosts_mu_);

  Mutex tokens_mu_;
  // Token id -> time of its latest use, for tokens whose stored last_used_at_ms is at
  // least kLastUsedResolutionMs older. Emptied by FlushActivity.
  std::unordered_map<std::string, int64_t> token_used_ STRIX_GUARDED_BY(tokens_mu_);
};

}  // namespace strix::meta
