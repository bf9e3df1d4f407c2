// The metadata database's schema as an ordered list of migrations, and the code that
// brings a database up to date (docs/format/meta.md, "Migrations").
//
// Migration i (1-based) takes a database from PRAGMA user_version i-1 to i. Each runs in
// its own BEGIN IMMEDIATE transaction, which re-reads user_version first, so two
// processes opening the same file at once (strixd and the strix CLI) apply each step
// exactly once. Steps are append-only: a released step is never edited; a later issue
// that needs a table or a column adds a step at the end of kMigrations (schema.cc).
//
// Thread-safety: Migrate() uses the Connection it is given, which the caller owns.
#pragma once

#include <cstdint>
#include <span>

#include "core/status.h"
#include "meta/internal/sqlite.h"

namespace strix::meta::internal {

// PRAGMA application_id of a Strix metadata database: "STRX" in ASCII.
inline constexpr int64_t kApplicationId = 0x53545258;

struct Migration {
  const char* description;  // one line, for the log
  const char* sql;          // one or more statements
};

// The migrations, in order; size() is the schema version this build writes.
std::span<const Migration> Migrations();
inline int64_t LatestSchemaVersion() { return static_cast<int64_t>(Migrations().size()); }

// Checks, without writing anything, that `conn` is an empty database or a Strix metadata
// database of a version this build knows; returns its version. Errors: kDataLoss (not a
// database), kFailedPrecondition (another application's database, or a schema newer than
// this build), SQLite errors otherwise.
Result<int64_t> CheckSchema(Connection* conn);

// Applies the missing migrations, one transaction each, and returns the resulting
// version. Call after CheckSchema.
Result<int64_t> Migrate(Connection* conn);

}  // namespace strix::meta::internal
