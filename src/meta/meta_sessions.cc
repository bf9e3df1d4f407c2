// MetaStore's browser sessions: the cookie value is a token-format secret whose hash (in
// the session domain) is stored, never the value itself; a CSRF value per session; the
// user's role read at every verification, so a role change or a disabled user holds at
// once. See meta_store.h and docs/format/meta.md ("Sessions").
#include <sodium.h>

#include <algorithm>
#include <array>
#include <string>

#include "meta/internal/sqlite.h"
#include "meta/internal/store_util.h"
#include "meta/meta_store.h"

namespace strix::meta {

using internal::Stmt;
using internal::StmtScope;

namespace {

constexpr int kIdAttempts = 4;

Status InvalidSession() { return Status::Unauthenticated("invalid session"); }

// 32 random bytes as 64 hex digits: the CSRF value a page echoes in X-CSRF-Token.
std::string NewCsrf() {
  std::array<unsigned char, 32> b;
  randombytes_buf(b.data(), b.size());
  std::string hex(b.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), b.data(), b.size());
  hex.pop_back();
  return hex;
}

}  // namespace

Result<NewSession> MetaStore::CreateSession(std::string_view user, int64_t ttl_ms) {
  if (ttl_ms <= 0) return Status::InvalidArgument("session lifetime must be positive");
  const int64_t now = clock_.NowMillis();
  NewSession out;
  out.info.user = std::string(user);
  out.info.created_at_ms = now;
  out.info.expires_at_ms = now + ttl_ms;
  out.info.csrf = NewCsrf();
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  {
    STRIX_ASSIGN_OR_RETURN(
        Stmt * raw, writer_->Prepare("SELECT role, disabled_at_ms FROM users WHERE name = ?1"));
    StmtScope stmt(raw);
    stmt->BindText(1, user);
    STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return Status::NotFound("no such user", user);
    if (!stmt->IsNull(1)) return Status::FailedPrecondition("user disabled", user);
    out.info.role = static_cast<Role>(stmt->Int64(0));
  }
  STRIX_ASSIGN_OR_RETURN(
      Stmt * raw,
      writer_->Prepare(
          "INSERT INTO sessions (id, secret_hash, user_name, csrf, created_at_ms, "
          "expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING"));
  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    std::string id = GenerateTokenId();
    TokenSecret secret = GenerateTokenSecret();
    TokenHash hash = HashSessionSecret(id, secret);
    {
      StmtScope stmt(raw);
      stmt->BindText(1, id);
      stmt->BindBlob(2, hash);
      stmt->BindText(3, out.info.user);
      stmt->BindText(4, out.info.csrf);
      stmt->BindInt64(5, out.info.created_at_ms);
      stmt->BindInt64(6, out.info.expires_at_ms);
      STRIX_RETURN_IF_ERROR(stmt->Run());
    }
    if (writer_->Changes() == 0) continue;  // the id is taken: draw again
    out.info.id = id;
    out.cookie = FormatToken(id, secret);
    sodium_memzero(secret.data(), secret.size());
    return out;
  }
  return Status::Internal("meta: could not draw an unused session id");
}

Result<SessionInfo> MetaStore::VerifySession(std::string_view cookie) {
  Result<ParsedToken> tok = ParseToken(cookie);
  if (!tok.ok()) return InvalidSession();
  const TokenHash presented = HashSessionSecret(tok->id, tok->secret);
  sodium_memzero(tok->secret.data(), tok->secret.size());
  bool found = false;
  TokenHash stored{};
  SessionInfo s;
  std::optional<int64_t> disabled_at;
  {
    MutexLock r(&reader_mu_);
    if (reader_ == nullptr) return internal::ClosedError(path_);
    STRIX_ASSIGN_OR_RETURN(
        Stmt * raw, reader_->Prepare("SELECT s.secret_hash, s.user_name, s.csrf, s.created_at_ms, "
                                     "s.expires_at_ms, u.role, u.disabled_at_ms FROM sessions s "
                                     "JOIN users u ON u.name = s.user_name WHERE s.id = ?1"));
    StmtScope stmt(raw);
    stmt->BindText(1, tok->id);
    STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (row) {
      std::span<const uint8_t> h = stmt->Blob(0);
      if (h.size() != stored.size()) {
        return Status::Corruption("meta: stored session hash has the wrong size",
                                  "session " + std::string(tok->id));
      }
      std::copy(h.begin(), h.end(), stored.begin());
      found = true;
      s.user = std::string(stmt->Text(1));
      s.csrf = std::string(stmt->Text(2));
      s.created_at_ms = stmt->Int64(3);
      s.expires_at_ms = stmt->Int64(4);
      s.role = static_cast<Role>(stmt->Int64(5));
      disabled_at = stmt->OptionalInt64(6);
    }
  }
  const bool equal = TokenHashesEqual(presented, stored);
  if (!(equal && found)) return InvalidSession();
  s.id = std::string(tok->id);
  if (clock_.NowMillis() >= s.expires_at_ms) {
    return Status::Unauthenticated("session expired", "session " + s.id);
  }
  if (disabled_at) return Status::Unauthenticated("user disabled", "user " + s.user);
  return s;
}

Status MetaStore::DeleteSession(std::string_view cookie) {
  Result<ParsedToken> tok = ParseToken(cookie);
  if (!tok.ok()) return Status::Ok();  // nothing such can exist
  const TokenHash presented = HashSessionSecret(tok->id, tok->secret);
  sodium_memzero(tok->secret.data(), tok->secret.size());
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  // Only the holder of the cookie can end the session: the hash must match too.
  STRIX_ASSIGN_OR_RETURN(
      Stmt * raw, writer_->Prepare("DELETE FROM sessions WHERE id = ?1 AND secret_hash = ?2"));
  StmtScope stmt(raw);
  stmt->BindText(1, tok->id);
  stmt->BindBlob(2, presented);
  return stmt->Run();
}

Result<int64_t> MetaStore::DeleteUserSessions(std::string_view user) {
  MutexLock w(&writer_mu_);
  return DeleteUserSessionsLocked(user);
}

Result<int64_t> MetaStore::DeleteUserSessionsLocked(std::string_view user) {
  if (writer_ == nullptr) return internal::ClosedError(path_);
  STRIX_ASSIGN_OR_RETURN(Stmt * raw, writer_->Prepare("DELETE FROM sessions WHERE user_name = ?1"));
  StmtScope stmt(raw);
  stmt->BindText(1, user);
  STRIX_RETURN_IF_ERROR(stmt->Run());
  return writer_->Changes();
}

Result<int64_t> MetaStore::DeleteExpiredSessions() {
  const int64_t now = clock_.NowMillis();
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  STRIX_ASSIGN_OR_RETURN(Stmt * raw,
                         writer_->Prepare("DELETE FROM sessions WHERE expires_at_ms <= ?1"));
  StmtScope stmt(raw);
  stmt->BindInt64(1, now);
  STRIX_RETURN_IF_ERROR(stmt->Run());
  return writer_->Changes();
}

}  // namespace strix::meta
