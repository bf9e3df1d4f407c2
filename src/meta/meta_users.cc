// MetaStore's users: argon2id password hashes (libsodium's crypto_pwhash_str), creation,
// verification that does the same work for an unknown user as for a wrong password,
// password changes and listing. See meta_store.h and docs/format/meta.md ("Users").
#include <sodium.h>

#include <array>
#include <string>
#include <utility>

#include "core/check.h"
#include "core/utf8.h"
#include "meta/internal/sqlite.h"
#include "meta/internal/store_util.h"
#include "meta/meta_store.h"

namespace strix::meta {

using internal::Stmt;
using internal::StmtScope;

namespace {

// libsodium's "interactive" limits: 2 passes over 64 MiB, about 0.1 s per hash here.
constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

using PasswordHash = std::array<char, crypto_pwhash_STRBYTES>;

Status InvalidLogin() { return Status::Unauthenticated("invalid user name or password"); }

Status CheckUserName(std::string_view name) {
  if (name.empty() || name.size() > kMaxUserNameBytes) {
    return Status::InvalidArgument("user name must be 1 to 64 characters", name.substr(0, 80));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("user name may hold only letters, digits and . _ @ -",
                                     name.substr(0, 80));
    }
  }
  return Status::Ok();
}

Status CheckPassword(std::string_view password) {
  if (password.size() < kMinPasswordBytes) {
    return Status::InvalidArgument("password too short: at least 10 characters");
  }
  if (password.size() > kMaxPasswordBytes) {
    return Status::InvalidArgument("password too long: at most 1024 bytes");
  }
  if (!IsValidUtf8(password)) return Status::InvalidArgument("password is not valid UTF-8");
  return Status::Ok();
}

Result<PasswordHash> HashPassword(std::string_view password) {
  PasswordHash out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::ResourceExhausted("meta: argon2id hashing failed (out of memory?)");
  }
  return out;
}

// The hash an unknown user's login is checked against, so that it costs one argon2id
// verification like a known user's. Its password is random and never kept.
const PasswordHash& DummyHash() {
  static const PasswordHash hash = [] {
    std::array<unsigned char, 32> random;
    randombytes_buf(random.data(), random.size());
    Result<PasswordHash> h =
        HashPassword(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
    STRIX_CHECK(h.ok());
    return *h;
  }();
  return hash;
}

// The columns every users query selects first, in this order.
constexpr const char* kUserColumns = "name, role, created_at_ms, last_login_ms, disabled_at_ms";

UserInfo UserFromRow(const Stmt& row) {
  UserInfo u;
  u.name = std::string(row.Text(0));
  u.role = static_cast<Role>(row.Int64(1));
  u.created_at_ms = row.Int64(2);
  u.last_login_ms = row.OptionalInt64(3);
  u.disabled_at_ms = row.OptionalInt64(4);
  return u;
}

}  // namespace

Result<UserInfo> MetaStore::CreateUser(std::string_view name, Role role,
                                       std::string_view password) {
  STRIX_RETURN_IF_ERROR(CheckUserName(name));
  STRIX_RETURN_IF_ERROR(CheckPassword(password));
  STRIX_ASSIGN_OR_RETURN(PasswordHash hash, HashPassword(password));
  UserInfo u;
  u.name = std::string(name);
  u.role = role;
  u.created_at_ms = clock_.NowMillis();
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  STRIX_ASSIGN_OR_RETURN(
      Stmt * raw, writer_->Prepare("INSERT INTO users (name, role, password_hash, created_at_ms) "
                                   "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO NOTHING"));
  StmtScope stmt(raw);
  stmt->BindText(1, u.name);
  stmt->BindInt64(2, static_cast<int64_t>(role));
  stmt->BindText(3, std::string_view(hash.data()));
  stmt->BindInt64(4, u.created_at_ms);
  STRIX_RETURN_IF_ERROR(stmt->Run());
  if (writer_->Changes() == 0) return Status::AlreadyExists("user exists", u.name);
  return u;
}

