// Thin RAII wrappers over the SQLite C API for the metadata store: a Connection (one
// sqlite3 handle with its prepared statements cached by SQL text), a Stmt (bind, step,
// read columns; reset automatically by StmtScope so that no statement keeps a read
// snapshot open between calls), a Transaction (BEGIN IMMEDIATE, rollback unless
// committed) and the mapping of SQLite result codes to Status codes.
//
// Every error Status names the database path in its context, and says which operation
// failed: "meta: step failed: database is locked (SQLITE_BUSY)" with context the path.
//
// Thread-safety: none. A Connection and its statements are used by one thread at a time;
// MetaStore guards each Connection with its own Mutex. SQLite itself runs in multi-thread
// mode for these handles (SQLITE_OPEN_NOMUTEX): the caller's lock is the only one.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "core/status.h"

namespace strix::meta::internal {

// Maps a SQLite result code to a Status: SQLITE_NOTADB and SQLITE_CORRUPT -> kDataLoss
// ("file is not a database"), SQLITE_BUSY/LOCKED -> kUnavailable (another process held
// the write lock for longer than busy_timeout), SQLITE_FULL -> kResourceExhausted,
// SQLITE_PERM/READONLY/AUTH -> kPermissionDenied, SQLITE_CANTOPEN -> kNotFound or
// kPermissionDenied by errno, SQLITE_CONSTRAINT -> kFailedPrecondition, else kInternal.
// `what` names the operation; the message adds SQLite's own text; the context is `path`.
Status SqliteStatus(sqlite3* db, int rc, std::string_view what, std::string_view path);

class Stmt {
 public:
  Stmt(sqlite3_stmt* stmt, const std::string* path) : stmt_(stmt), path_(path) {}
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Parameters are numbered from 1, as in SQLite. Text and blobs are bound without a
  // copy (SQLITE_STATIC): the bytes must stay valid until Reset(), which StmtScope calls
  // (it clears the bindings), so bind only views that outlive the StmtScope.
  void BindInt64(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindText(int i, std::string_view v) {
    sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
  }
  void BindBlob(int i, std::span<const uint8_t> v) {
    sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_STATIC);
  }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  void BindOptionalInt64(int i, std::optional<int64_t> v) {
    if (v) {
      BindInt64(i, *v);
    } else {
      BindNull(i);
    }
  }

  // Advances: true when a row is available, false when done.
  Result<bool> Step();
  // Steps a statement that returns no rows (INSERT, UPDATE, DELETE, DDL).
  Status Run();
  // Clears the statement's state and bindings so it can run again.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<int64_t> OptionalInt64(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int64(col);
  }
  // Valid until the next Step, Reset or column access of another type on this column.
  std::string_view Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string_view(p, static_cast<size_t>(n)) : std::string_view();
  }
  std::span<const uint8_t> Blob(int col) const {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::span<const uint8_t>(p, static_cast<size_t>(n)) : std::span<const uint8_t>();
  }

 private:
  sqlite3_stmt* stmt_;
  const std::string* path_;  // the Connection's path, for error contexts
};

// Resets a statement when the scope ends, whatever path leaves it: a SELECT that was
// stepped but not reset would keep its read transaction (and an old snapshot) open.
class StmtScope {
 public:
  explicit StmtScope(Stmt* stmt) : stmt_(stmt) {}
  ~StmtScope() { stmt_->Reset(); }
  StmtScope(const StmtScope&) = delete;
  StmtScope& operator=(const StmtScope&) = delete;
  Stmt* operator->() const { return stmt_; }

 private:
  Stmt* stmt_;
};

struct ConnectionOptions {
  bool create = false;           // create the file if absent
  bool query_only = false;       // PRAGMA query_only (the reader connection)
  int busy_timeout_ms = 5000;    // sqlite3_busy_timeout
  bool synchronous_full = true;  // PRAGMA synchronous = FULL (else NORMAL)
};

class Connection {
 public:
  // Opens `path` and sets the per-connection pragmas (busy timeout, foreign_keys,
  // synchronous, query_only). Setting foreign_keys reads the schema, so a file that is
  // not a database fails here: kDataLoss, "meta: cannot open database: file is not a
  // database ...".
  static Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                  const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more SQL statements that return no rows we need (sqlite3_exec). `what`
  // starts the error message.
  Status Exec(const char* sql, std::string_view what = "exec failed");
  // The prepared statement for `sql`, prepared on first use and kept (SQL text is the
  // key: pass the same constant each time). The pointer stays valid while this lives.
  Result<Stmt*> Prepare(std::string_view sql);
  // Runs a statement returning one integer (e.g. "PRAGMA user_version").
  Result<int64_t> QueryInt(std::string_view sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const { return sqlite3_changes64(db_); }
  // True while a transaction is open on this connection.
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

  Status Error(int rc, std::string_view what) const { return SqliteStatus(db_, rc, what, path_); }
  const std::string& path() const { return path_; }
  sqlite3* db() const { return db_; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Looked up by string_view: no allocation per call.
  std::unordered_map<std::string, std::unique_ptr<Stmt>, SqlHash, std::equal_to<>> stmts_;
};

// BEGIN IMMEDIATE on construction (Begin() reports the error: the write lock may be
// busy beyond busy_timeout); ROLLBACK in the destructor unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status Begin();
  Status Commit();

 private:
  Connection* conn_;
  bool open_ = false;
};

}  // namespace strix::meta::internal
