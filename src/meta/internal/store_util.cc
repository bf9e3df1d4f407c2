// Validation and shared statements of the MetaStore. See store_util.h.
#include "meta/internal/store_util.h"

#include <string>

#include "core/utf8.h"

namespace strix::meta::internal {

Status ClosedError(const std::string& path) {
  return Status::FailedPrecondition("meta: store is closed", path);
}

Status CheckText(std::string_view s, std::string_view what, size_t max_bytes, bool allow_empty,
                 std::string_view ctx) {
  std::string w(what);
  if (s.empty() && !allow_empty) return Status::InvalidArgument(w + " is empty", ctx);
  if (s.size() > max_bytes) {
    return Status::InvalidArgument(w + " is longer than " + std::to_string(max_bytes) + " bytes",
                                   ctx);
  }
  if (!IsValidUtf8(s)) return Status::InvalidArgument(w + " is not valid UTF-8", ctx);
  return Status::Ok();
}

Status UpsertHostActivity(Connection* conn, std::string_view name, int64_t first_ms,
                          int64_t last_ms) {
  STRIX_ASSIGN_OR_RETURN(
      Stmt * raw,
      conn->Prepare("INSERT INTO hosts (name, first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT (name) DO UPDATE SET "
                    "first_seen_ms = min(coalesce(hosts.first_seen_ms, ?2), ?2), "
                    "last_seen_ms = max(coalesce(hosts.last_seen_ms, ?3), ?3)"));
  StmtScope stmt(raw);
  stmt->BindText(1, name);
  stmt->BindInt64(2, first_ms);
  stmt->BindInt64(3, last_ms);
  return stmt->Run();
}

Result<int64_t> EnsureHost(Connection* conn, std::string_view name) {
  {
    STRIX_ASSIGN_OR_RETURN(
        Stmt * raw,
        conn->Prepare("INSERT INTO hosts (name) VALUES (?1) ON CONFLICT (name) DO NOTHING"));
    StmtScope stmt(raw);
    stmt->BindText(1, name);
    STRIX_RETURN_IF_ERROR(stmt->Run());
  }
  STRIX_ASSIGN_OR_RETURN(Stmt * raw, conn->Prepare("SELECT id FROM hosts WHERE name = ?1"));
  StmtScope stmt(raw);
  stmt->BindText(1, name);
  STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::Internal("meta: host row vanished inside a transaction");
  return stmt->Int64(0);
}

}  // namespace strix::meta::internal