Result<UserInfo> MetaStore::VerifyPassword(std::string_view name, std::string_view password) {
  bool found = false;
  PasswordHash stored{};
  UserInfo u;
  if (CheckUserName(name).ok() && password.size() <= kMaxPasswordBytes) {
    MutexLock r(&reader_mu_);
    if (reader_ == nullptr) return internal::ClosedError(path_);
    STRIX_ASSIGN_OR_RETURN(Stmt * raw,
                           reader_->Prepare(std::string("SELECT ") + kUserColumns +
                                            ", password_hash FROM users WHERE name = ?1"));
    StmtScope stmt(raw);
    stmt->BindText(1, name);
    STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (row) {
      std::string_view h = stmt->Text(5);
      if (h.size() >= stored.size()) {
        return Status::Corruption("meta: stored password hash too long",
                                  "user " + std::string(name));
      }
      std::copy(h.begin(), h.end(), stored.begin());
      found = true;
      u = UserFromRow(*raw);
    }
  }
  // One argon2id verification whether or not the user exists.
  const char* against = found ? stored.data() : DummyHash().data();
  const bool ok = crypto_pwhash_str_verify(against, password.data(), password.size()) == 0;
  if (!(ok && found)) return InvalidLogin();
  if (u.disabled_at_ms) return Status::Unauthenticated("user disabled", "user " + u.name);

  const int64_t now = clock_.NowMillis();
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  STRIX_ASSIGN_OR_RETURN(Stmt * raw,
                         writer_->Prepare("UPDATE users SET last_login_ms = ?2 WHERE name = ?1"));
  StmtScope stmt(raw);
  stmt->BindText(1, u.name);
  stmt->BindInt64(2, now);
  STRIX_RETURN_IF_ERROR(stmt->Run());
  u.last_login_ms = now;
  return u;
}

Status MetaStore::SetPassword(std::string_view name, std::string_view password) {
  STRIX_RETURN_IF_ERROR(CheckPassword(password));
  STRIX_ASSIGN_OR_RETURN(PasswordHash hash, HashPassword(password));
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  STRIX_ASSIGN_OR_RETURN(Stmt * raw,
                         writer_->Prepare("UPDATE users SET password_hash = ?2 WHERE name = ?1"));
  StmtScope stmt(raw);
  stmt->BindText(1, name);
  stmt->BindText(2, std::string_view(hash.data()));
  STRIX_RETURN_IF_ERROR(stmt->Run());
  if (writer_->Changes() == 0) return Status::NotFound("no such user", name);
  // A new password ends every session made with the old one.
  return DeleteUserSessionsLocked(name).status();
}

Status MetaStore::SetUserRole(std::string_view name, Role role) {
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  STRIX_ASSIGN_OR_RETURN(Stmt * raw,
                         writer_->Prepare("UPDATE users SET role = ?2 WHERE name = ?1"));
  StmtScope stmt(raw);
  stmt->BindText(1, name);
  stmt->BindInt64(2, static_cast<int64_t>(role));
  STRIX_RETURN_IF_ERROR(stmt->Run());
  if (writer_->Changes() == 0) return Status::NotFound("no such user", name);
  return Status::Ok();
}

Status MetaStore::SetUserDisabled(std::string_view name, bool disabled) {
  const int64_t now = clock_.NowMillis();
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  STRIX_ASSIGN_OR_RETURN(
      Stmt * raw,
      writer_->Prepare(disabled ? "UPDATE users SET disabled_at_ms = coalesce(disabled_at_ms, ?2) "
                                  "WHERE name = ?1"
                                : "UPDATE users SET disabled_at_ms = NULL WHERE name = ?1"));
  StmtScope stmt(raw);
  stmt->BindText(1, name);
  if (disabled) stmt->BindInt64(2, now);
  STRIX_RETURN_IF_ERROR(stmt->Run());
  if (writer_->Changes() == 0) return Status::NotFound("no such user", name);
  if (!disabled) return Status::Ok();
  return DeleteUserSessionsLocked(name).status();
}

Status MetaStore::DeleteUser(std::string_view name) {
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  STRIX_ASSIGN_OR_RETURN(Stmt * raw, writer_->Prepare("DELETE FROM users WHERE name = ?1"));
  StmtScope stmt(raw);
  stmt->BindText(1, name);
  STRIX_RETURN_IF_ERROR(stmt->Run());
  if (writer_->Changes() == 0) return Status::NotFound("no such user", name);
  return Status::Ok();
}

Result<std::vector<UserInfo>> MetaStore::ListUsers() {
  MutexLock r(&reader_mu_);
  if (reader_ == nullptr) return internal::ClosedError(path_);
  STRIX_ASSIGN_OR_RETURN(Stmt * raw, reader_->Prepare(std::string("SELECT ") + kUserColumns +
                                                      " FROM users ORDER BY name"));
  StmtScope stmt(raw);
  std::vector<UserInfo> out;
  for (;;) {
    STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.push_back(UserFromRow(*raw));
  }
  return out;
}

}  // namespace strix::meta
