// MetaStore's API tokens: creation (the plaintext leaves once, the hash stays), constant-
// time verification against the stored hash, listing and revocation. See meta_store.h
// and docs/format/meta.md ("Tokens").
#include <sodium.h>

#include <algorithm>
#include <string>
#include <utility>

#include "meta/internal/sqlite.h"
#include "meta/internal/store_util.h"
#include "meta/meta_store.h"

namespace strix::meta {

using internal::Stmt;
using internal::StmtScope;

namespace {

constexpr int kIdAttempts = 4;  // 60-bit random ids: a second attempt is never expected

Status InvalidToken() { return Status::Unauthenticated("invalid token"); }

}  // namespace

Result<NewToken> MetaStore::CreateToken(std::string_view name, Scopes scopes,
                                        const TokenOptions& options) {
  STRIX_RETURN_IF_ERROR(internal::CheckText(name, "token name", kMaxTokenNameBytes, false));
  STRIX_RETURN_IF_ERROR(
      internal::CheckText(options.created_by, "created_by", kMaxCreatedByBytes, true));
  if (scopes.empty()) {
    return Status::InvalidArgument("a token needs at least one scope (ingest, read, admin)");
  }
  const int64_t now = clock_.NowMillis();
  if (options.expires_at_ms && *options.expires_at_ms <= now) {
    return Status::InvalidArgument("token expiry is not in the future");
  }

  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  STRIX_ASSIGN_OR_RETURN(
      Stmt * raw,
      writer_->Prepare("INSERT INTO tokens (id, name, scopes, secret_hash, created_by, "
                       "created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                       "ON CONFLICT (id) DO NOTHING"));
  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    std::string id = GenerateTokenId();
    TokenSecret secret = GenerateTokenSecret();
    TokenHash hash = HashTokenSecret(id, secret);
    {
      StmtScope stmt(raw);
      stmt->BindText(1, id);
      stmt->BindText(2, name);
      stmt->BindInt64(3, scopes.bits());
      stmt->BindBlob(4, hash);
      if (options.created_by.empty()) {
        stmt->BindNull(5);
      } else {
        stmt->BindText(5, options.created_by);
      }
      stmt->BindInt64(6, now);
      stmt->BindOptionalInt64(7, options.expires_at_ms);
      Status st = stmt->Run();
      if (!st.ok()) {
        sodium_memzero(secret.data(), secret.size());
        return st;
      }
    }
    if (writer_->Changes() == 0) {  // the id is taken
      sodium_memzero(secret.data(), secret.size());
      continue;
    }
    NewToken out;
    out.plaintext = FormatToken(id, secret);
    sodium_memzero(secret.data(), secret.size());
    out.info.id = std::move(id);
    out.info.name = std::string(name);
    out.info.scopes = scopes;
    out.info.created_by = options.created_by;
    out.info.created_at_ms = now;
    out.info.expires_at_ms = options.expires_at_ms;
    return out;
  }
  return Status::Internal("meta: could not draw an unused token id");
}

Result<Principal> MetaStore::VerifyToken(std::string_view plaintext) {
  STRIX_ASSIGN_OR_RETURN(ParsedToken tok, ParseToken(plaintext));
  // Hashed before the lookup, so an unknown id costs the same hash and compare.
  const TokenHash presented = HashTokenSecret(tok.id, tok.secret);
  sodium_memzero(tok.secret.data(), tok.secret.size());

  bool found = false;
  TokenHash stored{};
  Principal p;
  std::optional<int64_t> expires_at, revoked_at, last_used_at;
  {
    MutexLock r(&reader_mu_);
    if (reader_ == nullptr) return internal::ClosedError(path_);
    STRIX_ASSIGN_OR_RETURN(Stmt * raw,
                           reader_->Prepare("SELECT secret_hash, name, scopes, expires_at_ms, "
                                            "revoked_at_ms, last_used_at_ms FROM tokens "
                                            "WHERE id = ?1"));
    StmtScope stmt(raw);
    stmt->BindText(1, tok.id);
    STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (row) {
      std::span<const uint8_t> h = stmt->Blob(0);
      if (h.size() != stored.size()) {
        return Status::Corruption("meta: stored token hash has the wrong size",
                                  "token " + std::string(tok.id));
      }
      std::copy(h.begin(), h.end(), stored.begin());
      found = true;
      p.name = std::string(stmt->Text(1));
      p.scopes = Scopes::FromBits(static_cast<uint32_t>(stmt->Int64(2)));
      expires_at = stmt->OptionalInt64(3);
      revoked_at = stmt->OptionalInt64(4);
      last_used_at = stmt->OptionalInt64(5);
    }
  }
  // Both comparisons always run; neither message nor work tells an unknown id from a
  // wrong secret.
  const bool equal = TokenHashesEqual(presented, stored);
  if (!(equal && found)) return InvalidToken();

  // Only the holder of the right secret learns that it was revoked or has expired.
  p.kind = PrincipalKind::kToken;
  p.id = std::string(tok.id);
  if (revoked_at) return Status::Unauthenticated("token revoked", "token " + p.id);
  const int64_t now = clock_.NowMillis();
  if (expires_at && now >= *expires_at) {
    return Status::Unauthenticated("token expired", "token " + p.id);
  }
  if (!last_used_at || now - *last_used_at >= kLastUsedResolutionMs) {
    MutexLock t(&tokens_mu_);
    auto [it, inserted] = token_used_.try_emplace(p.id, now);
    if (!inserted) it->second = std::max(it->second, now);
  }
  return p;
}

Result<std::vector<TokenInfo>> MetaStore::ListTokens() {
  std::vector<TokenInfo> out;
  {
    MutexLock r(&reader_mu_);
    if (reader_ == nullptr) return internal::ClosedError(path_);
    STRIX_ASSIGN_OR_RETURN(
        Stmt * raw, reader_->Prepare("SELECT id, name, scopes, created_by, created_at_ms, "
                                     "expires_at_ms, last_used_at_ms, revoked_at_ms FROM tokens "
                                     "ORDER BY created_at_ms, id"));
    StmtScope stmt(raw);
    for (;;) {
      STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      TokenInfo t;
      t.id = std::string(stmt->Text(0));
      t.name = std::string(stmt->Text(1));
      t.scopes = Scopes::FromBits(static_cast<uint32_t>(stmt->Int64(2)));
      t.created_by = std::string(stmt->Text(3));  // "" for NULL
      t.created_at_ms = stmt->Int64(4);
      t.expires_at_ms = stmt->OptionalInt64(5);
      t.last_used_at_ms = stmt->OptionalInt64(6);
      t.revoked_at_ms = stmt->OptionalInt64(7);
      out.push_back(std::move(t));
    }
  }
  // Uses this process has seen but not flushed yet.
  MutexLock t(&tokens_mu_);
  if (!token_used_.empty()) {
    for (TokenInfo& info : out) {
      auto it = token_used_.find(info.id);
      if (it != token_used_.end()) {
        info.last_used_at_ms = std::max(info.last_used_at_ms.value_or(it->second), it->second);
      }
    }
  }
  return out;
}

Status MetaStore::RevokeToken(std::string_view id) {
  if (!IsValidTokenId(id)) {
    return Status::InvalidArgument("not a token id (12 characters of a-z, 2-7)");
  }
  const int64_t now = clock_.NowMillis();
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  STRIX_ASSIGN_OR_RETURN(
      Stmt * raw, writer_->Prepare("UPDATE tokens SET revoked_at_ms = coalesce(revoked_at_ms, ?2) "
                                   "WHERE id = ?1"));
  StmtScope stmt(raw);
  stmt->BindText(1, id);
  stmt->BindInt64(2, now);
  STRIX_RETURN_IF_ERROR(stmt->Run());
  if (writer_->Changes() == 0) return Status::NotFound("no such token", "token " + std::string(id));
  return Status::Ok();
}

}  // namespace strix::meta
