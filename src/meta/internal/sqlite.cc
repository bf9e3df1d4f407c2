// SQLite wrappers of the metadata store: error mapping, connection set-up, the statement
// cache and transactions. See sqlite.h.
#include "meta/internal/sqlite.h"

#include <cerrno>
#include <string>
#include <utility>

#include "core/check.h"

namespace strix::meta::internal {

Status SqliteStatus(sqlite3* db, int rc, std::string_view what, std::string_view path) {
  int primary = rc & 0xff;
  std::string msg = "meta: ";
  msg.append(what);
  msg += ": ";
  // The connection's message is specific ("no such table: x"); when it is stale or there
  // is no connection, SQLite's generic text for the code is used.
  const char* text =
      (db != nullptr && sqlite3_errcode(db) == rc) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  msg += text;
  StatusCode code = StatusCode::kInternal;
  int sys_errno = 0;
  switch (primary) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      code = StatusCode::kDataLoss;
      msg += " (not a SQLite database, or a damaged one)";
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = StatusCode::kUnavailable;
      msg += " (another connection held the database lock past busy_timeout)";
      break;
    case SQLITE_FULL:
      code = StatusCode::kResourceExhausted;
      sys_errno = ENOSPC;
      break;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      code = StatusCode::kPermissionDenied;
      break;
    case SQLITE_CANTOPEN: {
      sys_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
      code = (sys_errno == EACCES || sys_errno == EPERM) ? StatusCode::kPermissionDenied
                                                         : StatusCode::kNotFound;
      break;
    }
    case SQLITE_IOERR:
      sys_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
      code = (sys_errno == ENOSPC || sys_errno == EDQUOT) ? StatusCode::kResourceExhausted
                                                          : StatusCode::kInternal;
      break;
    case SQLITE_CONSTRAINT:
      code = StatusCode::kFailedPrecondition;
      break;
    default:
      break;
  }
  return Status(code, msg, path, sys_errno);
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(sqlite3_db_handle(stmt_), rc, "step failed", *path_);
}

Status Stmt::Run() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  return SqliteStatus(sqlite3_db_handle(stmt_), rc, "step failed", *path_);
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                     const ConnectionOptions& options) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (options.create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqliteStatus(db, rc, "cannot open database", path);
    sqlite3_close_v2(db);  // a handle is returned even on failure
    return st;
  }
  std::unique_ptr<Connection> conn(new Connection(db, path));
  sqlite3_extended_result_codes(db, 1);
  rc = sqlite3_busy_timeout(db, options.busy_timeout_ms);
  if (rc != SQLITE_OK) return conn->Error(rc, "busy_timeout");
  // The first statement reads the header and schema: where a non-database fails.
  constexpr std::string_view kWhat = "cannot open database";
  STRIX_RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys = ON", kWhat));
  STRIX_RETURN_IF_ERROR(conn->Exec(
      options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
      kWhat));
  if (options.query_only) STRIX_RETURN_IF_ERROR(conn->Exec("PRAGMA query_only = ON", kWhat));
  return conn;
}

Connection::~Connection() {
  stmts_.clear();  // finalize every statement before closing
  sqlite3_close_v2(db_);
}

Status Connection::Exec(const char* sql, std::string_view what) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);  // sqlite3_errmsg(db_) holds the same text
  if (rc != SQLITE_OK) return Error(rc, what);
  return Status::Ok();
}

Result<Stmt*> Connection::Prepare(std::string_view sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) return it->second.get();
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "prepare failed");
  STRIX_CHECK_MSG(raw != nullptr, "empty SQL statement");
  auto stmt = std::make_unique<Stmt>(raw, &path_);
  Stmt* p = stmt.get();
  stmts_.emplace(std::string(sql), std::move(stmt));
  return p;
}

Result<int64_t> Connection::QueryInt(std::string_view sql) {
  STRIX_ASSIGN_OR_RETURN(Stmt * raw, Prepare(sql));
  StmtScope stmt(raw);
  STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::Internal("meta: query returned no row", std::string(sql));
  return stmt->Int64(0);
}

Transaction::~Transaction() {
  if (open_) {
    // A failed ROLLBACK leaves SQLite to roll back when the connection closes; nothing
    // else can be done here.
    conn_->Exec("ROLLBACK").IgnoreError();
  }
}

Status Transaction::Begin() {
  STRIX_CHECK(!open_);
  STRIX_RETURN_IF_ERROR(conn_->Exec("BEGIN IMMEDIATE"));
  open_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  STRIX_CHECK(open_);
  Status st = conn_->Exec("COMMIT");
  // A failed COMMIT (SQLITE_BUSY on a reader's lock, disk full) may leave the
  // transaction open: the destructor rolls it back.
  if (st.ok() || !conn_->InTransaction()) open_ = false;
  return st;
}

}  // namespace strix::meta::internal
