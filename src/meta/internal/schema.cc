// The metadata schema's migrations (append-only; docs/format/meta.md mirrors them) and
// the loop that applies them. See schema.h.
#include "meta/internal/schema.h"

#include <fmt/format.h>

#include <string>

#include "core/log.h"

namespace strix::meta::internal {
namespace {

// Never edit a released step: add a new one at the end. Every table is STRICT (declared
// types are enforced). Times are integers in milliseconds since the Unix epoch (UTC).
constexpr Migration kMigrations[] = {
    {"hosts, host tags and API tokens",
     R"sql(
PRAGMA application_id = 1398035032;  -- 0x53545258, "STRX"

CREATE TABLE hosts (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE CHECK (name <> ''),
  first_seen_ms INTEGER,
  last_seen_ms  INTEGER
) STRICT;

CREATE TABLE host_tags (
  host_id INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  key     TEXT NOT NULL CHECK (key <> ''),
  value   TEXT NOT NULL,
  PRIMARY KEY (host_id, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX host_tags_by_key_value ON host_tags (key, value);

CREATE TABLE tokens (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  scopes          INTEGER NOT NULL CHECK (scopes > 0),
  secret_hash     BLOB NOT NULL CHECK (length(secret_hash) = 32),
  created_by      TEXT,
  created_at_ms   INTEGER NOT NULL,
  expires_at_ms   INTEGER,
  last_used_at_ms INTEGER,
  revoked_at_ms   INTEGER
) STRICT, WITHOUT ROWID;
)sql"},
    {"users",
     R"sql(
CREATE TABLE users (
  name           TEXT PRIMARY KEY CHECK (name <> ''),
  role           INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),
  password_hash  TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  created_at_ms  INTEGER NOT NULL,
  last_login_ms  INTEGER,
  disabled_at_ms INTEGER
) STRICT, WITHOUT ROWID;
)sql"},
    {"browser sessions",
     R"sql(
CREATE TABLE sessions (
  id            TEXT PRIMARY KEY,
  secret_hash   BLOB NOT NULL CHECK (length(secret_hash) = 32),
  user_name     TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
  csrf          TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_by_user ON sessions (user_name);
)sql"},
};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

namespace {

Result<int64_t> CheckSchemaSnapshot(Connection* conn) {
  const int64_t latest = LatestSchemaVersion();
  // The first statements read the file header: a file that is not a database fails here.
  STRIX_ASSIGN_OR_RETURN(int64_t app_id, conn->QueryInt("PRAGMA application_id"));
  STRIX_ASSIGN_OR_RETURN(int64_t version, conn->QueryInt("PRAGMA user_version"));
  if (app_id != kApplicationId) {
    if (app_id != 0) {
      return Status::FailedPrecondition(
          fmt::format("meta: not a Strix metadata database (application_id {:#x}, want {:#x})",
                      app_id, kApplicationId),
          conn->path());
    }
    STRIX_ASSIGN_OR_RETURN(int64_t objects, conn->QueryInt("SELECT count(*) FROM sqlite_schema"));
    if (version != 0 || objects != 0) {
      return Status::FailedPrecondition(
          "meta: not a Strix metadata database (it holds other tables and no Strix "
          "application_id)",
          conn->path());
    }
  }
  if (version > latest) {
    return Status::FailedPrecondition(
        fmt::format("meta: database schema version {} is newer than this build's {}: "
                    "upgrade Strix",
                    version, latest),
        conn->path());
  }
  return version;
}

}  // namespace

Result<int64_t> CheckSchema(Connection* conn) {
  // One read transaction, so the three reads see one state of the file: another process
  // migrating a new file at the same moment must not be seen half-way (tables there, the
  // application_id not yet), which would look like another application's database.
  STRIX_RETURN_IF_ERROR(conn->Exec("BEGIN"));
  Result<int64_t> r = CheckSchemaSnapshot(conn);
  Status end = conn->Exec(r.ok() ? "COMMIT" : "ROLLBACK");
  if (r.ok() && !end.ok()) return end;
  return r;
}

Result<int64_t> Migrate(Connection* conn) {
  const int64_t latest = LatestSchemaVersion();
  int64_t version = 0;
  for (;;) {
    Transaction txn(conn);
    STRIX_RETURN_IF_ERROR(txn.Begin());
    // Re-read under the write lock: another process may have migrated meanwhile.
    STRIX_ASSIGN_OR_RETURN(version, conn->QueryInt("PRAGMA user_version"));
    if (version >= latest) break;  // the transaction rolls back (it wrote nothing)
    const Migration& m = kMigrations[version];
    Status st = conn->Exec(m.sql);
    if (!st.ok()) return st.WithContext(fmt::format("migration {}", version + 1));
    std::string bump = fmt::format("PRAGMA user_version = {}", version + 1);
    STRIX_RETURN_IF_ERROR(conn->Exec(bump.c_str()));
    STRIX_RETURN_IF_ERROR(txn.Commit());
    STRIX_LOG(kInfo, "meta: applied schema migration", "path", conn->path(), "version", version + 1,
              "what", m.description);
  }
  if (version > latest) {  // raced with a newer build
    return Status::FailedPrecondition(
        fmt::format("meta: database schema version {} is newer than this build's {}", version,
                    latest),
        conn->path());
  }
  return version;
}

}  // namespace strix::meta::internal
