// Tests of MetaStore's browser sessions: what is stored (a hash, never the cookie),
// verification with the user's current role, expiry, logout, a password change ending
// sessions, a deleted or disabled user, and cookies that are API tokens (refused).
#include <gtest/gtest.h>

#include "core/testing/temp_dir.h"
#include "meta/internal/test_util.h"
#include "meta/meta_store.h"

namespace strix::meta {
namespace {

using internal::RawDb;
using testing::TempDir;

constexpr int64_t kHour = 3'600'000;

class SessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.Join("meta.db");
    MetaStoreOptions o;
    o.clock = &clock_;
    Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path_, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    store_ = std::move(r).value();
    ASSERT_TRUE(store_->CreateUser("alice", Role::kEditor, "alice's password").ok());
  }
  NewSession Login() {
    Result<NewSession> s = store_->CreateSession("alice", 8 * kHour);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : NewSession{};
  }

  TempDir dir_;
  std::string path_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<MetaStore> store_;
};

TEST_F(SessionsTest, CookieVerifiesWithUserRoleAndCsrfAndOnlyItsHashIsStored) {
  NewSession s = Login();
  EXPECT_EQ(s.cookie.size(), kTokenChars);
  EXPECT_EQ(s.info.csrf.size(), 64u);
  Result<SessionInfo> v = store_->VerifySession(s.cookie);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->user, "alice");
  EXPECT_EQ(v->role, Role::kEditor);
  EXPECT_EQ(v->csrf, s.info.csrf);
  EXPECT_EQ(v->id, s.info.id);
  EXPECT_EQ(v->expires_at_ms, 1'700'000'000'000 + 8 * kHour);
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sessions"), 1);
  EXPECT_EQ(raw.Int("SELECT length(secret_hash) FROM sessions"), 32);
  const std::string secret = s.cookie.substr(kTokenPrefix.size() + kTokenIdChars + 1);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sessions WHERE instr(CAST(secret_hash AS TEXT), '" +
                    secret + "') > 0"),
            0);
  // A role change holds at the next request.
  ASSERT_EQ(raw.Exec("UPDATE users SET role = 1 WHERE name = 'alice'"), 0);
  EXPECT_EQ(store_->VerifySession(s.cookie)->role, Role::kViewer);
}

TEST_F(SessionsTest, WrongSecretUnknownIdAndGarbageAreAllInvalidSession) {
  NewSession s = Login();
  std::string wrong = s.cookie;
  wrong.back() = wrong.back() == 'a' ? 'q' : 'a';
  std::string other_id = s.cookie;
  other_id[kTokenPrefix.size()] = other_id[kTokenPrefix.size()] == 'a' ? 'b' : 'a';
  for (const std::string& c : {wrong, other_id, std::string("garbage"), std::string()}) {
    Status st = store_->VerifySession(c).status();
    EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << c;
    EXPECT_EQ(st.ToString(), "unauthenticated: invalid session") << c;
  }
}

TEST_F(SessionsTest, AnApiTokenIsNotASessionAndASessionIsNotAToken) {
  NewSession s = Login();
  Result<NewToken> t = store_->CreateToken("reader", Scopes{Scope::kRead});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(store_->VerifySession(t->plaintext).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(store_->VerifyToken(s.cookie).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(SessionsTest, ExpiryLogoutAndPasswordChangeEndSessions) {
  NewSession a = Login();
  NewSession b = Login();
  EXPECT_NE(a.cookie, b.cookie);
  EXPECT_NE(a.info.csrf, b.info.csrf);
  ASSERT_TRUE(store_->DeleteSession(a.cookie).ok());  // logout
  EXPECT_EQ(store_->VerifySession(a.cookie).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(store_->VerifySession(b.cookie).ok());
  EXPECT_TRUE(store_->DeleteSession(a.cookie).ok());  // again: nothing to do
  EXPECT_TRUE(store_->DeleteSession("garbage").ok());

  clock_.Advance(8 * kHour);
  Status expired = store_->VerifySession(b.cookie).status();
  EXPECT_NE(expired.ToString().find("session expired"), std::string::npos) << expired.ToString();
  Result<int64_t> gone = store_->DeleteExpiredSessions();
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(*gone, 1);

  NewSession c = Login();
  ASSERT_TRUE(store_->SetPassword("alice", "a new password").ok());
  EXPECT_EQ(store_->VerifySession(c.cookie).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(SessionsTest, UnknownDisabledAndDeletedUsers) {
  EXPECT_EQ(store_->CreateSession("nobody", kHour).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CreateSession("alice", 0).status().code(), StatusCode::kInvalidArgument);
  NewSession s = Login();
  RawDb raw(path_);
  ASSERT_EQ(raw.Exec("UPDATE users SET disabled_at_ms = 1 WHERE name = 'alice'"), 0);
  EXPECT_NE(store_->VerifySession(s.cookie).status().ToString().find("user disabled"),
            std::string::npos);
  EXPECT_EQ(store_->CreateSession("alice", kHour).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_EQ(raw.Exec("PRAGMA foreign_keys = ON; DELETE FROM users WHERE name = 'alice'"), 0);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sessions"), 0);  // cascaded
  EXPECT_EQ(store_->VerifySession(s.cookie).status().ToString(),
            "unauthenticated: invalid session");
}

TEST_F(SessionsTest, DeleteUserSessionsCountsThem) {
  Login();
  Login();
  Result<int64_t> n = store_->DeleteUserSessions("alice");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
}

}  // namespace
}  // namespace strix::meta
